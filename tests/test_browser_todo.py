"""Browser journeys of the work queue (待我处理), the owner's landing page and the history page on a
phone. Fixtures and helpers are the browser tests' own (tests/test_browser.py); screenshots go to
`artifacts/`."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import expect

from ledger import workflow
from ledger.models import ExtensionRequest, Item
from tests import test_browser as browser_tests
from tests.factories import IssueFactory, make_item
from tests.test_browser import CHINESE, log_in, photo_png, shot, switch_to_english

# The browser tests' fixtures: Debian's Chromium, the live server, the default categories.
browser_type_launch_args = browser_tests.browser_type_launch_args
restore_migrated_data = browser_tests.restore_migrated_data
site = browser_tests.site

pytestmark = pytest.mark.filterwarnings("ignore:No directory at:UserWarning")

DESKTOP = {"viewport": {"width": 1280, "height": 900}, **CHINESE}
PHONE = {"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True, **CHINESE}


def days(n):
    return timezone.localdate() + datetime.timedelta(days=n)


def sideways(page):
    """How many pixels the page is wider than the screen it is shown on: the layout viewport's
    width (`clientWidth`), not `innerWidth`, which grows as a phone zooms out to fit a page."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def open_menu(page):
    """On a phone the navigation is folded behind the menu button."""
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
        page.wait_for_selector("#main-nav.show")


def waiting(page):
    badge = page.locator("#todo-count")
    return int(badge.inner_text().split()[0]) if badge.count() else 0


def queue_ledger(world):
    """Two extension requests waiting for the branch's committee, an overdue item of the owner."""
    asking = [
        make_item(
            world.committee, IssueFactory(organization=world.branch), owner=world.owner, deadline=days(20)
        )
        for _ in range(2)
    ]
    requests = [
        workflow.request_extension(world.owner, item, proposed_deadline=days(60), reason=reason)
        for item, reason in zip(
            asking, ("主井提升机配件到货延迟，需待配件到位", "井下生产任务重，需错开生产高峰"), strict=True
        )
    ]
    late = make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    late = workflow.edit_item(world.committee, late, expected_version=late.version, deadline=days(-2))
    return requests, late


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_a_committee_member_decides_an_extension_from_the_work_queue(browser, site, world, screen):
    requests, late = queue_ledger(world)
    context = browser.new_context(**(DESKTOP if screen == "desktop" else PHONE))
    page = context.new_page()
    log_in(page, site, "branch_secretary")
    assert page.url == site + "/"
    assert sideways(page) <= 0  # the count on the phone's menu button stays on the screen
    before = waiting(page)
    assert before == 3  # two extension requests, one overdue item

    # From the navigation to the queue: the first request waits there with its reason.
    open_menu(page)
    page.click("#nav-todo")
    page.wait_for_url(site + "/ledger/todo/")
    section = page.locator("#queue-extensions")
    assert section.locator(".queue-row").count() == 2
    assert "主井提升机配件到货延迟" in section.inner_text()
    assert sideways(page) <= 0
    shot(page, f"todo-01-committee-queue-{screen}")

    # Click through to the item: the page opens at the request's decision form.
    first = requests[0]
    section.locator(f"a[href$='#extension-{first.pk}']").click()
    page.wait_for_url(f"**/ledger/items/{first.item_id}/#extension-{first.pk}")
    form = page.locator(f"#extension-{first.pk} form")
    assert form.is_visible()
    expect(form).to_be_in_viewport()  # scrolled to it (Bootstrap scrolls smoothly)
    shot(page, f"todo-02-extension-to-decide-{screen}")
    form.locator("input[name=note]").fill("同意延期，配件到位后一周内完成")
    form.locator("button[name=approve][value='1']").click()
    page.wait_for_selector(".alert-success")
    first.refresh_from_db()
    assert first.status == ExtensionRequest.Status.APPROVED

    # Back to the queue: one request fewer, and the count on the navbar dropped.
    open_menu(page)
    page.click("#nav-todo")
    page.wait_for_url(site + "/ledger/todo/")
    assert page.locator("#queue-extensions .queue-row").count() == 1
    assert waiting(page) == before - 1
    shot(page, f"todo-03-committee-queue-after-{screen}")

    switch_to_english(page)
    assert "Extension requests to decide" in page.locator("#queue-extensions h2").inner_text()
    assert sideways(page) <= 0
    shot(page, f"todo-04-committee-queue-{screen}-en")
    context.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_an_owner_lands_on_their_page_and_works_from_the_queue(browser, site, world, screen):
    _requests, late = queue_ledger(world)
    returned = make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    workflow.post_progress(world.owner, returned, text="全部完成", percent=100)
    workflow.submit(world.owner, returned)
    workflow.return_item(world.committee, returned, reason="佐证材料不全，请补充签到表")
    context = browser.new_context(**(PHONE if screen == "phone" else DESKTOP))
    page = context.new_page()

    # The owner lands on their own page, not on the company dashboard.
    log_in(page, site, "owner")
    assert page.url == site + "/ledger/mine/"
    assert waiting(page) == 2  # the overdue item, the returned one
    shot(page, f"todo-05-owner-lands-on-mine-{screen}")

    open_menu(page)
    page.click("#nav-todo")
    page.wait_for_url(site + "/ledger/todo/")
    assert page.locator("#queue-mine_overdue .queue-row").count() == 1
    assert page.locator("#queue-mine_returned .queue-row").count() == 1
    assert "queue-extensions" not in page.content()  # the owner decides nothing
    assert sideways(page) <= 0
    shot(page, f"todo-06-owner-queue-{screen}")

    # The returned item: its row opens the progress form, folded on the item page otherwise.
    page.locator("#queue-mine_returned a.stretched-link").click()
    page.wait_for_url(f"**/ledger/items/{returned.pk}/#action-post_progress")
    details = page.locator("#action-post_progress")
    assert details.evaluate("element => element.open")
    expect(details).to_be_in_viewport()
    details.locator("textarea").fill("已补充会议签到表和培训记录")
    details.locator("input[name=percent]").fill("100")
    details.locator("input[type=file]").set_input_files(
        files=[{"name": "签到表.png", "mimeType": "image/png", "buffer": photo_png()}]
    )
    shot(page, f"todo-07-owner-posts-from-queue-{screen}")
    details.locator("button[type=submit]").click()
    page.wait_for_selector(".alert-success")
    assert waiting(page) == 1  # no longer waiting as returned
    open_menu(page)
    page.click("#nav-todo")
    page.wait_for_url(site + "/ledger/todo/")
    assert page.locator("#queue-mine_returned").count() == 0
    switch_to_english(page)
    assert "Your overdue items" in page.locator("#queue-mine_overdue h2").inner_text()
    shot(page, f"todo-08-owner-queue-{screen}-en")
    context.close()


@pytest.mark.django_db(transaction=True)
def test_an_owner_who_follows_a_link_logs_in_and_lands_there(browser, site, world):
    _requests, late = queue_ledger(world)
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(site + f"/ledger/items/{late.pk}/")
    page.wait_for_url(lambda url: "/accounts/login/" in url)
    page.fill("#id_username", "owner")
    page.fill("#id_password", "pass-for-tests")
    page.click("main button[type=submit]")
    page.wait_for_url(site + f"/ledger/items/{late.pk}/")
    context.close()


@pytest.mark.django_db(transaction=True)
def test_the_history_page_fits_a_phone(browser, site, world):
    item = make_item(
        world.committee,
        IssueFactory(organization=world.branch, description="主井提升机制动闸瓦磨损超限，日常点检记录不全"),
        owner=world.owner,
        leader=world.leader,
        measures="更换全部制动闸瓦，修订提升机点检制度，每班交接时试闸并签字，机电科每周抽查一次并通报结果",
    )
    workflow.edit_item(
        world.committee,
        item,
        expected_version=item.version,
        department="机电运输管理科（综合办公室）",
        deadline=days(45),
        reason="按党委要求调整责任部门和完成时限",
    )

    workflow.post_progress(
        world.owner,
        Item.objects.get(pk=item.pk),
        text="已更换全部制动闸瓦，点检制度修订稿已报机电科审核",
        percent=60,
        files=[SimpleUploadedFile("制动闸瓦更换记录表（第一批）.png", photo_png(), content_type="image/png")],
    )
    context = browser.new_context(**PHONE)
    page = context.new_page()
    log_in(page, site, "branch_secretary")
    for language in ("zh", "en"):
        if language == "en":
            switch_to_english(page)
        page.goto(site + f"/ledger/items/{item.pk}/history/")
        assert page.locator(".history-entry").count() >= 3
        assert sideways(page) <= 0
        # Labels are not squeezed to a character a line: the narrowest label cell holds at
        # least four characters of its font.
        narrowest = page.evaluate(
            """Math.min(...Array.from(document.querySelectorAll('.history-changes th')).map(
                th => th.getBoundingClientRect().width / parseFloat(getComputedStyle(th).fontSize)))"""
        )
        assert narrowest >= 4, narrowest
        shot(page, f"todo-09-phone-history-{language}")
    context.close()
