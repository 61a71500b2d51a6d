"""People who acted are deactivated, never deleted: the admin refuses and says why."""

import pytest
from django.urls import reverse

from core.models import User
from ledger import workflow
from ledger.models import Attendance, Item
from tests.factories import IssueFactory, MeetingFactory, UserFactory, make_item


@pytest.fixture
def superuser_client(client, db):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    return client


def test_the_delete_page_of_a_person_who_acted_refuses_and_says_why(superuser_client, world):
    item = make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    workflow.withdraw(world.committee, item, reason="重复录入")
    url = reverse("admin:core_user_delete", args=[world.committee.pk])
    response = superuser_client.post(url, {"post": "yes"}, follow=True)
    assert User.objects.filter(pk=world.committee.pk).exists()
    assert "不能删除" in response.content.decode()
    assert Item.history.filter(history_user=world.committee).count() == 2


def test_an_owner_of_items_is_not_deleted_in_bulk(superuser_client, world):
    make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    response = superuser_client.post(
        reverse("admin:core_user_changelist"),
        {"action": "delete_selected", "_selected_action": [world.owner.pk]},
        follow=True,
    )
    assert User.objects.filter(pk=world.owner.pk).exists()
    assert "不能删除" in response.content.decode()


def test_a_person_who_never_acted_may_be_deleted(superuser_client, db):
    mistake = UserFactory(username="typo")
    response = superuser_client.post(reverse("admin:core_user_delete", args=[mistake.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=mistake.pk).exists()


def test_attendance_is_not_deleted_in_the_admin(superuser_client, world):
    """Neither from its own pages nor by deleting the person (the rows would cascade)."""
    meeting = MeetingFactory(organization=world.branch)
    attendance = workflow.save_attendance(world.committee, Attendance(meeting=meeting, person=world.member))
    assert (
        superuser_client.get(reverse("admin:ledger_attendance_delete", args=[attendance.pk])).status_code
        == 403
    )
    changelist = superuser_client.get(reverse("admin:ledger_attendance_changelist")).content.decode()
    assert "delete_selected" not in changelist
    superuser_client.post(reverse("admin:core_user_delete", args=[world.member.pk]), {"post": "yes"})
    assert Attendance.objects.filter(pk=attendance.pk, person=world.member).exists()
