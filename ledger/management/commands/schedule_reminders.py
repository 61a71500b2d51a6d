"""Start the daily reminder run in the background worker (`manage.py db_worker`)."""

from django.core.management.base import BaseCommand

from ledger.tasks import next_run_at, schedule_reminders


class Command(BaseCommand):
    help = (
        "Enqueue the daily reminder task for the worker (manage.py db_worker): it runs send_reminders "
        "and enqueues itself for the next day at LEDGER_REMINDER_HOUR. Does nothing when a reminder "
        "task is already waiting, so it may run at every start. --now runs the first one at once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--now", action="store_true", help="Run the first reminders at once.")

    def handle(self, *args, now=False, **options):
        result = schedule_reminders(run_after=None if now else next_run_at())
        if result is None:
            self.stdout.write("A reminder task is already waiting: nothing to do.")
        else:
            self.stdout.write(f"Reminder task {result.id} enqueued.")
