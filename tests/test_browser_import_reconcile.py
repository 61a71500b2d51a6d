"""Browser journey: re-importing a ledger after an item was closed in the product. The preview
lists the row where the file and the ledger disagree, the product's state is kept by default,
and after confirming the item is still closed. On a desktop in Chinese and on a 375-px phone in
English; screenshots in `artifacts/`."""

import io

import pytest
import xlsxwriter

from ledger import workflow
from ledger.models import Item
from tests import test_browser
from tests.sheet_files import XLSX_TYPE
from tests.test_browser import CHINESE, log_in, shot, switch_to_english
from tests.test_browser_imports import PREVIEW, SCREENS, upload

browser_type_launch_args = test_browser.browser_type_launch_args
restore_migrated_data = test_browser.restore_migrated_data
site = test_browser.site

WORDS = {
    "zh": {
        "section": "文件与台账不一致的行",
        "differs": "整改状态：文件为“整改中”，台账为“已销号”",
        "keep": "保留系统中的状态",
        "done": "保留系统中修改 1 项",
        "closed": "已销号",
    },
    "en": {
        "section": "Rows where the file and the ledger disagree",
        "differs": "整改状态: the file says “In progress”, the ledger “Closed”",
        "keep": "Keep the product's state",
        "done": "1 kept as changed here",
        "closed": "Closed",
    },
}


def ledger_file():
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet("台账")
    sheet.write_row(0, 0, ["问题描述", "问题类别", "整改措施", "责任人", "整改时限", "整改状态"])
    for number in (1, 2):
        sheet.write_row(
            number,
            0,
            [
                f"学习流于形式（{number}）",
                "党建",
                f"每周集中学习（{number}）",
                "王强",
                "2027-03-31",
                "整改中",
            ],
        )
    workbook.close()
    return {"name": "台账.xlsx", "mimeType": XLSX_TYPE, "buffer": buffer.getvalue()}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("screen", list(SCREENS))
def test_a_reimport_keeps_an_item_closed_in_the_product(browser, site, world, screen):
    options, language = SCREENS[screen]
    words = WORDS[language]
    context = browser.new_context(**options, **CHINESE)
    page = context.new_page()
    log_in(page, site, "branch_secretary")
    if language == "en":
        switch_to_english(page)

    # v1 imported through the pages.
    upload(page, site, world, ledger_file())
    assert page.locator(f"text={words['section']}").count() == 0  # nothing to reconcile yet
    page.click("form[action$='/confirm/'] button[type=submit]")
    page.wait_for_url(site + "/ledger/import/")
    first = Item.objects.get(measures="每周集中学习（1）")

    # In the product, the owner reports and submits, another committee member closes it.
    workflow.post_progress(world.owner, first, text="已完成学习", percent=100)
    workflow.submit(world.owner, Item.objects.get(pk=first.pk))
    workflow.close(world.committee, Item.objects.get(pk=first.pk), note="验收合格")

    # The same v1 again: the preview lists the disagreement and keeps the product's state.
    upload(page, site, world, ledger_file())
    assert PREVIEW.search(page.url)
    section = page.locator("#import-disagreements")
    assert words["section"] in section.inner_text()
    row = section.locator(f"tr:has-text('{first.reference}')")
    assert words["differs"] in row.inner_text()
    chosen = row.locator("select option:checked")
    assert chosen.inner_text() == words["keep"]
    shot(page, f"import-reconcile-1-disagreement-{screen}")
    page.click("form[action$='/confirm/'] button[type=submit]")
    page.wait_for_url(site + "/ledger/import/")
    assert words["done"] in page.locator(".alert-success, .alert").first.inner_text()

    # The item's page still says it is closed.
    page.goto(site + f"/ledger/items/{first.pk}/")
    assert words["closed"] in page.locator("main").inner_text()
    shot(page, f"import-reconcile-2-still-closed-{screen}")
    assert Item.objects.get(pk=first.pk).status == Item.Status.CLOSED
    context.close()
