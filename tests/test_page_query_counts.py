"""Pages in a constant number of queries, whatever the number of rows: each page is read at 10
and at 200 rows with the same count of queries (no query per row), and each count is written
down with the queries it is made of."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ledger import workflow
from tests.factories import IssueFactory, make_item

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def post_updates(world, item, count):
    """`count` progress posts on `item` by its owner, every fifth with a photo."""
    for number in range(count):
        files = [SimpleUploadedFile(f"现场{number}.png", PNG, "image/png")] if number % 5 == 0 else []
        workflow.post_progress(
            world.owner, item, text=f"第{number + 1}次进展", percent=number % 100, files=files
        )


def own_items(world, count, today):
    """`count` open items of the owner, a third overdue, some started, with an extension asked."""
    for number in range(count):
        item = make_item(
            world.committee,
            IssueFactory(organization=world.branch),
            owner=world.owner,
            deadline=today + datetime.timedelta(days=number % 30 - 10),
        )
        if number % 4 == 1:
            workflow.post_progress(world.owner, item, text="已开始", percent=20)
        if number % 10 == 3:
            workflow.request_extension(
                world.owner, item, proposed_deadline=today + datetime.timedelta(days=60), reason="配件未到"
            )


def at_10_and_200(grow, read, queries, django_assert_num_queries):
    """Grow the rows to 10, read the page in `queries` queries; to 200, the same again."""
    grow(10)
    read()  # warm: the first request of a session reads what later ones find cached
    with django_assert_num_queries(queries):
        response = read()
    assert response.status_code == 200
    grow(190)
    with django_assert_num_queries(queries):
        response = read()
    assert response.status_code == 200
    return response


def test_the_item_page_reads_in_constant_queries_at_10_and_200_updates(
    client, world, django_assert_num_queries
):
    item = make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    client.force_login(world.committee)
    # session, user, memberships, organization tree; the item (with issue, people, org, and
    # what the workflow's rules read); (no edit form: the action forms are loaded when
    # opened) the latest 20 updates with authors; their evidence with uploaders; how many updates and
    # files there are; the item's other evidence; extension requests; its co-owners; its
    # supervision (urgings, warning talks, accountability, re-checks); whether the reader muted
    # it (the mute button); its 不公开 marks (the public version, for its committee); saved
    # views, work queue count (menu), unread notifications (the bell)
    response = at_10_and_200(
        lambda count: post_updates(world, item, count),
        lambda: client.get(f"/ledger/items/{item.pk}/"),
        20,
        django_assert_num_queries,
    )
    assert len(response.context["updates"]) == 20
    assert response.context["updates_total"] == 200


def test_the_history_page_reads_in_constant_queries_at_10_and_200_entries(
    client, world, django_assert_num_queries
):
    item = make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    client.force_login(world.committee)
    # session, user, memberships, organization tree; the item; the few columns of the
    # historical rows of the item, its updates, evidence, extension requests, co-owners,
    # urgings, warning talks, accountability and re-checks that order, pair and count them; the
    # whole rows of the entries shown (with their users), one query per kind: here the item's,
    # the updates' and the evidence's; names of the issue, the organization and the people the
    # entries mention (the creation names all three); saved views, work queue count (menu),
    # unread notifications (the bell)
    posted = []

    def grow(count):
        post_updates(world, item, count)
        posted.append(count)

    def last_page():
        return client.get(f"/ledger/items/{item.pk}/history/", {"page": sum(posted) // 50 + 1})

    # The last page holds the creation and the ten oldest posts (two with a photo) at 10 posts
    # and at 210: the same entries, the same queries.
    grow(10)
    last_page()  # warm: the first request of a session reads what later ones find cached
    for more in (0, 200):
        grow(more)
        with django_assert_num_queries(23):
            response = last_page()
        assert len(response.context["entries"]) == 11
    assert response.context["total"] == 211  # the creation and 210 posts
    # The first page, 50 progress posts, names nothing: three queries fewer.
    with django_assert_num_queries(20):
        first = client.get(f"/ledger/items/{item.pk}/history/")
    assert len(first.context["entries"]) == 50


def test_the_owners_page_reads_in_constant_queries_at_10_and_200_items(
    client, world, today, django_assert_num_queries
):
    client.force_login(world.owner)
    # session, user, memberships, organization tree; the counts of my open items (all,
    # overdue, due soon); a page of them (with organization and issue, and whether each has
    # progress updates and a pending extension request), their co-owners; saved views, work
    # queue count (menu), unread notifications (the bell)
    response = at_10_and_200(
        lambda count: own_items(world, count, today),
        lambda: client.get("/ledger/mine/"),
        10,
        django_assert_num_queries,
    )
    assert len(response.context["cards"]) == 20
    assert response.context["counts"]["total"] == 200
