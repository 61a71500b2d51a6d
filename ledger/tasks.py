"""Background generation of big PDF reports (django-tasks, database backend).

A report with more items than ``LEDGER_PDF_BACKGROUND_ITEMS`` would hold a web worker for tens of
seconds (5,000 rows take about half a minute), so the view records a :class:`ReportJob` and
enqueues :func:`generate_report`; the worker (``manage.py db_worker``) rebuilds the same request
(same user, same query string, same language), renders the PDF and stores it. WeasyPrint's
progress log ("Step 1" … "Step 6") moves the job's progress bar.
"""

import logging
import threading

from django.core.files.base import ContentFile
from django.http import HttpRequest, QueryDict
from django.utils import timezone, translation
from django_tasks import task

from .models import ReportJob

# WeasyPrint's six steps, and the progress each one has reached when it starts.
STEP_PROGRESS = {1: 10, 2: 20, 3: 30, 4: 40, 5: 50, 6: 85}


class _StepWatcher(logging.Handler):
    """Moves the job's progress when WeasyPrint starts a new step (at most six writes)."""

    def __init__(self, job):
        super().__init__(level=logging.INFO)
        self.job = job
        self.thread = threading.get_ident()

    def emit(self, record):
        if record.thread != self.thread:
            return
        message = str(record.msg)
        if message.startswith("Step ") and message[5:6].isdigit():
            progress = STEP_PROGRESS.get(int(message[5]), 0)
            if progress > self.job.progress:
                self.job.progress = progress
                self.job.save(update_fields=["progress"])


def rebuild_request(job):
    """A GET request carrying the job's user and query string, for the same FilterSet."""
    request = HttpRequest()
    request.method = "GET"
    request.GET = QueryDict(job.query)
    request.user = job.user
    request.LANGUAGE_CODE = job.language
    return request


@task()
def generate_report(job_id):
    """Render the report of a :class:`ReportJob` and store its file."""
    from .views.reports import BUILDERS

    job = ReportJob.objects.select_related("user").get(pk=job_id)
    job.status = ReportJob.Status.RUNNING
    job.progress = 5
    job.save(update_fields=["status", "progress"])
    progress_logger = logging.getLogger("weasyprint.progress")
    watcher = _StepWatcher(job)
    previous_level = progress_logger.level
    progress_logger.addHandler(watcher)
    progress_logger.setLevel(logging.INFO)
    try:
        with translation.override(job.language):
            content, filename = BUILDERS[job.kind](rebuild_request(job))
    except Exception as error:
        job.status = ReportJob.Status.FAILED
        job.error = repr(error)[:1000]
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
        raise
    finally:
        progress_logger.removeHandler(watcher)
        progress_logger.setLevel(previous_level)
    job.file.save(filename, ContentFile(content), save=False)
    job.filename = filename
    job.status = ReportJob.Status.DONE
    job.progress = 100
    job.finished_at = timezone.now()
    job.save(update_fields=["file", "filename", "status", "progress", "finished_at"])
    return str(job.pk)
