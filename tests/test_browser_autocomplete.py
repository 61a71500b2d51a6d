"""Browser journey through the ledger's person filter, on a desktop and on a 375-px phone: the
committee member types part of a name in the owner filter, the people endpoint offers the
matching owners, she picks one and applies the filter, and the list shows that owner's items
only. The filter offers nobody before a name is typed (listing every owner of a large ledger
was the list's slowest query). Screenshots land in `artifacts/` (not committed)."""

import re

import pytest

from tests import test_browser
from tests.factories import IssueFactory, make_item
from tests.test_browser import CHINESE, log_in, shot
from tests.test_browser_lists import SCREENS, match_count, no_sideways_scrolling, shown

browser_type_launch_args = test_browser.browser_type_launch_args
restore_migrated_data = test_browser.restore_migrated_data
site = test_browser.site

pytestmark = pytest.mark.filterwarnings("ignore:No directory at:UserWarning")  # no collectstatic in tests


@pytest.fixture
def ledger(world):
    """Three items owned by 王强, two by 杨帆."""
    owners = [world.owner, world.member, world.owner, world.member, world.owner]
    return [
        make_item(
            world.committee, IssueFactory(organization=world.branch, description=f"问题{n}"), owner=owner
        )
        for n, owner in enumerate(owners)
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_typing_a_name_in_the_owner_filter_offers_the_owner_and_filters_by_them(
    browser, site, world, ledger, screen
):
    context = browser.new_context(**SCREENS[screen], **CHINESE)
    page = context.new_page()
    log_in(page, site, "branch_secretary")
    page.goto(site + "/ledger/")
    assert match_count(page) == 5
    page.click("#filter-panel summary")
    owner = page.locator("#id_owner")
    # Nobody is listed until a name is typed: only "全部".
    assert owner.locator("option").all_inner_texts() == ["全部"]

    # 1. Typing 王 asks the people endpoint: 王强 is offered, 杨帆 (not matching) is not.
    with page.expect_response(re.compile(r"/ledger/people/\?role=owner")):
        page.locator("#id_owner_search").press_sequentially("王")
    page.wait_for_function("document.querySelectorAll('#id_owner option').length > 1")
    assert owner.locator("option").all_inner_texts() == ["全部", "王强"]
    shot(page, f"autocomplete-{screen}-01-offered")

    # 2. She picks him and applies the filter: his three items, and a chip naming him.
    owner.select_option(label="王强")
    page.click("#filter-panel button[type=submit]")
    page.wait_for_url(re.compile(r"owner=\d+"))
    assert match_count(page) == 3
    items = shown(page, screen)
    assert items.get_by_text("王强").count() == 3 and items.get_by_text("杨帆").count() == 0
    chip = page.locator("#filter-chips .filter-chip")
    assert chip.count() == 1 and "责任人：王强" in chip.inner_text()
    no_sideways_scrolling(page)
    shot(page, f"autocomplete-{screen}-02-filtered")

    # 3. The filter panel keeps him chosen when opened again.
    page.click("#filter-panel summary")
    assert owner.evaluate("select => select.selectedOptions[0].textContent") == "王强"
    context.close()
