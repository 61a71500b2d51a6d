"""Withdrawn (已撤销) items no longer apply: the ledger list, its PDF reports and the exports leave
them out unless the filter asks for them (the explicit option, or the status filter naming them).
The leadership summary keeps counting them in a column of their own, never in totals or rates."""

import csv
import io

import pytest
from django.urls import reverse

from ledger import workflow
from tests import pdfs
from tests.factories import IssueFactory, make_item
from tests.sheet_files import read_xlsx

KEPT = "仍在整改的措施"
WITHDRAWN = "已撤销的重复措施"


@pytest.fixture
def items(world):
    kept = make_item(world.committee, IssueFactory(organization=world.branch), measures=KEPT)
    gone = make_item(world.committee, IssueFactory(organization=world.branch), measures=WITHDRAWN)
    gone = workflow.withdraw(world.committee, gone, reason="与其他事项重复")
    return kept, gone


ASKING = [{"withdrawn": "on"}, {"status": ["withdrawn"]}, {"status": ["open", "withdrawn"]}]


def get(client, user, name, query=None):
    client.force_login(user)
    response = client.get(reverse(name), query or {})
    assert response.status_code == 200
    return response


def test_the_ledger_pdf_leaves_them_out_unless_asked(client, world, items):
    text = pdfs.squeezed(pdfs.text(get(client, world.committee, "ledger:report_pdf").content))
    assert KEPT in text and WITHDRAWN not in text
    for query in ASKING:
        text = pdfs.squeezed(pdfs.text(get(client, world.committee, "ledger:report_pdf", query).content))
        assert WITHDRAWN in text, query


def test_the_progress_lists_leave_them_out_unless_asked(client, world, items):
    text = pdfs.squeezed(pdfs.text(get(client, world.committee, "ledger:progress_pdf").content))
    assert KEPT in text and WITHDRAWN not in text
    asked = get(client, world.committee, "ledger:progress_pdf", {"withdrawn": "on"})
    assert WITHDRAWN in pdfs.squeezed(pdfs.text(asked.content))


@pytest.mark.usefixtures("english")
def test_the_summary_counts_them_apart(client, world, items):
    text = " ".join(pdfs.text(get(client, world.committee, "ledger:summary_pdf").content).split())
    # Items, completed, being pushed forward, long-term, withdrawn, completion rate, overdue, due this week
    assert "1 items in all: 0 completed, 1 being pushed forward" in text
    assert "1 0 1 0 1 0.0% 0 0" in text


def rows_of_xlsx(response):
    return list(read_xlsx(response.content).worksheets[0].iter_rows(values_only=True))[1:]


def test_the_xlsx_export_leaves_them_out_unless_asked_and_says_so(client, world, items):
    kept, gone = items
    response = get(client, world.committee, "ledger:export_xlsx")
    assert [row[0] for row in rows_of_xlsx(response)] == [kept.reference]
    about = {row[0]: row[1] for row in read_xlsx(response.content).worksheets[1].iter_rows(values_only=True)}
    assert about["已撤销事项"] == "未包括"
    for query in ASKING:
        response = get(client, world.committee, "ledger:export_xlsx", query)
        assert gone.reference in [row[0] for row in rows_of_xlsx(response)], query
        about = {
            row[0]: row[1] for row in read_xlsx(response.content).worksheets[1].iter_rows(values_only=True)
        }
        assert "已撤销事项" not in about


def test_the_csv_export_leaves_them_out_unless_asked(client, world, items):
    kept, gone = items

    def references(query=None):
        response = get(client, world.committee, "ledger:export_csv", query)
        return [row[0] for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig")))][1:]

    assert references() == [kept.reference]
    assert sorted(references({"withdrawn": "on"})) == sorted([kept.reference, gone.reference])
    assert references({"status": ["withdrawn"]}) == [gone.reference]


def test_the_list_offers_the_option_and_counts_them(client, world, items):
    kept, gone = items
    response = get(client, world.committee, "ledger:item_list")
    html = response.content.decode()
    assert 'name="withdrawn"' in html and "包括已撤销事项" in html
    assert [item.pk for item in response.context["page"]] == [kept.pk]
    assert "已撤销 1" in html.split('id="status-counts"')[1].split("</ul>")[0]
    # The exports and reports linked from the list carry its query: the option travels along.
    asked = get(client, world.committee, "ledger:item_list", {"withdrawn": "on"}).content.decode()
    assert reverse("ledger:export_xlsx") + "?withdrawn=on" in asked
