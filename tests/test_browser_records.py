"""Browser journeys of complete records: a meeting logged with its host and recorder, the
attendance list taken in one submit, and three items typed at once on an issue's page. Each on
a desktop and a 375-px phone, with screenshots in `artifacts/` in Chinese and English."""

import datetime

import pytest
from django.utils import timezone

from ledger.models import Attendance, Meeting
from tests import test_browser
from tests.factories import IssueFactory, MeetingFactory
from tests.test_browser import CHINESE, log_in, overflow, shot, switch_to_english

# The browser module's fixtures: Debian's Chromium, the live server, the migrated categories.
browser_type_launch_args = test_browser.browser_type_launch_args
restore_migrated_data = test_browser.restore_migrated_data
site = test_browser.site

pytestmark = pytest.mark.filterwarnings("ignore:No directory at:UserWarning")

SCREENS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True},
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("screen", list(SCREENS))
def test_a_meeting_is_logged_with_its_host_and_recorder(browser, site, world, screen):
    today = timezone.localdate()
    context = browser.new_context(**SCREENS[screen], **CHINESE)
    page = context.new_page()
    log_in(page, site, "branch_secretary")
    page.goto(site + "/ledger/meetings/")
    page.click("a[href='/ledger/meetings/new/']")
    page.select_option("#id_organization", str(world.branch.pk))
    page.select_option("#id_meeting_type", Meeting.Type.ORGANIZATION_LIFE)
    page.fill("#id_topic", "专题组织生活会")
    page.fill("#id_held_on", (today - datetime.timedelta(days=1)).isoformat())
    page.select_option("#id_host", str(world.committee.pk))
    page.select_option("#id_recorder", str(world.member.pk))
    page.select_option("#id_issues-0-category", index=1)
    page.select_option("#id_issues-0-source", "criticism")
    page.fill("#id_issues-0-description", "学习流于形式")
    page.select_option("#id_issues-0-raised_by", str(world.member.pk))
    page.select_option("#id_issues-0-concerns", str(world.owner.pk))
    assert overflow(page) == 0
    shot(page, f"records-meeting-form-{screen}")
    page.click("form button[type=submit].btn-primary")
    page.wait_for_url(site + "/ledger/meetings/*/")
    page.wait_for_selector(".alert-success")
    text = page.locator("main").inner_text()
    assert "主持人：李明" in text and "记录人：杨帆" in text
    meeting = Meeting.objects.get()
    assert (meeting.host, meeting.recorder) == (world.committee, world.member)
    issue = meeting.issues.get()
    assert (issue.raised_by, issue.concerns) == (world.member, world.owner)
    shot(page, f"records-meeting-saved-{screen}")
    # A date after today is refused on the form, with what was typed kept.
    page.goto(site + f"/ledger/meetings/{meeting.pk}/edit/")
    page.fill("#id_held_on", (today + datetime.timedelta(days=30)).isoformat())
    page.click("form button[type=submit].btn-primary")
    page.wait_for_selector("#id_held_on.is-invalid")
    assert "会议召开后才能登记" in page.locator("main").inner_text()
    switch_to_english(page)
    page.goto(site + f"/ledger/meetings/{meeting.pk}/edit/")
    assert overflow(page) == 0
    shot(page, f"records-meeting-form-{screen}-en")
    context.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("screen", list(SCREENS))
def test_the_attendance_list_is_taken_in_one_submit(browser, site, world, screen):
    meeting = MeetingFactory(organization=world.branch, topic="专题组织生活会")
    context = browser.new_context(**SCREENS[screen], **CHINESE)
    page = context.new_page()
    log_in(page, site, "branch_secretary")
    page.goto(site + "/ledger/meetings/")
    page.click(f"a[href='/ledger/meetings/{meeting.pk}/']")
    page.wait_for_url(f"**/ledger/meetings/{meeting.pk}/")
    rows = page.locator("#roster .roster-row")
    rows.first.wait_for()  # count() does not wait for the page the click opens
    assert rows.count() == 3  # the branch's members and its group's
    assert page.locator("#roster input[type=checkbox][name$='-present']:checked").count() == 3
    owner = page.locator(f"#roster .roster-row[data-person='{world.owner.pk}']")
    owner.locator("input[name$='-present']").uncheck()
    owner.locator("select[name$='-absence_reason']").select_option("on_shift")
    member = page.locator(f"#roster .roster-row[data-person='{world.member.pk}']")
    member.locator("select[name$='-absence_reason']").select_option("on_business")  # a reason marks absence
    member.locator("input[name$='-absence_note']").fill("集团培训")
    assert overflow(page) == 0
    shot(page, f"records-roster-{screen}")
    page.click("#roster button[type=submit]")
    page.wait_for_selector(".alert-success")
    assert "33.3%" in page.locator("#attendance + p").inner_text()
    rows = {attendance.person: attendance for attendance in Attendance.objects.filter(meeting=meeting)}
    assert rows[world.committee].present
    assert (rows[world.owner].present, rows[world.owner].absence_reason) == (False, "on_shift")
    assert (rows[world.member].absence_reason, rows[world.member].absence_note) == ("on_business", "集团培训")
    shot(page, f"records-roster-saved-{screen}")
    switch_to_english(page)
    assert page.locator("#attendance + p").inner_text() == "Participation 33.3% (1 of 3)"
    assert overflow(page) == 0
    shot(page, f"records-roster-saved-{screen}-en")
    context.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("screen", list(SCREENS))
def test_three_items_are_typed_at_once_on_an_issue(browser, site, world, screen):
    today = timezone.localdate()
    issue = IssueFactory(organization=world.branch, description="巡察发现：台账记录不全")
    context = browser.new_context(**SCREENS[screen], **CHINESE)
    page = context.new_page()
    log_in(page, site, "branch_secretary")
    page.goto(site + "/ledger/issues/")
    page.click(f"a[href='/ledger/issues/{issue.pk}/']")
    page.click("#quick-items summary")
    page.click("#add-item-row")  # a fourth row, left empty: skipped
    assert page.locator("#quick-items .item-row").count() == 4
    deadline = (today + datetime.timedelta(days=30)).isoformat()
    for index, measures in enumerate(["补齐台账记录", "建立月度检查制度", "开展专题培训"]):
        page.fill(f"#id_items-{index}-measures", measures)
        page.fill(f"#id_items-{index}-department", "机运工区")
        page.select_option(f"#id_items-{index}-owner", str(world.owner.pk))
        page.fill(f"#id_items-{index}-deadline", deadline)
    # The first item has two co-owners (协办人), chosen from the same people as the owner.
    page.select_option("#id_items-0-co_owners", [str(world.member.pk), str(world.leader.pk)])
    # The third row's deadline is already past: the page warns and asks to confirm.
    page.fill("#id_items-2-deadline", (today - datetime.timedelta(days=1)).isoformat())
    assert overflow(page) == 0
    shot(page, f"records-quick-items-{screen}")
    page.click("#quick-items button[type=submit].btn-primary")
    page.wait_for_selector("#id_items-2-confirm_past_deadline")
    assert not issue.items.exists()
    assert page.input_value("#id_items-1-measures") == "建立月度检查制度"
    shot(page, f"records-quick-items-confirm-{screen}")
    page.check("#id_items-2-confirm_past_deadline")
    page.click("#quick-items button[type=submit].btn-primary")
    page.wait_for_selector(".alert-success")
    assert issue.items.count() == 3
    text = page.locator(f"#issue-{issue.pk}").inner_text()
    for measures in ("补齐台账记录", "建立月度检查制度", "开展专题培训"):
        assert measures in text
    shot(page, f"records-quick-items-saved-{screen}")
    # Copy the first as the start of a fourth.
    first = issue.items.order_by("sequence").first()
    page.click(f"#issue-{issue.pk} a[href='/ledger/items/{first.pk}/']")
    assert page.locator("[data-field=co_owners]").inner_text() == "杨帆、赵志刚"
    assert first.co_owner_people == [world.member, world.leader]
    page.click(f"a[href^='/ledger/issues/{issue.pk}/?copy={first.pk}']")
    assert page.input_value(f"#i-{issue.pk}-measures") == "补齐台账记录"
    switch_to_english(page)
    page.goto(site + f"/ledger/issues/{issue.pk}/")
    page.click("#quick-items summary")
    assert overflow(page) == 0
    shot(page, f"records-quick-items-{screen}-en")
    context.close()
