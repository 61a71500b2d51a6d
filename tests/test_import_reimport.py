"""Re-importing a ledger after the product moved on (issue 11): the file does not undo what was
done here, the preview lists each disagreement and each item the file lacks, with a choice per
row; placeholders are made once per name; the preview runs the confirmation's checks. Files are
written by XlsxWriter and go through the pages (upload → preview → confirm)."""

import datetime
import io

import pytest
import xlsxwriter
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import User
from core.permissions import eligible_people
from ledger import workflow
from ledger.forms import BulkEditForm
from ledger.models import ImportedRow, Issue, Item
from tests.factories import MeetingFactory
from tests.sheet_files import upload

pytestmark = pytest.mark.usefixtures("english", "import_dir")

S = Item.Status
HEADINGS = ["问题描述", "问题类别", "提出日期", "整改措施", "责任部门", "责任人", "整改时限", "整改状态"]


def xlsx(rows):
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet("台账")
    for number, row in enumerate(rows):
        sheet.write_row(number, 0, row)
    workbook.close()
    return buffer.getvalue()


def ledger(count=4, owner="王强"):
    rows = [list(HEADINGS)]
    for number in range(1, count + 1):
        rows.append(
            [
                f"学习制度落实不到位（{number}）",
                "安全",
                "2026-10-09",
                f"每周组织学习一次（{number}）",
                "机运工区",
                owner,
                f"2027-03-{number:02d}",
                "整改中",
            ]
        )
    return rows


class Pages:
    """The import pages as a committee member uses them."""

    def __init__(self, client, world):
        self.client, self.world = client, world

    def upload(self, content, name="整改台账.xlsx"):
        self.client.force_login(self.world.committee)
        response = self.client.post(
            reverse("ledger:import"), {"file": upload(content, name), "organization": self.world.branch.pk}
        )
        assert response.status_code == 302
        self.token = response.url.rstrip("/").rsplit("/", 1)[-1]
        return response.url

    def preview(self, content, name="整改台账.xlsx", query=None):
        url = self.upload(content, name)
        response = self.client.get(url, query or {})
        assert response.status_code == 200
        return response

    def confirm(self, data=None):
        response = self.client.post(reverse("ledger:import_confirm", args=[self.token]), data or {})
        assert response.status_code == 302, response.content.decode()[:3000]
        return self.client.get(response.url).content.decode()


@pytest.fixture
def pages(client, world):
    return Pages(client, world)


def item_of(number):
    return Item.objects.get(measures=f"每周组织学习一次（{number}）")


@pytest.fixture
def moved_on(world, pages):
    """v1 imported, then in the product: item 1 closed, item 2 extended, item 3 withdrawn."""
    pages.preview(xlsx(ledger()))
    pages.confirm()
    closed, extended, withdrawn = item_of(1), item_of(2), item_of(3)
    workflow.post_progress(world.owner, closed, text="已完成", percent=100)
    workflow.submit(world.owner, item_of(1))
    workflow.close(world.committee, item_of(1), note="验收合格")
    extension = workflow.request_extension(
        world.owner, extended, proposed_deadline=datetime.date(2027, 6, 30), reason="备件未到"
    )
    workflow.decide_extension(world.committee, extension, approve=True)
    workflow.withdraw(world.committee, withdrawn, reason="与其他事项合并")
    return closed, extended, withdrawn


def test_reimporting_v1_keeps_what_was_done_in_the_product(pages, moved_on):
    closed, extended, withdrawn = moved_on
    page = pages.preview(xlsx(ledger())).content.decode()
    assert "Rows where the file and the ledger disagree" in page
    disagreements = page[page.index("Rows where the file and the ledger disagree") :]
    for item in moved_on:
        assert item.reference in disagreements
    assert "整改状态: the file says “In progress”, the ledger “Closed”" in page
    assert "整改时限: the file says “2027-03-02”, the ledger “2027-06-30”" in page
    assert "整改状态: the file says “In progress”, the ledger “Withdrawn”" in page
    assert 'name="row_2"' in page and 'name="row_3"' in page and 'name="row_4"' in page
    said = pages.confirm()
    assert "3 kept as changed here" in said
    assert item_of(1).status == S.CLOSED
    assert item_of(2).deadline == datetime.date(2027, 6, 30)
    assert item_of(2).original_deadline == datetime.date(2027, 3, 2)
    assert item_of(3).status == S.WITHDRAWN
    assert item_of(4).status == S.IN_PROGRESS
    assert Item.objects.count() == 4


def test_the_user_may_take_the_files_version_row_by_row(pages, moved_on):
    pages.preview(xlsx(ledger()))
    pages.confirm({"row_3": "file"})  # the extended item: the file's deadline
    assert item_of(2).deadline == datetime.date(2027, 3, 2)
    assert item_of(1).status == S.CLOSED


def test_taking_the_files_state_of_a_closed_item_is_refused_naming_the_item(pages, moved_on):
    closed = moved_on[0]
    pages.upload(xlsx(ledger()))
    response = pages.client.post(reverse("ledger:import_confirm", args=[pages.token]), {"row_2": "file"})
    assert response.status_code == 400
    page = response.content.decode()
    assert f"the item {closed.reference} is “Closed”" in page
    assert item_of(1).status == S.CLOSED


def test_items_missing_from_a_new_version_are_listed_and_withdrawn_when_chosen(pages, world):
    pages.preview(xlsx(ledger()), name="台账v1.xlsx")
    pages.confirm()
    fourth = item_of(4)
    v2 = ledger()[:4]  # row 4 is gone from v2
    page = pages.preview(xlsx(v2), name="台账v2.xlsx").content.decode()
    assert "Items no longer in the file" in page
    assert f'data-item="{fourth.reference}"' in page
    assert f'name="missing_{fourth.pk}"' in page
    said = pages.confirm({f"missing_{fourth.pk}": "withdraw", "withdraw_reason": "第二版台账已删除"})
    assert "1 withdrawn" in said
    fourth.refresh_from_db()
    assert fourth.status == S.WITHDRAWN
    record = fourth.history.latest()
    assert (record.history_action, record.history_change_reason) == (
        workflow.Action.WITHDRAW,
        "第二版台账已删除",
    )


def test_a_missing_item_left_alone_is_listed_again_and_kept_is_not(pages):
    pages.preview(xlsx(ledger()))
    pages.confirm()
    fourth = item_of(4)
    v2 = xlsx(ledger()[:4])
    pages.preview(v2)
    pages.confirm()  # left alone by default
    assert item_of(4).status == S.IN_PROGRESS
    assert f'data-item="{fourth.reference}"' in pages.preview(v2).content.decode()
    pages.confirm({f"missing_{fourth.pk}": "keep"})
    assert f'data-item="{fourth.reference}"' not in pages.preview(v2).content.decode()
    assert ImportedRow.objects.get(item=fourth).source_name == ""
    assert item_of(4).status == S.IN_PROGRESS


def test_placeholders_are_made_once_per_name_across_reimports(pages, world):
    content = xlsx(ledger(count=2, owner="孙悦") + [ledger(count=3, owner="周涛")[3]])
    for _time in range(2):
        pages.preview(content, query={"create_people": "1"})
        pages.confirm({"create_people": "1"})
    placeholders = User.objects.filter(is_placeholder=True)
    assert sorted(placeholders.values_list("full_name", flat=True)) == ["周涛", "孙悦"]
    # The committee finds them among the people it may choose for its items.
    assert set(placeholders) <= set(eligible_people(world.branch))
    assert set(Item.objects.values_list("owner__full_name", flat=True)) == {"孙悦", "周涛"}


def test_the_issues_are_attached_to_the_chosen_meeting_with_their_date_raised(pages, world):
    meeting = MeetingFactory(organization=world.branch, held_on=datetime.date(2026, 10, 9))
    other = MeetingFactory(organization=world.sibling)
    page = pages.preview(xlsx(ledger(count=2))).content.decode()
    assert f'<option value="{meeting.pk}">' in page
    assert f'<option value="{other.pk}">' not in page  # not the organization's
    pages.confirm({"meeting": str(meeting.pk)})
    issues = Issue.objects.all()
    assert [issue.meeting for issue in issues] == [meeting, meeting]
    assert {issue.raised_on for issue in issues} == {datetime.date(2026, 10, 9)}


def test_a_percent_without_progress_text_is_stored(pages):
    rows = [
        ["问题描述", "问题类别", "整改措施", "整改时限", "完成进度"],
        ["学习不够", "安全", "每周学习", "2027-03-01", 60],
    ]
    pages.preview(xlsx(rows))
    pages.confirm()
    item = Item.objects.get()
    assert (item.progress, item.status) == (60, S.IN_PROGRESS)
    rows[1][4] = 80  # a new percent on re-import, still without a text
    pages.preview(xlsx(rows))
    pages.confirm()
    item.refresh_from_db()
    assert item.progress == 80
    assert item.updates.get().percent == 80


def test_the_preview_refuses_what_the_confirmation_would_naming_heading_and_cell(pages):
    rows = ledger(count=2)
    rows[2][7] = "长期坚持"  # a long-term state with a dated deadline: the workflow refuses it
    page = pages.preview(xlsx(rows)).content.decode()
    assert "Nothing was stored: these rows were refused." in page
    assert "整改状态 H3: Only a long-term item can be in the long-term state." in page
    assert "Store all rows" not in page
    assert not Item.objects.exists()


def test_the_preview_dry_run_costs_the_same_queries_for_more_rows(pages):
    def queries(count):
        url = pages.upload(xlsx(ledger(count=count)), name=f"{count}.xlsx")
        with CaptureQueriesContext(connection) as captured:
            assert pages.client.get(url).status_code == 200
        return len(captured)

    # Below SQLite's 999 parameters a statement, so that both databases insert a table at once.
    assert queries(5) == queries(15)
    assert not Item.objects.exists()


def test_a_change_to_a_closed_row_is_refused_in_the_preview_naming_item_heading_and_cell(pages):
    rows = ledger(count=2)
    rows[1][7] = "已销号"  # closed in the file, and so imported
    pages.preview(xlsx(rows))
    pages.confirm()
    closed = item_of(1)
    assert closed.status == S.CLOSED
    rows[1][4] = "调度室"  # v2 corrects the closed row's department
    page = pages.preview(xlsx(rows)).content.decode()
    assert (
        f"Item {closed.reference}: 责任部门 E2: The file changes this cell, but "
        "“Edit” is not possible while the item is “Closed”."
    ) in page
    assert "Store all rows" not in page


def test_the_committee_finds_the_placeholders_in_the_item_forms_and_the_bulk_change(pages, world):
    pages.preview(xlsx(ledger(count=1, owner="孙悦")), query={"create_people": "1"})
    pages.confirm({"create_people": "1"})
    placeholder = User.objects.get(is_placeholder=True)
    issue = Issue.objects.get()
    page = pages.client.get(reverse("ledger:issue_detail", args=[issue.pk])).content.decode()
    assert f'<option value="{placeholder.pk}">孙悦' in page
    assert placeholder in BulkEditForm(user=world.committee).fields["owner"].queryset
