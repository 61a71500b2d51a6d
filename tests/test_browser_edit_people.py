"""Browser journeys of the item edit form's people, on a desktop and on a 375-px phone: the
committee member opens the edit form, which lists only the people chosen; she types part of a
name in the owner's search box, the people endpoint offers the matching people, she picks the
new owner, adds a co-owner the same way and saves; the item page then names them. Without
scripts, "Find people" shows the form again with the matches. Screenshots go to `artifacts/`."""

import re

import pytest
from playwright.sync_api import expect

from tests import test_browser
from tests.factories import IssueFactory, make_item
from tests.test_browser import log_in, shot
from tests.test_browser_bounded import SCREENS, sideways

browser_type_launch_args = test_browser.browser_type_launch_args
restore_migrated_data = test_browser.restore_migrated_data
site = test_browser.site

pytestmark = pytest.mark.filterwarnings("ignore:No directory at:UserWarning")


@pytest.fixture
def item(world):
    return make_item(
        world.committee, IssueFactory(organization=world.branch), owner=world.owner, leader=world.leader
    )


def options(select):
    return select.locator("option").all_inner_texts()


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.django_db(transaction=True)
def test_the_committee_picks_a_new_owner_and_a_co_owner_by_name(browser, site, world, item, screen):
    context = browser.new_context(**SCREENS[screen])
    page = context.new_page()
    log_in(page, site, "branch_secretary")
    page.goto(f"{site}/ledger/items/{item.pk}/")
    page.click("#action-edit summary")  # the form is loaded as the panel opens
    page.wait_for_selector("#edit-owner")
    owner = page.locator("#edit-owner")
    co_owners = page.locator("#edit-co_owners")
    assert options(owner) == ["请选择", "王强"]  # only the owner chosen, not everyone
    assert options(co_owners) == []

    with page.expect_response(re.compile(r"/ledger/people/\?role=item")):
        page.locator("#edit-owner_search").press_sequentially("杨")
    page.wait_for_function("document.querySelectorAll('#edit-owner option').length > 2")
    assert options(owner) == ["请选择", "王强", "杨帆"]
    expect(owner).to_have_value(str(world.owner.pk))  # still chosen until she picks another
    owner.select_option(label="杨帆")

    with page.expect_response(re.compile(r"/ledger/people/\?role=item")):
        page.locator("#edit-co_owners_search").press_sequentially("张")
    page.wait_for_function("document.querySelectorAll('#edit-co_owners option').length > 0")
    assert options(co_owners) == ["张建国"]
    co_owners.select_option(label="张建国")
    page.fill("#edit-reason", "调整责任人")
    assert sideways(page) <= 0
    shot(page, f"edit-people-{screen}")
    page.click("#action-edit button[type=submit]")

    page.wait_for_selector(".alert-success")
    expect(page.locator("dd", has_text="杨帆").first).to_be_visible()
    expect(page.locator('[data-field="co_owners"]')).to_have_text("张建国")
    context.close()


@pytest.mark.django_db(transaction=True)
def test_without_scripts_find_people_lists_the_matches(browser, site, world, item):
    context = browser.new_context(java_script_enabled=False, **SCREENS["phone"])
    page = context.new_page()
    log_in(page, site, "branch_secretary")
    page.goto(f"{site}/ledger/items/{item.pk}/")
    page.click("#action-edit summary")
    page.locator("#action-edit").get_by_role("link", name="打开表单").click()  # without scripts, a link
    page.wait_for_url(f"{site}/ledger/items/{item.pk}/?open=edit#action-edit")
    page.fill("#edit-owner_search", "杨帆")
    page.fill("#edit-department", "机运工区")
    page.locator("#action-edit").get_by_role("button", name="查找人员").first.click()
    page.wait_for_url(f"{site}/ledger/items/{item.pk}/edit/")
    owner = page.locator("#edit-owner")
    assert options(owner) == ["请选择", "王强", "杨帆"]
    expect(page.locator("#edit-department")).to_have_value("机运工区")  # what she typed stays
    owner.select_option(label="杨帆")
    page.locator("#action-edit").get_by_role("button", name="修改").click()
    page.wait_for_selector(".alert-success")
    expect(page.locator("dd", has_text="杨帆").first).to_be_visible()
    context.close()
