"""prune_report_jobs removes old background reports and their files, and nothing else."""

import datetime
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone

from ledger.models import ReportJob
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _job(user, age_days):
    job = ReportJob(user=user, kind="ledger", language="zh-hans", status=ReportJob.Status.DONE)
    job.created_at = timezone.now() - datetime.timedelta(days=age_days)
    job.file.save("ledger.pdf", ContentFile(b"%PDF-1.7 test"), save=False)
    job.save()
    return job


def test_it_deletes_old_jobs_and_their_files(db, tmp_path):
    user = UserFactory()
    old, recent = _job(user, 10), _job(user, 2)
    old_path = tmp_path / old.file.name
    assert old_path.exists()

    out = StringIO()
    call_command("prune_report_jobs", "--days", "7", stdout=out)

    assert "Deleted 1 report job(s)" in out.getvalue()
    assert list(ReportJob.objects.all()) == [recent]
    assert not old_path.exists()
    assert (tmp_path / recent.file.name).exists()
