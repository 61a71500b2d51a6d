"""Browser journey: an administrator finds a meeting in the admin, where the ledger's records are
read-only, follows its "View on site" link to the meeting page and corrects it there, through
the workflow, with a reason; the admin's history then shows the edit and its reason. On a desktop
in Chinese and on a 375-px phone in English."""

import pytest

from ledger.models import Meeting
from tests.factories import MeetingFactory, UserFactory
from tests.test_browser import (  # noqa: F401 (fixtures)
    CHINESE,
    PASSWORD,
    browser_type_launch_args,
    restore_migrated_data,
    shot,
    site,
)

pytestmark = pytest.mark.filterwarnings("ignore:No directory at:UserWarning")  # no collectstatic in tests

SCREENS = {
    "desktop-zh": ({"viewport": {"width": 1280, "height": 900}, **CHINESE}, "管理员更正的题目", "题目写错了"),
    "phone-en": (
        {"viewport": {"width": 375, "height": 667}, "locale": "en-US", "timezone_id": "Asia/Shanghai"},
        "Topic corrected by the administrator",
        "Typo in the topic",
    ),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("screen", list(SCREENS))
def test_an_administrator_corrects_a_meeting_on_the_ledger_not_in_the_admin(browser, site, world, screen):  # noqa: F811
    options, topic, reason = SCREENS[screen]
    UserFactory(username="root", full_name="系统管理员", is_superuser=True, is_staff=True)
    meeting = MeetingFactory(organization=world.branch, topic="专题组织生活会（题目有误）")
    context = browser.new_context(**options)
    page = context.new_page()
    page.goto(site + "/accounts/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(site + "/")

    # The admin shows the meeting read-only: no save button, a link to where it is corrected.
    page.goto(f"{site}/admin/ledger/meeting/{meeting.pk}/change/")
    assert page.locator("input[name=_save]").count() == 0
    assert page.locator("#id_topic").count() == 0  # shown as text, not as a field
    shot(page, f"admin-meeting-read-only-{screen}")
    page.click("a.viewsitelink")
    page.wait_for_url(f"{site}/ledger/meetings/{meeting.pk}/")

    # The meeting page: edit through the workflow, with a reason.
    page.click(f"a[href='/ledger/meetings/{meeting.pk}/edit/']")
    page.wait_for_url(f"{site}/ledger/meetings/{meeting.pk}/edit/")
    page.fill("#id_topic", topic)
    page.fill("#id_reason", reason)
    shot(page, f"admin-meeting-edit-{screen}")
    page.click("main form button.btn-primary[type=submit]")
    page.wait_for_url(f"{site}/ledger/meetings/{meeting.pk}/")
    assert topic in page.content()
    shot(page, f"admin-meeting-corrected-{screen}")

    meeting = Meeting.objects.get(pk=meeting.pk)
    assert (meeting.topic, meeting.version) == (topic, 2)
    edited = meeting.history.latest()
    assert (edited.history_action, edited.history_user.username, edited.history_change_reason) == (
        "edit",
        "root",
        reason,
    )
    # The admin's history view lists the edit with its reason.
    page.goto(f"{site}/admin/ledger/meeting/{meeting.pk}/history/")
    assert reason in page.content()
    shot(page, f"admin-meeting-history-{screen}")
    context.close()
