"""The worker's task results in the admin: a superuser may delete a finished one (the delete
page answered 403), never one waiting or running."""

import pytest
from django.urls import reverse
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from ledger import tasks
from tests.factories import UserFactory


@pytest.fixture
def superuser_client(client, db):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    return client


def _result(status):
    result = tasks.generate_report.enqueue("00000000-0000-0000-0000-000000000000")
    DBTaskResult.objects.filter(pk=result.id).update(status=status)
    return DBTaskResult.objects.get(pk=result.id)


def test_a_superuser_deletes_a_finished_result(superuser_client):
    finished = _result(TaskResultStatus.SUCCESSFUL)
    url = reverse("admin:django_tasks_database_dbtaskresult_delete", args=[finished.pk])
    assert superuser_client.get(url).status_code == 200
    assert superuser_client.post(url, {"post": "yes"}).status_code == 302
    assert not DBTaskResult.objects.filter(pk=finished.pk).exists()


@pytest.mark.parametrize("status", [TaskResultStatus.READY, TaskResultStatus.RUNNING])
def test_a_waiting_or_running_result_is_not_deleted(superuser_client, status):
    pending = _result(status)
    url = reverse("admin:django_tasks_database_dbtaskresult_delete", args=[pending.pk])
    assert superuser_client.get(url).status_code == 403
    superuser_client.post(
        reverse("admin:django_tasks_database_dbtaskresult_changelist"),
        {"action": "delete_selected", "_selected_action": [pending.pk], "post": "yes"},
    )
    assert DBTaskResult.objects.filter(pk=pending.pk).exists()


def test_staff_without_superuser_rights_may_not(client, db):
    client.force_login(UserFactory(is_staff=True))
    finished = _result(TaskResultStatus.FAILED)
    url = reverse("admin:django_tasks_database_dbtaskresult_delete", args=[finished.pk])
    assert client.get(url).status_code in (302, 403)
    assert DBTaskResult.objects.filter(pk=finished.pk).exists()
