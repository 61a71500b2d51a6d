"""Browser journey of the history chain page (`core.chain`), in Chromium (see
tests/test_browser.py for the set-up), on a desktop and a 375-px phone: a leader opens the page
from the navigation bar and reads the last verification (broken, after a row was edited by SQL)
and the current chain head; a plain member has no link and is refused the page. Screenshots in
`artifacts/`."""

# ruff: noqa: F811 (the fixtures imported from tests.test_browser are parameters by name)
import io

import pytest
from django.core.management import call_command
from django.db import connection

from core import chain
from ledger.models import Item
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


def overflow(page):
    return page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")


def open_menu(page):
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
        page.wait_for_selector("#main-nav.show")


@pytest.mark.parametrize("screen", ["desktop", "phone"])
@pytest.mark.django_db(transaction=True)
def test_a_leader_reads_the_last_verification_and_the_head(browser, site, world, screen):
    item = make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    table = Item.history.model._meta.db_table
    with chain.maintenance(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET measures = 'x' WHERE id = %s", [item.pk])
    with pytest.raises(SystemExit):
        call_command("verify_history", stdout=io.StringIO(), stderr=io.StringIO())

    context = browser.new_context(**SCREENS[screen], **CHINESE)
    page = context.new_page()
    log_in(page, site, "watcher")
    open_menu(page)
    page.click("#nav-history-chain")
    page.wait_for_url(f"{site}/history-chain/")
    last = page.locator("#last-verification").inner_text()
    assert "已断链" in last and "被修改" in last
    head, _chains = chain.global_digest()
    assert page.locator("#chain-head-code").inner_text() == chain.short_code(head)
    assert overflow(page) <= 0
    shot(page, f"80-history-chain-{screen}")
    context.close()

    context = browser.new_context(**SCREENS[screen], **CHINESE)
    page = context.new_page()
    log_in(page, site, "member")
    assert page.locator("#nav-history-chain").count() == 0
    response = page.goto(f"{site}/history-chain/")
    assert response.status == 403
    context.close()
