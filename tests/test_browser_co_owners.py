"""Browser journey of a co-owner (协办人) on the owner's page (`/ledger/mine/`): they follow the
link to their items, find the item they help on, post progress from its card, and are offered
no submit (the owner answers for the item). Desktop and a 375-px phone; screenshots in
`artifacts/`."""

# ruff: noqa: F811 (the fixtures imported from tests.test_browser are parameters by name)
import pytest

from ledger import workflow
from ledger.models import Item
from tests.factories import IssueFactory, make_item
from tests.test_browser import (  # noqa: F401 (fixtures, used by name)
    CHINESE,
    browser_type_launch_args,
    restore_migrated_data,
    shot,
    site,
)
from tests.test_browser_actions import SCREENS, log_in

pytestmark = pytest.mark.filterwarnings("ignore:No directory at:UserWarning")  # no collectstatic in tests


@pytest.mark.parametrize("screen", ["desktop", "phone"])
@pytest.mark.django_db(transaction=True)
def test_a_co_owner_posts_progress_from_the_card_and_is_offered_no_submit(browser, site, world, screen):
    # 杨帆 owns the item; 王强 helps. The owner has reported progress, so the owner may submit.
    item = make_item(
        world.committee,
        IssueFactory(organization=world.branch, description="主井提升机制动闸瓦磨损超限"),
        owner=world.member,
        measures="更换全部制动闸瓦，修订提升机点检制度",
    )
    item = workflow.post_progress(world.member, item, text="已更换一半闸瓦", percent=50).item
    workflow.edit_item(world.committee, item, expected_version=item.version, co_owners=[world.owner])
    context = browser.new_context(**SCREENS[screen], **CHINESE)
    page = context.new_page()
    log_in(page, site, "owner")
    page.goto(site + "/")
    link = page.locator("a[href='/ledger/mine/']").first
    if not link.is_visible():
        page.locator(".navbar-toggler").click()  # the phone's collapsed menu
    link.click()
    page.wait_for_url(f"{site}/ledger/mine/")
    card = page.locator(f"#item-{item.pk}")
    assert item.reference in card.inner_text()
    assert "更换全部制动闸瓦" in card.inner_text()
    assert card.locator("form[action$='/submit/']").count() == 0
    details = card.locator("details").filter(has=page.locator("form[action$='/progress/']"))
    if not details.evaluate("element => element.open"):
        details.locator("summary").click()
    page.fill(f"#text-{item.pk}", "协助完成剩余闸瓦更换")
    page.fill(f"#percent-{item.pk}", "80")
    shot(page, f"co-owner-progress-{screen}")
    card.locator("form[action$='/progress/'] button[type=submit]").click()
    page.wait_for_selector(".alert-success")
    update = Item.objects.get(pk=item.pk).updates.order_by("-pk").first()
    assert (update.author, update.text, update.percent) == (world.owner, "协助完成剩余闸瓦更换", 80)
    # Back on the owner's page: still no submit on the co-owner's card.
    page.goto(site + "/ledger/mine/")
    card = page.locator(f"#item-{item.pk}")
    assert card.count() == 1
    assert card.locator("form[action$='/submit/']").count() == 0
    assert card.locator("form[action$='/progress/']").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    shot(page, f"co-owner-after-{screen}")
    # The item's page offers no submit to the co-owner either.
    page.goto(f"{site}/ledger/items/{item.pk}/")
    assert page.locator("form[action$='/submit/']").count() == 0
    context.close()
