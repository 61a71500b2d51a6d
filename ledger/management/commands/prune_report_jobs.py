"""Remove background report jobs, and their PDF files, once they are old."""

import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from ledger.models import ReportJob
from ledger.tasks import fail_lost_jobs


class Command(BaseCommand):
    help = (
        "Delete background report jobs (and their stored PDF files) older than --days days "
        "(default 7), and mark failed the running jobs whose worker died (no sign for "
        "LEDGER_REPORT_LEASE_SECONDS). Reports can always be printed again; the ledger's records are not touched."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=7, help="Keep jobs younger than this.")

    def handle(self, *args, days, **options):
        lost = fail_lost_jobs()
        if lost:
            self.stdout.write(f"Marked {lost} report job(s) failed: their worker died.")
        cutoff = timezone.now() - datetime.timedelta(days=days)
        old = list(ReportJob.objects.filter(created_at__lt=cutoff))
        for job in old:
            if job.file:
                job.file.delete(save=False)
            job.delete()
        self.stdout.write(f"Deleted {len(old)} report job(s) older than {days} day(s).")
