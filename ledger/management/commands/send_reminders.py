"""The daily reminder run: due dates, red lights, escalation, what waits for a decision."""

import datetime

from django.core.management.base import BaseCommand, CommandError

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
        sent = send_reminders(date)
        labels = dict(Notification.Kind.choices)
        for kind, count in sorted(sent.items()):
            self.stdout.write(f"{kind} ({labels[kind]}): {count}")
        self.stdout.write(f"{sum(sent.values())} notification(s) created.")
        delivered = deliver_pending()
        self.stdout.write(
            f"{delivered['emails']} email digest(s) sent, {delivered['posts']} group message(s) posted"
            f" ({delivered['email_failures']} email and {delivered['post_failures']} robot failure(s))."
        )
