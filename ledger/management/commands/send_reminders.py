"""The daily reminder run: due dates, red lights, escalation, what waits for a decision."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from ledger.delivery import deliver_pending
from ledger.models import Notification
from ledger.reminders import send_reminders


def _date(value):
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date {value!r} is not a date (YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = (
        "Remind owners of items due soon, tell owners, leaders and committees of items that turned "
        "red or overdue, escalate overdue items up the tree, and remind committees and leaders of "
        "what waits for them (ledger/reminders.py). Safe to run any number of times a day: nobody is "
        "told the same thing twice; a run after missed days catches up once. Then sends what is "
        "pending by email and to the group robots (as deliver_notifications does)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", type=_date, help="Run as on this day (YYYY-MM-DD); default today.")

    def handle(self, *args, date=None, **options):
        # The summary speaks one language, the active one (Chinese unless the environment or the
        # caller chooses another), as import_ledger's does: the kinds by their labels, no codes.
        sent = send_reminders(date)
        for kind, count in sorted(sent.items()):
            label = Notification.Kind(kind).label
            self.stdout.write(_("{kind}: {count}").format(kind=label, count=count))
        self.stdout.write(_("{count} notification(s) created.").format(count=sum(sent.values())))
        delivered = deliver_pending()
        self.stdout.write(
            _(
                "{emails} email digest(s) sent, {posts} group message(s) posted ({email_failures} "
                "email and {post_failures} robot failure(s))."
            ).format(**delivered)
        )
