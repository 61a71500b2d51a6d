"""The importer: reading files, finding headings, understanding cells, storing all rows or none."""

import csv
import datetime
import io

import pytest
import time_machine
from django.utils import timezone

from core.models import User
from ledger import workflow
from ledger.imports.reading import open_table, read_table
from ledger.imports.rows import person_key, prepare
from ledger.imports.storing import TAKE_FILE, Choices, ImportFailed, commit
from ledger.imports.vocabulary import DEFAULT_REVIEW_DAYS, parse_date
from ledger.models import ImportedRow, Issue, Item
from tests.factories import IssueFactory, make_item
from tests.sheet_files import HEADINGS, ledger_rows, libreoffice_xlsx, soffice, xlsx_bytes

pytestmark = pytest.mark.usefixtures("english")


def table_of(content, name="整改台账.xlsx"):
    return read_table(io.BytesIO(content), name)


def preview_of(world, content, name="整改台账.xlsx", actor=None, organization=None, **kwargs):
    return prepare(table_of(content, name), actor or world.committee, organization or world.branch, **kwargs)


def csv_bytes(rows, encoding="utf-8-sig"):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


# ---------------------------------------------------------------------------------------------
# Cells


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-30",
        "2026/11/30",
        "2026.11.30",
        "2026年11月30日",
        "2026 年 11 月 30 日",
        datetime.datetime(2026, 11, 30, 0, 0),
        datetime.date(2026, 11, 30),
        46356,  # Excel's serial number of 2026-11-30
        46356.0,
        "46356",
    ],
)
def test_it_understands_every_date_form(value):
    assert parse_date(value) == datetime.date(2026, 11, 30)


@pytest.mark.parametrize("value", ["下月底", "2026-13-01", "2026-02-30", "30/11/2026", -5, True])
def test_it_refuses_dates_it_does_not_understand(value):
    assert parse_date(value) is None


def test_it_reads_long_term_and_immediate_in_the_deadline_column(world):
    rows = ledger_rows(count=3)
    rows[1][8] = "长期坚持"
    rows[2][8] = "立行立改"
    preview = preview_of(world, xlsx_bytes(rows))
    assert preview.is_valid, [row.errors for row in preview.rows]
    long_term, immediate, dated = (row.values for row in preview.rows)
    today = timezone.localdate()
    assert long_term["kind"] == Item.Kind.LONG_TERM
    assert long_term["next_review_on"] == today + datetime.timedelta(days=DEFAULT_REVIEW_DAYS)
    assert immediate["kind"] == Item.Kind.IMMEDIATE
    assert immediate["deadline"] == today
    assert dated["kind"] == Item.Kind.BY_DEADLINE
    assert dated["deadline"] == datetime.date(2027, 3, 3)


def test_it_reads_excel_date_cells_and_serial_numbers(world):
    rows = ledger_rows(count=2)
    rows[1][8] = datetime.datetime(2027, 5, 1)
    rows[2][8] = 46356
    preview = preview_of(world, xlsx_bytes(rows))
    assert [row.values["deadline"] for row in preview.rows] == [
        datetime.date(2027, 5, 1),
        datetime.date(2026, 11, 30),
    ]


def test_it_gives_per_cell_errors_in_plain_words(world):
    rows = ledger_rows(count=1)
    rows[1][8] = "下月底"
    rows[1][7] = "查无此人"
    rows[1][2] = "不存在的类别"
    rows[1][4] = ""
    preview = preview_of(world, xlsx_bytes(rows))
    errors = preview.rows[0].errors
    assert not preview.is_valid
    assert errors["deadline"] == [
        "Date not understood; write it as 2026-11-30, 2026年11月底, 长期坚持 or 立行立改."
    ]
    assert errors["owner"] == ["Unknown person “查无此人”: choose the person below."]
    assert errors["category"] == ["Unknown category."]
    assert errors["measures"] == ["This cell is empty; it is required."]
    assert preview.unknown_names == ["查无此人"]


# ---------------------------------------------------------------------------------------------
# Headings


def test_it_finds_the_headings_below_title_rows_and_skips_blank_rows(world):
    rows = ledger_rows(count=2)
    rows.insert(2, [None] * 9)
    content = xlsx_bytes(
        rows,
        title_rows=[
            ["机运党支部2026年度整改台账"],
            ["填报单位：机运党支部", None, None, "填报日期：2026-11-24"],
        ],
        merges=["A1:I1"],
    )
    preview = preview_of(world, content)
    assert preview.header_number == 3
    assert preview.is_valid
    assert [row.number for row in preview.rows] == [4, 6]
    assert [c.field for c in preview.columns] == [
        "serial",
        "description",
        "category",
        "source",
        "measures",
        "leader",
        "department",
        "owner",
        "deadline",
    ]


def test_it_understands_merged_heading_cells_over_two_rows(world):
    headings = ["序号", "存在问题", "整改措施", "责任", None, "完成时限", "完成情况", "是否完成", "备注"]
    below = [None, None, None, "责任领导", "责任人", None, None, None, None]
    data = [1, "学习流于形式", "每周集中学习一次", "赵志刚", "王强", "2026.12.31", "已学习三次", "否", "无"]
    content = xlsx_bytes(
        [headings, below, data],
        title_rows=[["整改台账"]],
        merges=["A1:I1", "A2:A3", "B2:B3", "C2:C3", "D2:E2", "F2:F3", "G2:G3", "H2:H3", "I2:I3"],
    )
    preview = preview_of(world, content)
    assert preview.is_valid, preview.problems or preview.rows[0].errors
    values = preview.rows[0].values
    assert values["description"] == "学习流于形式"
    assert values["leader"] == world.leader
    assert values["owner"] == world.owner
    assert values["deadline"] == datetime.date(2026, 12, 31)
    assert values["progress"] == "已学习三次"
    assert values["status"] == Item.Status.IN_PROGRESS


def test_it_lets_the_user_map_columns_by_hand(world):
    content = xlsx_bytes([["甲", "乙", "丙"], ["学习流于形式", "每周集中学习一次", "2027-01-15"]])
    unmapped = preview_of(world, content)
    assert not unmapped.is_valid
    assert "No column holds “Issue description”: map it by hand below." in [str(p) for p in unmapped.problems]
    mapped = preview_of(world, content, mapping={0: "description", 1: "measures", 2: "deadline"})
    assert mapped.is_valid
    assert mapped.rows[0].values["deadline"] == datetime.date(2027, 1, 15)


def test_a_field_mapped_twice_is_a_problem(world):
    preview = preview_of(world, xlsx_bytes(ledger_rows()), mapping={1: "measures"})
    assert "Columns B and E are both mapped to “Measures”: keep one." in [str(p) for p in preview.problems]


# ---------------------------------------------------------------------------------------------
# CSV


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_it_reads_csv_in_utf8_and_gb18030(world, encoding):
    preview = preview_of(world, csv_bytes(ledger_rows(), encoding), name="台账.csv")
    assert preview.is_valid
    assert preview.rows[0].values["description"] == "班前会安全讲评流于形式（1）"


def test_it_reads_a_file_saved_by_libreoffice(world, tmp_path):
    assert soffice(), "LibreOffice is installed by `make test` (scripts/apt-install.sh)"
    rows = ledger_rows(count=3)
    rows[3][8] = "2027年4月1日"
    source = tmp_path / "台账.csv"
    source.write_bytes(csv_bytes(rows, "utf-8"))
    converted = libreoffice_xlsx(source, tmp_path)
    preview = preview_of(world, converted.read_bytes())
    assert preview.is_valid, preview.problems or [r.errors for r in preview.rows]
    assert [row.values["deadline"] for row in preview.rows] == [
        datetime.date(2027, 3, 1),
        datetime.date(2027, 3, 2),
        datetime.date(2027, 4, 1),
    ]
    result = commit(preview, world.committee, "台账.xlsx")
    assert result.created == 3


# ---------------------------------------------------------------------------------------------
# People and scope


def test_people_are_matched_by_full_name_within_scope_only(world):
    User.objects.create(username="stranger", full_name="孙悟空")  # no membership: outside any scope
    preview = preview_of(world, xlsx_bytes(ledger_rows(owner="孙悟空", count=1)))
    assert preview.rows[0].errors["owner"] == ["Unknown person “孙悟空”: choose the person below."]


def test_ambiguous_names_must_be_chosen(world):
    twin = User.objects.create(username="wang2", full_name="王强")
    world.group.memberships.create(user=twin, role="member")
    preview = preview_of(world, xlsx_bytes(ledger_rows(count=1)))
    assert preview.rows[0].errors["owner"] == ["Several people are named “王强”: choose one below."]
    chosen = preview_of(world, xlsx_bytes(ledger_rows(count=1)), people={person_key("王强"): twin.pk})
    assert chosen.is_valid
    assert chosen.rows[0].values["owner"] == twin


def test_unknown_names_can_be_mapped_or_created_as_placeholders(world):
    content = xlsx_bytes(ledger_rows(owner="刘德胜", count=2))
    mapped = preview_of(world, content, people={person_key("刘德胜"): world.member.pk})
    assert mapped.is_valid
    assert mapped.unknown_names == ["刘德胜"]
    assert mapped.rows[0].values["owner"] == world.member
    created = preview_of(world, content, create_people=True)
    assert created.is_valid
    result = commit(created, world.committee, "台账.xlsx")
    placeholder = User.objects.get(full_name="刘德胜")
    assert result.people_created == 1
    assert not placeholder.is_active
    assert not placeholder.has_usable_password()
    assert Item.objects.filter(owner=placeholder).count() == 2


def test_an_organization_outside_the_scope_is_refused(world):
    rows = [[*HEADINGS, "所属组织"]]
    rows.append([*ledger_rows(count=1)[1], "通修党支部"])
    rows.append([*ledger_rows(count=2)[2], "机运党支部第一党小组"])
    preview = preview_of(world, xlsx_bytes(rows))
    assert preview.rows[0].errors["organization"] == ["This organization is outside your scope."]
    assert "organization" not in preview.rows[1].errors
    assert preview.rows[1].values["organization"] == world.group


# ---------------------------------------------------------------------------------------------
# Storing


def test_it_stores_items_through_the_workflow_with_history_naming_the_file(world):
    rows = ledger_rows(count=2)
    rows[0] += ["整改进展", "整改状态"]
    rows[1] += ["已组织学习", "整改中"]
    rows[2] += [None, "已销号"]
    preview = preview_of(world, xlsx_bytes(rows))
    result = commit(preview, world.committee, "机运台账.xlsx")
    assert (result.created, result.updated) == (2, 0)
    first, second = Item.objects.filter(organization=world.branch).order_by("sequence")
    assert first.reference.startswith("机运-")
    assert first.issue.category.name == "安全"
    assert first.issue.source == Issue.Source.CRITICISM
    assert (first.owner, first.leader, first.department) == (world.owner, world.leader, "机运工区")
    assert first.status == Item.Status.IN_PROGRESS
    assert first.updates.get().text == "已组织学习"
    assert second.status == Item.Status.CLOSED
    created = first.history.earliest()
    assert created.history_action == workflow.Action.IMPORT
    assert created.history_change_reason == "Imported from the file “机运台账.xlsx”"
    assert created.history_user == world.committee
    assert second.history.latest().history_change_reason == "Imported from the file “机运台账.xlsx”"
    assert first.issue.history.get().history_change_reason == "Imported from the file “机运台账.xlsx”"


def test_reimporting_an_edited_file_updates_its_items_instead_of_duplicating(world):
    commit(preview_of(world, xlsx_bytes(ledger_rows())), world.committee, "v1.xlsx")
    again = commit(preview_of(world, xlsx_bytes(ledger_rows())), world.committee, "v1.xlsx")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    rows = ledger_rows(count=3)
    rows[1][8] = "2027-06-30"
    rows[1][6] = "调度室"
    edited = commit(preview_of(world, xlsx_bytes(rows)), world.committee, "v2.xlsx")
    assert (edited.created, edited.updated, edited.unchanged) == (1, 1, 1)
    assert Item.objects.count() == 3
    item = Item.objects.get(department="调度室")
    assert item.deadline == datetime.date(2027, 6, 30)
    assert item.history.latest().history_change_reason == "Imported from the file “v2.xlsx”"
    assert item.history.latest().history_action == workflow.Action.EDIT
    assert item.imported_row.source_name == "v2.xlsx"


def test_rows_carrying_a_reference_update_that_item(world):
    item = make_item(world.committee, IssueFactory(organization=world.branch), department="旧部门")
    rows = [["编号", *HEADINGS], [item.reference, *ledger_rows(count=1)[1]]]
    result = commit(preview_of(world, xlsx_bytes(rows)), world.committee, "台账.xlsx")
    assert (result.created, result.updated) == (0, 1)
    item.refresh_from_db()
    assert item.department == "机运工区"
    assert item.issue.description == "班前会安全讲评流于形式（1）"
    assert ImportedRow.objects.get().item == item


def test_rows_describing_one_issue_share_it(world):
    rows = ledger_rows(count=2)
    rows[2][1] = rows[1][1]
    commit(preview_of(world, xlsx_bytes(rows)), world.committee, "台账.xlsx")
    assert Issue.objects.count() == 1
    assert Issue.objects.get().items.count() == 2


def test_all_rows_or_none(world):
    commit(preview_of(world, xlsx_bytes(ledger_rows(count=1))), world.committee, "v1.xlsx")
    closed = Item.objects.get()
    workflow.set_imported_state(world.committee, closed, status=Item.Status.CLOSED, reason="测试")
    rows = ledger_rows(count=3)
    rows[1][6] = "调度室"  # an edit of a closed item: the workflow refuses it
    before = (Item.objects.count(), Issue.objects.count(), Item.history.count())
    # Closed in the product after the import: the file's version is taken only when chosen.
    choices = Choices(rows={2: TAKE_FILE})
    with pytest.raises(ImportFailed) as failed:
        commit(preview_of(world, xlsx_bytes(rows)), world.committee, "v2.xlsx", choices=choices)
    assert list(failed.value.errors) == [2]
    assert closed.reference in failed.value.errors[2][0]
    assert "is not possible while the item is" in failed.value.errors[2][0]
    assert (Item.objects.count(), Issue.objects.count(), Item.history.count()) == before


def test_a_dry_run_stores_nothing(world):
    result = commit(preview_of(world, xlsx_bytes(ledger_rows())), world.committee, "台账.xlsx", dry_run=True)
    assert result.created == 2
    assert not Item.objects.exists()
    assert not Issue.objects.exists()


def test_an_invalid_preview_cannot_be_committed(world):
    rows = ledger_rows(count=1)
    rows[1][8] = "下月底"
    with pytest.raises(ImportFailed):
        commit(preview_of(world, xlsx_bytes(rows)), world.committee, "台账.xlsx")
    assert not Item.objects.exists()


def test_only_the_committee_can_import(world):
    preview = preview_of(world, xlsx_bytes(ledger_rows()), actor=world.member)
    with pytest.raises(ImportFailed):
        commit(preview, world.member, "台账.xlsx")
    assert not Item.objects.exists()


def test_a_changed_progress_text_is_posted_with_the_file_as_reason(world):
    rows = ledger_rows(count=1)
    rows[0].append("整改进展")
    rows[1].append("已学习一次")
    commit(preview_of(world, xlsx_bytes(rows)), world.committee, "v1.xlsx")
    rows[1][-1] = "已学习两次"
    result = commit(preview_of(world, xlsx_bytes(rows)), world.committee, "v2.xlsx")
    assert result.updated == 1
    item = Item.objects.get()
    assert list(item.updates.values_list("text", flat=True)) == ["已学习两次", "已学习一次"]
    latest = item.history.latest()
    assert latest.history_action == workflow.Action.POST_PROGRESS
    assert latest.history_change_reason == "Imported from the file “v2.xlsx”"


def test_set_imported_state_is_for_the_committee_and_on_record(world):
    item = make_item(world.committee, IssueFactory(organization=world.branch))
    with pytest.raises(workflow.NotAllowed):
        workflow.set_imported_state(world.member, item, status=Item.Status.CLOSED, reason="x")
    item = workflow.set_imported_state(world.committee, item, status=Item.Status.CLOSED, reason="台账.xlsx")
    assert (item.status, item.progress, item.outcome) == (Item.Status.CLOSED, 100, Item.Outcome.COMPLETED)
    record = item.history.latest()
    assert (record.history_action, record.history_change_reason) == (workflow.Action.IMPORT, "台账.xlsx")
    count = item.history.count()
    workflow.set_imported_state(world.committee, item, status=Item.Status.CLOSED, reason="again")
    assert item.history.count() == count  # already there: no history row


def test_reimporting_later_keeps_what_the_file_does_not_say(world):
    rows = [["问题描述", "整改措施", "整改时限"], ["学习流于形式", "每周集中学习一次", "长期坚持"]]
    commit(preview_of(world, xlsx_bytes(rows)), world.committee, "v1.xlsx")
    item = Item.objects.get()
    workflow.edit_item(world.committee, item, expected_version=item.version, department="调度室")
    with time_machine.travel(timezone.now() + datetime.timedelta(days=40)):
        result = commit(preview_of(world, xlsx_bytes(rows)), world.committee, "v1.xlsx")
    assert (result.updated, result.unchanged) == (0, 1)
    item.refresh_from_db()
    assert item.department == "调度室"
    assert item.issue.raised_on == timezone.localdate()
    assert item.next_review_on == timezone.localdate() + datetime.timedelta(days=DEFAULT_REVIEW_DAYS)


def test_a_preview_keeps_what_it_shows_and_counts_the_rest(world, monkeypatch):
    monkeypatch.setattr("ledger.imports.rows.MAX_ERROR_ROWS", 2)
    rows = ledger_rows(count=12)
    for number in (3, 5, 7, 9):
        rows[number][8] = "下月底"  # four rows with an error: rows 4, 6, 8 and 10 of the file
    preview = preview_of(world, xlsx_bytes(rows), keep=3)
    assert (preview.row_count, preview.error_row_count, preview.error_count) == (12, 4, 4)
    # The first three rows without an error (2, 3, 5) and the first two with one (4, 6).
    assert [row.number for row in preview.rows] == [2, 3, 4, 5, 6]
    assert [bool(row.errors) for row in preview.rows] == [False, False, True, False, True]


def test_the_file_is_read_again_for_each_pass_and_once_for_the_first(world):
    content = xlsx_bytes(ledger_rows(count=3))
    table = open_table(io.BytesIO(content), "台账.xlsx")
    assert [number for number, _values in table.head] == [1, 2, 3, 4]
    assert [number for number, _values in table.rows()] == [1, 2, 3, 4]
    assert [number for number, _values in table.rows()] == [1, 2, 3, 4]
    preview = prepare(table, world.committee, world.branch)
    assert [row.number for row in preview.parse()] == [2, 3, 4]
    assert [row.number for row in preview.parse()] == [2, 3, 4]


def test_a_column_that_starts_below_the_head_rows_can_be_mapped(world):
    rows = ledger_rows(count=40)
    for row in rows[1:]:
        row[8] = "2027-03-31"
    rows[40].append("已组织学习")  # column J holds something on row 41 only, with no heading
    preview = preview_of(world, xlsx_bytes(rows))
    assert [column.letter for column in preview.columns][-1] == "J"
    assert preview.columns[-1].field == ""
    mapped = preview_of(world, xlsx_bytes(rows), mapping={9: "progress"})
    assert mapped.is_valid
    commit(mapped, world.committee, "台账.xlsx")
    item = Item.objects.get(measures="组织全员重新学习作业规程（40）")
    assert item.updates.get().text == "已组织学习"
