"""Browser journey of the traffic-light thresholds (issue 13), in Chromium (see
tests/test_browser.py for the set-up), on a desktop and a 375-px phone: a committee member opens
the page from the supervision menu, sends a yellow threshold above the red one (the form comes
back with the message and what was typed), sets red lag to 20, saves, and the ledger list shows
the lagging item red instead of yellow. Screenshots in `artifacts/`."""

# ruff: noqa: F811 (the fixtures imported from tests.test_browser are parameters by name)
import datetime

import pytest
import time_machine
from django.utils import timezone

from ledger.models import LightSettings
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


def lagging_item(world):
    """28 of its 112 days gone and nothing done: 25 points behind, yellow until red lag is 20."""
    today = timezone.localdate()
    with time_machine.travel(timezone.now() - datetime.timedelta(days=28)):
        return make_item(
            world.committee,
            IssueFactory(organization=world.branch, description="安全培训未按计划开展"),
            owner=world.owner,
            deadline=today + datetime.timedelta(days=84),
        )


def light_of(page, screen, item):
    items = page.locator("table.ledger-table tbody tr" if screen == "desktop" else "ul.ledger-cards li")
    return items.filter(has_text=item.reference).locator("[data-light]").first.get_attribute("data-light")


def overflow(page):
    return page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("screen", ["desktop", "phone"])
@pytest.mark.django_db(transaction=True)
def test_a_committee_member_tightens_red_lag_and_the_item_turns_red(browser, site, world, screen):
    item = lagging_item(world)
    context = browser.new_context(**SCREENS[screen], **CHINESE)
    page = context.new_page()
    log_in(page, site, "branch_secretary")
    page.goto(f"{site}/ledger/")
    assert light_of(page, screen, item) == "yellow"

    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
        page.wait_for_selector("#main-nav.show")
    page.click("#supervision-menu")
    page.click("#light-settings-link")
    page.wait_for_url(f"{site}/ledger/organizations/{world.branch.pk}/lights/")
    assert "默认值" in page.locator("#threshold-red_lag").inner_text()

    # A yellow threshold above the (default) red one comes back with the message.
    page.fill("#id_yellow_lag", "40")
    page.fill("#id_reason", "按公司要求收紧")
    page.click("#light-settings-form button[type=submit]")
    assert "黄灯阈值（40）不能高于红灯阈值（30）。" in page.locator("#main").inner_text()
    assert page.locator("#id_yellow_lag").input_value() == "40"
    assert page.locator("#id_reason").input_value() == "按公司要求收紧"
    assert overflow(page) <= 0
    shot(page, f"70-light-settings-refused-{screen}")

    page.fill("#id_yellow_lag", "")
    page.fill("#id_red_lag", "20")
    page.click("#light-settings-form button[type=submit]")
    page.wait_for_url(f"{site}/ledger/organizations/{world.branch.pk}/lights/")
    assert "亮灯阈值已保存。" in page.locator(".alert").first.inner_text()
    row = page.locator("#threshold-red_lag").inner_text()
    assert "20" in row and "本组织设置" in row
    assert overflow(page) <= 0
    shot(page, f"71-light-settings-saved-{screen}")
    assert LightSettings.objects.get(organization=world.branch).red_lag == 20

    page.goto(f"{site}/ledger/")
    assert light_of(page, screen, item) == "red"
    shot(page, f"72-light-settings-list-{screen}")
    context.close()
