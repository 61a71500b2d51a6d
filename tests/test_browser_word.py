"""Browser journey of the Word documents (issue 14), in Chromium (see tests/test_browser.py for
the set-up), on a desktop and a 375-px phone: a committee member filters the ledger list to the
overdue items, downloads the rectification report from it (python-docx reads the file back:
only the filtered item), opens the Word templates page, uploads a template with a broken tag (the
message names it, the reason typed stays), uploads a good one, and the next report uses it.
Screenshots in `artifacts/`."""

# ruff: noqa: F811 (the fixtures imported from tests.test_browser are parameters by name)

import pytest
from docx import Document

from ledger.models import WordTemplate
from tests.reportdata import populate
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


def docx_file(tmp_path, name, *paragraphs):
    document = Document()
    for text in paragraphs:
        document.add_paragraph().add_run(text)
    path = tmp_path / name
    document.save(path)
    return path


def downloaded_text(page, link_text):
    with page.expect_download() as info:
        page.get_by_role("link", name=link_text, exact=True).click()
    download = info.value
    assert download.suggested_filename.endswith(".docx")
    document = Document(str(download.path()))
    return "\n".join(
        [p.text for p in document.paragraphs]
        + [c.text for t in document.tables for r in t.rows for c in r.cells]
    )


def overflow(page):
    return page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("screen", ["desktop", "phone"])
@pytest.mark.django_db(transaction=True)
def test_a_committee_member_downloads_the_report_and_uploads_a_template(
    browser, site, world, screen, tmp_path
):
    populate(world)
    context = browser.new_context(**SCREENS[screen], **CHINESE, accept_downloads=True)
    page = context.new_page()
    log_in(page, site, "branch_secretary")
    page.goto(f"{site}/ledger/?overdue=on")
    shot(page, f"word-list-{screen}")
    text = downloaded_text(page, "整改情况报告（Word）")
    assert "共查摆问题 1 个，制定整改措施 1 条" in text
    assert "逾期未完成的整改措施" in text
    assert "组织全员重新学习作业规程" not in text  # the filter applies

    page.get_by_role("link", name="Word 模板", exact=True).click()
    page.wait_for_url(f"{site}/ledger/organizations/{world.branch.pk}/word-templates/")
    assert "默认" in page.locator("#template-report").inner_text()

    page.select_option("#id_kind", "report")
    page.set_input_files("#id_file", str(docx_file(tmp_path, "坏模板.docx", "{{ title }", "正文")))
    page.fill("#id_reason", "换上支部信头")
    page.click("#word-template-form button[type=submit]")
    main = page.locator("#main").inner_text()
    assert "模板无法使用" in main and "{{ title }" in main
    assert page.locator("#id_reason").input_value() == "换上支部信头"
    assert not WordTemplate.objects.exists()
    assert overflow(page) <= 0
    shot(page, f"word-template-refused-{screen}")

    page.set_input_files(
        "#id_file", str(docx_file(tmp_path, "好模板.docx", "机运党支部信头", "{{ sentence }}"))
    )
    page.click("#word-template-form button[type=submit]")
    page.wait_for_url(f"{site}/ledger/organizations/{world.branch.pk}/word-templates/")
    assert "第 1 版" in page.locator("#template-report").inner_text()
    shot(page, f"word-template-uploaded-{screen}")

    page.goto(f"{site}/ledger/?overdue=on")
    text = downloaded_text(page, "整改情况报告（Word）")
    assert "机运党支部信头" in text
    assert "共查摆问题 1 个" in text
    context.close()
