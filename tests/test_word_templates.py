"""Word templates a committee edits (download, upload validated before storing, versions with
history, inheritance down the tree), the 不公开 marks of the public version, and every shipped
template rendered with the demo data."""

import io
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from docx import Document

from core.models import User
from ledger import word, workflow
from ledger.docx_layout import BUILDERS
from ledger.models import Withheld, WordTemplate
from tests.reportdata import populate

REPORT = reverse("ledger:report_docx")
LEDGER = reverse("ledger:ledger_docx")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def ledger(world):
    return populate(world)


def docx_bytes(*paragraphs):
    document = Document()
    for text in paragraphs:
        document.add_paragraph().add_run(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def text_of(content):
    document = Document(io.BytesIO(content))
    return "\n".join(
        [p.text for p in document.paragraphs]
        + [c.text for t in document.tables for r in t.rows for c in r.cells]
    )


def upload(client, organization, content, name="模板.docx", kind="report"):
    url = reverse("ledger:word_templates", args=[organization.pk])
    return client.post(url, {"kind": kind, "file": SimpleUploadedFile(name, content), "reason": "新信头"})


def test_a_committee_uploads_a_template_that_documents_then_use(client, world, ledger):
    client.force_login(world.committee)
    response = upload(client, world.branch, docx_bytes("机运党支部信头", "{{ title }}", "{{ sentence }}"))
    assert response.status_code == 302
    record = WordTemplate.objects.get(organization=world.branch, kind="report")
    assert record.version == 1 and record.uploaded_by == world.committee
    text = text_of(client.get(REPORT, {"organization": world.branch.pk}).content)
    assert "机运党支部信头" in text
    assert "共查摆问题 4 个" in text
    # A new version: the history keeps both, with their files.
    upload(client, world.branch, docx_bytes("第二版信头", "{{ title }}"))
    record.refresh_from_db()
    assert record.version == 2
    versions = list(record.history.order_by("history_id").values_list("version", "file", "history_user_id"))
    assert [row[0] for row in versions] == [1, 2]
    assert versions[0][1] != versions[1][1]
    assert {row[2] for row in versions} == {world.committee.pk}
    assert "第二版信头" in text_of(client.get(REPORT, {"organization": world.branch.pk}).content)
    # The page says which applies and offers it for download.
    page = client.get(reverse("ledger:word_templates", args=[world.branch.pk])).content.decode()
    assert "第 2 版" in page
    download = client.get(reverse("ledger:word_template_file", args=[world.branch.pk, "report"]))
    assert download.status_code == 200
    assert "第二版信头" in text_of(b"".join(download.streaming_content))


def test_templates_are_inherited_down_the_tree(client, world, ledger):
    workflow.upload_word_template(
        world.company_committee,
        world.company,
        "ledger",
        SimpleUploadedFile("公司.docx", docx_bytes("公司统一台账模板", "{{ title }}")),
    )
    client.force_login(world.committee)
    assert "公司统一台账模板" in text_of(client.get(LEDGER, {"organization": world.group.pk}).content)
    page = client.get(reverse("ledger:word_templates", args=[world.group.pk])).content.decode()
    assert "继承自公司党委" in page
    # The report still uses the default: the company uploaded only the ledger's.
    assert "一、基本情况" in text_of(client.get(REPORT, {"organization": world.group.pk}).content)
    # A template of the branch's own wins over the company's.
    upload(client, world.branch, docx_bytes("支部自己的台账模板"), kind="ledger")
    assert "支部自己的台账模板" in text_of(client.get(LEDGER, {"organization": world.group.pk}).content)


def test_the_default_template_is_offered_for_download(client, world):
    client.force_login(world.committee)
    response = client.get(reverse("ledger:word_template_file", args=[world.branch.pk, "report"]))
    assert response.status_code == 200
    assert "{{ sentence }}" in text_of(b"".join(response.streaming_content))


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (docx_bytes("{{ title }", "正文"), "坏.docx", "{{ title }"),
        (docx_bytes("{% for row in rows %}{{ row }}"), "坏.docx", "模板无法使用"),
        (docx_bytes("{{ ''.__class__.__mro__ }}"), "坏.docx", "模板无法使用"),
        (b"not a word file at all", "坏.docx", "请上传 Word 文档"),
        (docx_bytes("正文"), "坏.txt", "请上传 Word 文档"),
        (b"PK\x03\x04" + b"\x00" * 100, "坏.docx", "不是可读取的 Word 文档"),
    ],
    ids=["broken tag", "unclosed for", "sandbox", "not a zip", "not .docx", "damaged zip"],
)
def test_a_bad_template_is_refused_with_a_message_and_nothing_stored(client, world, content, name, message):
    client.force_login(world.committee)
    response = upload(client, world.branch, content, name=name)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "新信头" in response.content.decode()  # what was typed is shown again
    assert not WordTemplate.objects.exists()
    assert not WordTemplate.history.exists()


def test_a_template_over_5_mb_is_refused(client, world):
    client.force_login(world.committee)
    big = docx_bytes("{{ title }}") + b"\x00" * (5 * 1024 * 1024)
    response = upload(client, world.branch, big)
    assert response.status_code == 400
    assert "5 MB" in response.content.decode()
    assert not WordTemplate.objects.exists()


def test_who_may_see_and_change_the_templates(client, world):
    url = reverse("ledger:word_templates", args=[world.branch.pk])
    client.force_login(world.outsider)
    assert client.get(url).status_code == 404
    assert (
        client.get(reverse("ledger:word_template_file", args=[world.branch.pk, "report"])).status_code == 404
    )
    assert upload(client, world.branch, docx_bytes("{{ title }}")).status_code == 404
    client.force_login(world.member)
    assert client.get(url).status_code == 403
    client.force_login(world.leadership)
    assert client.get(url).status_code == 200  # leadership reads and downloads
    assert upload(client, world.branch, docx_bytes("{{ title }}")).status_code == 403
    assert not WordTemplate.objects.exists()


def test_marks_leave_items_and_fields_out_of_the_public_version(client, world, ledger):
    workflow.withhold(world.committee, ledger.late, reason=Withheld.Reason.INVESTIGATION)
    client.force_login(world.committee)
    response = client.post(
        reverse("ledger:withhold_item", args=[ledger.open.pk]), {"field": "measures", "reason": "privacy"}
    )
    assert response.status_code == 302
    mark = Withheld.objects.get(item=ledger.open, field="measures")
    row = mark.history.get()
    assert (row.history_user_id, row.history_action, row.history_change_reason) == (
        world.committee.pk,
        workflow.Action.WITHHOLD,
        "涉及个人隐私",
    )
    public = text_of(client.get(LEDGER, {"version": "public"}).content)
    assert "逾期未完成的整改措施" not in public  # the whole item withheld
    assert "组织全员重新学习作业规程" not in public and "（不公开）" in public
    assert "班前会安全讲评流于形式" in public  # the rest of the item is shown
    report = text_of(client.get(REPORT, {"version": "public"}).content)
    assert "共查摆问题 3 个，制定整改措施 3 条" in report
    assert "组织全员重新学习作业规程" not in report
    internal = text_of(client.get(LEDGER).content)
    assert "逾期未完成的整改措施" in internal and "组织全员重新学习作业规程" in internal
    # The item page shows the marks; taking one off is recorded too.
    page = client.get(reverse("ledger:item_detail", args=[ledger.open.pk])).content.decode()
    assert "涉及个人隐私" in page
    client.post(
        reverse("ledger:withhold_item", args=[ledger.open.pk]),
        {"field": "measures", "disclose": "on", "note": "经审核可以公开"},
    )
    assert not Withheld.objects.filter(item=ledger.open).exists()
    assert mark.history.order_by("history_id").last().history_change_reason == "经审核可以公开"
    assert "组织全员重新学习作业规程" in text_of(client.get(LEDGER, {"version": "public"}).content)


def test_only_the_committee_marks(client, world, ledger):
    client.force_login(world.owner)
    url = reverse("ledger:withhold_item", args=[ledger.open.pk])
    assert client.post(url, {"field": "", "reason": "privacy"}).status_code == 403
    client.force_login(world.outsider)
    assert client.post(url, {"field": "", "reason": "privacy"}).status_code == 404
    with pytest.raises(workflow.NotAllowed):
        workflow.withhold(world.member, ledger.open, reason="privacy")
    with pytest.raises(Exception, match="请选择不公开的理由"):
        workflow.withhold(world.committee, ledger.open, reason="because")
    assert not Withheld.objects.exists()


def test_every_shipped_template_renders_with_the_demo_data(client, db):
    call_command("seed_demo", "--password", "pw-for-tests", stdout=StringIO())
    superuser = User.objects.filter(is_superuser=True).first()
    assert superuser is not None
    client.force_login(superuser)
    for kind in BUILDERS:
        assert word.default_template(kind).exists()
        for params in ({}, {"version": "public"}):
            response = client.get(reverse(f"ledger:{kind}_docx"), params)
            assert response.status_code == 200, response.content[:300]
            text = text_of(response.content)
            assert "{{" not in text and "{%" not in text
            assert "整改" in text
