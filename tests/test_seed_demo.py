"""The demo data command: a believable company, idempotent, and fast synthetic items."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from core.models import Membership, Organization, User
from ledger.models import Attendance, ExtensionRequest, Issue, Item, Meeting


def _counts():
    models = (Organization, User, Membership, Meeting, Attendance, Issue, Item, ExtensionRequest)
    counts = {model.__name__: model.objects.count() for model in models}
    counts["item history"] = Item.history.count()
    return counts


@pytest.fixture
def seeded(db):
    out = StringIO()
    call_command("seed_demo", "--password", "pw-for-tests", stdout=out)
    return out.getvalue()


def test_it_builds_the_company_with_its_branches_and_users(seeded):
    assert "Demo data loaded" in seeded
    company = Organization.objects.get(name="公司党委")
    branches = set(company.children.values_list("name", flat=True))
    assert {"机运党支部", "通修党支部", "综采党支部", "掘进党支部", "机关党支部"} <= branches
    roles = {
        (m.user.username, m.organization.name, m.role)
        for m in Membership.objects.select_related("user", "organization")
    }
    assert ("secretary", "公司党委", "committee") in roles
    assert ("branch_secretary", "机运党支部", "committee") in roles
    assert ("leader", "公司党委", "leadership") in roles
    assert User.objects.get(username="admin").is_superuser
    assert User.objects.get(username="owner").full_name == "王强"
    for username in ("admin", "secretary", "branch_secretary", "owner", "leader"):
        assert authenticate(username=username, password="pw-for-tests") is not None


def test_it_has_meetings_issues_and_items_in_every_state(seeded):
    assert Meeting.objects.filter(
        meeting_type=Meeting.Type.DEMOCRATIC_LIFE, topic__contains="大反思 大排查 大整改 大提升"
    ).exists()
    assert Attendance.objects.filter(
        present=False, absence_reason="on_shift", makeup_on__isnull=False
    ).exists()
    assert 50 <= Issue.objects.count() <= 80
    assert set(Issue.objects.values_list("category__name", flat=True)) >= {"党建", "安全", "廉政", "作风"}
    assert len(set(Issue.objects.values_list("source", flat=True))) >= 5
    assert set(Item.objects.values_list("status", flat=True)) == set(Item.Status.values)
    assert Item.objects.overdue().exists()
    assert set(ExtensionRequest.objects.values_list("status", flat=True)) == {
        "pending",
        "approved",
        "rejected",
    }
    assert Item.objects.filter(owner__username="owner").count() >= 3


def test_every_demo_item_carries_its_history(seeded):
    closed = Item.objects.filter(status=Item.Status.CLOSED).first()
    actions = list(closed.history.order_by("history_id").values_list("history_action", flat=True))
    assert actions[0] == "create"
    assert actions[-1] == "close"
    assert "submit" in actions


def test_running_it_twice_changes_nothing(seeded):
    before = _counts()
    out = StringIO()
    call_command("seed_demo", "--password", "another-password", stdout=out)
    assert "already present" in out.getvalue()
    assert _counts() == before
    assert authenticate(username="owner", password="pw-for-tests") is not None


def test_synthetic_items_come_with_history_and_references(seeded):
    before = Item.objects.count()
    out = StringIO()
    call_command("seed_demo", "--items", "250", stdout=out)
    assert "Added 250 synthetic items" in out.getvalue()
    assert Item.objects.count() == before + 250
    assert Item.history.filter(history_action="import").count() == 250
    references = list(Item.objects.values_list("organization_id", "reference"))
    assert len(references) == len(set(references))
