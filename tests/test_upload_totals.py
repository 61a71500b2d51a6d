"""Evidence totals: the files of one post together (LEDGER_EVIDENCE_REQUEST_MAX_MB) and all the
evidence of one item (LEDGER_EVIDENCE_ITEM_MAX_MB), refused with a message, nothing stored."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ledger.models import Evidence
from tests.factories import IssueFactory, make_item

MB = 1024 * 1024
PDF = b"%PDF-1.7\n"


def _files(count, size=int(0.9 * MB)):
    return [SimpleUploadedFile(f"现场{n}.pdf", PDF + b"0" * size) for n in range(count)]


@pytest.fixture
def limits(settings):
    settings.LEDGER_EVIDENCE_MAX_MB = 1
    settings.LEDGER_EVIDENCE_REQUEST_MAX_MB = 2
    settings.LEDGER_EVIDENCE_ITEM_MAX_MB = 3


@pytest.fixture
def item(world):
    return make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)


def _post(client, item, files, text="现场整改完成"):
    url = reverse("ledger:post_progress", args=[item.pk])
    return client.post(url, {"text": text, "percent": 50, "version": item.version, "files": files})


def test_files_too_large_together_are_refused_and_the_text_kept(client, world, item, limits):
    client.force_login(world.owner)
    response = _post(client, item, _files(3), text="三张照片一起上传")
    assert response.status_code == 400
    page = response.content.decode()
    assert "这些文件合计过大：每次最多 2 MB。" in page
    assert "三张照片一起上传" in page
    assert not Evidence.objects.exists()
    assert not item.updates.exists()


def test_the_items_total_is_limited(client, world, item, limits):
    client.force_login(world.owner)
    assert _post(client, item, _files(2)).status_code == 302
    item.refresh_from_db()
    response = _post(client, item, _files(2))
    assert response.status_code == 400
    assert "3 MB" in response.content.decode()
    assert Evidence.objects.filter(item=item).count() == 2


def test_within_the_limits_the_files_are_stored(client, world, item, limits):
    client.force_login(world.owner)
    assert _post(client, item, _files(2)).status_code == 302
    assert Evidence.objects.filter(item=item).count() == 2
