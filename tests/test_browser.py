"""Browser tests: Playwright driving Debian's Chromium against the live server.

The committee member logs a meeting with three issues and turns them into items; the owner, on a
375×667 phone screen, posts progress with a photo and submits; the committee member closes the
item; the history shows all of it. Every step leaves a screenshot in `artifacts/` (not committed).
"""

import datetime
import importlib
import os
import shutil
import struct
import zlib
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.utils import timezone

from ledger import workflow
from ledger.models import Attendance, Issue, Item, Meeting
from tests.factories import IssueFactory, MeetingFactory, category, make_item

pytestmark = pytest.mark.filterwarnings("ignore:No directory at:UserWarning")  # no collectstatic in tests

# The live server runs in a thread beside Playwright's event loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(settings.BASE_DIR) / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# The browsers of the mine's offices: Chinese, on Beijing time.
CHINESE = {"locale": "zh-CN", "timezone_id": "Asia/Shanghai"}
PASSWORD = "pass-for-tests"  # tests.factories.UserFactory


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium: Playwright cannot download its own browsers here."""
    return {**browser_type_launch_args, "executable_path": shutil.which("chromium"), "args": CHROMIUM_ARGS}


def load_default_categories():
    """What the data migration loads; a transactional test empties every table when it ends."""
    migration = importlib.import_module("ledger.migrations.0001_initial")
    migration.add_categories(django_apps, None)


@pytest.fixture(scope="module", autouse=True)
def restore_migrated_data(django_db_setup, django_db_blocker):
    """Put the default categories back for the transactional tests that run after this module
    (the function-scoped flush has happened by the time a module-scoped fixture ends)."""
    yield
    with django_db_blocker.unblock():
        load_default_categories()


@pytest.fixture
def site(live_server, settings, tmp_path):
    load_default_categories()  # in case a transactional test ran before this one
    settings.MEDIA_ROOT = tmp_path
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    ARTIFACTS.mkdir(exist_ok=True)
    return live_server.url


def photo_png(width=96, height=64):
    """A small real PNG (a red-brown block), like a photo taken on site."""
    rows = b"".join(b"\x00" + bytes((160, 60, 40)) * width for _ in range(height))

    def chunk(tag, data):
        return (
            struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def shot(page, name):
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def log_in(page, site, username):
    page.goto(site + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    # Where a user lands depends on who they are (an owner lands on /ledger/mine/).
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


@pytest.mark.django_db(transaction=True)
def test_a_meeting_becomes_items_that_the_owner_works_on_and_the_committee_closes(browser, site, world):
    today = timezone.localdate()

    # 1. The committee member logs a meeting with three issues on one page.
    committee = browser.new_context(viewport={"width": 1280, "height": 900}, **CHINESE)
    page = committee.new_page()
    log_in(page, site, "branch_secretary")
    shot(page, "01-dashboard")
    page.goto(site + "/ledger/meetings/new/")
    page.select_option("#id_organization", str(world.branch.pk))
    page.select_option("#id_meeting_type", Meeting.Type.ORGANIZATION_LIFE)
    page.fill("#id_topic", "2026年度专题组织生活会")
    page.fill("#id_held_on", (today - datetime.timedelta(days=1)).isoformat())
    descriptions = ["班前会安全讲评流于形式", "井下作业规程学习不深入", "党员先锋岗作用发挥不明显"]
    for index, description in enumerate(descriptions):
        page.select_option(f"#id_issues-{index}-source", Issue.Source.CRITICISM)
        page.select_option(f"#id_issues-{index}-category", index=1)
        page.fill(f"#id_issues-{index}-description", description)
    page.click("#add-issue")  # a fourth row, left empty: ignored
    assert page.locator(".issue-row").count() == 4
    shot(page, "02-meeting-form")
    page.click("form button[type=submit].btn-primary")
    page.wait_for_url(site + "/ledger/meetings/*/")
    meeting = Meeting.objects.get()
    issues = list(meeting.issues.order_by("pk"))
    assert [issue.description for issue in issues] == descriptions

    # 2. Each issue becomes an item; the owner is found by name through the htmx search.
    deadline = (today + datetime.timedelta(days=30)).isoformat()
    for issue in issues:
        page.click(f"#issue-{issue.pk} summary")
        page.fill(f"#i-{issue.pk}-measures", f"针对“{issue.description}”制定整改措施")
        page.fill(f"#i-{issue.pk}-department", "机运工区")
        search = page.locator(f"#issue-{issue.pk} input[type=search]").nth(1)  # leader, then owner
        search.fill("王")
        page.wait_for_function(f"document.querySelectorAll('#i-{issue.pk}-owner option').length === 2")
        page.select_option(f"#i-{issue.pk}-owner", str(world.owner.pk))
        page.fill(f"#i-{issue.pk}-deadline", deadline)
        if issue == issues[0]:
            shot(page, "03-create-item")
        page.click(f"#issue-{issue.pk} form button[type=submit]")
        page.wait_for_selector(f"#issue-{issue.pk} li a")
    shot(page, "04-meeting-with-items")
    assert Item.objects.filter(owner=world.owner).count() == 3
    item = Item.objects.get(issue=issues[0])

    # 3. The owner, on a phone, posts progress with a photo and submits.
    phone = browser.new_context(
        viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True, **CHINESE
    )
    mobile = phone.new_page()
    log_in(mobile, site, "owner")
    mobile.goto(site + "/ledger/mine/")
    card = mobile.locator(f"#item-{item.pk}")
    if not card.locator("details").first.evaluate("element => element.open"):
        card.locator("summary").first.click()
    card.locator(f"#text-{item.pk}").fill("已组织全员重新学习作业规程，闭卷考试全部合格")
    card.locator(f"#percent-{item.pk}").fill("100")
    card.locator(f"#files-{item.pk}").set_input_files(
        files=[{"name": "现场照片.png", "mimeType": "image/png", "buffer": photo_png()}]
    )
    shot(mobile, "05-owner-posts-progress")
    card.locator("form[action$='/progress/'] button[type=submit]").click()
    mobile.wait_for_selector(".alert-success")
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling
    card = mobile.locator(f"#item-{item.pk}")
    card.locator("details", has=mobile.locator("form[action$='/submit/']")).locator("summary").click()
    card.locator(f"#submit-note-{item.pk}").fill("规程学习和闭卷考试已全部完成")
    card.locator("form[action$='/submit/'] button[type=submit]").click()
    mobile.wait_for_selector(".alert-success")
    shot(mobile, "06-owner-submitted")
    item.refresh_from_db()
    assert item.status == Item.Status.SUBMITTED
    assert item.evidence.get().original_name == "现场照片.png"

    # 4. The committee member verifies and closes it.
    page.goto(site + f"/ledger/items/{item.pk}/")
    page.click("#action-close summary")
    page.fill("#close-note", "现场核实，学习记录和考试试卷齐全，同意销号")
    shot(page, "07-close-form")
    page.click("#action-close button[type=submit]")
    page.wait_for_selector(".alert-success")
    shot(page, "08-closed")
    item.refresh_from_db()
    assert item.status == Item.Status.CLOSED

    # 5. The history shows all of it.
    page.goto(site + f"/ledger/items/{item.pk}/history/")
    entries = page.locator(".history-entry")
    # Created, progress posted (with its photo and the item's new state), submitted, closed.
    assert entries.count() == 4
    text = page.locator(".timeline").inner_text()
    for expected in ("李明", "王强", "现场照片.png", "已组织全员重新学习作业规程", "同意销号"):
        assert expected in text, expected
    shot(page, "09-history")
    committee.close()
    phone.close()


@pytest.mark.django_db(transaction=True)
def test_an_inspection_issue_is_logged_without_a_meeting_and_becomes_an_item(browser, site, world):
    today = timezone.localdate()
    committee = browser.new_context(viewport={"width": 1280, "height": 900}, **CHINESE)
    page = committee.new_page()
    log_in(page, site, "branch_secretary")

    # 1. From the navigation to the issues, then the page for issues found outside meetings.
    page.click("#main-nav a[href='/ledger/issues/']")
    page.click("a[href='/ledger/issues/new/']")
    page.select_option("#id_organization", str(world.branch.pk))
    page.fill("#id_raised_on", (today - datetime.timedelta(days=3)).isoformat())
    found = ["巡察发现：安全生产责任制落实不到位", "巡察发现：党费收缴台账不规范"]
    page.click("#add-issue")  # a fourth row, for the second finding's neighbour: left empty
    for index, description in enumerate(found):
        page.select_option(f"#id_issues-{index}-category", index=1)
        page.fill(f"#id_issues-{index}-description", description)
    assert page.input_value("#id_issues-0-source") == Issue.Source.INSPECTION
    assert page.locator(".issue-row").count() == 4
    shot(page, "10-inspection-issues-form")
    page.click("form button[type=submit].btn-primary")
    page.wait_for_url(site + f"/ledger/issues/?organization={world.branch.pk}")
    shot(page, "11-issue-list")
    issues = list(Issue.objects.order_by("pk"))
    assert [(issue.description, issue.meeting_id) for issue in issues] == [(text, None) for text in found]

    # 2. On the issue's page, an item is created with the meeting page's form.
    issue = issues[0]
    page.click(f"a[href='/ledger/issues/{issue.pk}/']")
    page.click(f"#issue-{issue.pk} summary")
    page.fill(f"#i-{issue.pk}-measures", "修订安全生产责任制，逐级签订责任书")
    page.fill(f"#i-{issue.pk}-department", "安全科")
    search = page.locator(f"#issue-{issue.pk} input[type=search]").nth(1)  # leader, then owner
    search.fill("王")
    page.wait_for_function(f"document.querySelectorAll('#i-{issue.pk}-owner option').length === 2")
    page.select_option(f"#i-{issue.pk}-owner", str(world.owner.pk))
    page.fill(f"#i-{issue.pk}-deadline", (today + datetime.timedelta(days=60)).isoformat())
    shot(page, "12-issue-create-item")
    page.click(f"#issue-{issue.pk} form button[type=submit]")
    page.wait_for_selector(".alert-success")
    shot(page, "13-issue-with-item")
    item = Item.objects.get()
    assert (item.issue, item.owner, item.organization) == (issue, world.owner, world.branch)
    assert page.locator(f"#issue-{issue.pk} li a").inner_text() == item.reference
    committee.close()


def phone_ledger(world):
    """Items in every common state, in two units and three categories, with a meeting's attendance."""
    today = timezone.localdate()
    safety, party, style = category("安全"), category("党建"), category("作风")
    long_issue = IssueFactory(
        organization=world.branch,
        category=safety,
        description="主井提升机制动闸瓦磨损超限，日常点检记录不全，交接班时未按规定试闸，存在重大安全隐患",
    )
    late = make_item(
        world.committee,
        long_issue,
        owner=world.owner,
        leader=world.leader,
        measures="更换全部制动闸瓦，修订提升机点检制度，每班交接时试闸并签字，机电科每周抽查一次并通报结果",
    )
    workflow.edit_item(
        world.committee, late, expected_version=late.version, deadline=today - datetime.timedelta(days=2)
    )
    make_item(
        world.committee,
        IssueFactory(organization=world.branch, category=party),
        owner=world.owner,
        deadline=today + datetime.timedelta(days=3),
    )
    moving = make_item(
        world.committee, IssueFactory(organization=world.group, category=style), owner=world.owner
    )
    workflow.post_progress(world.owner, moving, text="已完成一半", percent=40)
    done = make_item(
        world.committee, IssueFactory(organization=world.branch, category=safety), owner=world.owner
    )
    workflow.post_progress(world.owner, done, text="全部完成", percent=100)
    workflow.submit(world.owner, done)
    closed = make_item(
        world.committee, IssueFactory(organization=world.group, category=party), owner=world.member
    )
    workflow.post_progress(world.member, closed, text="全部完成", percent=100)
    workflow.submit(world.member, closed)
    workflow.close(world.committee, closed, note="现场核实，同意销号")
    ongoing = make_item(
        world.committee, IssueFactory(organization=world.branch, category=style), owner=world.member
    )
    workflow.post_progress(world.member, ongoing, text="全部完成", percent=100)
    workflow.submit(world.member, ongoing)
    workflow.close(
        world.committee,
        ongoing,
        note="阶段性完成，长期坚持",
        outcome=Item.Outcome.STAGE_COMPLETED,
        next_review_on=today + datetime.timedelta(days=90),
    )
    meeting = MeetingFactory(organization=world.branch, held_on=today - datetime.timedelta(days=1))
    Attendance.objects.create(meeting=meeting, person=world.member, present=True)
    Attendance.objects.create(meeting=meeting, person=world.owner, present=False, absence_reason="on_shift")
    return Item.objects.count()


def overflow(page):
    """How many pixels the page is wider than the screen (0: no sideways scrolling). A phone
    zooms out to show a page wider than itself, so `innerWidth` alone would grow with it."""
    width = page.evaluate("document.scrollingElement.scrollWidth")
    return width - min(page.evaluate("window.innerWidth"), page.viewport_size["width"])


def switch_to_english(page):
    page.select_option("#language", "en")
    page.click("form[action='/i18n/setlang/'] button[type=submit]")
    page.wait_for_selector("html[lang=en]")


@pytest.mark.django_db(transaction=True)
def test_the_ledger_and_the_dashboard_fit_a_phone_screen(browser, site, world):
    count = phone_ledger(world)
    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, **CHINESE
    )
    page = phone.new_page()
    log_in(page, site, "branch_secretary")
    for language in ("zh", "en"):
        if language == "en":
            switch_to_english(page)
        # The ledger: one card per item instead of the wide table, the whole card a link.
        page.goto(site + "/ledger/")
        cards = page.locator(".ledger-card")
        assert cards.count() == count
        assert cards.first.is_visible()
        assert not page.locator(".ledger-table").is_visible()
        assert overflow(page) <= 0
        shot(page, f"20-phone-ledger-{language}")
        late = cards.filter(has=page.locator(".badge.text-bg-danger"))
        assert late.count() == 1  # the overdue item is marked
        # The dashboard: charts drawn for the phone's width, tables that scroll inside themselves.
        page.goto(site + "/")
        assert overflow(page) <= 0
        narrow = page.locator(".chart-narrow svg")
        assert narrow.count() == 5  # status, trend, organizations, categories, participation
        for index in range(5):
            box = narrow.nth(index).bounding_box()
            assert box["width"] >= 330, box  # not shrunk to a thumbnail
        assert not page.locator(".chart.d-md-block svg").first.is_visible()
        shot(page, f"21-phone-dashboard-{language}")
    # Tapping a card anywhere (here its middle, not the reference) opens the item.
    page.goto(site + "/ledger/")
    page.locator(".ledger-card").first.click()
    page.wait_for_url(site + "/ledger/items/*/")

    # On a desktop screen the table and the wide charts are as they were.
    desktop = browser.new_context(viewport={"width": 1280, "height": 900}, **CHINESE)
    page = desktop.new_page()
    log_in(page, site, "branch_secretary")
    page.goto(site + "/ledger/")
    assert page.locator(".ledger-table tbody tr").count() == count
    assert not page.locator(".ledger-cards").is_visible()
    shot(page, "22-desktop-ledger")
    page.goto(site + "/")
    assert page.locator(".chart.d-md-block svg").count() == 5
    assert not page.locator(".chart-narrow").first.is_visible()
    shot(page, "23-desktop-dashboard")
    phone.close()
    desktop.close()
