"""The Django admin: every model listed, searchable, with history; items stay read-only."""

import pytest
from django.contrib import admin
from django.urls import reverse

from core.models import Membership, Organization, User
from ledger import workflow
from ledger.models import (
    Attendance,
    Category,
    Evidence,
    ExtensionRequest,
    ImportedRow,
    Issue,
    Item,
    Meeting,
    MutedItem,
    ProgressUpdate,
    ReportJob,
    SavedView,
    Webhook,
    Withheld,
    WordTemplate,
)
from tests.factories import IssueFactory, UserFactory, make_item

MODELS = [
    User,
    Organization,
    Membership,
    Category,
    Meeting,
    Attendance,
    Issue,
    Item,
    ProgressUpdate,
    Evidence,
    ExtensionRequest,
    ImportedRow,
    SavedView,
    ReportJob,
    WordTemplate,
    Withheld,
    MutedItem,
    Webhook,
]
AUDITED = [model for model in MODELS if model not in (ImportedRow, SavedView, ReportJob, MutedItem, Webhook)]


@pytest.fixture
def superuser_client(client, db):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    return client


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_model_is_registered_and_searchable(model):
    assert admin.site._registry[model].search_fields


@pytest.mark.parametrize("model", AUDITED, ids=lambda m: m.__name__)
def test_every_audited_model_has_a_history_view(model):
    assert hasattr(admin.site._registry[model], "history_view")


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelists_open_and_search(superuser_client, world, model):
    make_item(world.committee, IssueFactory(organization=world.branch))
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert superuser_client.get(url, {"q": "机运"}).status_code == 200


def test_item_history_view_shows_the_actions(superuser_client, world):
    item = make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    workflow.start(world.owner, item)
    response = superuser_client.get(reverse("admin:ledger_item_history", args=[item.pk]))
    assert response.status_code == 200
    assert "王强" in response.content.decode()


def test_items_cannot_be_changed_or_deleted_in_the_admin(superuser_client, world):
    item = make_item(world.committee, IssueFactory(organization=world.branch))
    change_url = reverse("admin:ledger_item_change", args=[item.pk])
    response = superuser_client.post(change_url, {"measures": "改掉", "department": "x"})
    assert response.status_code == 403
    assert (
        superuser_client.post(
            reverse("admin:ledger_item_delete", args=[item.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert superuser_client.get(reverse("admin:ledger_item_add")).status_code == 403
    item.refresh_from_db()
    assert item.measures != "改掉"


def test_staff_without_superuser_rights_cannot_open_the_item_admin(client, world):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(reverse("admin:ledger_item_changelist")).status_code == 403


def test_admin_edits_are_recorded_with_the_requesting_user(superuser_client, world):
    category = Category.objects.get(name="安全")
    url = reverse("admin:ledger_category_change", args=[category.pk])
    response = superuser_client.post(
        url, {"name": "安全生产", "name_en": "Work safety", "sort_order": 20, "is_active": "on"}
    )
    assert response.status_code == 302
    record = category.history.latest("history_date", "history_id")
    assert record.name == "安全生产"
    assert record.history_user.username == "root"


SECRET = "SEC0123456789abcdefsign"
KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"


@pytest.fixture
def robot(world):
    return Webhook.objects.create(
        organization=world.branch,
        name="机运群",
        kind=Webhook.Kind.DINGTALK,
        url=f"https://oapi.dingtalk.com/robot/send?access_token={KEY}",
        secret=SECRET,
        attempts=2,
        last_error="HTTP 500",
    )


def test_group_robots_are_listed_with_their_state_and_no_secret(superuser_client, robot):
    changelist = superuser_client.get(reverse("admin:ledger_webhook_changelist"), {"kind": "dingtalk"})
    page = changelist.content.decode()
    assert changelist.status_code == 200
    assert "机运群" in page and "机运党支部" in page
    assert "••••" + KEY[-4:] in page
    assert KEY not in page and SECRET not in page
    change = superuser_client.get(reverse("admin:ledger_webhook_change", args=[robot.pk]))
    page = change.content.decode()
    assert change.status_code == 200
    assert "HTTP 500" in page and "••••" + SECRET[-4:] in page
    assert KEY not in page and SECRET not in page
    assert reverse("notifications:webhook_edit", args=[robot.pk]) in page  # where it is changed


def test_a_search_does_not_find_robots_by_their_secret(superuser_client, robot):
    found = superuser_client.get(reverse("admin:ledger_webhook_changelist"), {"q": SECRET[:6]})
    assert "机运群" not in found.content.decode()
    assert (
        "机运群"
        in superuser_client.get(reverse("admin:ledger_webhook_changelist"), {"q": "机运"}).content.decode()
    )


def test_muted_items_are_listed_by_person_and_item(superuser_client, world):
    item = make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    MutedItem.objects.create(person=world.owner, item=item)
    page = superuser_client.get(reverse("admin:ledger_muteditem_changelist"), {"q": item.reference})
    assert page.status_code == 200
    assert item.reference in page.content.decode() and "王强" in page.content.decode()


@pytest.mark.parametrize("model", [Webhook, MutedItem], ids=lambda m: m.__name__)
def test_robots_and_muted_items_are_read_only(superuser_client, world, robot, model):
    item = make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    record = robot if model is Webhook else MutedItem.objects.create(person=world.owner, item=item)
    name = f"admin:ledger_{model._meta.model_name}"
    assert superuser_client.get(reverse(f"{name}_add")).status_code == 403
    assert (
        superuser_client.post(reverse(f"{name}_change", args=[record.pk]), {"name": "改"}).status_code == 403
    )
    assert (
        superuser_client.post(reverse(f"{name}_delete", args=[record.pk]), {"post": "yes"}).status_code == 403
    )
    assert model.objects.filter(pk=record.pk).exists()
    if model is Webhook:
        robot.refresh_from_db()
        assert robot.name == "机运群" and robot.secret == SECRET
