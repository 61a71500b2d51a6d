"""A report job whose worker died (killed mid-report) is detected by its heartbeat: the page
says so instead of "being generated" forever, and offers to start it again."""

import datetime

from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from ledger import tasks
from ledger.models import ReportJob


def _running_job(user, beat_ago):
    return ReportJob.objects.create(
        user=user,
        kind="ledger",
        query="status=open",
        language="zh-hans",
        status=ReportJob.Status.RUNNING,
        progress=20,
        heartbeat_at=timezone.now() - beat_ago,
    )


def test_a_job_with_a_recent_heartbeat_keeps_running(client, world):
    job = _running_job(world.committee, datetime.timedelta(seconds=30))
    client.force_login(world.committee)
    page = client.get(reverse("ledger:report_job", args=[job.pk])).content.decode()
    assert "正在生成" in page or "20%" in page
    job.refresh_from_db()
    assert job.status == ReportJob.Status.RUNNING


def test_a_job_whose_worker_died_is_failed_with_a_message_and_can_be_started_again(client, world, settings):
    settings.LEDGER_REPORT_LEASE_SECONDS = 300
    job = _running_job(world.committee, datetime.timedelta(seconds=301))
    client.force_login(world.committee)
    response = client.get(reverse("ledger:report_job", args=[job.pk]))
    page = response.content.decode()
    assert "生成此报告的后台进程在完成前已停止。" in page
    assert 'http-equiv="refresh"' not in page
    job.refresh_from_db()
    assert (job.status, job.error) == (ReportJob.Status.FAILED, ReportJob.WORKER_LOST)
    assert 'name="query" value="status=open"' in page
    again = client.post(reverse("ledger:start_report_job"), {"kind": job.kind, "query": job.query})
    assert again.status_code == 302
    new = ReportJob.objects.exclude(pk=job.pk).get()
    assert (new.status, new.query, new.user) == (ReportJob.Status.PENDING, "status=open", world.committee)


def test_prune_report_jobs_fails_the_lost_ones(world):
    lost = _running_job(world.committee, datetime.timedelta(hours=1))
    alive = _running_job(world.committee, datetime.timedelta(seconds=5))
    call_command("prune_report_jobs")
    lost.refresh_from_db()
    alive.refresh_from_db()
    assert lost.status == ReportJob.Status.FAILED
    assert alive.status == ReportJob.Status.RUNNING


def test_the_worker_beats_as_it_starts(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    job = ReportJob.objects.create(user=world.committee, kind="ledger", query="", language="zh-hans")
    tasks.generate_report.call(str(job.pk))
    job.refresh_from_db()
    assert job.heartbeat_at is not None
    assert job.status == ReportJob.Status.DONE
