"""Evidence files: type checked by name and content, size limited, stored through the storage API."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from ledger import workflow
from ledger.models import Evidence
from ledger.validators import check_evidence_file
from tests.factories import IssueFactory, make_item

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"0" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
DOCX = b"PK\x03\x04" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("整改报告.pdf", PDF, "application/pdf"),
        ("现场照片.PNG", PNG, "image/png"),
        ("IMG_0001.jpeg", JPEG, "image/jpeg"),
        ("会议记录.docx", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ],
)
def test_it_accepts_pdf_images_and_office_documents(name, content, content_type):
    assert check_evidence_file(SimpleUploadedFile(name, content)) == content_type


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("setup.exe", b"MZ" + b"\x00" * 64, "file_type"),
        ("script.html", b"<script>alert(1)</script>", "file_type"),
        ("renamed.pdf", b"MZ\x90\x00" + b"\x00" * 64, "file_content"),
        ("fake.png", b"<svg onload=alert(1)>", "file_content"),
        ("empty.pdf", b"", "file_empty"),
    ],
)
def test_it_refuses_other_files(name, content, code):
    with pytest.raises(ValidationError) as error:
        check_evidence_file(SimpleUploadedFile(name, content))
    assert error.value.code == code


def test_the_size_limit_is_configurable(settings):
    settings.LEDGER_EVIDENCE_MAX_MB = 1
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * (1024 * 1024))
    with pytest.raises(ValidationError) as error:
        check_evidence_file(big)
    assert error.value.code == "file_size"
    assert "1 MB" in error.value.messages[0]


def test_attached_evidence_is_stored_under_a_neutral_name(world):
    item = make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    evidence = workflow.attach_evidence(world.owner, item, SimpleUploadedFile("../../etc/现场照片.png", PNG))
    assert evidence.original_name.endswith("现场照片.png")
    assert evidence.file.name.startswith("evidence/")
    assert ".." not in evidence.file.name
    assert evidence.file.name.endswith(".png")
    assert evidence.size == len(PNG)
    with evidence.file.open("rb") as stored:
        assert stored.read() == PNG
    assert evidence.history.get().history_user == world.owner


def test_a_bad_file_in_a_progress_update_stores_nothing(world):
    item = make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    files = [SimpleUploadedFile("ok.png", PNG), SimpleUploadedFile("bad.exe", b"MZ")]
    with pytest.raises(ValidationError) as error:
        workflow.post_progress(world.owner, item, text="进展", percent=30, files=files)
    assert "files" in error.value.message_dict
    assert not Evidence.objects.exists()
    assert not item.updates.exists()
