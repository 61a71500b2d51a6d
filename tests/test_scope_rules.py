"""Scope owns every permission decision: the tree walks, the item visibility rule (live and as of
a date), who may print what, and which organizations and people a form offers."""

import pytest
from django import forms as django_forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.models import Organization, User
from core.permissions import OrganizationTree, Scope
from ledger import forms, reports
from ledger.models import Item
from tests.factories import IssueFactory, MeetingFactory, MembershipFactory, make_item


def test_the_tree_is_read_in_one_query_and_walked_in_memory(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        tree = OrganizationTree.read()
        assert tree.subtree([world.branch.pk]) == {world.branch.pk, world.group.pk}
        assert tree.ancestors(world.group.pk) == [world.branch.pk, world.company.pk]
        assert tree.subtree_and_ancestors(world.branch.pk) == {
            world.branch.pk,
            world.group.pk,
            world.company.pk,
        }
        assert tree.is_within(world.group.pk, world.company.pk)
        assert tree.is_within(world.branch.pk, world.branch.pk)
        assert not tree.is_within(world.branch.pk, world.sibling.pk)
        assert not tree.is_within(world.company.pk, world.branch.pk)


def test_an_organization_cannot_be_moved_below_its_own_unit(world):
    world.branch.parent = world.group
    with pytest.raises(ValidationError) as refused:
        world.branch.full_clean()
    assert "parent" in refused.value.message_dict
    world.branch.parent = world.sibling  # a move elsewhere is fine
    world.branch.full_clean()


def test_an_item_belongs_to_the_issues_organization_or_below(world):
    issue = IssueFactory(organization=world.branch)
    assert make_item(world.committee, issue, organization=world.group).organization == world.group
    with pytest.raises(ValidationError) as refused:
        make_item(world.company_committee, issue, organization=world.sibling)
    assert "organization" in refused.value.message_dict


@pytest.fixture
def items(world):
    """Items in the branch, its group, the sibling; one in the sibling led by the branch's member
    (who led it while a member there, then moved)."""
    moved = MembershipFactory(user=world.member, organization=world.sibling)
    items = [
        make_item(world.committee, IssueFactory(organization=world.branch)),
        make_item(world.committee, IssueFactory(organization=world.group), owner=world.owner),
        make_item(world.outsider, IssueFactory(organization=world.sibling)),
        make_item(world.outsider, IssueFactory(organization=world.sibling), leader=world.member),
    ]
    moved.delete()
    return items


PERSONAS = ["committee", "company_committee", "owner", "leader", "member", "outsider"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_one_visibility_rule_for_the_live_ledger_and_the_ledger_as_it_stood(world, items, persona):
    user = getattr(world, persona)
    live = set(Item.objects.visible_to(user).values_list("pk", flat=True))
    past = set(reports.visible_as_of(user, timezone.now()).values_list("id", flat=True))
    assert live == past
    assert live == set(Scope.for_user(user).visible_items(Item.objects.all()).values_list("pk", flat=True))


def test_the_visibility_rule_itself(world, items):
    branch, group, sibling, led = items

    def seen(user):
        return set(Item.objects.visible_to(user))

    assert seen(world.committee) == {branch, group}
    assert seen(world.owner) == {group}  # a group member sees the group, not the branch above it
    assert seen(world.outsider) == {sibling, led}
    assert seen(world.member) == {branch, group, led}  # led anywhere
    assert Item.objects.visible_to(None).count() == 0


PRINT_RULES = {
    # persona: (ledger-wide reports, dossier of the group's item, minutes of the branch's meeting)
    "committee": (True, True, True),
    "company_committee": (True, True, True),
    "leader": (True, True, True),
    "owner": (False, True, False),
    "member": (False, False, False),
    "outsider": (True, False, False),
}


@pytest.mark.parametrize("persona", list(PRINT_RULES))
def test_who_may_print_what(world, items, persona):
    user = getattr(world, persona)
    meeting = MeetingFactory(organization=world.branch)
    scope = Scope.for_user(user)
    group_item = items[1]
    assert (
        scope.may_print_reports(),
        scope.may_print_dossier(group_item),
        scope.may_print_minutes(meeting),
    ) == PRINT_RULES[persona]


def test_anonymous_users_print_nothing(world, items):
    scope = Scope.for_user(None)
    assert not scope.may_print_reports()
    unowned = Item(organization=world.branch, owner_id=None, leader_id=None)
    assert not scope.may_print_dossier(unowned)


def test_forms_offer_the_organizations_the_user_manages(world):
    form = forms.MeetingForm(user=world.committee)
    assert set(form.fields["organization"].queryset) == {world.branch, world.group}
    batch = forms.IssueBatchForm(user=world.company_committee)
    assert set(batch.fields["organization"].queryset) == set(Organization.objects.all())


def test_forms_offer_the_people_of_the_organization_and_above(world):
    attendance = forms.AttendanceForm(organization=world.branch)
    people = set(attendance.fields["person"].queryset)
    assert {world.committee, world.owner, world.member, world.leader, world.company_committee} <= people
    assert world.outsider not in people
    item_form = forms.ItemForm(organization=world.branch)
    assert set(item_form.fields["owner"].queryset) == people
    assert {pk for pk, _ in item_form.fields["leader"].choices if pk} == {person.pk for person in people}


class _PickForm(django_forms.Form):
    organization = django_forms.ModelChoiceField(queryset=Organization.objects.all())
    host = django_forms.ModelChoiceField(queryset=User.objects.all())
    recorder = django_forms.ModelChoiceField(queryset=User.objects.all())


def test_narrowing_without_an_organization_offers_the_people_the_user_manages_and_those_above(world):
    form = _PickForm()
    forms.narrow_choices(form, user=world.committee)
    assert set(form.fields["organization"].queryset) == {world.branch, world.group}
    # The branch's people and the company's (its leaders answer for the branch and attend its
    # meetings); never the sibling branch's.
    assert set(form.fields["host"].queryset) == {
        world.committee,
        world.owner,
        world.member,
        world.company_committee,
        world.leader,
        world.leadership,
    }
    assert set(form.fields["recorder"].queryset) == set(form.fields["host"].queryset)


def test_narrowing_refuses_to_offer_everyone(world):
    with pytest.raises(TypeError):
        forms.narrow_choices(_PickForm())
    with pytest.raises(TypeError):
        forms.narrow_choices(_PickForm(), organization=world.branch)  # organizations need the user
