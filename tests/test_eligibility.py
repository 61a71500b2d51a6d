"""One rule for who may own an item or be its responsible leader: forms, importer and workflow."""

import datetime
import io
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.models import Membership, User
from core.permissions import Eligibility, eligible_people, is_eligible
from ledger import forms, workflow
from ledger.imports.reading import read_table
from ledger.imports.rows import prepare
from ledger.imports.storing import commit
from ledger.models import Issue, Item
from tests.factories import IssueFactory, MembershipFactory, OrganizationFactory, UserFactory, make_item
from tests.pages import form_data
from tests.sheet_files import HEADINGS, ledger_rows, xlsx_bytes

pytestmark = pytest.mark.usefixtures("english")

NOT_ELIGIBLE = "{person} is not a member of {organization}, of a unit below it or of one above it: choose someone who is."


@pytest.fixture
def people(world):
    """Everyone the rule must decide on, by the answer for the branch."""
    inactive = UserFactory(username="left", full_name="离职人员", is_active=False)
    MembershipFactory(user=inactive, organization=world.branch)
    placeholder = UserFactory(username="imported-x", full_name="刘德胜", is_active=False, is_placeholder=True)
    MembershipFactory(user=placeholder, organization=world.branch)
    stranger = UserFactory(username="stranger", full_name="孙悟空")
    return {
        True: [
            world.committee,
            world.owner,
            world.leader,
            world.company_committee,
            world.member,
            world.leadership,
            placeholder,
        ],
        False: [world.outsider, inactive, stranger],
    }


def test_eligible_people_are_the_organization_its_units_and_those_above(world, people):
    assert set(eligible_people(world.branch)) == set(people[True])


@pytest.mark.parametrize("answer", [True, False])
def test_the_predicate_and_the_batch_say_what_the_queryset_says(world, people, answer):
    eligibility = Eligibility(person.pk for group in people.values() for person in group)
    for person in people[answer]:
        assert is_eligible(person, world.branch) is answer
        assert eligibility.allows(person.pk, world.branch.pk) is answer


def test_the_batch_reads_two_queries_whatever_the_number(world, people, django_assert_num_queries):
    ids = [person.pk for group in people.values() for person in group]
    # The organization tree; the memberships of the people given.
    with django_assert_num_queries(2):
        eligibility = Eligibility(ids)
        assert [eligibility.allows(pk, org.pk) for pk in ids for org in (world.branch, world.group)]


def test_a_unit_below_does_not_reach_a_sibling_unit(world):
    other_group = OrganizationFactory(name="机运党支部第二党小组", short_name="机运二组", parent=world.branch)
    assert is_eligible(world.owner, world.group)
    assert not is_eligible(world.owner, other_group)
    assert is_eligible(world.member, other_group)  # a member of the branch above


def test_the_item_form_offers_exactly_the_eligible_people(world, people):
    form = forms.ItemForm(organization=world.branch)
    offered = {value for value, _label in form.fields["owner"].choices if value}
    assert offered == {person.pk for person in people[True]}
    assert {value for value, _label in form.fields["leader"].choices if value} == offered


def test_creating_an_item_refuses_an_owner_from_outside(world):
    issue = IssueFactory(organization=world.branch)
    with pytest.raises(ValidationError) as refused:
        make_item(world.committee, issue, owner=world.outsider, leader=world.leader)
    assert refused.value.message_dict == {
        "owner": [NOT_ELIGIBLE.format(person=world.outsider, organization=world.branch)]
    }
    assert not Item.objects.exists()


def test_editing_an_item_refuses_a_leader_from_outside_and_keeps_the_others(world):
    item = make_item(world.committee, IssueFactory(organization=world.branch))
    with pytest.raises(ValidationError) as refused:
        workflow.edit_item(world.committee, item, expected_version=item.version, leader=world.outsider)
    assert list(refused.value.message_dict) == ["leader"]
    item.refresh_from_db()
    assert item.leader is None
    edited = workflow.edit_item(world.committee, item, expected_version=item.version, owner=world.owner)
    assert edited.owner == world.owner


def test_an_owner_made_ineligible_later_does_not_block_other_edits(world):
    item = make_item(world.committee, IssueFactory(organization=world.branch), owner=world.member)
    Membership.objects.filter(user=world.member).delete()
    edited = workflow.edit_item(world.committee, item, expected_version=item.version, department="调度室")
    assert edited.department == "调度室"


def test_the_bulk_import_refuses_an_ineligible_owner_by_field(world):
    row = workflow.NewItem(
        key="r1",
        issue=Issue(
            organization=world.branch,
            category=IssueFactory.build().category,
            source=Issue.Source.OTHER,
            description="学习流于形式",
            raised_on=datetime.date(2026, 11, 1),
        ),
        organization=world.branch,
        fields={"measures": "每周集中学习一次", "kind": Item.Kind.IMMEDIATE, "owner": world.outsider},
    )
    with pytest.raises(workflow.ImportRefused) as refused:
        workflow.import_new_items(world.committee, [row], reason="台账.xlsx")
    assert refused.value.errors["r1"].message_dict == {
        "owner": [NOT_ELIGIBLE.format(person=world.outsider, organization=world.branch)]
    }
    assert not Item.objects.exists()


def imported(world, rows, **kwargs):
    preview = prepare(
        read_table(io.BytesIO(xlsx_bytes(rows)), "台账.xlsx"), world.committee, world.branch, **kwargs
    )
    assert preview.is_valid, preview.problems or [row.errors for row in preview.rows]
    return commit(preview, world.committee, "台账.xlsx")


def test_the_importer_refuses_a_person_not_eligible_in_the_rows_organization(world):
    other_group = OrganizationFactory(name="机运党支部第二党小组", short_name="机运二组", parent=world.branch)
    rows = [[*HEADINGS, "所属组织"], [*ledger_rows(count=1)[1], other_group.name]]
    preview = prepare(read_table(io.BytesIO(xlsx_bytes(rows)), "台账.xlsx"), world.committee, world.branch)
    assert preview.rows[0].errors == {
        "owner": [f"{world.owner} is not a member of {other_group}, of a unit below it or of one above it."]
    }


def save_from_the_edit_form(client, world, item, **changes):
    """Post the item's edit form as the page renders it, with `changes` typed in."""
    form = forms.EditItemForm(
        instance=item, initial={"version": item.version}, organization=item.organization
    )
    data = {**form_data(SimpleNamespace(context={"form": form})), **changes}
    client.force_login(world.committee)
    return client.post(reverse("ledger:edit_item", args=[item.pk]), data)


def test_an_item_imported_with_a_placeholder_owner_is_saved_from_its_edit_form(client, world):
    imported(world, ledger_rows(owner="刘德胜", count=1), create_people=True)
    item = Item.objects.get()
    placeholder = item.owner
    assert (placeholder.is_placeholder, placeholder.is_active) == (True, False)
    assert list(placeholder.memberships.values_list("organization", "role")) == [
        (world.branch.pk, Membership.Role.MEMBER)
    ]
    response = save_from_the_edit_form(client, world, item, deadline="2027-06-30", reason="延期")
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.deadline, item.owner) == (datetime.date(2027, 6, 30), placeholder)


def test_an_imported_item_of_a_unit_below_is_saved_from_its_edit_form(client, world):
    rows = [[*HEADINGS, "所属组织"], [*ledger_rows(count=1)[1], world.group.name]]
    imported(world, rows)
    item = Item.objects.get()
    assert (item.organization, item.owner, item.leader) == (world.group, world.owner, world.leader)
    response = save_from_the_edit_form(client, world, item, department="调度室")
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.department == "调度室"


def test_a_placeholder_is_found_by_name_when_the_file_is_imported_again(world):
    imported(world, ledger_rows(owner="刘德胜", count=1), create_people=True)
    rows = ledger_rows(owner="刘德胜", count=2)
    result = imported(world, rows, create_people=True)
    assert (result.created, result.people_created) == (1, 0)
    assert User.objects.filter(full_name="刘德胜").count() == 1
