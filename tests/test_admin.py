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
    ProgressUpdate,
    ReportJob,
    SavedView,
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
]
AUDITED = [model for model in MODELS if model not in (ImportedRow, SavedView, ReportJob)]


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
