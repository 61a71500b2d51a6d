"""Browser journeys of supervision (issue 13), in Chromium (see tests/test_browser.py for the
set-up), on a desktop and a 375-px phone: a committee member urges an item and issues a
supervision notice; the owner sees it on the item page and replies; the notice's PDF link answers
a PDF. A committee member draws closed items for re-check; the checker finds a relapse, which
opens a new item linked to the closed one. Screenshots in `artifacts/`."""

# ruff: noqa: F811 (the fixtures imported from tests.test_browser are parameters by name)
import datetime

import pytest
from django.utils import timezone

from ledger import workflow
from ledger.models import Item, Recheck, Urging
from tests.factories import IssueFactory, make_item
from tests.test_browser import (  # noqa: F401 (fixtures, used by name)
    CHINESE,
    browser_type_launch_args,
    log_in,
    restore_migrated_data,
    shot,
    site,
)

pytestmark = pytest.mark.filterwarnings("ignore:No directory at:UserWarning")  # no collectstatic in tests

SCREENS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True},
}


def owned_item(world):
    return make_item(
        world.committee,
        IssueFactory(organization=world.branch, description="主井提升机制动闸瓦磨损超限"),
        owner=world.owner,
        leader=world.leader,
        measures="更换全部制动闸瓦，修订提升机点检制度",
    )


def overflow(page):
    return page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("screen", ["desktop", "phone"])
@pytest.mark.django_db(transaction=True)
def test_the_committee_urges_and_issues_a_notice_and_the_owner_replies(browser, site, world, screen):
    item = owned_item(world)
    reply_by = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()

    committee = browser.new_context(**SCREENS[screen], **CHINESE)
    page = committee.new_page()
    log_in(page, site, "branch_secretary")
    page.goto(f"{site}/ledger/items/{item.pk}/")
    # An urging first: the link on the item page, the form, the button.
    page.click("#supervision >> text=催办或下发督办单")
    page.fill("#id_message", "请说明闸瓦更换进度")
    page.fill("#id_reply_by", reply_by)
    page.click("#supervision-form button[type=submit]")
    page.wait_for_url(f"**/ledger/items/{item.pk}/#supervision")
    assert "已通知责任人和责任领导" in page.locator(".alert-success, .alert").first.inner_text()
    assert "请说明闸瓦更换进度" in page.locator("#supervision").inner_text()
    # Then the formal notice, after a form sent without what is required (it comes back).
    page.click("#supervision >> text=催办或下发督办单")
    page.select_option("#id_level", "notice")
    page.fill("#id_reply_by", reply_by)
    page.click("#supervision-form button[type=submit]")
    assert "督办要求" in page.locator("#error-summary").inner_text()  # the summary names the field
    assert page.locator("#id_reply_by").input_value() == reply_by
    page.fill("#id_message", "限期完成闸瓦更换并报送佐证材料")
    page.click("#supervision-form button[type=submit]")
    page.wait_for_url(f"**/ledger/items/{item.pk}/#supervision")
    section = page.locator("#supervision")
    assert "督办单" in section.inner_text() and "限期完成闸瓦更换并报送佐证材料" in section.inner_text()
    assert overflow(page) <= 0
    shot(page, f"60-supervision-notice-issued-{screen}")
    committee.close()

    owner = browser.new_context(**SCREENS[screen], **CHINESE)
    page = owner.new_page()
    log_in(page, site, "owner")
    page.goto(f"{site}/ledger/items/{item.pk}/")
    section = page.locator("#supervision")
    assert "限期完成闸瓦更换并报送佐证材料" in section.inner_text()
    # The notice's PDF link answers a PDF.
    href = section.locator("a[href$='/notice.pdf']").get_attribute("href")
    response = page.request.get(site + href)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
    # The owner replies to the notice.
    notice = Urging.objects.get(level=Urging.Level.NOTICE)
    section.locator(f"#urging-{notice.pk} >> text=反馈情况").click()
    page.fill("#id_reply", "已更换制动闸瓦8副，点检制度已修订")
    page.click("#supervision-form button[type=submit]")
    page.wait_for_url(f"**/ledger/items/{item.pk}/#supervision")
    reply = page.locator(f"#urging-{notice.pk} .urging-reply")
    assert "已更换制动闸瓦8副，点检制度已修订" in reply.inner_text()
    assert overflow(page) <= 0
    shot(page, f"61-supervision-notice-replied-{screen}")
    owner.close()
    notice.refresh_from_db()
    assert notice.replied_by == world.owner


@pytest.mark.parametrize("screen", ["desktop", "phone"])
@pytest.mark.django_db(transaction=True)
def test_a_re_check_draw_finds_a_relapse_that_opens_a_new_item(browser, site, world, screen):
    item = owned_item(world)
    workflow.post_progress(world.owner, item, text="已完成", percent=100)
    old = workflow.close(
        world.committee, workflow.submit(world.owner, Item.objects.get(pk=item.pk)), note="验收合格"
    )
    today = timezone.localdate()

    committee = browser.new_context(**SCREENS[screen], **CHINESE)
    page = committee.new_page()
    log_in(page, site, "branch_secretary")
    # Through the navigation bar's supervision menu (folded behind the toggler on a phone).
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
        page.wait_for_selector("#main-nav.show")
    page.click("#supervision-menu")
    page.click("#main-nav a.dropdown-item[href='/ledger/rechecks/']")
    page.wait_for_url(f"{site}/ledger/rechecks/")
    form = page.locator("#draw-form")
    form.locator("#id_organization").select_option(str(world.branch.pk))
    page.fill("#id_period_start", (today - datetime.timedelta(days=7)).isoformat())
    page.fill("#id_period_end", today.isoformat())
    form.locator("#id_checker").select_option(str(world.committee.pk))
    page.fill("#id_seed", "2026")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/ledger/rechecks/*/")
    assert page.locator("#batch-seed").inner_text() == "2026"
    row = page.locator("#rechecks tbody tr")
    assert row.count() == 1 and old.reference in row.inner_text()
    shot(page, f"62-recheck-drawn-{screen}")
    # The checker records a relapse.
    row.locator("text=记录核查结果").click()
    page.check("input[name=result][value=relapsed]")
    page.fill("#id_note", "制动闸瓦再次磨损超限")
    page.fill("#id_deadline", (today + datetime.timedelta(days=20)).isoformat())
    page.click("#recheck-form button[type=submit]")
    page.wait_for_url("**/ledger/rechecks/*/")
    recheck = Recheck.objects.get()
    new = recheck.new_item
    assert new is not None
    row = page.locator(f"#recheck-{recheck.pk}")
    assert "问题反弹" in row.inner_text() and new.reference in row.inner_text()
    # The new item links back to the closed one, which stays closed and links to the new one.
    row.locator(f"a[href='/ledger/items/{new.pk}/']").click()
    page.wait_for_url(f"**/ledger/items/{new.pk}/")
    assert old.reference in page.locator("#relapse-of").inner_text()
    page.locator("#relapse-of a").click()
    page.wait_for_url(f"**/ledger/items/{old.pk}/")
    assert "已销号" in page.locator("h1").locator("..").inner_text()  # it stays closed
    assert new.reference in page.locator("#supervision").inner_text()
    assert overflow(page) <= 0
    shot(page, f"63-recheck-relapse-{screen}")
    committee.close()
    old.refresh_from_db()
    assert old.status == Item.Status.CLOSED
