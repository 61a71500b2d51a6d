"""Browser journey: from the dashboard's red count (红灯 N 项) to the ledger filtered by light,
on a desktop and on a 375-px phone; the list shows each item's light by name, the filter is a
chip, and sorting by light puts the red items first."""

import datetime
import re

import pytest
import time_machine
from django.utils import timezone

from ledger.models import Item
from tests import test_browser
from tests.factories import IssueFactory, make_item
from tests.test_browser import CHINESE, log_in, shot

browser_type_launch_args = test_browser.browser_type_launch_args
restore_migrated_data = test_browser.restore_migrated_data
site = test_browser.site

pytestmark = pytest.mark.filterwarnings("ignore:No directory at:UserWarning")  # no collectstatic in tests

SCREENS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True},
}


@pytest.fixture
def lit(world):
    """Two red items (one overdue, one far behind its pace), one yellow, two green."""
    today = timezone.localdate()

    def item(description, **fields):
        return make_item(
            world.committee, IssueFactory(organization=world.branch, description=description), **fields
        )

    overdue = item("逾期的问题：井下照明不足", owner=world.owner)
    Item.objects.filter(pk=overdue.pk).update(deadline=today - datetime.timedelta(days=4))
    with time_machine.travel(timezone.now() - datetime.timedelta(days=40)):
        behind = item(
            "进度落后的问题：培训未开展", owner=world.owner, deadline=today + datetime.timedelta(days=20)
        )
    item("临近到期的问题：台账不全", owner=world.member, deadline=today + datetime.timedelta(days=1))
    item("正常推进的问题一", owner=world.member, deadline=today + datetime.timedelta(days=60))
    item("正常推进的问题二", owner=world.member, deadline=today + datetime.timedelta(days=90))
    return overdue, behind


def shown(page, screen):
    return page.locator("table.ledger-table tbody" if screen == "desktop" else "ul.ledger-cards")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_the_red_count_leads_to_the_red_items(browser, site, world, lit, screen):
    overdue, behind = lit
    context = browser.new_context(**SCREENS[screen], **CHINESE)
    page = context.new_page()
    log_in(page, site, "branch_secretary")
    page.goto(site + "/")
    red = page.locator("#light-counts").get_by_role("link", name=re.compile("红灯"))
    assert red.inner_text().strip() == "红灯 2 项"
    assert (
        page.locator("#light-counts").get_by_role("link", name=re.compile("黄灯")).inner_text().strip()
        == "黄灯 1 项"
    )
    shot(page, f"lights-{screen}-01-dashboard")

    red.click()
    page.wait_for_url(re.compile(r"/ledger/\?light=red"))
    items = shown(page, screen)
    assert items.get_by_text(overdue.reference, exact=True).is_visible()
    assert items.get_by_text(behind.reference, exact=True).is_visible()
    assert items.locator("[data-light]").count() == 2
    assert {text.strip() for text in items.locator("[data-light]").all_inner_texts()} == {"红灯"}
    chip = page.locator("#filter-chips .filter-chip")
    assert chip.count() == 1 and "亮灯：红灯" in chip.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    # The reason is the light's tooltip: overdue by four days; 40 of 60 days gone, nothing done.
    reasons = set(items.locator("[data-light]").evaluate_all("lights => lights.map(l => l.title)"))
    assert reasons == {"逾期 4 天", "进度落后 66 个百分点"}
    shot(page, f"lights-{screen}-02-red")

    # Remove the chip, then sort by light: the red ones come first.
    chip.click()
    page.wait_for_url(lambda url: "light=red" not in url)
    sort_links = page.locator("thead" if screen == "desktop" else "#card-sort")
    sort_links.get_by_role("link", name="亮灯").click()
    page.wait_for_url(re.compile(r"ordering=light"))
    colours = items.locator("[data-light]").evaluate_all("lights => lights.map(l => l.dataset.light)")
    assert colours == ["red", "red", "yellow", "green", "green"]
    shot(page, f"lights-{screen}-03-sorted")
    context.close()
