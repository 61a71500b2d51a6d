"""Browser journey: a ledger as offices keep it (merged problem cells, an instructions sheet
first) uploaded, its ledger sheet picked by the preview, another sheet tried and the ledger
chosen again, stored, and its items read on the ledger. On a desktop in Chinese and on a 375-px
phone in English; screenshots in `artifacts/`."""

import pytest
from django.utils import translation

from ledger.imports.vocabulary import FIELDS
from ledger.models import Issue, Item
from tests import layouts, test_browser
from tests.sheet_files import XLSX_TYPE
from tests.test_browser import CHINESE, log_in, shot, switch_to_english
from tests.test_browser_imports import PREVIEW, SCREENS

browser_type_launch_args = test_browser.browser_type_launch_args
restore_migrated_data = test_browser.restore_migrated_data
site = test_browser.site

STORE = {"zh": "保存全部行", "en": "Store all rows"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("screen", list(SCREENS))
def test_a_merged_ledger_after_an_instructions_sheet_imports_as_one_issue(browser, site, world, screen):
    options, language = SCREENS[screen]
    context = browser.new_context(**options, **CHINESE)
    page = context.new_page()
    log_in(page, site, "branch_secretary")
    if language == "en":
        switch_to_english(page)

    page.goto(site + "/ledger/import/")
    file = {"name": "民主生活会整改台账.xlsx", "mimeType": XLSX_TYPE, "buffer": layouts.merged_ledger()}
    page.set_input_files("#id_file", files=[file])
    page.select_option("#id_organization", str(world.branch.pk))
    page.click("main form[method=post] button[type=submit]")
    page.wait_for_url(PREVIEW)

    # The ledger sheet is picked, not the instructions before it; the rows under the merged
    # problem all show its text, with the file's own headings and row numbers.
    assert page.locator("#id_sheet option:checked").inner_text() == "整改台账"
    table = page.locator("table.import-rows")
    assert "责任人（签字）" in table.locator("thead").inner_text()
    assert [cell.inner_text() for cell in table.locator("tbody th").all()] == ["4", "5", "6", "7"]
    assert table.locator("td[data-cell='C6']").inner_text() == "班前会安全讲评流于形式"
    assert table.locator("td[data-cell='H7']").inner_text() == "2026-12-31"
    shot(page, f"import-layouts-1-ledger-sheet-{screen}")

    # Another sheet: the instructions hold no ledger, so nothing can be stored.
    page.select_option("#id_sheet", "0")
    page.click("#sheet-choice button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#id_sheet option:checked").inner_text() == "填报说明"
    with translation.override("zh-hans" if language == "zh" else "en"):
        assert str(FIELDS["description"]) in page.locator(".alert-danger").inner_text()
    assert page.locator("form[action$='/confirm/'] button").count() == 0
    shot(page, f"import-layouts-2-instructions-sheet-{screen}")

    # Back to the ledger, and store it.
    page.select_option("#id_sheet", "1")
    page.click("#sheet-choice button[type=submit]")
    page.wait_for_load_state()
    confirm = page.locator("form[action$='/confirm/'] button")
    assert confirm.inner_text().strip() == STORE[language]
    confirm.click()
    page.wait_for_url(site + "/ledger/import/")
    assert Issue.objects.get(description="班前会安全讲评流于形式").items.count() == 3

    # The ledger shows the items.
    page.goto(site + "/ledger/?q=班前会")
    page.wait_for_load_state()
    text = page.locator("main").inner_text()
    for measure in ("修订班前会制度", "每周抽查班前会记录", "开展安全讲评培训"):
        assert measure in text
    shot(page, f"import-layouts-3-items-{screen}")
    assert Item.objects.count() == 4
    context.close()
