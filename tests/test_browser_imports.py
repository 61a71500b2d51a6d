"""Browser journeys of the import: a ledger with no category while no default is set, then a
re-import that would close an item without sign-off. On a desktop in Chinese and on a 375-px
phone in English; screenshots in `artifacts/`."""

import re

import pytest

from ledger import workflow
from ledger.models import Category, Item
from tests import test_browser
from tests.sheet_files import XLSX_TYPE, xlsx_bytes
from tests.test_browser import CHINESE, log_in, shot, switch_to_english

# The browser tests' fixtures: Debian's Chromium, the live site, the default categories put back.
browser_type_launch_args = test_browser.browser_type_launch_args
restore_migrated_data = test_browser.restore_migrated_data
site = test_browser.site

PREVIEW = re.compile(r"/ledger/import/[0-9a-f]{32}/$")
SCREENS = {
    "desktop-zh": ({"viewport": {"width": 1280, "height": 900}}, "zh"),
    "phone-en": ({"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True}, "en"),
}
NO_DEFAULT = {
    "zh": "未填写问题类别，也没有设定默认类别",
    "en": "No category is given and none is set as the default",
}
REFUSED = {"zh": "文件中为“已销号”", "en": "The file says “Closed”"}


def ledger_file(statuses):
    rows = [["问题描述", "整改措施", "责任人", "整改时限", "整改进展", "整改状态"]]
    for number, status in enumerate(statuses, start=1):
        rows.append(
            [
                f"学习流于形式（{number}）",
                f"每周集中学习一次（{number}）",
                "王强",
                "2027-03-31",
                "已学习",
                status,
            ]
        )
    return {"name": "台账.xlsx", "mimeType": XLSX_TYPE, "buffer": xlsx_bytes(rows)}


def upload(page, url, world, file):
    page.goto(url + "/ledger/import/")
    page.set_input_files("#id_file", files=[file])
    page.select_option("#id_organization", str(world.branch.pk))
    page.click("main form[method=post] button[type=submit]")
    page.wait_for_url(PREVIEW)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("screen", list(SCREENS))
def test_a_committee_member_imports_and_re_imports_a_ledger(browser, site, world, screen):
    options, language = SCREENS[screen]
    Category.objects.update(is_default=False)
    context = browser.new_context(**options, **CHINESE)
    page = context.new_page()
    log_in(page, site, "branch_secretary")
    if language == "en":
        switch_to_english(page)

    # No category in the file and none set as the default: every row says so, nothing to store.
    upload(page, site, world, ledger_file(["整改中", "整改中"]))
    assert page.locator(f"td:has-text('{NO_DEFAULT[language]}')").count() == 2
    assert page.locator("form[action$='/confirm/'] button").count() == 0
    shot(page, f"imports-1-no-default-category-{screen}")

    # The administrator marks a default; the preview, shown again, offers to store the rows.
    Category.objects.filter(name="党建").update(is_default=True)
    page.click("main form[method=get] button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(f"text={NO_DEFAULT[language]}").count() == 0
    page.click("form[action$='/confirm/'] button")
    page.wait_for_url(site + "/ledger/import/")
    assert Item.objects.filter(issue__category__name="党建").count() == 2

    # The owner submits the first item; a file saying 已销号 for it is refused, by the preview
    # already (it runs the confirmation's checks): only another committee member's verification
    # closes an item, and the owner must submit first.
    first, second = Item.objects.order_by("sequence")
    workflow.submit(world.owner, first, incomplete_confirmed=True)
    upload(page, site, world, ledger_file(["已销号", "已销号"]))
    refusals = page.locator(".alert-danger li")
    assert refusals.count() == 1  # the second row: in progress, not submitted by its owner
    assert REFUSED[language] in refusals.first.inner_text()
    assert page.locator("form[action$='/confirm/'] button").count() == 0
    shot(page, f"imports-2-reimport-refused-{screen}")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Item.Status.SUBMITTED, Item.Status.IN_PROGRESS)
    context.close()
