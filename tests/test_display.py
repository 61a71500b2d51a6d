"""Small display rules: evidence by kind and size (not MIME type and bytes), and punctuation that
follows the language in the printed reports (English PDFs carry no "、", "：", "（n）")."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from ledger import workflow
from ledger.models import Attendance, Evidence
from tests import pdfs
from tests.factories import IssueFactory, MeetingFactory, make_item

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 3000
XLSX = b"PK\x03\x04" + b"\x00" * 64
CHINESE_PUNCTUATION = set("、：（），；")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(autouse=True)
def strict_glyphs(settings):
    settings.LEDGER_PDF_STRICT_GLYPHS = True


@pytest.mark.parametrize(
    ("content_type", "zh", "en"),
    [
        ("application/pdf", "文档", "Document"),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "文档", "Document"),
        ("image/jpeg", "图片", "Image"),
        ("application/vnd.ms-excel", "表格", "Spreadsheet"),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "表格", "Spreadsheet"),
        ("application/octet-stream", "其他", "Other file"),
    ],
)
def test_a_file_is_called_by_its_kind(content_type, zh, en):
    with translation.override("zh-hans"):
        assert str(Evidence.kind_of(content_type)) == zh
    with translation.override("en"):
        assert str(Evidence.kind_of(content_type)) == en


@pytest.mark.parametrize(
    ("size", "shown"), [(820, "820\xa0bytes"), (12_800, "12.5\xa0KB"), (3_355_443, "3.2\xa0MB")]
)
def test_a_size_is_shown_in_kb_and_mb(size, shown):
    with translation.override("en"):
        assert Evidence.size_text(size) == shown


@pytest.fixture
def item(world):
    """An item with a sheet attached on its own and a photo posted with progress, an approved
    extension, all without Chinese punctuation in the data: what a report prints around the
    data is then all that can carry any."""
    item = make_item(
        world.committee,
        IssueFactory(organization=world.branch, description="班前会安全讲评流于形式"),
        owner=world.owner,
        measures="组织全员重新学习作业规程并闭卷考试",
    )
    workflow.attach_evidence(world.owner, item, SimpleUploadedFile("考试成绩.xlsx", XLSX))
    workflow.post_progress(
        world.owner, item, text="已组织学习", percent=60, files=[SimpleUploadedFile("现场照片.png", PNG)]
    )
    workflow.post_progress(
        world.owner, item, text="已组织考试", percent=80, files=[SimpleUploadedFile("试卷.png", PNG)]
    )
    request = workflow.request_extension(
        world.owner, item, proposed_deadline=item.deadline + datetime.timedelta(days=30), reason="配件未到"
    )
    workflow.decide_extension(world.committee, request, approve=True, note="同意")
    return item


def test_the_history_shows_the_kind_and_size_of_a_file(client, world, item):
    client.force_login(world.committee)
    html = client.get(f"/ledger/items/{item.pk}/history/").content.decode()
    assert "application/vnd.openxmlformats" not in html
    assert "大小（字节）" not in html and "内容类型" not in html
    assert '<th scope="row">文件类型</th><td>—</td><td>表格</td>' in html
    assert '<th scope="row">大小</th><td>—</td><td>68\xa0字节</td>' in html


def test_the_item_page_shows_the_kind_and_size_of_a_file(client, world, item):
    client.force_login(world.committee)
    html = client.get(f"/ledger/items/{item.pk}/").content.decode()
    assert "· 表格 · 68\xa0字节 ·" in html
    assert "· 图片 · 2.9\xa0KB ·" in html


def test_the_dossier_shows_the_kind_and_size_of_a_file(client, world, item):
    client.force_login(world.committee)
    text = pdfs.squeezed(pdfs.text(client.get(reverse("ledger:item_dossier", args=[item.pk])).content))
    assert "文件类型" in text
    assert "表格" in text and "图片2.9KB" in text


def english_pdfs(client, world, item):
    meeting = MeetingFactory(organization=world.branch, topic="专题组织生活会")
    Attendance.objects.create(meeting=meeting, person=world.committee)
    Attendance.objects.create(
        meeting=meeting, person=world.owner, present=False, absence_reason="on_shift", absence_note="夜班"
    )
    late = make_item(world.committee, IssueFactory(organization=world.branch, description="交接班记录不全"))
    workflow.edit_item(
        world.committee,
        late,
        expected_version=late.version,
        deadline=timezone.localdate() - datetime.timedelta(days=2),
    )
    workflow.post_progress(world.owner, item, text="已补考", percent=90)
    client.force_login(world.committee)
    urls = {
        "dossier": reverse("ledger:item_dossier", args=[item.pk]),
        "ledger": reverse("ledger:report_pdf"),
        "summary": reverse("ledger:summary_pdf"),
        "progress": reverse("ledger:progress_pdf"),
        "minutes": reverse("ledger:meeting_minutes", args=[meeting.pk]),
    }
    return {
        name: {
            language: pdfs.text(client.get(url, HTTP_ACCEPT_LANGUAGE=language).content)
            for language in ("en", "zh-hans")
        }
        for name, url in urls.items()
    }


def test_english_pdfs_carry_no_chinese_punctuation(client, world, item):
    printed = english_pdfs(client, world, item)
    for name, texts in printed.items():
        found = CHINESE_PUNCTUATION & set(texts["en"])
        assert not found, (name, found)
    # The Chinese ones keep theirs.
    zh = {name: pdfs.squeezed(texts["zh-hans"]) for name, texts in printed.items()}
    assert "（1）" in zh["summary"]  # overdue items (1)
    assert "（90%）：已补考" in zh["progress"]
    assert "（夜班）" in zh["minutes"]
    assert "现场照片.png" in zh["dossier"] and "：" in zh["dossier"]
    assert "（原定" in zh["dossier"]
    en = printed["progress"]["en"]
    assert "(90%): 已补考" in en
    assert "(originally" in printed["dossier"]["en"]
