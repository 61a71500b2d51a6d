"""Evidence is served so that an uploaded file never runs in our origin: HTML or SVG under an
image's name is refused at upload (content sniffed), the rest is sent with its sniffed type,
nosniff, a sandbox policy, as an attachment (images inline), privately cached."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ledger import workflow
from tests.factories import IssueFactory, make_item

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"0" * 64


@pytest.fixture
def item(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.png", b"<html><script>alert(1)</script></html>"),
        ("photo.jpg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>'),
        ("page.html", b"<html></html>"),
    ],
)
def test_html_and_svg_are_refused_whatever_their_name(world, item, name, content):
    with pytest.raises(ValidationError):
        workflow.attach_evidence(
            world.owner, item, SimpleUploadedFile(name, content, content_type="image/png")
        )


def _download(client, world, evidence):
    client.force_login(world.owner)
    return client.get(reverse("ledger:evidence_download", args=[evidence.pk]))


def test_a_pdf_is_an_attachment_with_nosniff_and_a_sandbox(client, world, item):
    evidence = workflow.attach_evidence(
        world.owner, item, SimpleUploadedFile("报告.pdf", PDF, content_type="text/html")
    )
    response = _download(client, world, evidence)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert "private" in response["Cache-Control"]


def test_an_image_is_shown_inline_with_its_sniffed_type(client, world, item):
    evidence = workflow.attach_evidence(world.owner, item, SimpleUploadedFile("现场.png", PNG))
    response = _download(client, world, evidence)
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_only_who_may_see_the_item_downloads(client, world, item):
    evidence = workflow.attach_evidence(world.owner, item, SimpleUploadedFile("现场.png", PNG))
    client.force_login(world.outsider)
    assert client.get(reverse("ledger:evidence_download", args=[evidence.pk])).status_code == 404
