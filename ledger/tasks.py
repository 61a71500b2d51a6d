"""Background generation of big PDF reports (django-tasks, database backend).

A report with more items than ``LEDGER_PDF_BACKGROUND_ITEMS`` would hold a web worker for tens of
seconds (5,000 rows take about half a minute), so the view records a :class:`ReportJob` and
enqueues :func:`generate_report`; the worker (``manage.py db_worker``) calls the same builder as
the view (``ledger.report_builders``) with the job's user, query string and language, and stores
the PDF. The builder reports the share of the rendering done, which moves the job's progress bar.
"""

import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from .models import ReportJob
from .report_builders import build

# The job's progress bar: 5 % once started, 95 % when the PDF is rendered, 100 % when stored.
STARTED, RENDERED = 5, 95
# Fewer writes: the bar moves by steps of at least this many points.
PROGRESS_STEP = 5


class ProgressBar:
    """Moves the job's progress as the builder reports the share of the rendering done."""

    def __init__(self, job):
        self.job = job

    def __call__(self, done):
        progress = STARTED + int((RENDERED - STARTED) * min(max(done, 0.0), 1.0))
        if progress >= self.job.progress + PROGRESS_STEP:
            self.job.progress = progress
            self.job.heartbeat_at = timezone.now()
            self.job.save(update_fields=["progress", "heartbeat_at"])


@task()
def generate_report(job_id):
    """Render the report of a :class:`ReportJob` and store its file."""
    job = ReportJob.objects.select_related("user").get(pk=job_id)
    job.status = ReportJob.Status.RUNNING
    job.progress = STARTED
    job.heartbeat_at = timezone.now()
    job.save(update_fields=["status", "progress", "heartbeat_at"])
    try:
        content, filename = build(
            job.kind, job.user, job.query, language=job.language, progress=ProgressBar(job)
        )
    except Exception as error:
        job.status = ReportJob.Status.FAILED
        job.error = repr(error)[:1000]
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
        raise
    job.file.save(filename, ContentFile(content), save=False)
    job.filename = filename
    job.status = ReportJob.Status.DONE
    job.progress = 100
    job.finished_at = timezone.now()
    job.save(update_fields=["file", "filename", "status", "progress", "finished_at"])
    return str(job.pk)


# The error a job whose worker died is failed with (`fail_lost_jobs`; the page explains it).
WORKER_LOST = ReportJob.WORKER_LOST


def fail_lost_jobs(jobs=None, now=None):
    """Mark failed, with a message, the running jobs whose worker gave no sign for
    LEDGER_REPORT_LEASE_SECONDS (see `ReportJob.worker_lost`); the user may start them again.
    Called by the job's page and by `prune_report_jobs`. Returns how many were failed."""
    now = now or timezone.now()
    jobs = ReportJob.objects.filter(status=ReportJob.Status.RUNNING) if jobs is None else jobs
    failed = 0
    for job in jobs:
        if job.worker_lost(now):
            job.status = ReportJob.Status.FAILED
            job.error = WORKER_LOST
            job.finished_at = now
            job.save(update_fields=["status", "error", "finished_at"])
            failed += 1
    return failed


# --- The daily reminder run (`ledger.reminders`) ---------------------------------------------
# No scheduler of our own: the task runs the reminders, then enqueues itself for the next day
# (`run_after`) in the same worker that generates reports. `manage.py schedule_reminders` starts
# the chain once (`make run` calls it); a task already waiting is never enqueued twice.


def next_run_at(now=None):
    """The next LEDGER_REMINDER_HOUR o'clock, local time, after `now`."""
    now = timezone.localtime(now)
    at = now.replace(hour=settings.LEDGER_REMINDER_HOUR, minute=0, second=0, microsecond=0)
    return at if at > now else at + datetime.timedelta(days=1)


def waiting_reminder_runs():
    """The reminder tasks enqueued and not started yet."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=daily_reminders.module_path, status=TaskResultStatus.READY)


def schedule_reminders(run_after=None):
    """Enqueue the reminder task (at `run_after`, or at once) unless one is waiting already.
    Returns the task's result handle, or None when one was waiting."""
    with transaction.atomic():
        if waiting_reminder_runs().select_for_update().exists():
            return None
        task = daily_reminders if run_after is None else daily_reminders.using(run_after=run_after)
        return task.enqueue()


@task()
def daily_reminders():
    """Send the day's reminders, then come back tomorrow."""
    from .delivery import deliver_pending
    from .reminders import send_reminders

    try:
        sent = send_reminders()
        delivered = deliver_pending()
    finally:
        # A failing run is retried tomorrow rather than ending the chain.
        schedule_reminders(run_after=next_run_at())
    return {**{str(kind): count for kind, count in sent.items()}, **delivered}
