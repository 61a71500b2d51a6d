"""An exported ledger imported again into an empty organization reproduces the same items."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from core.models import Membership, Organization
from ledger import workflow
from ledger.imports.reading import read_table
from ledger.imports.rows import prepare
from ledger.imports.storing import commit
from ledger.models import Item
from tests.factories import IssueFactory, MembershipFactory, category, make_item


@pytest.fixture
def ledger(world):
    """Items of the branch in every kind and several states."""
    today = datetime.date(2026, 11, 24)
    issue = IssueFactory(
        organization=world.branch,
        description="班前会安全讲评流于形式",
        raised_on=datetime.date(2026, 10, 9),
        source="talk",
    )
    plain = make_item(world.committee, issue, owner=world.owner, leader=world.leader, deadline=today)
    plain = workflow.edit_item(
        world.committee, plain, expected_version=plain.version, co_owners=[world.member, world.leader]
    )
    make_item(world.committee, issue, measures="每月抽考一次", department="调度室", deadline=today)
    long_term = make_item(
        world.committee,
        IssueFactory(organization=world.branch, category=category("作风"), description="=1+1 不是公式"),
        kind="long_term",
        deadline=None,
        next_review_on=datetime.date(2027, 1, 31),
        owner=world.owner,
    )
    make_item(
        world.committee,
        IssueFactory(organization=world.group, source="inspection"),
        kind="immediate",
        deadline=datetime.date(2026, 11, 1),
    )
    workflow.post_progress(world.owner, plain, text="已组织学习两次", percent=40)
    workflow.post_progress(world.owner, long_term, text="+ 每周检查", percent=30)
    closed = make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    workflow.post_progress(world.owner, closed, text="全部完成", percent=100)
    closed = workflow.submit(world.owner, closed)
    workflow.close(world.company_committee, closed, note="验收合格")
    return Item.objects.filter(organization__in=[world.branch, world.group])


def fingerprint(items):
    """What a ledger row says about an item, independent of its organization and number."""
    return sorted(
        (
            item.issue.description,
            item.issue.category.name,
            item.issue.source,
            item.issue.raised_on,
            item.measures,
            item.leader_id,
            item.department,
            item.owner_id,
            item.kind,
            item.deadline,
            item.next_review_on,
            item.status,
            item.progress,
            item.updates.order_by("-created_at", "-pk").values_list("text", flat=True).first(),
            tuple(item.co_owner_people),
        )
        for item in items
    )


@pytest.fixture
def empty(world):
    organization = Organization.objects.create(
        name="新建党支部", short_name="新建", kind=Organization.Kind.BRANCH, parent=world.company
    )
    MembershipFactory(user=world.committee, organization=organization, role=Membership.Role.COMMITTEE)
    # The items' owner works there too: only its people may own its items.
    MembershipFactory(user=world.owner, organization=organization)
    MembershipFactory(user=world.member, organization=organization)  # a co-owner
    return organization


@pytest.mark.parametrize(
    "language, reader", [("zh-hans", "zh-hans"), ("en", "en"), ("zh-hans", "en"), ("en", "zh-hans")]
)
@pytest.mark.parametrize("name, suffix", [("ledger:export_xlsx", "xlsx"), ("ledger:export_csv", "csv")])
def test_export_then_import_reproduces_the_items(
    client, world, ledger, empty, name, suffix, language, reader
):
    """Exported in `language`, imported by someone reading the site in `reader`."""
    client.force_login(world.committee)
    content = client.get(reverse(name), headers={"accept-language": language}).content
    table = read_table(io.BytesIO(content), "台账." + suffix)
    actor = type(world.committee).objects.get(pk=world.committee.pk)  # scope with the new membership
    # The organization column names the branch the rows came from: leave it out to import
    # everything into the new organization.
    with translation.override(reader):
        preview = prepare(table, actor, empty, mapping={1: ""})
    assert preview.is_valid, preview.problems or [(r.number, r.errors) for r in preview.rows if r.errors]
    result = commit(preview, actor, "台账." + suffix)
    assert result.created == ledger.count() == 5
    assert fingerprint(Item.objects.filter(organization=empty)) == fingerprint(ledger)
    # Importing the same export again changes nothing.
    with translation.override(reader):
        again = prepare(table, actor, empty, mapping={1: ""})
    again = commit(again, actor, "台账." + suffix)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)


def test_reimporting_an_export_into_its_own_organization_recognises_the_references(world, ledger, client):
    client.force_login(world.committee)
    content = client.get(reverse("ledger:export_xlsx")).content
    before = fingerprint(ledger)
    preview = prepare(read_table(io.BytesIO(content), "台账.xlsx"), world.committee, world.branch)
    assert preview.is_valid
    result = commit(preview, world.committee, "台账.xlsx")
    assert (result.created, result.updated, result.unchanged) == (0, 0, 5)
    assert fingerprint(ledger) == before


def test_the_management_command_imports_and_dry_runs(world, ledger, client, empty, tmp_path):
    client.force_login(world.committee)
    path = tmp_path / "台账.csv"
    path.write_bytes(client.get(reverse("ledger:export_csv")).content)
    # The command acts as an administrator; the organization column names the branch, inside
    # the company's tree, so the rows go back where they came from and are recognised.
    admin = type(world.committee).objects.create_superuser("root", password="x", full_name="管理员")
    out = io.StringIO()
    with translation.override("en"):
        call_command(
            "import_ledger", str(path), "--organization", "机运", "--user", admin.username, stdout=out
        )
    assert out.getvalue().strip() == "0 created, 0 updated, 5 unchanged, 0 people created."
    out = io.StringIO()
    with translation.override("en"):
        call_command("import_ledger", str(path), "--organization", "公司党委", "--dry-run", stdout=out)
    assert "Dry run" in out.getvalue()
