"""The ledger list (`/ledger/`): filters, columns, sorting, pagination, counts, scope, queries."""

import datetime

import pytest
from django.utils import timezone

from ledger import workflow
from ledger.models import Item
from tests.factories import IssueFactory, make_item

TODAY = timezone.localdate()


@pytest.fixture
def items(world):
    issue = IssueFactory(organization=world.branch, description="主井提升机制动闸瓦磨损")
    late = make_item(world.committee, issue, owner=world.owner, leader=world.leader, measures="更换闸瓦")
    # Move the deadline into the past through the workflow's edit (deadlines are not checked).
    late = workflow.edit_item(
        world.committee, late, expected_version=late.version, deadline=TODAY - datetime.timedelta(days=2)
    )
    soon = make_item(
        world.committee,
        IssueFactory(organization=world.branch),
        owner=world.owner,
        deadline=TODAY + datetime.timedelta(days=3),
    )
    later = make_item(world.committee, IssueFactory(organization=world.branch), owner=world.member)
    workflow.start(world.member, later)
    hidden = make_item(world.outsider, IssueFactory(organization=world.sibling))
    return late, soon, later, hidden


def test_it_lists_the_ledger_columns(client, world, items):
    late, soon, later, hidden = items
    client.force_login(world.committee)
    response = client.get("/ledger/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in (late.reference, "主井提升机制动闸瓦磨损", "安全", "更换闸瓦", "赵志刚", "机运工区", "王强"):
        assert text in html
    assert hidden.reference not in html
    assert 'class="text-nowrap deadline-overdue"' in html
    assert 'class="text-nowrap deadline-soon"' in html
    assert response.context["total"] == 3
    counts = {value: count for value, _label, count, _colour in response.context["status_counts"]}
    assert counts["open"] == 2 and counts["in_progress"] == 1


def test_it_filters_through_the_filterset(client, world, items):
    late, soon, later, hidden = items
    client.force_login(world.committee)
    response = client.get("/ledger/", {"overdue": "true"})
    assert [item.pk for item in response.context["page"]] == [late.pk]
    response = client.get("/ledger/", {"q": "闸瓦"})
    assert [item.pk for item in response.context["page"]] == [late.pk]
    response = client.get("/ledger/", {"status": ["in_progress"]})
    assert [item.pk for item in response.context["page"]] == [later.pk]


def test_it_sorts_by_a_column(client, world, items):
    late, soon, later, hidden = items
    client.force_login(world.committee)
    response = client.get("/ledger/", {"ordering": "deadline"})
    assert [item.pk for item in response.context["page"]] == [late.pk, soon.pk, later.pk]
    response = client.get("/ledger/", {"ordering": "-deadline"})
    assert [item.pk for item in response.context["page"]] == [later.pk, soon.pk, late.pk]
    html = response.content.decode()
    assert "?ordering=deadline" in html  # the header now links to the other direction


def test_it_paginates(client, world, items, monkeypatch):
    monkeypatch.setattr("ledger.views.items.PAGE_SIZE", 2)
    client.force_login(world.committee)
    first = client.get("/ledger/", {"ordering": "deadline"})
    assert len(first.context["page"]) == 2
    assert "page=2" in first.content.decode()
    second = client.get("/ledger/", {"ordering": "deadline", "page": 2})
    assert len(second.context["page"]) == 1


def test_it_scopes_to_the_user(client, world, items):
    client.force_login(world.outsider)
    response = client.get("/ledger/")
    assert response.context["total"] == 1


def test_it_refuses_post(client, world):
    client.force_login(world.committee)
    assert client.post("/ledger/").status_code == 405


def test_it_keeps_a_constant_query_count(client, world, items, django_assert_num_queries):
    client.force_login(world.committee)
    client.get("/ledger/")  # warm caches (content types, categories' translations)

    def count():
        # session, user, memberships, organization tree (scope); status breakdown; count;
        # the user's saved views (managed on the page); filter form choices: organizations,
        # categories, owners, leaders, meetings; page of items (the table and the phone's cards
        # show the same page, fetched once); saved views and the work queue's count for the menu
        with django_assert_num_queries(15):
            client.get("/ledger/")

    count()
    for _ in range(5):
        make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    count()


def _cards(html):
    """The items as the page shows them below Bootstrap's md breakpoint: one card each."""
    return [chunk.split("</li>", 1)[0] for chunk in html.split('<li class="card ledger-card')[1:]]


def test_below_md_each_item_is_a_card_linking_to_it(client, world, items):
    late, soon, later, hidden = items
    client.force_login(world.committee)
    html = client.get("/ledger/", {"ordering": "deadline"}).content.decode()
    # The table is shown from md up, the cards below it.
    assert '<div class="table-responsive d-none d-md-block">' in html
    assert '<div class="d-md-none">' in html
    cards = _cards(html)
    assert len(cards) == 3
    first, second, third = cards
    assert f'href="/ledger/items/{late.pk}/"' in first and "stretched-link" in first
    for text in (late.reference, "更换闸瓦", "主井提升机制动闸瓦磨损", "安全", "王强", "待整改"):
        assert text in first, text
    assert '<span class="badge text-bg-danger">逾期</span>' in first
    assert '<span class="deadline-overdue">整改时限：' in first
    assert "逾期" not in second and '<span class="deadline-soon">整改时限：' in second
    assert later.reference in third and "整改中" in third and 'aria-valuenow="0"' in third
    assert "?ordering=-deadline" in html.split('id="card-sort"')[1]  # sorting without the headers


def test_a_long_term_card_shows_its_next_review(client, world, items):
    late, soon, later, hidden = items
    workflow.post_progress(world.member, later, text="阶段完成", percent=100)
    workflow.submit(world.member, later)
    workflow.close(
        world.committee,
        later,
        note="转入长期坚持",
        outcome=Item.Outcome.STAGE_COMPLETED,
        next_review_on=TODAY + datetime.timedelta(days=90),
    )
    client.force_login(world.committee)
    html = client.get("/ledger/", {"status": [Item.Status.LONG_TERM]}).content.decode()
    [card] = _cards(html)
    assert "下次评估：" in card and "整改时限" not in card
    assert "100%" in card


def test_bad_filter_values_are_errors_not_crashes(client, world, items):
    client.force_login(world.committee)
    for params in (
        {"deadline_min": "not-a-date"},
        {"ordering": "password"},
        {"page": "abc"},
        {"due_within": "-3"},
    ):
        response = client.get("/ledger/", params)
        assert response.status_code == 200, params
