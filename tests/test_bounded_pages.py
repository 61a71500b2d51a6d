"""Pages with a bound: the owner's page a page of cards at a time, the item page the latest
progress updates with "show more", the history page newest first a page at a time. What the
user needs first comes first, the counts stay the full counts, and every part is reachable by
a plain link."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ledger import workflow
from ledger.views.items import HISTORY_PAGE_SIZE, MINE_PAGE_SIZE, UPDATES_SHOWN
from tests.factories import IssueFactory, make_item

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


# The owner's page ----------------------------------------------------------------------------


@pytest.fixture
def many(world, today):
    """45 open items of the owner: 12 overdue, 8 due within 7 days, 25 later; one withdrawn."""

    def item(days):
        return make_item(
            world.committee,
            IssueFactory(organization=world.branch),
            owner=world.owner,
            deadline=today + datetime.timedelta(days=days),
        )

    later = [item(30 + n) for n in range(25)]
    soon = [item(7 - n) for n in range(8)]  # 7 … 0 days left
    overdue = []
    for n in range(12):
        late = item(10)
        late = workflow.edit_item(
            world.committee,
            late,
            expected_version=late.version,
            deadline=today - datetime.timedelta(days=n + 1),
        )
        overdue.append(late)
    workflow.withdraw(world.committee, item(5), reason="重复")
    return overdue, soon, later


def cards(response):
    return [card["item"].pk for card in response.context["cards"]]


def test_the_owners_page_shows_a_page_of_cards_overdue_and_due_soon_first(client, world, many):
    overdue, soon, later = many
    client.force_login(world.owner)
    response = client.get("/ledger/mine/")
    assert response.status_code == 200
    # Overdue first, the longest overdue first; then by deadline.
    expected = [i.pk for i in reversed(overdue)] + [i.pk for i in reversed(soon)] + [i.pk for i in later]
    assert cards(response) == expected[:MINE_PAGE_SIZE]
    assert response.context["counts"] == {"total": 45, "overdue": 12, "soon": 8}
    html = response.content.decode()
    assert '45 项未完成 · <span class="text-danger">12 项逾期</span> · 8 项 7 天内到期' in html
    assert "逾期（12）" in html and "7 天内到期（8）" in html
    assert 'href="?page=2"' in html
    page2 = client.get("/ledger/mine/?page=2")
    assert cards(page2) == expected[MINE_PAGE_SIZE : 2 * MINE_PAGE_SIZE]
    assert page2.context["counts"]["total"] == 45  # the counts are of all the open items
    assert "以后到期（25）" in page2.content.decode()
    last = client.get("/ledger/mine/?page=3")
    assert cards(last) == expected[2 * MINE_PAGE_SIZE :]
    # Beyond the last page, or nonsense: a page that exists.
    assert cards(client.get("/ledger/mine/?page=99")) == expected[2 * MINE_PAGE_SIZE :]
    assert cards(client.get("/ledger/mine/?page=x")) == expected[:MINE_PAGE_SIZE]


def test_each_group_heading_appears_above_its_first_card_on_the_page(client, world, many):
    client.force_login(world.owner)
    headings = [card["heading"] for card in client.get("/ledger/mine/").context["cards"]]
    assert [h for h in headings if h] == ["逾期（12）", "7 天内到期（8）"]
    assert headings[0] == "逾期（12）" and headings[12] == "7 天内到期（8）"
    # Page 2 starts inside a group: its heading is said again at the top.
    headings = [card["heading"] for card in client.get("/ledger/mine/?page=2").context["cards"]]
    assert [h for h in headings if h] == ["以后到期（25）"]


def test_an_action_from_page_two_comes_back_to_page_two(client, world, many):
    later = many[2]
    target = later[5]  # on page 2
    client.force_login(world.owner)
    page = client.get("/ledger/mine/?page=2").content.decode()
    assert 'name="next" value="/ledger/mine/?page=2"' in page
    data = {"next": "/ledger/mine/?page=2", "version": target.version, "text": "已完成一半", "percent": "50"}
    response = client.post(f"/ledger/items/{target.pk}/progress/", data)
    assert response.status_code == 302
    assert response["Location"] == "/ledger/mine/?page=2"


def test_a_bad_post_shows_the_page_that_holds_the_item_with_its_errors(client, world, many):
    later = many[2]
    target = later[-1]  # on page 3
    client.force_login(world.owner)
    data = {"next": "/ledger/mine/", "version": target.version, "text": "已更换灯具", "percent": "150"}
    response = client.post(f"/ledger/items/{target.pk}/progress/", data)
    assert response.status_code == 400
    assert response.context["page"].number == 3
    card = next(card for card in response.context["cards"] if card["item"].pk == target.pk)
    assert card["opened"] == "post_progress"
    assert "已更换灯具" in response.content.decode()


# The item page's progress updates ------------------------------------------------------------


@pytest.fixture
def worked(world):
    """An item with 45 progress updates; the 3rd has a photo."""
    item = make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    for number in range(1, 46):
        files = [SimpleUploadedFile("第三次.png", PNG, "image/png")] if number == 3 else []
        workflow.post_progress(world.owner, item, text=f"第{number}次进展", percent=number, files=files)
    return item


def texts(response):
    return [update.text for update in response.context["updates"]]


def test_the_item_page_shows_the_latest_updates_and_a_link_to_older_ones(client, world, worked):
    client.force_login(world.committee)
    response = client.get(f"/ledger/items/{worked.pk}/")
    assert texts(response) == [f"第{n}次进展" for n in range(45, 45 - UPDATES_SHOWN, -1)]
    html = response.content.decode()
    assert "最新 20 条，共 45 条" in html
    assert 'href="?updates=40#update-21"' in html
    assert "显示更早的 20 条进展" in html
    # The photo's update is not shown yet: the evidence section does not say "no evidence".
    assert "第三次.png" not in html
    assert "除整改进展中的文件外，没有其他文件。" in html

    more = client.get(f"/ledger/items/{worked.pk}/?updates=40")
    assert texts(more) == [f"第{n}次进展" for n in range(45, 5, -1)]
    assert 'href="?updates=60#update-41"' in more.content.decode()
    assert "显示更早的 5 条进展" in more.content.decode()

    everything = client.get(f"/ledger/items/{worked.pk}/?updates=60")
    assert texts(everything) == [f"第{n}次进展" for n in range(45, 0, -1)]
    html = everything.content.decode()
    assert "第三次.png" in html
    assert "updates-more" not in html


def test_the_language_switch_keeps_the_updates_shown(client, world, worked):
    client.force_login(world.committee)
    assert client.get(f"/ledger/items/{worked.pk}/").context["page_url"] == f"/ledger/items/{worked.pk}/"
    more = client.get(f"/ledger/items/{worked.pk}/?updates=40")
    assert (
        f'name="next" value="/ledger/items/{worked.pk}/?updates=40" id="language-next"'
        in more.content.decode()
    )
    switched = client.post("/i18n/setlang/", {"language": "en", "next": more.context["page_url"]})
    assert switched["Location"] == f"/ledger/items/{worked.pk}/?updates=40"
    assert len(client.get(switched["Location"]).context["updates"]) == 40


@pytest.mark.parametrize("value", ["abc", "-5", "3", "", "99999999999"])
def test_a_bad_number_of_updates_shows_the_latest_twenty(client, world, worked, value):
    client.force_login(world.committee)
    response = client.get(f"/ledger/items/{worked.pk}/", {"updates": value})
    assert response.status_code == 200
    assert len(response.context["updates"]) == UPDATES_SHOWN


def test_a_short_item_shows_all_its_updates_without_a_link(client, world):
    item = make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    workflow.post_progress(world.owner, item, text="已开始", percent=10)
    client.force_login(world.committee)
    html = client.get(f"/ledger/items/{item.pk}/").content.decode()
    assert "已开始" in html and "updates-more" not in html


# The history page --------------------------------------------------------------------------


def test_the_history_is_paginated_newest_first(client, world, worked):
    client.force_login(world.committee)
    first = client.get(f"/ledger/items/{worked.pk}/history/")
    entries = first.context["entries"]
    assert first.context["total"] == 46  # the creation and 45 posts
    assert len(entries) == min(HISTORY_PAGE_SIZE, 46)
    assert entries[0].reason == "第45次进展"
    assert [e.when for e in entries] == sorted((e.when for e in entries), reverse=True)


def test_the_history_of_a_long_life_has_pages(client, world, worked):
    for number in range(46, 106):
        workflow.post_progress(world.owner, worked, text=f"第{number}次进展", percent=number % 100)
    client.force_login(world.committee)
    first = client.get(f"/ledger/items/{worked.pk}/history/")
    assert first.context["total"] == 106
    assert [e.reason for e in first.context["entries"]][:2] == ["第105次进展", "第104次进展"]
    html = first.content.decode()
    assert "第 1–50 条，共 106 条，最新的在前。" in html
    assert 'href="?page=2"' in html
    second = client.get(f"/ledger/items/{worked.pk}/history/?page=2")
    assert [e.reason for e in second.context["entries"]][0] == "第55次进展"
    third = client.get(f"/ledger/items/{worked.pk}/history/?page=3")
    reasons = [e.action for e in third.context["entries"]]
    assert len(reasons) == 6 and reasons[-1] == "创建"


def test_the_history_pages_are_for_those_who_see_the_item(client, world, worked):
    client.force_login(world.outsider)
    assert client.get(f"/ledger/items/{worked.pk}/history/?page=2").status_code == 404
    assert client.get(f"/ledger/items/{worked.pk}/?updates=40").status_code == 404
