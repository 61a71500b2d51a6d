"""The daily reminder run in the background worker: enqueued once, it runs the reminders and
enqueues itself for the next morning; starting it again while one waits does nothing."""

import datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from ledger.models import Item, Notification
from ledger.tasks import daily_reminders, next_run_at
from tests import test_browser
from tests.factories import IssueFactory, make_item

# The transactional test empties every table: the default categories are put back after this
# module, and loaded before the test in case an earlier transactional test emptied them.
restore_migrated_data = test_browser.restore_migrated_data


def runs():
    return list(
        DBTaskResult.objects.filter(task_path=daily_reminders.module_path)
        .order_by("enqueued_at")
        .values_list("status", "run_after")
    )


def test_the_next_run_is_the_next_morning(settings):
    settings.LEDGER_REMINDER_HOUR = 7
    tz = timezone.get_current_timezone()
    before = datetime.datetime(2026, 6, 1, 6, 30, tzinfo=tz)
    after = datetime.datetime(2026, 6, 1, 7, 0, tzinfo=tz)
    assert next_run_at(before) == datetime.datetime(2026, 6, 1, 7, 0, tzinfo=tz)
    assert next_run_at(after) == datetime.datetime(2026, 6, 2, 7, 0, tzinfo=tz)


@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_the_reminders_and_comes_back_tomorrow(world, settings):
    test_browser.load_default_categories()
    settings.LEDGER_REMINDER_HOUR = 7
    tz = timezone.get_current_timezone()
    with time_machine.travel(datetime.datetime(2026, 6, 10, 9, 0, tzinfo=tz), tick=False):
        item = make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
        Item.objects.filter(pk=item.pk).update(deadline=datetime.date(2026, 6, 8))
        out = StringIO()
        call_command("schedule_reminders", "--now", stdout=out)
        assert "enqueued" in out.getvalue()
        out = StringIO()
        call_command("schedule_reminders", "--now", stdout=out)
        assert "already waiting" in out.getvalue()
        assert len(runs()) == 1
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    told = set(
        Notification.objects.filter(kind=Notification.Kind.OVERDUE).values_list(
            "recipient__username", flat=True
        )
    )
    assert told == {"owner", "branch_secretary"}
    # The run done, and the next one waiting for tomorrow morning (both enqueued at the same
    # frozen instant: told apart by their state, not their order).
    by_status = dict(runs())
    assert set(by_status) == {TaskResultStatus.SUCCESSFUL, TaskResultStatus.READY}
    assert by_status[TaskResultStatus.READY] == datetime.datetime(2026, 6, 11, 7, 0, tzinfo=tz)
