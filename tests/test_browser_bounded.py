"""Browser journeys of the bounded pages, on a desktop screen and a 375-px phone: the owner with
many items goes to the next page of the owner's page and reads the next items; the item page
shows older progress updates on "show more" (with htmx, and as a plain link without scripts);
the history page goes to its second page. Fixtures and helpers are the browser tests' own
(tests/test_browser.py); screenshots go to `artifacts/`."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ledger import workflow
from tests import test_browser as browser_tests
from tests.factories import IssueFactory, make_item
from tests.test_browser import CHINESE, log_in, shot

browser_type_launch_args = browser_tests.browser_type_launch_args
restore_migrated_data = browser_tests.restore_migrated_data
site = browser_tests.site

pytestmark = pytest.mark.filterwarnings("ignore:No directory at:UserWarning")

SCREENS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}, **CHINESE},
    "phone": {"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True, **CHINESE},
}


def sideways(page):
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def owners_items(world, count):
    """`count` open items of the owner, due one day apart from 5 days ago on: 5 overdue."""
    today = timezone.localdate()
    items = []
    for number in range(count):
        item = make_item(
            world.committee, IssueFactory(organization=world.branch), owner=world.owner, deadline=today
        )
        items.append(
            workflow.edit_item(
                world.committee,
                item,
                expected_version=item.version,
                deadline=today + datetime.timedelta(days=number - 5),
            )
        )
    return items


def worked_item(world, posts):
    item = make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    for number in range(1, posts + 1):
        workflow.post_progress(world.owner, item, text=f"第{number}次进展", percent=number % 100)
    return item


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.django_db(transaction=True)
def test_the_owner_with_many_items_goes_to_the_next_page(browser, site, world, screen):
    items = owners_items(world, 45)
    context = browser.new_context(**SCREENS[screen])
    page = context.new_page()
    log_in(page, site, "owner")
    page.goto(site + "/ledger/mine/")
    expect(page.locator(".mine-counts")).to_contain_text("45 项未完成")
    expect(page.locator(".mine-counts")).to_contain_text("5 项逾期")
    expect(page.locator(".mine-group").first).to_have_text("逾期（5）")
    expect(page.locator(".mine-card")).to_have_count(20)
    # The longest overdue comes first.
    expect(page.locator(".mine-card .card-title").first).to_have_text(items[0].reference)
    assert sideways(page) <= 0
    shot(page, f"bounded-mine-1-{screen}")

    page.get_by_role("link", name="下一页").click()
    page.wait_for_url(site + "/ledger/mine/?page=2")
    expect(page.locator(".mine-card")).to_have_count(20)
    expect(page.locator(".mine-card .card-title").first).to_have_text(items[20].reference)
    expect(page.get_by_text("第 2 页，共 3 页")).to_be_visible()
    expect(page.locator(".mine-counts")).to_contain_text("45 项未完成")  # still the full counts
    assert sideways(page) <= 0
    shot(page, f"bounded-mine-2-{screen}")

    # Progress posted from page 2 comes back to page 2.
    card = page.locator(f"#item-{items[21].pk}")
    card.locator("details", has=page.locator("form[action$='/progress/']")).locator("summary").click()
    card.locator(f"#text-{items[21].pk}").fill("已组织班组学习")
    card.locator(f"#percent-{items[21].pk}").fill("30")
    card.locator("form[action$='/progress/'] button[type=submit]").click()
    page.wait_for_selector(".alert-success")
    assert page.url == site + "/ledger/mine/?page=2"
    context.close()


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.django_db(transaction=True)
def test_show_more_on_the_item_page_shows_older_updates(browser, site, world, screen):
    item = worked_item(world, 45)
    context = browser.new_context(**SCREENS[screen])
    page = context.new_page()
    log_in(page, site, "branch_secretary")
    page.goto(f"{site}/ledger/items/{item.pk}/")
    updates = page.locator("#updates .progress-update")
    expect(updates).to_have_count(20)
    expect(updates.first).to_contain_text("第45次进展")
    expect(page.get_by_text("第25次进展")).to_have_count(0)
    page.get_by_role("link", name="显示更早的 20 条进展").click()
    expect(updates).to_have_count(40)
    expect(page.get_by_text("第25次进展", exact=True)).to_be_visible()
    page.wait_for_url(f"{site}/ledger/items/{item.pk}/?updates=40")  # a reload keeps them
    shot(page, f"bounded-updates-{screen}")
    # So does the language switch: the page comes back in English with the 40 updates.
    page.locator("#language").select_option("en")
    page.get_by_role("button", name="切换").click()
    page.wait_for_url(f"{site}/ledger/items/{item.pk}/?updates=40")
    expect(page.get_by_role("link", name="Show 5 older updates")).to_be_visible()
    expect(updates).to_have_count(40)
    page.get_by_role("link", name="Show 5 older updates").click()
    expect(updates).to_have_count(45)
    expect(page.get_by_text("第1次进展", exact=True)).to_be_visible()
    expect(page.locator("#updates-more")).to_have_count(0)
    assert sideways(page) <= 0
    context.close()


@pytest.mark.django_db(transaction=True)
def test_show_more_is_a_plain_link_without_scripts(browser, site, world):
    item = worked_item(world, 25)
    context = browser.new_context(java_script_enabled=False, **SCREENS["phone"])
    page = context.new_page()
    log_in(page, site, "branch_secretary")
    page.goto(f"{site}/ledger/items/{item.pk}/")
    expect(page.locator("#updates .progress-update")).to_have_count(20)
    page.get_by_role("link", name="显示更早的 5 条进展").click()
    page.wait_for_url(f"{site}/ledger/items/{item.pk}/?updates=40#update-21")
    expect(page.locator("#updates .progress-update")).to_have_count(25)
    expect(page.locator("#update-21")).to_contain_text("第5次进展")
    context.close()


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.django_db(transaction=True)
def test_the_history_page_goes_to_its_second_page(browser, site, world, screen):
    item = worked_item(world, 60)
    context = browser.new_context(**SCREENS[screen])
    page = context.new_page()
    log_in(page, site, "branch_secretary")
    page.goto(f"{site}/ledger/items/{item.pk}/history/")
    entries = page.locator(".history-entry")
    expect(entries).to_have_count(50)
    expect(entries.first).to_contain_text("第60次进展")
    expect(page.get_by_text("第 1–50 条，共 61 条，最新的在前。")).to_be_visible()
    page.get_by_role("link", name="下一页").click()
    page.wait_for_url(f"{site}/ledger/items/{item.pk}/history/?page=2")
    expect(entries).to_have_count(11)
    expect(entries.first).to_contain_text("第10次进展")
    expect(entries.last).to_contain_text("创建")
    assert sideways(page) <= 0
    shot(page, f"bounded-history-2-{screen}")
    context.close()
