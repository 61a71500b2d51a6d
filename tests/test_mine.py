"""The owner's page (`/ledger/mine/`): my open items, overdue first, with the owner's actions."""

import datetime

import pytest
from django.utils import timezone

from ledger import workflow
from tests.factories import IssueFactory, make_item

TODAY = timezone.localdate()


@pytest.fixture
def mine(world):
    branch_issue = lambda: IssueFactory(organization=world.branch)  # noqa: E731
    later = make_item(
        world.committee, branch_issue(), owner=world.owner, deadline=TODAY + datetime.timedelta(days=40)
    )
    soon = make_item(
        world.committee, branch_issue(), owner=world.owner, deadline=TODAY + datetime.timedelta(days=5)
    )
    late = make_item(world.committee, branch_issue(), owner=world.owner)
    late = workflow.edit_item(
        world.committee, late, expected_version=late.version, deadline=TODAY - datetime.timedelta(days=1)
    )
    done = make_item(world.committee, branch_issue(), owner=world.owner)
    workflow.withdraw(world.committee, done, reason="重复")
    others = make_item(world.committee, branch_issue(), owner=world.member)
    return late, soon, later, done, others


def test_it_lists_my_open_items_overdue_first(client, world, mine):
    late, soon, later, done, others = mine
    client.force_login(world.owner)
    response = client.get("/ledger/mine/")
    assert response.status_code == 200
    assert [card["item"].pk for card in response.context["cards"]] == [late.pk, soon.pk, later.pk]
    html = response.content.decode()
    assert 'accept="image/*" capture="environment"' in html
    assert f'action="/ledger/items/{late.pk}/progress/"' in html
    assert f'action="/ledger/items/{late.pk}/extension/"' in html
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html


def test_it_offers_submit_once_progress_was_posted(client, world, mine):
    late = mine[0]
    workflow.post_progress(world.owner, late, text="已完成", percent=100)
    client.force_login(world.owner)
    html = client.get("/ledger/mine/").content.decode()
    assert f'action="/ledger/items/{late.pk}/submit/"' in html


def test_it_is_empty_for_people_without_items(client, world, mine):
    client.force_login(world.outsider)
    response = client.get("/ledger/mine/")
    assert response.status_code == 200
    assert response.context["cards"] == []


def test_it_refuses_post(client, world):
    client.force_login(world.owner)
    assert client.post("/ledger/mine/").status_code == 405


def test_it_reads_in_constant_queries(client, world, mine, django_assert_num_queries):
    client.force_login(world.owner)

    def count():
        # session, user, memberships, organization tree; my items (with organization and
        # issue); their pending extension requests; saved views (menu)
        with django_assert_num_queries(7):
            client.get("/ledger/mine/")

    count()
    for _ in range(3):
        make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    count()
