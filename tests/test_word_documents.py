"""The Word documents (issue 14): /ledger/report.docx and /ledger/ledger.docx read back with
python-docx (Chinese text, table rows, fonts in the styles, the computed sentence), opened by
LibreOffice, escaping, the sandbox, as-of, the public version, the meeting's report and
permissions."""

import datetime
import io
import subprocess

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Length

from ledger import word, workflow
from ledger.models import Item
from tests.factories import IssueFactory, category, make_item
from tests.reportdata import HOSTILE, SIBLING_TEXT, populate

REPORT = reverse("ledger:report_docx")
LEDGER = reverse("ledger:ledger_docx")
TEMPLATE_CHARS = "{{ 7*7 }} {% for x in y %} <&> \"'"


@pytest.fixture
def ledger(world):
    return populate(world)


def read(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == word.CONTENT_TYPE
    assert response["Content-Disposition"].startswith("attachment;")
    return Document(io.BytesIO(response.content))


def text_of(document):
    paragraphs = [paragraph.text for paragraph in document.paragraphs]
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(paragraphs + cells)


def east_asian_font(style):
    fonts = style.element.rPr.find(qn("w:rFonts"))
    return fonts.get(qn("w:eastAsia"))


def test_the_report_reads_back_with_its_sentence_and_breakdowns(client, world, ledger):
    client.force_login(world.committee)
    document = read(client.get(REPORT))
    text = text_of(document)
    # Four issues, four items of the branch: one closed, three being pushed forward.
    assert "共查摆问题 4 个，制定整改措施 4 条；已完成 1 项、正在推进 3 项、长期坚持 0 项，完成率 25%" in text
    assert "一、基本情况" in text and "二、整改落实情况" in text and "三、下一步工作打算" in text
    assert "班前会安全讲评流于形式" in text
    assert "组织全员重新学习作业规程" in text
    assert "已制定方案，正在推进" in text  # what was done, with its date
    assert SIBLING_TEXT not in text
    assert document.paragraphs[0].text.startswith("中共机运党支部关于")
    category_table, kind_table = document.tables
    categories = [row.cells[0].text for row in category_table.rows[1:]]
    assert set(categories) == {"安全", "党建", "廉政", "作风"}
    assert [row.cells[0].text for row in kind_table.rows[1:]] == ["立行立改", "限期整改", "长期坚持"]
    by_deadline = kind_table.rows[2]
    assert [cell.text for cell in by_deadline.cells] == ["限期整改", "4", "1", "3", "0", "25%"]
    assert east_asian_font(document.styles["Normal"]) == "仿宋_GB2312"
    assert east_asian_font(document.styles["Title"]) == "方正小标宋简体"
    assert document.styles["Normal"].font.size.pt == 16
    section = document.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    assert round(Length(section.page_width - section.left_margin - section.right_margin).mm) == 156
    assert round(Length(section.page_height - section.top_margin - section.bottom_margin).mm) == 225
    grid = section._sectPr.find(qn("w:docGrid"))
    line_pitch = int(grid.get(qn("w:linePitch"))) / 20  # twentieths of a point
    assert round(225 / 25.4 * 72 / line_pitch) == 22  # 22 lines
    footers = [section.footer.paragraphs[0], section.even_page_footer.paragraphs[0]]
    assert [footer.alignment for footer in footers] == [WD_ALIGN_PARAGRAPH.RIGHT, WD_ALIGN_PARAGRAPH.LEFT]
    assert all(footer.text == "—  —" and "PAGE" in footer._p.xml for footer in footers)  # — 1 —


def test_the_ledger_table_has_a_row_per_item_and_a_repeated_header(client, world, ledger):
    client.force_login(world.committee)
    document = read(client.get(LEDGER))
    (table,) = document.tables
    assert len(table.rows) == 1 + 4
    header = table.rows[0]
    assert header._tr.trPr.find(qn("w:tblHeader")) is not None
    assert all(row._tr.trPr.find(qn("w:cantSplit")) is not None for row in table.rows[1:])
    assert [cell.text for cell in header.cells][:3] == ["序号", "编号", "问题"]
    assert document.sections[0].page_width > document.sections[0].page_height  # landscape
    text = text_of(document)
    assert "王强" in text and "赵志刚" in text
    assert SIBLING_TEXT not in text


def test_the_filters_of_the_list_apply(client, world, ledger):
    client.force_login(world.committee)
    table = read(client.get(LEDGER, {"overdue": "on"})).tables[0]
    assert len(table.rows) == 2
    assert "逾期未完成的整改措施" in table.rows[1].cells[4].text


def test_user_text_prints_as_typed(client, world, ledger):
    make_item(
        world.committee,
        IssueFactory(organization=world.branch, category=category("作风"), description=TEMPLATE_CHARS),
        measures=TEMPLATE_CHARS,
        owner=world.owner,
    )
    client.force_login(world.committee)
    for url in (REPORT, LEDGER):
        text = text_of(read(client.get(url)))
        assert TEMPLATE_CHARS in text
        assert HOSTILE in text
        assert "49" not in text.replace("2049", "")


def test_a_template_cannot_reach_python_internals(tmp_path):
    from docxtpl import DocxTemplate  # noqa: F401

    template = tmp_path / "evil.docx"
    document = Document()
    document.add_paragraph().add_run("{{ ''.__class__.__mro__[1].__subclasses__() }}")
    document.save(template)
    with pytest.raises(word.BadTemplate) as refused:
        word.render(template, {})
    assert "__class__" in refused.value.message or "unsafe" in refused.value.message


def test_a_broken_tag_is_named(tmp_path):
    template = tmp_path / "broken.docx"
    document = Document()
    document.add_paragraph().add_run("{% for row in rows %}{{ row }")
    document.save(template)
    with pytest.raises(word.BadTemplate) as refused:
        word.render(template, {"rows": []})
    assert refused.value.message


def test_as_of_rebuilds_the_report_as_it_stood(client, world, ledger, today):
    client.force_login(world.committee)
    yesterday = today - datetime.timedelta(days=1)
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=1)):
        workflow.post_progress(world.owner, ledger.open, text="今天新增的进展", percent=50)
    document = read(client.get(REPORT, {"as_of": today.isoformat()}))
    assert "今天新增的进展" in text_of(document)
    past = read(client.get(REPORT, {"as_of": (today - datetime.timedelta(days=30)).isoformat()}))
    text = text_of(past)
    assert "共查摆问题 0 个" in text
    ledger_then = read(client.get(LEDGER, {"as_of": yesterday.isoformat()}))
    assert len(ledger_then.tables[0].rows) == 1 + 1  # only the item made twenty days ago


def test_the_public_version_masks_owners_but_not_leaders(client, world, ledger):
    client.force_login(world.committee)
    document = read(client.get(LEDGER, {"version": "public"}))
    text = text_of(document)
    assert "公开版" in text
    assert "王强" not in text and "王*" in text
    assert "赵志刚" in text
    internal = text_of(read(client.get(LEDGER)))
    assert "公开版" not in internal


def test_the_meeting_page_offers_the_report_of_its_issues(client, world, ledger):
    client.force_login(world.committee)
    url = reverse("ledger:meeting_report_docx", args=[ledger.meeting.pk])
    page = client.get(reverse("ledger:meeting_detail", args=[ledger.meeting.pk]))
    assert url in page.content.decode()
    text = text_of(read(client.get(url)))
    assert "机运党支部专题组织生活会" in text
    assert "共查摆问题 1 个，制定整改措施 1 条" in text
    assert "逾期未完成的整改措施" not in text


def test_the_list_offers_both_documents_with_its_filters(client, world, ledger):
    client.force_login(world.committee)
    page = client.get(reverse("ledger:item_list"), {"overdue": "on"}).content.decode()
    assert f"{REPORT}?overdue=on" in page
    assert f"{LEDGER}?overdue=on" in page


def test_people_outside_get_nothing(client, world, ledger):
    client.force_login(world.outsider)
    assert client.get(reverse("ledger:meeting_report_docx", args=[ledger.meeting.pk])).status_code == 404
    text = text_of(read(client.get(LEDGER)))
    assert "班前会安全讲评流于形式" not in text
    client.force_login(world.member)
    assert client.get(REPORT).status_code == 403
    assert client.get(LEDGER).status_code == 403


def test_a_bad_date_is_refused_with_a_message(client, world, ledger):
    client.force_login(world.committee)
    response = client.get(REPORT, {"as_of": "2026-02-30"})
    assert response.status_code == 400
    assert "日期" in response.content.decode()


def test_english_headings(client, world, ledger):
    client.force_login(world.committee)
    text = text_of(read(client.get(REPORT, HTTP_ACCEPT_LANGUAGE="en")))
    assert "I. Basic facts" in text
    assert "4 problems identified, 4 rectification measures set" in text
    assert "班前会安全讲评流于形式" in text  # data as entered


def test_long_term_items_count_and_show_their_review_date(client, world, ledger, today):
    review = today + datetime.timedelta(days=40)
    item = make_item(
        world.committee,
        IssueFactory(organization=world.branch, category=category("党建")),
        measures="长期坚持的学习制度",
        kind=Item.Kind.LONG_TERM,
        next_review_on=review,
        deadline=None,
        owner=world.owner,
    )
    workflow.start(world.owner, item)  # a long-term item, once started, is 长期坚持
    client.force_login(world.committee)
    document = read(client.get(REPORT))
    text = text_of(document)
    assert "共查摆问题 5 个，制定整改措施 5 条；已完成 1 项、正在推进 3 项、长期坚持 1 项，完成率 20%" in text
    assert [cell.text for cell in document.tables[1].rows[3].cells] == ["长期坚持", "1", "0", "0", "1", "0%"]
    (step,) = [p.text for p in document.paragraphs if "下次评估" in p.text]
    assert step.startswith(item.reference) and "长期坚持的学习制度" in step
    assert step.endswith(f"（长期坚持，下次评估 {review.year}年{review.month}月{review.day}日）")


def test_libreoffice_opens_both_documents(client, world, ledger, tmp_path):
    # A long problem: its paragraph in the report shows the type area's 28 characters a line.
    make_item(
        world.committee,
        IssueFactory(organization=world.branch, description="井下作业现场安全管理存在薄弱环节" * 6),
        owner=world.owner,
    )
    client.force_login(world.committee)
    for name, url in (("report", REPORT), ("ledger", LEDGER)):
        path = tmp_path / f"{name}.docx"
        path.write_bytes(client.get(url).content)
        subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation=file://{tmp_path}/lo",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(tmp_path),
                str(path),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        pdf = tmp_path / f"{name}.pdf"
        assert pdf.stat().st_size > 1000
        subprocess.run(
            ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(tmp_path / name)],
            check=True,
            timeout=60,
        )
        assert list(tmp_path.glob(f"{name}*.png"))
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "机运党支部" in text
        if name == "report":
            # GB/T 9704: 28 characters to a full line of body text (26 after the two-character
            # indent of a paragraph's first line).
            widths = [len(line.strip()) for line in text.split("\n") if "薄弱环节" in line]
            assert widths[:2] == [26, 28], widths


@pytest.mark.parametrize(
    ("number", "text"), [(1, "一"), (10, "十"), (12, "十二"), (25, "二十五"), (99, "九十九"), (100, "100")]
)
def test_sections_are_numbered_in_chinese(number, text):
    assert word.chinese_number(number) == text


@pytest.mark.parametrize(
    ("url", "params", "queries"),
    [
        # session, user, memberships, organization tree (scope); the top organizations (title);
        # the organizations' light settings, the rows with their latest progress, their
        # co-owners; categories, kinds, totals, the number of issues; every progress update of
        # the rows; the tree and the templates (which template applies); the printed rows' chain
        # heads and their checkpoint (core.chain)
        (REPORT, {}, 17),
        # the same without the figures and the updates; the public version reads the rows'
        # 不公开 marks
        (LEDGER, {}, 12),
        (LEDGER, {"version": "public"}, 13),
    ],
    ids=["report", "ledger", "public ledger"],
)
def test_the_documents_read_in_constant_queries_at_10_and_200_items(
    client, world, django_assert_num_queries, url, params, queries
):
    from tests.test_page_query_counts import at_10_and_200

    def grow(count):
        for n in range(count):
            item = make_item(
                world.committee,
                IssueFactory(organization=world.branch, category=category("安全")),
                measures=f"措施{n}",
                owner=world.owner,
            )
            if n % 5 == 0:
                workflow.post_progress(world.owner, item, text="已推进", percent=20)

    client.force_login(world.committee)
    at_10_and_200(grow, lambda: client.get(url, params), queries, django_assert_num_queries)


@pytest.mark.parametrize("address", [REPORT, LEDGER])
def test_each_document_prints_the_chain_head_it_was_generated_from(client, world, ledger, address):
    import re

    from django.core.management import call_command

    from core.models import ChainCheckpoint

    client.force_login(world.committee)
    document = read(client.get(address))
    text = text_of(document)
    code = re.search(r"历史链头：([0-9A-F]{4}(?:-[0-9A-F]{4}){3})", text).group(1)
    checkpoint = ChainCheckpoint.objects.get()
    assert checkpoint.scope.endswith(".docx")
    printed = {record_id for _chain, record_id, *_rest in checkpoint.heads}
    assert printed == set(Item.objects.filter(organization=world.branch).values_list("pk", flat=True))
    # The QR code of the digest is a picture in the document, drawn here (nothing fetched).
    assert len(document.inline_shapes) == 1
    call_command("verify_history", "--at", code, stdout=io.StringIO())
