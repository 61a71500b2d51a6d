"""The owner's page (`/ledger/mine/`): my open items, overdue first, with the owner's actions."""

import datetime

import pytest

from ledger import workflow
from tests.factories import IssueFactory, make_item


@pytest.fixture
def mine(world, today):
    branch_issue = lambda: IssueFactory(organization=world.branch)  # noqa: E731
    later = make_item(
        world.committee, branch_issue(), owner=world.owner, deadline=today + datetime.timedelta(days=40)
    )
    soon = make_item(
        world.committee, branch_issue(), owner=world.owner, deadline=today + datetime.timedelta(days=5)
    )
    late = make_item(world.committee, branch_issue(), owner=world.owner)
    late = workflow.edit_item(
        world.committee, late, expected_version=late.version, deadline=today - datetime.timedelta(days=1)
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
        # session, user, memberships, organization tree; the counts of my items (open, overdue,
        # due soon); a page of my items (with organization and issue, and whether each has
        # progress updates and a pending extension request), their co-owners; saved views, work
        # queue count (menu), unread notifications (the bell)
        with django_assert_num_queries(10):
            client.get("/ledger/mine/")

    count()
    for _ in range(3):
        make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    count()


# Errors from the owner's page come back to the owner's page ------------------------------------


def test_a_bad_progress_post_shows_the_owners_page_with_the_errors_and_what_was_typed(client, world, mine):
    soon = mine[1]
    client.force_login(world.owner)
    data = {"next": "/ledger/mine/", "version": soon.version, "text": "", "percent": "150"}
    response = client.post(f"/ledger/items/{soon.pk}/progress/", data, headers={"accept-language": "en"})
    assert response.status_code == 400
    assert [template.name for template in response.templates][0] == "ledger/mine.html"
    card = next(card for card in response.context["cards"] if card["item"].pk == soon.pk)
    assert card["opened"] == "post_progress"
    assert set(card["forms"]["post_progress"].errors) == {"text", "percent"}
    html = response.content.decode()
    assert f'id="percent-{soon.pk}" name="percent" value="150"' in html
    assert "Ensure this value is less than or equal to 100." in html
    assert "This field is required." in html
    # The other cards keep their empty forms, at the item's own progress.
    other = next(card for card in response.context["cards"] if card["item"].pk != soon.pk)
    assert not other["opened"] and not other["forms"]["post_progress"].is_bound
    assert soon.updates.count() == 0


def test_typed_text_is_kept_when_the_percent_is_wrong(client, world, mine):
    late = mine[0]
    client.force_login(world.owner)
    data = {"next": "/ledger/mine/", "version": late.version, "text": "更换了<b>灯具</b>", "percent": "-5"}
    response = client.post(f"/ledger/items/{late.pk}/progress/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "更换了&lt;b&gt;灯具&lt;/b&gt;</textarea>" in html  # kept, and escaped


def test_a_bad_extension_request_comes_back_to_the_owners_page(client, world, mine, today):
    later = mine[2]
    client.force_login(world.owner)
    proposed = (today + datetime.timedelta(days=90)).isoformat()
    data = {"next": "/ledger/mine/", "proposed_deadline": proposed, "reason": ""}
    response = client.post(f"/ledger/items/{later.pk}/extension/", data)
    assert response.status_code == 400
    assert response.templates[0].name == "ledger/mine.html"
    html = response.content.decode()
    assert f'name="proposed_deadline" value="{proposed}"' in html
    assert later.extension_requests.count() == 0


def test_a_stale_version_keeps_the_text_on_the_owners_page(client, world, mine):
    soon = mine[1]
    stale = soon.version
    workflow.post_progress(world.owner, soon, text="先写的", percent=10)
    client.force_login(world.owner)
    data = {"next": "/ledger/mine/", "version": stale, "text": "后写的", "percent": "30"}
    response = client.post(f"/ledger/items/{soon.pk}/progress/", data)
    assert response.status_code == 409
    assert response.templates[0].name == "ledger/mine.html"
    card = next(card for card in response.context["cards"] if card["item"].pk == soon.pk)
    assert card["forms"]["post_progress"].non_field_errors()
    html = response.content.decode()
    assert "后写的</textarea>" in html
    soon.refresh_from_db()
    assert f'name="version" value="{soon.version}"' in html  # saving again applies over it
    assert soon.updates.count() == 1


def test_a_good_post_goes_back_to_the_owners_page(client, world, mine):
    soon = mine[1]
    client.force_login(world.owner)
    data = {"next": "/ledger/mine/", "version": soon.version, "text": "已完成一半", "percent": "50"}
    response = client.post(f"/ledger/items/{soon.pk}/progress/", data)
    assert response.status_code == 302
    assert response["Location"] == "/ledger/mine/"


@pytest.mark.parametrize(
    "forged",
    [
        "https://evil.example/ledger/mine/",
        "//evil.example/ledger/mine/",
        "/ledger/",
        "mine",
        "javascript:alert(1)",
    ],
)
def test_any_other_next_leads_to_the_item_page(client, world, mine, forged):
    soon = mine[1]
    client.force_login(world.owner)
    data = {"next": forged, "version": soon.version, "text": "", "percent": "150"}
    response = client.post(f"/ledger/items/{soon.pk}/progress/", data)
    assert response.status_code == 400
    assert response.templates[0].name == "ledger/item_detail.html"
    data["text"], data["percent"] = "已完成一半", "50"
    response = client.post(f"/ledger/items/{soon.pk}/progress/", data)
    assert response["Location"] == f"/ledger/items/{soon.pk}/"


def test_an_item_not_on_the_owners_page_shows_its_errors_on_the_item_page(client, world, mine):
    # The committee may post progress, but the item is not on the committee member's own page.
    soon = mine[1]
    client.force_login(world.committee)
    data = {"next": "/ledger/mine/", "version": soon.version, "text": "", "percent": "150"}
    response = client.post(f"/ledger/items/{soon.pk}/progress/", data)
    assert response.status_code == 400
    assert response.templates[0].name == "ledger/item_detail.html"


def test_outsiders_and_read_only_roles_get_no_page(client, world, mine):
    soon = mine[1]
    data = {"next": "/ledger/mine/", "version": soon.version, "text": "", "percent": "150"}
    client.force_login(world.outsider)
    assert client.post(f"/ledger/items/{soon.pk}/progress/", data).status_code == 404
    client.force_login(world.leadership)
    assert client.post(f"/ledger/items/{soon.pk}/progress/", data).status_code == 403
    client.force_login(world.owner)
    assert client.get(f"/ledger/items/{soon.pk}/progress/")["Location"] == f"/ledger/items/{soon.pk}/"


def test_a_bad_post_reads_in_constant_queries(client, world, mine, django_assert_num_queries):
    soon = mine[1]
    client.force_login(world.owner)
    data = {"next": "/ledger/mine/", "version": soon.version, "text": "", "percent": "150"}

    def count():
        # session, user, memberships, organization tree; the item (with issue, people, org);
        # then the owner's page: the counts of my items, their order (to find the page holding
        # the item), a page of my items (with organization and issue, and whether each has
        # progress updates and a pending extension request), their co-owners; saved views, work
        # queue count (menu), unread notifications (the bell)
        with django_assert_num_queries(12):
            client.post(f"/ledger/items/{soon.pk}/progress/", data)

    count()
    for _ in range(3):
        make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    count()
