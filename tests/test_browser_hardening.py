"""Browser journeys of two screens of the hardening (issue 16), in Chromium (see
tests/test_browser.py for the set-up), on a desktop and on a 375-px phone:

- a late progress post: the owner types progress on the item page while the committee withdraws
  or closes the item; pressing the button answers 409 with the refusal, who changed the item and
  why, and the typed text shown back (nothing saved);
- a report job whose worker died: its page says it failed and why, and "重新生成" queues a new
  job for the same report.

Screenshots go to `artifacts/`."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from ledger import workflow
from ledger.models import Item, ReportJob
from tests import test_browser
from tests.factories import IssueFactory, make_item
from tests.test_browser import CHINESE, log_in, shot

# The journeys' fixtures: Debian's Chromium, the live server, the categories put back.
browser_type_launch_args = test_browser.browser_type_launch_args
restore_migrated_data = test_browser.restore_migrated_data
site = test_browser.site

pytestmark = pytest.mark.filterwarnings("ignore:No directory at:UserWarning")  # no collectstatic in tests

SCREENS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True},
}
TYPED = "井下更换制动闸瓦8副，试闸正常，点检记录已补齐"


def no_sideways_scrolling(page):
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def withdraw_meanwhile(world, item):
    workflow.withdraw(world.committee, item, reason="与第3项重复，合并办理")
    return "与第3项重复，合并办理"


def close_meanwhile(world, item):
    workflow.post_progress(world.owner, item, text="闸瓦已全部更换", percent=100)
    workflow.submit(world.owner, Item.objects.get(pk=item.pk), note="已完成")
    workflow.close(world.committee, Item.objects.get(pk=item.pk), note="现场核实，同意销号")
    return "现场核实，同意销号"


MEANWHILE = {"withdrawn": withdraw_meanwhile, "closed": close_meanwhile}
STATUS = {"withdrawn": Item.Status.WITHDRAWN, "closed": Item.Status.CLOSED}


@pytest.mark.parametrize(
    ("screen", "change"), [("desktop", "withdrawn"), ("phone", "closed"), ("phone", "withdrawn")]
)
@pytest.mark.django_db(transaction=True)
def test_a_late_progress_post_shows_why_and_gives_the_text_back(browser, site, world, screen, change):
    item = make_item(
        world.committee,
        IssueFactory(organization=world.branch, description="主井提升机制动闸瓦磨损超限"),
        owner=world.owner,
        leader=world.leader,
    )
    context = browser.new_context(**SCREENS[screen], **CHINESE)
    page = context.new_page()
    log_in(page, site, "owner")
    page.goto(f"{site}/ledger/items/{item.pk}/")
    page.click("#action-post_progress summary")
    page.fill("#post-progress-text", TYPED)
    page.fill("#post-progress-percent", "70")

    # Meanwhile the committee withdraws or closes the item, through the one writer.
    reason = MEANWHILE[change](world, item)
    updates_before = item.updates.count()

    with page.expect_response(lambda response: response.url.endswith("/progress/")) as answer:
        page.locator("#action-post_progress button[type=submit]").click()
    assert answer.value.status == 409
    notice = page.locator("#late-post")
    notice.wait_for()
    shot(page, f"40-late-progress-{change}-{screen}")
    notice.screenshot(path=str(test_browser.ARTIFACTS / f"40-late-progress-{change}-{screen}-notice.png"))
    text = notice.inner_text()
    assert "其他人修改了该事项" in text  # the conflict
    assert f"事项处于“{STATUS[change].label}”状态，不能“填报进展”。" in text  # the refusal
    assert "李明 在此期间作了更改。" in text  # who changed it
    assert "原因：" in text and reason in text  # and why
    assert page.input_value("#late-post-text") == TYPED  # what was typed, to copy
    assert page.locator("#late-post-text").is_visible()
    assert page.locator("#late-post-text").get_attribute("readonly") is not None
    assert page.locator("#action-post_progress").count() == 0  # no progress form on a closed item
    assert no_sideways_scrolling(page)

    # Nothing was saved: the item stays as the committee left it, without the late text.
    item.refresh_from_db()
    assert item.status == STATUS[change]
    assert item.updates.count() == updates_before
    assert not item.updates.filter(text=TYPED).exists()
    context.close()


@pytest.mark.parametrize("screen", ["desktop", "phone"])
@pytest.mark.django_db(transaction=True)
def test_a_report_whose_worker_died_says_so_and_starts_again(browser, site, world, settings, screen):
    settings.LEDGER_REPORT_LEASE_SECONDS = 300
    lost = ReportJob.objects.create(
        user=world.committee,
        kind="ledger",
        query="status=open",
        language="zh-hans",
        status=ReportJob.Status.RUNNING,
        progress=20,
        heartbeat_at=timezone.now() - datetime.timedelta(seconds=301),
    )
    context = browser.new_context(**SCREENS[screen], **CHINESE)
    page = context.new_page()
    log_in(page, site, "branch_secretary")
    page.goto(site + reverse("ledger:report_job", args=[lost.pk]))

    main = page.locator("main")
    assert "生成失败" in main.inner_text()  # failed,
    assert "生成此报告的后台进程在完成前已停止。" in main.inner_text()  # with the reason
    assert "正在生成" not in main.inner_text()
    assert page.locator("meta[http-equiv=refresh]").count() == 0  # it does not refresh forever
    again = page.get_by_role("button", name="重新生成")
    assert again.is_visible()
    assert no_sideways_scrolling(page)
    shot(page, f"41-report-worker-lost-{screen}")
    lost.refresh_from_db()
    assert (lost.status, lost.error) == (ReportJob.Status.FAILED, ReportJob.WORKER_LOST)

    # Started again: a new job for the same report, its own page waiting for a worker.
    again.click()
    page.wait_for_url(lambda url: str(lost.pk) not in url and "/ledger/reports/" in url)
    new = ReportJob.objects.exclude(pk=lost.pk).get()
    assert (new.status, new.kind, new.query, new.user) == (
        ReportJob.Status.PENDING,
        "ledger",
        "status=open",
        world.committee,
    )
    assert page.url.endswith(reverse("ledger:report_job", args=[new.pk]))
    assert "生成此报告的后台进程在完成前已停止。" not in page.locator("main").inner_text()
    assert page.locator("meta[http-equiv=refresh]").count() == 1  # waiting, it refreshes itself
    shot(page, f"42-report-started-again-{screen}")
    lost.refresh_from_db()
    assert lost.status == ReportJob.Status.FAILED  # the lost one stays as it was
    context.close()
