"""Browser journeys of notifications: the bell shows the count, the list opens, a notification
leads to its item and the count drops; the profile saves language and channels and the page then
speaks English; an item muted from its page is listed on the profile and unmuted there. On a
desktop and on a 375-px phone."""

import pytest
from playwright.sync_api import expect

from ledger import workflow
from ledger.models import MutedItem
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


def open_menu(page):
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
        page.wait_for_selector("#main-nav.show")


def bell(page):
    badge = page.locator("#bell-count")
    return int(badge.inner_text().split()[0]) if badge.count() else 0


def sideways(page):
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_the_bell_leads_to_the_list_and_a_notification_to_its_item(browser, site, world, screen):
    # Real commits: the workflow's events tell the owner of each new item and of the return.
    first = make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    second = make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    second = workflow.start(world.owner, second)
    workflow.post_progress(world.owner, second, text="已完成", percent=100)
    second = workflow.submit(world.owner, second)
    workflow.return_item(world.committee, second, reason="请补充培训签到表")
    context = browser.new_context(**SCREENS[screen])
    page = context.new_page()
    log_in(page, site, "owner")
    expect(page.locator("#nav-bell")).to_be_visible()  # on a phone too, outside the folded menu
    assert bell(page) == 3
    assert sideways(page) <= 0
    page.click("#nav-bell")
    page.wait_for_url(site + "/notifications/")
    entries = page.locator("#notifications li")
    expect(entries).to_have_count(3)
    newest = entries.first
    expect(newest).to_contain_text("请补充培训签到表")
    expect(newest).to_contain_text("未读")
    shot(page, f"notifications-{screen}")
    newest.locator("button").click()
    page.wait_for_url(site + f"/ledger/items/{second.pk}/")
    expect(page.locator("h1")).to_have_text(second.reference)
    assert bell(page) == 2
    page.click("#nav-bell")
    expect(page.locator("#notifications li").first).not_to_contain_text("未读")
    page.click("#mark-all-read")
    expect(page.locator(".alert-success")).to_contain_text("已将全部通知标为已读")
    assert bell(page) == 0
    assert first.reference in page.locator("#notifications").inner_text()
    context.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_the_profile_saves_language_and_channels_and_the_page_speaks_english(browser, site, world, screen):
    item = make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    context = browser.new_context(**SCREENS[screen])
    page = context.new_page()
    log_in(page, site, "owner")
    page.goto(site + f"/ledger/items/{item.pk}/")
    page.click("#mute-item")
    expect(page.locator(".alert-success")).to_contain_text("已屏蔽事项")
    expect(page.locator("#mute-item")).to_have_text("取消屏蔽通知")
    open_menu(page)
    page.click("#nav-profile")
    page.wait_for_url(site + "/accounts/profile/")
    expect(page.locator("#muted-items")).to_contain_text(item.reference)
    page.fill("#id_mobile", "138001380")
    page.click("#save-profile")
    expect(page.locator(".invalid-feedback")).to_contain_text("11 位手机号码")
    expect(page.locator("#id_mobile")).to_have_value("138001380")
    page.select_option("#id_language", "en")
    page.uncheck("#id_email_digest")
    page.fill("#id_mobile", "13800138000")
    page.fill("#id_email", "wangqiang@example.cn")
    page.click("#save-profile")
    page.wait_for_selector("html[lang=en]")
    expect(page.locator(".alert-success")).to_have_text("Your profile was saved.")
    expect(page.locator("h1")).to_have_text("Your profile")
    expect(page.locator("#id_email_digest")).not_to_be_checked()
    assert sideways(page) <= 0
    shot(page, f"profile-{screen}")
    page.locator("#muted-items button").click()
    expect(page.locator(".alert-success")).to_contain_text(f"Item {item.reference} is no longer muted.")
    assert not MutedItem.objects.exists()
    world.owner.refresh_from_db()
    assert (world.owner.language, world.owner.email_digest, world.owner.mobile) == (
        "en",
        False,
        "13800138000",
    )
    context.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_a_committee_member_adds_a_group_robot_and_sees_its_state(browser, site, world, screen):
    context = browser.new_context(**SCREENS[screen])
    page = context.new_page()
    log_in(page, site, "branch_secretary")
    page.click("#nav-bell")
    page.click("text=群机器人")
    page.wait_for_url(site + "/notifications/robots/")
    page.select_option("#id_organization", str(world.branch.pk))
    page.fill("#id_name", "机运支部工作群")
    page.select_option("#id_kind", "dingtalk")
    page.fill("#id_url", "http://10.0.0.5/robot")
    page.fill("#id_secret", "SECabcdefghijk1234")
    page.click("main button[type=submit]")
    expect(page.locator(".invalid-feedback")).to_contain_text("oapi.dingtalk.com")
    expect(page.locator("#id_name")).to_have_value("机运支部工作群")
    page.fill("#id_url", "https://oapi.dingtalk.com/robot/send?access_token=tok987654321")
    page.fill("#id_secret", "SECabcdefghijk1234")
    page.click("main button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text("已添加群机器人 机运支部工作群")
    table = page.locator("#robots")
    expect(table).to_contain_text("机运支部工作群")
    expect(table).to_contain_text("正常")
    assert "tok987654321" not in page.content() and "SECabcdefghijk1234" not in page.content()
    assert sideways(page) <= 0
    shot(page, f"robots-{screen}")
    context.close()
