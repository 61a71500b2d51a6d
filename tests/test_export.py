"""Export of the ledger list as XLSX and CSV: exactly the filtered list, in the user's scope."""

import csv
import datetime
import io

import pytest
from django.urls import reverse

from ledger import exporter, workflow
from ledger.imports.vocabulary import FIELDS
from tests.factories import IssueFactory, make_item
from tests.sheet_files import read_xlsx

pytestmark = pytest.mark.usefixtures("english")


def headings():
    # The ledger's columns in the importer's words, then the item's others (co-owners, remarks
    # and dates), after them so that files made before keep their columns' places.
    first = ["reference", "organization", "description", "category", "source", "raised_on", "measures"]
    first += ["leader", "department", "owner", "kind", "deadline", "next_review_on", "status"]
    first += ["percent", "progress"]
    # The light (亮灯) last: derived on the day of the export, not read back by an import.
    extra = ["Co-owners", "Original deadline", "Closure criteria", "Completed on", "Remarks", "Light"]
    return [str(FIELDS[name]) for name in first] + extra


@pytest.fixture
def items(world):
    branch_issue = IssueFactory(organization=world.branch, description="班前会安全讲评流于形式")
    first = make_item(
        world.committee,
        branch_issue,
        owner=world.owner,
        leader=world.leader,
        deadline=datetime.date(2027, 3, 1),
        measures="组织全员重新学习作业规程",
    )
    workflow.post_progress(world.owner, first, text="已组织学习两次", percent=40)
    hostile = make_item(
        world.committee,
        IssueFactory(organization=world.branch, description='=HYPERLINK("http://evil.example","点我")'),
        measures="@SUM(1+1)",
        department="-调度室",
    )
    sibling = make_item(world.outsider, IssueFactory(organization=world.sibling, description="通修的问题"))
    return first, hostile, sibling


def export(client, user, name="ledger:export_xlsx", query=None):
    client.force_login(user)
    return client.get(reverse(name), query or {})


def test_xlsx_holds_the_visible_items_with_date_cells_frozen_headings_and_a_filter(client, world, items):
    response = export(client, world.committee)
    assert response.status_code == 200
    assert response["Content-Type"] == exporter.XLSX_TYPE
    assert response["Content-Disposition"].startswith('attachment; filename="ledger-')
    workbook = read_xlsx(response.content)
    sheet = workbook.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == headings()
    assert len(rows) == 3  # the sibling branch's item is outside the committee's scope
    by_reference = {row[0]: row for row in rows[1:]}
    first = by_reference[items[0].reference]
    assert first[2] == "班前会安全讲评流于形式"
    assert first[7] == "赵志刚"
    assert first[9] == "王强"
    assert first[11] == datetime.datetime(2027, 3, 1)  # a real date cell
    assert sheet["L2"].is_date
    assert sheet["L2"].number_format == "yyyy-mm-dd"
    assert first[14] == 40
    assert first[15] == "已组织学习两次"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:V3"
    assert sheet.column_dimensions["C"].width == 40
    about = {row[0]: row[1] for row in workbook.worksheets[1].iter_rows(values_only=True)}
    assert about["Items"] == 2
    assert about["Filters"] == "None: all items you can see"


def test_cells_that_look_like_formulas_are_neutralised(client, world, items):
    sheet = read_xlsx(export(client, world.committee).content).worksheets[0]
    row = next(r for r in sheet.iter_rows() if r[0].value == items[1].reference)
    assert row[2].value == '\'=HYPERLINK("http://evil.example","点我")'
    assert row[2].data_type == "s"
    assert row[6].value == "'@SUM(1+1)"
    assert row[8].value == "'-调度室"
    text = export(client, world.committee, "ledger:export_csv").content.decode("utf-8-sig")
    assert '"\'=HYPERLINK(""http://evil.example"",""点我"")"' in text
    assert "'@SUM(1+1)" in text


def test_the_export_is_exactly_the_filtered_list_and_says_which_filters(client, world, items):
    query = {"q": "学习", "status": ["in_progress"]}
    workbook = read_xlsx(export(client, world.committee, query=query).content)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == [items[0].reference]
    about = {row[0]: row[1] for row in workbook.worksheets[1].iter_rows(values_only=True)}
    assert about["Keyword"] == "学习"
    assert about["Status"] == "In progress"
    assert about["Items"] == 1


def test_csv_is_utf8_with_a_bom(client, world, items):
    response = export(client, world.committee, "ledger:export_csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == headings()
    first = next(row for row in rows if row[0] == items[0].reference)
    assert first[11] == "2027-03-01"
    assert first[15] == "已组织学习两次"
    assert len(rows) == 3


@pytest.mark.parametrize(
    "language, expected",
    [("en", ["Reference", "Organization", "Issue description"]), ("zh-hans", ["编号", "组织", "问题描述"])],
)
def test_headings_follow_the_users_language(client, world, items, language, expected):
    client.force_login(world.committee)
    response = client.get(reverse("ledger:export_csv"), headers={"accept-language": language})
    header = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header[:3] == expected


@pytest.mark.parametrize("name", ["ledger:export_xlsx", "ledger:export_csv"])
def test_exports_are_get_only(client, world, name):
    client.force_login(world.committee)
    assert client.post(reverse(name)).status_code == 405


@pytest.mark.parametrize("name", ["ledger:export_xlsx", "ledger:export_csv"])
def test_an_outsider_gets_nothing_of_the_branch_even_when_asking_for_it(client, world, items, name):
    response = export(client, world.outsider, name, {"organization": world.branch.pk})
    assert response.status_code == 200
    content = response.content if name.endswith("csv") else b""
    if name.endswith("xlsx"):
        rows = list(read_xlsx(response.content).worksheets[0].iter_rows(values_only=True))
        assert [row[0] for row in rows[1:]] == [items[2].reference]
    else:
        assert items[0].reference.encode() not in content
        assert items[2].reference.encode() in content


def test_read_only_leadership_exports_what_it_can_read(client, world, items):
    rows = list(read_xlsx(export(client, world.leadership).content).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 4  # the company's leadership reads both branches


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get(reverse("ledger:export_xlsx"))
    assert response.status_code == 302


@pytest.mark.parametrize("name", ["ledger:export_xlsx", "ledger:export_csv"])
def test_query_count(client, world, items, name, django_assert_num_queries):
    client.force_login(world.committee)
    for _number in range(5):
        make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    # session, user, memberships, organization tree (scope), the items with their issue,
    # category, organization, people and latest progress text in one query; their co-owners;
    # the organizations' traffic-light settings (亮灯)
    with django_assert_num_queries(7):
        assert client.get(reverse(name)).status_code == 200


def test_a_yes_no_filter_is_described_in_words(client, world, items):
    client.force_login(world.committee)
    response = client.get(reverse("ledger:export_xlsx"), {"overdue": "on"}, headers={"accept-language": "en"})
    workbook = read_xlsx(response.content)
    about = {row[0]: row[1] for row in workbook.worksheets[1].iter_rows(values_only=True)}
    assert about["Overdue only"] == "Yes"
