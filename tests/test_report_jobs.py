"""Big reports are generated in the background: the GET offers it (no side effect), a POST queues
it, the worker renders it, the progress page offers the file to the requester only."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.urls import reverse

from ledger.models import ReportJob
from tests import pdfs
from tests.reportdata import SIBLING_TEXT, populate

URL = reverse("ledger:report_pdf")
START = reverse("ledger:start_report_job")


@pytest.fixture(autouse=True)
def small_threshold(settings, tmp_path):
    settings.LEDGER_PDF_BACKGROUND_ITEMS = 2
    settings.LEDGER_PDF_STRICT_GLYPHS = True
    settings.MEDIA_ROOT = tmp_path


def test_a_big_report_is_offered_in_the_background_without_side_effects(client, world):
    populate(world)
    client.force_login(world.committee)
    response = client.get(URL, {"category": ""})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert 'name="kind" value="ledger"' in response.content.decode()
    assert not ReportJob.objects.exists()


@pytest.fixture
def categories():
    # A transactional test before this one may have flushed the rows the data migration made.
    migration = importlib.import_module("ledger.migrations.0001_initial")
    migration.add_categories(django_apps, None)


@pytest.mark.django_db(transaction=True)
def test_the_worker_generates_the_report_for_its_requester(client, categories, world):
    populate(world)
    client.force_login(world.committee)
    response = client.post(START, {"kind": "ledger", "query": "kind=by_deadline"})
    job = ReportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("ledger:report_job", args=[job.pk])
    assert job.status == ReportJob.Status.PENDING
    page = client.get(response["Location"])
    assert 'http-equiv="refresh"' in page.content.decode()

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    job.refresh_from_db()
    assert job.status == ReportJob.Status.DONE, job.error
    assert job.progress == 100
    page = client.get(reverse("ledger:report_job", args=[job.pk])).content.decode()
    assert 'http-equiv="refresh"' not in page
    assert reverse("ledger:report_job_file", args=[job.pk]) in page
    pdf = b"".join(client.get(reverse("ledger:report_job_file", args=[job.pk])).streaming_content)
    text = pdfs.squeezed(pdfs.text(pdf))
    assert "组织全员重新学习作业规程" in text
    assert SIBLING_TEXT not in text
    assert "李明" in text  # printed by the requester
    # Nobody else sees the job or its file.
    client.force_login(world.company_committee)
    assert client.get(reverse("ledger:report_job", args=[job.pk])).status_code == 404
    assert client.get(reverse("ledger:report_job_file", args=[job.pk])).status_code == 404


def test_the_file_is_not_offered_before_it_is_ready(client, world):
    client.force_login(world.committee)
    job = ReportJob.objects.create(user=world.committee, kind="ledger", language="zh-hans")
    assert client.get(reverse("ledger:report_job_file", args=[job.pk])).status_code == 404


def test_start_refuses_bad_input_and_plain_members(client, world):
    client.force_login(world.committee)
    assert client.post(START, {"kind": "passwords", "query": ""}).status_code == 400
    assert client.post(START, {"kind": "ledger", "query": "due_within=many"}).status_code == 400
    client.force_login(world.member)
    assert client.post(START, {"kind": "ledger", "query": ""}).status_code == 403
    assert not ReportJob.objects.exists()


def test_wrong_methods(client, world):
    client.force_login(world.committee)
    job = ReportJob.objects.create(user=world.committee, kind="ledger", language="zh-hans")
    assert client.get(START).status_code == 405
    assert client.post(reverse("ledger:report_job", args=[job.pk])).status_code == 405
    assert client.post(reverse("ledger:report_job_file", args=[job.pk])).status_code == 405
