"""Browser journeys through the ledger list, on a desktop and on a 375-px phone (cards): paging,
filtering then sorting, removing a filter chip, and a bulk change of owner seen on the rows and in
an item's history. Screenshots land in `artifacts/` (not committed), in Chinese and English."""

import datetime
import re

import pytest
import time_machine
from django.utils import timezone

from ledger.models import Item
from tests import test_browser
from tests.factories import IssueFactory, make_item
from tests.test_browser import CHINESE, log_in, shot

# The fixtures of the first journey: Debian's Chromium, the live site, the categories put back.
browser_type_launch_args = test_browser.browser_type_launch_args
restore_migrated_data = test_browser.restore_migrated_data
site = test_browser.site

pytestmark = pytest.mark.filterwarnings("ignore:No directory at:UserWarning")  # no collectstatic in tests

SCREENS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True},
}
OWNED = 26  # of the 55 items, 王强's


@pytest.fixture
def ledger(world):
    """56 items of the branch, 王强 owning 26 of them: more than one page of 50."""
    items = [
        make_item(
            world.committee,
            IssueFactory(organization=world.branch, description=f"第{n + 1}个问题：现场管理不到位"),
            owner=world.owner if n % 2 == 0 and n < 2 * OWNED else world.member,
        )
        for n in range(55)
    ]
    assert sum(item.owner == world.owner for item in items) == OWNED
    # One of them late: created ten days ago with a deadline three days ago.
    with time_machine.travel(timezone.now() - datetime.timedelta(days=10)):
        late = make_item(
            world.committee,
            IssueFactory(organization=world.branch, description="逾期的问题：井下照明不足"),
            owner=world.member,
            deadline=timezone.localdate() + datetime.timedelta(days=7),
        )
    return items + [late]


def new_page(browser, screen):
    context = browser.new_context(**SCREENS[screen], **CHINESE)
    return context, context.new_page()


def shown(page, screen):
    """The list's items as this screen shows them: the table from md up, the cards below."""
    return page.locator("table.ledger-table tbody" if screen == "desktop" else "ul.ledger-cards")


def match_count(page):
    return int(re.search(r"\d+", page.locator("#match-count").inner_text()).group())


def no_sideways_scrolling(page):
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def switch_to_english(page):
    page.select_option("#language", "en")
    page.click("form[action$='/i18n/setlang/'] button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_paging_filtering_and_sorting_keep_what_was_chosen(browser, site, world, ledger, screen):
    context, page = new_page(browser, screen)
    log_in(page, site, "branch_secretary")
    page.goto(site + "/ledger/")
    items = shown(page, screen)
    assert match_count(page) == 56
    assert items.get_by_text("机运-2026-051", exact=True).count() == 0

    # 1. 下一页 shows item 51.
    page.get_by_role("link", name="下一页").click()
    page.wait_for_url(re.compile(r"page=2"))
    assert items.get_by_text("机运-2026-051", exact=True).is_visible()
    assert "??" not in page.url
    shot(page, f"lists-{screen}-01-page-2")
    assert shown(page, screen).get_by_text("逾期 3 天").is_visible()  # the late item is item 56

    # 2. Filter by a name: the panel closes, the filter is a chip, 26 items match.
    page.goto(site + "/ledger/")
    page.click("#filter-panel summary")
    page.fill("#id_q", "王强")
    shot(page, f"lists-{screen}-02-filter-panel")
    page.click("#filter-panel button[type=submit]")
    page.wait_for_url(re.compile(r"q="))
    assert match_count(page) == OWNED
    assert not page.locator("#filter-panel").evaluate("element => element.open")
    chip = page.locator("#filter-chips .filter-chip")
    assert chip.count() == 1 and "关键词：王强" in chip.inner_text()
    no_sideways_scrolling(page)
    shot(page, f"lists-{screen}-02-filtered")

    # 3. Sort the filtered list by deadline, descending: the same 26.
    sort_links = page.locator("thead" if screen == "desktop" else "#card-sort")
    sort_links.get_by_role("link", name="整改时限").click()
    page.wait_for_url(re.compile(r"ordering=deadline"))
    sort_links.get_by_role("link", name=re.compile("整改时限")).click()
    page.wait_for_url(re.compile(r"ordering=-deadline"))
    assert match_count(page) == OWNED
    assert "q=" in page.url
    shot(page, f"lists-{screen}-03-filtered-sorted")

    # 4. Removing the chip brings back every item, sorted as before, over two pages.
    page.locator("#filter-chips .filter-chip").click()
    page.wait_for_url(re.compile(r"ordering=-deadline"))
    assert match_count(page) == 56
    assert "q=" not in page.url
    page.get_by_role("link", name="下一页").click()
    page.wait_for_url(re.compile(r"page=2"))
    assert "ordering=-deadline" in page.url
    assert shown(page, screen).locator("a[href^='/ledger/items/']").count() >= 5

    switch_to_english(page)
    assert "matching items" in page.locator("#match-count").inner_text()
    shot(page, f"lists-{screen}-04-english")
    context.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_a_bulk_change_of_owner_shows_on_each_row_and_in_the_history(browser, site, world, ledger, screen):
    context, page = new_page(browser, screen)
    log_in(page, site, "branch_secretary")
    page.goto(site + "/ledger/?q=杨帆&ordering=reference")
    items = shown(page, screen)
    chosen = [item for item in ledger if item.owner == world.member][:3]
    for item in chosen:
        items.locator(f"input[name=items][value='{item.pk}']").check()
    assert page.url.endswith("ordering=reference")  # ticking a card's box does not open the item
    if screen == "phone":
        # The ticked cards are far below the form: the floating button leads back to it.
        page.click("#bulk-jump")
    else:
        page.click("#bulk-panel summary")
    assert page.locator("#bulk-panel").evaluate("element => element.open")
    assert page.locator("#bulk-count").inner_text() == "3"
    page.fill("#bulk-reason", "人员调整，改由王强负责")
    if screen == "desktop":
        # Applied before choosing what changes: the page says so, keeping the selection and the reason.
        page.click("#bulk-form button[type=submit]")
        # Read from the top: the summary takes the focus once its script has run.
        page.wait_for_function("document.activeElement && document.activeElement.id === 'error-summary'")
        assert "请至少选择一项修改" in page.locator("#bulk-form").inner_text()
        assert page.locator("#bulk-form input[name=items]:checked").count() == 3
        assert page.input_value("#bulk-reason") == "人员调整，改由王强负责"
        shot(page, f"lists-{screen}-05-bulk-nothing-chosen")
    # The new owner is found by typing part of the name: the select then offers the matches.
    page.fill("#bulk-owner_search", "王")
    page.wait_for_selector(f"#bulk-owner option[value='{world.owner.pk}']", state="attached")
    page.select_option("#bulk-owner", str(world.owner.pk))
    no_sideways_scrolling(page)
    shot(page, f"lists-{screen}-05-bulk-form")
    page.click("#bulk-form button[type=submit]")
    page.wait_for_selector(".alert-success")
    assert "已保存 3 项事项的修改。" in page.locator(".alert-success").inner_text()
    assert "q=" in page.url  # back on the same filtered list
    shot(page, f"lists-{screen}-06-bulk-done")

    # The new owner on each row (the list of 王强's items now holds them)...
    page.goto(site + "/ledger/?q=王强")
    for item in chosen:
        row = shown(page, screen).locator(f"a[href='/ledger/items/{item.pk}/']")
        assert row.count() == 1
    assert match_count(page) == OWNED + 3
    # ...and in one item's history, with the reason.
    page.goto(site + f"/ledger/items/{chosen[0].pk}/")
    page.get_by_role("link", name="修改记录").click()
    timeline = page.locator(".timeline").inner_text()
    assert "人员调整，改由王强负责" in timeline and "王强" in timeline
    shot(page, f"lists-{screen}-07-history")
    for item in chosen:
        item.refresh_from_db()
        assert item.owner == world.owner and item.status == Item.Status.OPEN
    context.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_a_bulk_change_sets_co_owners_found_by_name_then_removes_them(browser, site, world, screen):
    chosen = [
        make_item(world.committee, IssueFactory(organization=world.branch), owner=world.member)
        for _ in range(2)
    ]
    context, page = new_page(browser, screen)
    log_in(page, site, "branch_secretary")

    def tick_and_open():
        page.goto(site + "/ledger/?ordering=reference")
        for item in chosen:
            shown(page, screen).locator(f"input[name=items][value='{item.pk}']").check()
        if screen == "phone":
            page.click("#bulk-jump")
        else:
            page.click("#bulk-panel summary")
        assert page.locator("#bulk-count").inner_text() == "2"

    tick_and_open()
    # Two co-owners, each found by typing part of the name: the first stays chosen while the
    # second is searched for.
    page.fill("#bulk-co_owners_search", "王")
    page.wait_for_selector(f"#bulk-co_owners option[value='{world.owner.pk}']", state="attached")
    page.select_option("#bulk-co_owners", str(world.owner.pk))
    page.fill("#bulk-co_owners_search", "李")
    page.wait_for_selector(f"#bulk-co_owners option[value='{world.committee.pk}']", state="attached")
    options = page.locator("#bulk-co_owners option")
    assert options.first.inner_text() == "王强"
    page.locator(f"#bulk-co_owners option[value='{world.committee.pk}']").evaluate(
        "option => { option.selected = true; }"
    )
    assert page.eval_on_selector_all(
        "#bulk-co_owners option:checked", "options => options.map(o => o.textContent)"
    ) == ["王强", "李明"]
    page.fill("#bulk-reason", "增加协办人")
    no_sideways_scrolling(page)
    shot(page, f"lists-{screen}-08-bulk-co-owners")
    page.click("#bulk-form button[type=submit]")
    page.wait_for_selector(".alert-success")
    assert "已保存 2 项事项的修改。" in page.locator(".alert-success").inner_text()
    page.goto(site + f"/ledger/items/{chosen[0].pk}/")
    assert page.locator("[data-field=co_owners]").inner_text() == "王强、李明"

    # Removed again from both.
    tick_and_open()
    page.check("#bulk-clear_co_owners")
    page.fill("#bulk-reason", "不再需要协办")
    page.click("#bulk-form button[type=submit]")
    page.wait_for_selector(".alert-success")
    page.goto(site + f"/ledger/items/{chosen[1].pk}/")
    assert page.locator("[data-field=co_owners]").count() == 0
    for item in chosen:
        assert Item.objects.get(pk=item.pk).co_owner_people == []
    context.close()
