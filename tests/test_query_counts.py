"""The ledger list and the dashboard read in a constant number of queries: the same exact number
with 10 items and with 200 (four pages of the list), with filters, a keyword and a sort. No N+1:
nothing is read per row."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ledger import workflow
from ledger.models import Issue, Item, SavedView
from tests.factories import category


def add_items(
    world, n, *, organization=None, actor=None, owner=..., words="班前会安全讲评流于形式", year=None
):
    """`n` items of `organization` (the branch), each with its own issue, imported in one batch
    by `actor` (the branch's committee) through the workflow's bulk path, which numbers and
    orders them as every new item. Owned by 王强 and led by 赵志刚 unless `owner` says (None:
    no owner nor leader)."""
    organization = organization or world.branch
    raised = timezone.localdate() - datetime.timedelta(days=90)
    if year is not None:
        raised = raised.replace(year=year)
    rows = [
        workflow.NewItem(
            key=n_,
            issue=Issue(
                organization=organization,
                category=category("安全" if n_ % 2 else "党建"),
                source=Issue.Source.CRITICISM,
                description=f"{words}（{n_}）",
                raised_on=raised,
            ),
            organization=organization,
            fields={
                "measures": "组织全员重新学习作业规程并闭卷考试",
                "department": "机运工区",
                "kind": Item.Kind.BY_DEADLINE,
                "deadline": timezone.localdate() + datetime.timedelta(days=n_ % 40 - 10),
                "owner": world.owner if owner is ... else owner,
                "leader": world.leader if owner is not None else None,
            },
        )
        for n_ in range(n)
    ]
    return workflow.import_new_items(actor or world.committee, rows, reason="测试")


# session, user, memberships, organization tree (scope); the counts by status (the paginator's
# count too); the user's saved views (page and menu); filter choices: organizations, categories,
# meetings; the page's item keys, then those items; the bulk change form: organization tree
# (its people are read only for a name typed in its search boxes, never all of them); the work
# queue's count (menu); the unread notifications (the bell); the organizations' traffic-light
# settings (the light column, 亮灯).
LIST_QUERIES = 15
# session, user, memberships, organization tree; the items by organization and status, by
# category; opened and closed per month; participation; saved views and work queue (menu); the
# unread notifications (the bell); the traffic-light settings and the items by light.
DASHBOARD_QUERIES = 13

LISTS = {
    "plain": ({}, LIST_QUERIES),
    "sorted by deadline, page 2": ({"ordering": "-deadline", "page": "2"}, LIST_QUERIES),
    # The light sort reads the settings for the list's column too.
    "sorted by light": ({"ordering": "light"}, LIST_QUERIES),
    # The light filter reads the traffic-light settings for its condition (one query).
    "red only": ({"light": "red"}, LIST_QUERIES + 1),
    # A chosen category is checked (one query); its chip shows it without listing them all.
    "status and category": ({"status": ["open", "in_progress"], "category": "2"}, LIST_QUERIES + 1),
    # The owner filter checks its choice (one query) and lists the matches of the typed name (one).
    "owner chosen, name typed": ({"owner": "{owner}", "owner_search": "王"}, LIST_QUERIES + 2),
    # Each keyword of two characters or more reads the matching people first on PostgreSQL.
    "keyword": ({"q": "安全"}, None),
}


@pytest.mark.parametrize("case", LISTS)
def test_the_ledger_list_reads_in_the_same_number_of_queries_at_10_and_200_items(
    client, world, case, django_assert_num_queries
):
    params, expected = LISTS[case]
    if expected is None:
        expected = LIST_QUERIES + (1 if connection.vendor == "postgresql" else 0)
    params = {
        key: value.format(owner=world.owner.pk) if isinstance(value, str) else value
        for key, value in params.items()
    }
    client.force_login(world.committee)
    add_items(world, 10)
    client.get("/ledger/", params)  # warm caches (content types, categories' translations)
    with django_assert_num_queries(expected):
        small = client.get("/ledger/", params)
    add_items(world, 190)
    with django_assert_num_queries(expected):
        large = client.get("/ledger/", params)
    assert small.status_code == large.status_code == 200
    assert large.context["page"].paginator.count > small.context["page"].paginator.count


def test_the_dashboard_reads_in_the_same_number_of_queries_at_10_and_200_items(
    client, world, django_assert_num_queries
):
    client.force_login(world.company_committee)
    add_items(world, 10)
    client.get("/")
    with django_assert_num_queries(DASHBOARD_QUERIES):
        small = client.get("/")
    add_items(world, 150)
    add_items(world, 40, organization=world.sibling, actor=world.outsider, owner=None)
    with django_assert_num_queries(DASHBOARD_QUERIES):
        large = client.get("/")
    assert small.context["summary"].totals.total == 10
    assert large.context["summary"].totals.total == 200


def test_the_saved_views_are_read_once_for_the_menu_and_the_list(client, world):
    SavedView.objects.create(user=world.committee, name="逾期事项", query="overdue=on")
    client.force_login(world.committee)
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/ledger/").content.decode()
    assert sum("ledger_savedview" in query["sql"] for query in queries.captured_queries) == 1
    assert html.count("逾期事项") >= 2  # in the menu and in the list's "manage" section
