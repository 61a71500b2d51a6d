"""Browser journeys of an edit conflict: two committee members, each in a browser of their own,
edit the same item. The first saves; the second's save comes back merged field by field; saving
it keeps both changes, and a field both changed is chosen explicitly. On a desktop and on a
375-px phone, in Chinese and in English; screenshots go to `artifacts/`."""

from urllib.parse import urlsplit

import pytest

from ledger.models import Item
from tests import test_browser
from tests.factories import IssueFactory, MeetingFactory, make_item
from tests.test_browser import ARTIFACTS, CHINESE, log_in, shot

# The journeys' fixtures: Debian's Chromium, the live server, the categories put back.
browser_type_launch_args = test_browser.browser_type_launch_args
restore_migrated_data = test_browser.restore_migrated_data
site = test_browser.site

pytestmark = pytest.mark.filterwarnings("ignore:No directory at:UserWarning")

ENGLISH = {"locale": "en-US", "timezone_id": "Asia/Shanghai"}
SCREENS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True},
}


def open_edit_form(browser, site, username, item, screen, language):
    context = browser.new_context(**SCREENS[screen], **(CHINESE if language == "zh" else ENGLISH))
    page = context.new_page()
    log_in(page, site, username)
    page.goto(site + f"/ledger/items/{item.pk}/")
    page.click("#action-edit summary")
    page.wait_for_selector("#edit-measures")  # the form is loaded as the panel opens
    return context, page


def shot_parts(page, name):
    """The conflict and the form, each on its own (the full page of a phone is long)."""
    shot(page, name)
    page.locator("#edit-conflict").screenshot(path=str(ARTIFACTS / f"{name}-conflict.png"))
    page.locator("#action-edit").screenshot(path=str(ARTIFACTS / f"{name}-form.png"))


def save(page):
    page.click("#action-edit button[type=submit]")


@pytest.fixture
def item(world):
    return make_item(
        world.committee, IssueFactory(organization=world.branch), owner=world.owner, leader=world.leader
    )


@pytest.mark.parametrize(("screen", "language"), [("desktop", "zh"), ("phone", "en")])
@pytest.mark.django_db(transaction=True)
def test_a_colleagues_department_survives_my_measures(browser, site, world, item, screen, language):
    # B opens the form first; A changes the department and saves.
    second, b = open_edit_form(browser, site, "secretary", item, screen, language)
    first, a = open_edit_form(browser, site, "branch_secretary", item, "desktop", "zh")
    a.fill("#edit-department", "通风区")
    save(a)
    a.wait_for_selector(".alert-success")

    # B changes only the measures and saves: the page shows the merge.
    b.fill("#edit-measures", "增加每周一次现场抽查")
    save(b)
    b.wait_for_selector("#edit-conflict")
    shot_parts(b, f"conflict-merged-{screen}-{language}")
    table = b.locator("#edit-conflict .merge-table")
    department = table.locator("tr.merge-theirs")
    assert "通风区" in department.inner_text() and "机运工区" in department.inner_text()
    assert "增加每周一次现场抽查" in table.locator("tr.merge-mine").inner_text()
    assert b.locator("#edit-department").input_value() == "通风区"
    assert b.locator("#edit-measures").input_value() == "增加每周一次现场抽查"
    assert "增加每周一次现场抽查" not in b.locator("section[aria-labelledby=item-heading]").inner_text()
    assert b.locator("#action-edit input[type=radio]").count() == 0  # nothing to choose
    assert b.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")

    # B saves as the page invites: both changes are kept.
    save(b)
    b.wait_for_selector(".alert-success")
    item.refresh_from_db()
    assert (item.department, item.measures, item.version) == ("通风区", "增加每周一次现场抽查", 3)
    first.close()
    second.close()


@pytest.mark.parametrize(("screen", "language"), [("phone", "zh"), ("desktop", "en")])
@pytest.mark.django_db(transaction=True)
def test_a_department_both_changed_is_chosen_before_saving(browser, site, world, item, screen, language):
    second, b = open_edit_form(browser, site, "secretary", item, screen, language)
    first, a = open_edit_form(browser, site, "branch_secretary", item, "desktop", "zh")
    a.fill("#edit-department", "通风区")
    save(a)
    a.wait_for_selector(".alert-success")

    b.fill("#edit-department", "调度室")
    b.fill("#edit-closure_criteria", "现场抽查合格")
    save(b)
    b.wait_for_selector("#edit-conflict")
    contested = b.locator("#edit-conflict tr.merge-both")
    assert all(value in contested.inner_text() for value in ("机运工区", "通风区", "调度室"))
    choice = b.locator("#edit-keep_department")
    assert choice.locator("input[type=radio]").count() == 2
    assert not choice.locator("input:checked").count()  # nothing chosen for the user
    contested.locator("a").click()  # the table's "choose" link leads to the choice
    assert b.evaluate("location.hash") == "#edit-keep_department"
    shot_parts(b, f"conflict-contested-{screen}-{language}")
    assert b.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")

    # Saving without a choice does not go through: the merge comes back with the choice asked
    # for at the top; with one, it saves.
    with b.expect_navigation():
        save(b)
    assert b.locator("#edit-conflict").count() == 1
    assert b.locator("#edit-conflict tr.merge-both").count() == 1
    assert b.locator(".error-summary, [role=alert]").first.is_visible()
    choice = b.locator("#edit-keep_department")
    assert Item.objects.get(pk=item.pk).version == 2
    choice.locator("input[value=mine]").check()
    save(b)
    b.wait_for_selector(".alert-success")
    shot(b, f"conflict-chosen-{screen}-{language}")
    item.refresh_from_db()
    assert (item.department, item.closure_criteria, item.version) == ("调度室", "现场抽查合格", 3)
    first.close()
    second.close()


@pytest.mark.parametrize(("screen", "language"), [("phone", "en")])
@pytest.mark.django_db(transaction=True)
def test_a_meeting_page_merges_the_meeting_and_its_issue_rows(browser, site, world, screen, language):
    meeting = MeetingFactory(organization=world.branch)
    issue = IssueFactory(organization=world.branch, meeting=meeting, description="学习流于形式")
    IssueFactory(organization=world.branch, meeting=meeting, description="台账记录不全")
    url = site + f"/ledger/meetings/{meeting.pk}/edit/"

    def open_page(username, screen, language):
        context = browser.new_context(**SCREENS[screen], **(CHINESE if language == "zh" else ENGLISH))
        page = context.new_page()
        log_in(page, site, username)
        page.goto(url)
        return context, page

    second, b = open_page("secretary", screen, language)
    first, a = open_page("branch_secretary", "desktop", "zh")
    row = a.locator(f"input[name$='-id'][value='{issue.pk}']").get_attribute("name").removesuffix("id")
    a.fill("#id_topic", "李明改的题目")
    a.fill(f"#id_{row}description", "学习流于形式（李明补充）")
    a.click("form button[type=submit].btn-primary")
    a.wait_for_url(site + f"/ledger/meetings/{meeting.pk}/")

    b.fill("#id_place", "三楼会议室")
    b.fill(f"#id_{row}description", "学习流于形式，走过场")
    b.click("form button[type=submit].btn-primary")
    b.wait_for_selector("#edit-conflict")
    assert b.locator("#id_topic").input_value() == "李明改的题目"  # theirs, not undone
    assert b.locator("#id_place").input_value() == "三楼会议室"
    choice = b.locator(f"#id_{row}keep_description")
    assert choice.locator("input[type=radio]").count() == 2
    b.locator("#edit-conflict tr.merge-both a").click()
    shot(b, f"conflict-meeting-{screen}-{language}")
    b.locator("#edit-conflict").screenshot(
        path=str(ARTIFACTS / f"conflict-meeting-{screen}-{language}-conflict.png")
    )
    choice.screenshot(path=str(ARTIFACTS / f"conflict-meeting-{screen}-{language}-choice.png"))
    assert b.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")

    # The page does not save until the row's choice is made (the server says so).
    b.click("form button[type=submit].btn-primary")
    b.wait_for_selector(f"#id_{row}keep_description.border-danger")
    choice = b.locator(f"#id_{row}keep_description")
    choice.locator("input[value=theirs]").check()
    b.click("form button[type=submit].btn-primary")
    # The meeting page (the browser keeps the "#choice" the page was at).
    b.wait_for_url(lambda url: urlsplit(url).path == f"/ledger/meetings/{meeting.pk}/")
    shot(b, f"conflict-meeting-saved-{screen}-{language}")
    meeting.refresh_from_db()
    issue.refresh_from_db()
    assert (meeting.topic, meeting.place, meeting.version) == ("李明改的题目", "三楼会议室", 3)
    assert (issue.description, issue.version) == ("学习流于形式（李明补充）", 2)
    first.close()
    second.close()


@pytest.mark.parametrize(("screen", "language"), [("phone", "zh")])
@pytest.mark.django_db(transaction=True)
def test_an_issue_page_merges_and_asks_for_the_field_both_changed(browser, site, world, screen, language):
    issue = IssueFactory(organization=world.branch, description="巡察发现：台账记录不全")
    url = site + f"/ledger/issues/{issue.pk}/edit/"

    def open_page(username, screen, language):
        context = browser.new_context(**SCREENS[screen], **(CHINESE if language == "zh" else ENGLISH))
        page = context.new_page()
        log_in(page, site, username)
        page.goto(url)
        return context, page

    second, b = open_page("secretary", screen, language)
    first, a = open_page("branch_secretary", "desktop", "zh")
    a.fill("#id_description", "巡察发现：台账记录不全（李明核实）")
    a.fill("#id_raised_by_name", "巡察组")
    a.click("main form button[type=submit]")
    a.wait_for_url(site + f"/ledger/issues/{issue.pk}/")

    b.fill("#id_raised_by_name", "集团巡察组")
    b.fill("#id_reason", "补充提出人")
    b.click("main form button[type=submit]")
    b.wait_for_selector("#edit-conflict")
    assert b.locator("#id_description").input_value() == "巡察发现：台账记录不全（李明核实）"
    b.locator("#edit-conflict tr.merge-both a").click()
    shot(b, f"conflict-issue-{screen}-{language}")
    assert b.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    b.locator("#id_keep_raised_by_name input[value=mine]").check()
    b.click("main form button[type=submit]")
    b.wait_for_url(lambda url: urlsplit(url).path == f"/ledger/issues/{issue.pk}/")
    issue.refresh_from_db()
    assert (issue.description, issue.raised_by_name, issue.version) == (
        "巡察发现：台账记录不全（李明核实）",
        "集团巡察组",
        3,
    )
    first.close()
    second.close()
