"""The item dossier /ledger/items/<id>/dossier.pdf: issue, item, progress, evidence thumbnails,
extensions, verification and the audit history; who may print it."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from core import chain
from ledger import workflow
from tests import pdfs
from tests.reportdata import HOSTILE, populate


@pytest.fixture(autouse=True)
def strict_glyphs(settings, tmp_path):
    settings.LEDGER_PDF_STRICT_GLYPHS = True
    settings.MEDIA_ROOT = tmp_path


def _png():
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 30, 30)).save(buffer, "PNG")
    return SimpleUploadedFile("现场照片.png", buffer.getvalue())


@pytest.fixture
def item(world):
    ledger = populate(world)
    item = ledger.open
    update = workflow.post_progress(
        world.owner, item, text="完成全员培训，考试合格率100%", percent=60, files=[_png()]
    )
    assert update.evidence.count() == 1
    extension = workflow.request_extension(
        world.owner,
        item,
        proposed_deadline=item.deadline + datetime.timedelta(days=20),
        reason="井下生产任务重，需延期",
    )
    workflow.decide_extension(world.committee, extension, approve=True, note="同意延期")
    return item


def _url(item):
    return reverse("ledger:item_dossier", args=[item.pk])


def test_it_prints_the_whole_dossier(client, world, item, django_assert_num_queries):
    client.force_login(world.committee)
    # session, user, memberships, organization tree, the item with its relations; updates,
    # their evidence, all evidence, extensions; history: item, updates, evidence, extensions,
    # co-owners, urgings, warning talks, accountability, re-checks (the columns that order and
    # pair them), then the whole rows of the kinds this item's history holds (item, updates,
    # evidence, extensions), the issues, organizations and people named in the diffs; the
    # supervision records: urgings, warning talks, accountability; the printed records' chain
    # heads and their checkpoint (core.chain)
    with django_assert_num_queries(30):
        response = client.get(_url(item))
    assert response.status_code == 200
    pages = pdfs.pages_text(response.content)
    text = pdfs.squeezed("".join(pages))
    for expected in (
        "班前会安全讲评流于形式",
        "组织全员重新学习作业规程",
        "完成全员培训，考试合格率100%",
        "现场照片.png",
        "井下生产任务重，需延期",
        "同意延期",
        "李明",
        "王强",
    ):
        assert expected in text
    assert pdfs.page_footer(1, len(pages)) in pdfs.squeezed(pages[0])
    # The image evidence is shown as a thumbnail, not as the full picture.
    images = [image for page in pdfs.reader(response.content).pages for image in page.images]
    # (WeasyPrint shares one image resource between pages.) Besides them, the QR code of the
    # chain head (every digest gives a code of the same size).
    qr_size = Image.open(io.BytesIO(chain.qr_png("f" * 64))).size
    thumbnails = [image for image in images if image.image.size != qr_size]
    assert thumbnails
    assert {max(image.image.size) for image in thumbnails} == {360}
    assert len(images) > len(thumbnails)


def test_hostile_text_prints_as_text(client, world):
    ledger = populate(world)
    client.force_login(world.committee)
    response = client.get(_url(ledger.hostile))
    assert pdfs.squeezed(HOSTILE) in pdfs.squeezed(pdfs.text(response.content))
    # No image but the QR code of the chain head (the hostile <img> never became one).
    images = [image for page in pdfs.reader(response.content).pages for image in page.images]
    qr_size = Image.open(io.BytesIO(chain.qr_png("f" * 64))).size
    assert {image.image.size for image in images} == {qr_size}


def test_the_owner_prints_the_dossier_of_own_items_only(client, world):
    ledger = populate(world)
    client.force_login(world.owner)
    assert client.get(_url(ledger.open)).status_code == 200
    other = workflow.create_item(
        world.committee,
        ledger.open.issue,
        measures="别人的事项",
        deadline=timezone.localdate(),
        owner=world.member,
    )
    assert client.get(_url(other)).status_code == 404  # not the owner's branch: outside their scope
    # An item of the owner's own group that someone else owns: visible, but not theirs to print.
    neighbour = workflow.create_item(
        world.committee,
        ledger.open.issue,
        organization=world.group,
        measures="同组他人的事项",
        deadline=timezone.localdate(),
        owner=world.member,
    )
    assert client.get(_url(neighbour)).status_code == 403


def test_a_plain_member_of_the_branch_may_not(client, world):
    ledger = populate(world)
    client.force_login(world.member)
    assert client.get(_url(ledger.open)).status_code == 403


def test_outsider_gets_404(client, world):
    ledger = populate(world)
    client.force_login(world.outsider)
    assert client.get(_url(ledger.open)).status_code == 404


def test_leadership_may_print(client, world):
    ledger = populate(world)
    client.force_login(world.leadership)
    assert client.get(_url(ledger.open)).status_code == 200


def test_wrong_method(client, world):
    ledger = populate(world)
    client.force_login(world.committee)
    assert client.post(_url(ledger.open)).status_code == 405


def test_english_version(client, world):
    ledger = populate(world)
    client.force_login(world.committee)
    text = pdfs.squeezed(pdfs.text(client.get(_url(ledger.closed), HTTP_ACCEPT_LANGUAGE="en").content))
    assert "Rectificationitemdossier" in text
    assert "经验收同意销号" in text


def test_pdfa_dossier(client, world, item):
    client.force_login(world.owner)
    response = client.get(_url(item), {"format": "pdfa"})
    metadata = pdfs.reader(response.content).trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b'pdfaid:part="3"' in metadata
    assert b'pdfaid:conformance="B"' in metadata
