"""Background generation of big PDF reports (django-tasks, database backend).

A report with more items than ``LEDGER_PDF_BACKGROUND_ITEMS`` would hold a web worker for tens of
seconds (5,000 rows take about half a minute), so the view records a :class:`ReportJob` and
enqueues :func:`generate_report`; the worker (``manage.py db_worker``) calls the same builder as
the view (``ledger.report_builders``) with the job's user, query string and language, and stores
the PDF. The builder reports the share of the rendering done, which moves the job's progress bar.
"""

from django.core.files.base import ContentFile
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
            self.job.save(update_fields=["progress"])


@task()
def generate_report(job_id):
    """Render the report of a :class:`ReportJob` and store its file."""
    job = ReportJob.objects.select_related("user").get(pk=job_id)
    job.status = ReportJob.Status.RUNNING
    job.progress = STARTED
    job.save(update_fields=["status", "progress"])
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
