"""The demo data command: a believable company, idempotent, and fast synthetic items."""

import random
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.utils import timezone

from core.models import Membership, Organization, User
from ledger import demo, workflow
from ledger.models import Attendance, ExtensionRequest, Issue, Item, Meeting, ProgressUpdate


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


@pytest.fixture
def synthetic(seeded):
    """The demo with 600 synthetic items: (items before, the command's output, the last key of
    the hand-made demo's items)."""
    before = Item.objects.count()
    last_hand_made = Item.objects.order_by("-pk").values_list("pk", flat=True).first()
    out = StringIO()
    call_command("seed_demo", "--items", "600", stdout=out)
    return before, out.getvalue(), last_hand_made


def test_synthetic_items_are_numbered_and_told_about(synthetic):
    before, out, _last = synthetic
    assert "Added 600 synthetic items in" in out
    assert "history rows" in out
    assert Item.objects.count() == before + 600
    references = list(Item.objects.values_list("organization_id", "reference"))
    assert len(references) == len(set(references))
    assert len(set(Item.objects.values_list("organization_id", "year", "sequence"))) == len(references)
    # They sort in the ledger as every item does: by their organization's place.
    ranks = dict(workflow.with_organization_rank(Organization.objects.all()).values_list("pk", "rank"))
    assert {(org, rank) for org, rank in Item.objects.values_list("organization_id", "org_rank")} == {
        (org, ranks[org]) for org in Item.objects.values_list("organization_id", flat=True)
    }


def test_synthetic_items_live_a_realistic_life(synthetic):
    items = Item.objects.filter(owner__username__startswith="demo-p")
    assert set(Item.objects.values_list("status", flat=True)) == set(Item.Status.values)
    rows = sum(model.history.count() for model in (Issue, Item, ProgressUpdate, ExtensionRequest))
    assert 7 * 600 <= rows <= 14 * 600  # about ten history rows an item, a real ledger's share
    actions = set(Item.history.values_list("history_action", flat=True))
    assert {"create", "edit", "start", "post_progress", "submit", "return", "close", "withdraw"} <= actions
    assert {"decide_extension"} <= actions
    assert set(ExtensionRequest.objects.values_list("status", flat=True)) == {
        "pending",
        "approved",
        "rejected",
    }
    # Many people act: owners post, committees close, leaders review.
    assert Item.history.values("history_user").distinct().count() > 20
    assert items.exists()


def test_the_history_of_every_synthetic_item_tells_what_it_holds(synthetic):
    today_began = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    last_hand_made = synthetic[2]
    # The fields the history records (not the derived sort key).
    recorded = {f.attname for f in Item.history.model._meta.concrete_fields}
    fields = [f.attname for f in Item._meta.concrete_fields if f.attname in recorded]
    for item in Item.objects.all():
        history = sorted(item.history.all(), key=lambda row: (row.history_date, row.history_id))
        assert [row.version for row in history] == list(range(1, len(history) + 1)), item.reference
        assert history[0].history_type == "+" and history[0].history_action in ("create", "import")
        if item.pk > last_hand_made:  # a synthetic item: its whole past before today
            assert all(row.history_date < today_began for row in history), item.reference
        last = history[-1]
        assert {f: getattr(last, f) for f in fields} == {f: getattr(item, f) for f in fields}, item.reference
        assert item.updated_at == last.history_date or item.updated_at >= last.history_date
    # Each synthetic progress update was posted with its item's row: one action, one time, one
    # author (the hand-made demo's rows are the workflow's own, a few microseconds apart).
    item_rows = {
        row.history_action_id: row
        for row in Item.history.filter(history_action="post_progress").only(
            "history_action_id", "history_date", "history_user", "id", "progress"
        )
    }
    synthetic_items = Item.objects.filter(owner__username__startswith="demo-p")
    for update in ProgressUpdate.history.filter(history_action="post_progress", item_id__in=synthetic_items):
        row = item_rows[update.history_action_id]
        assert (row.id, row.history_date, row.history_user_id, row.progress) == (
            update.item_id,
            update.history_date,
            update.history_user_id,
            update.percent,
        )


def test_synthetic_owners_are_members_of_their_items_organizations(synthetic):
    memberships = set(Membership.objects.values_list("user_id", "organization_id"))
    for owner_id, organization_id in Item.objects.filter(owner__username__startswith="demo-p").values_list(
        "owner_id", "organization_id"
    ):
        assert (owner_id, organization_id) in memberships
    # Every organization has several owners; a synthetic person cannot log in.
    for organization in Organization.objects.exclude(name="公司党委"):
        assert Membership.objects.filter(organization=organization, role="member").count() >= 2
    assert not User.objects.filter(username__startswith="demo-p").first().has_usable_password()


def test_at_100000_items_the_load_is_spread_over_many_people(seeded):
    """About a hundred items an owner; the demo owner (王强) carries the busiest load, 500."""
    ledger = demo.SyntheticLedger(100_000, random.Random(1))
    ledger.prepare()
    organizations = Organization.objects.exclude(name="公司党委")
    share = 100_000 / organizations.count()
    for organization in organizations:
        people, weights = ledger.owners[organization.pk]
        assert len(people) >= share / demo.ITEMS_PER_OWNER
        for person, weight in zip(people, weights, strict=True):
            expected = share * weight / sum(weights)
            if person.username == "owner":
                assert 400 <= expected <= 600
            else:
                assert 50 <= expected <= 150


def test_the_history_page_of_a_synthetic_item_reads_its_life(client, synthetic):
    item = Item.objects.filter(status=Item.Status.CLOSED, owner__username__startswith="demo-p").first()
    client.force_login(User.objects.get(username="secretary"))
    response = client.get(f"/ledger/items/{item.pk}/history/")
    assert response.status_code == 200
    entries = response.context["entries"]
    assert entries[0].action == "销号"  # newest first
    assert entries[-1].action == "创建"
    assert [entry.when for entry in entries] == sorted((entry.when for entry in entries), reverse=True)
