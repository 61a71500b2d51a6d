"""Scoping: a role reaches its organization and everything below it, and nothing beside it."""

import pytest
from django.contrib.auth.models import AnonymousUser

from core.models import Organization
from core.permissions import Scope
from ledger.filtersets import ItemFilterSet
from ledger.models import Issue, Item, Meeting
from tests.factories import IssueFactory, MeetingFactory, MembershipFactory, UserFactory, make_item


@pytest.fixture
def items(world):
    """One item in the company, the branch, the branch's group and the sibling branch."""
    return {
        "company": make_item(world.company_committee, IssueFactory(organization=world.company)),
        "branch": make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner),
        "group": make_item(world.committee, IssueFactory(organization=world.group)),
        "sibling": make_item(world.outsider, IssueFactory(organization=world.sibling)),
    }


def _names(queryset):
    return set(queryset.values_list("name", flat=True))


def test_organizations_visible_per_role(world):
    assert _names(Organization.objects.visible_to(world.committee)) == {"机运党支部", "机运党支部第一党小组"}
    assert _names(Organization.objects.visible_to(world.outsider)) == {"通修党支部"}
    assert _names(Organization.objects.visible_to(world.owner)) == {"机运党支部第一党小组"}
    everything = {"公司党委", "机运党支部", "机运党支部第一党小组", "通修党支部"}
    assert _names(Organization.objects.visible_to(world.company_committee)) == everything
    assert _names(Organization.objects.visible_to(world.leadership)) == everything
    assert _names(Organization.objects.visible_to(UserFactory(is_superuser=True))) == everything
    assert _names(Organization.objects.visible_to(AnonymousUser())) == set()
    assert _names(Organization.objects.visible_to(UserFactory())) == set()


def test_managed_organizations_are_the_committee_subtrees(world):
    assert _names(Organization.objects.managed_by(world.committee)) == {"机运党支部", "机运党支部第一党小组"}
    assert _names(Organization.objects.managed_by(world.leadership)) == set()
    assert _names(Organization.objects.managed_by(world.member)) == set()


def test_sibling_branches_never_see_each_other(world, items):
    branch_view = set(Item.objects.visible_to(world.committee))
    assert branch_view == {items["branch"], items["group"]}
    assert set(Item.objects.visible_to(world.outsider)) == {items["sibling"]}
    assert set(Issue.objects.visible_to(world.outsider)) == {items["sibling"].issue}


def test_ancestors_committees_and_leadership_see_descendants(world, items):
    assert set(Item.objects.visible_to(world.company_committee)) == set(items.values())
    assert set(Item.objects.visible_to(world.leadership)) == set(items.values())


def test_people_see_the_items_they_own_or_lead_anywhere(world, items):
    # The owner belongs to the group only, yet owns an item of the branch above it.
    assert set(Item.objects.visible_to(world.owner)) == {items["branch"], items["group"]}
    # The member led an item of the sibling branch while a member there, then moved.
    moved = MembershipFactory(user=world.member, organization=world.sibling)
    outside_lead = make_item(world.outsider, IssueFactory(organization=world.sibling), leader=world.member)
    moved.delete()
    assert outside_lead in Item.objects.visible_to(world.member)
    assert items["sibling"] not in Item.objects.visible_to(world.member)


def test_anonymous_users_see_nothing(items):
    assert not Item.objects.visible_to(AnonymousUser()).exists()
    assert not Meeting.objects.visible_to(AnonymousUser()).exists()


def test_meetings_are_scoped(world):
    mine = MeetingFactory(organization=world.branch)
    theirs = MeetingFactory(organization=world.sibling)
    assert set(Meeting.objects.visible_to(world.member)) == {mine}
    assert set(Meeting.objects.visible_to(world.outsider)) == {theirs}


def test_scope_is_computed_once_per_user_object(world, django_assert_num_queries):
    user = world.committee
    # Two queries: the user's memberships and the organization tree.
    with django_assert_num_queries(2):
        Scope.for_user(user)
    with django_assert_num_queries(0):
        Scope.for_user(user)
        Scope.for_user(user).manages(world.group.pk)
        Scope.for_user(user).needs_double_review(world.group.pk)  # read with the same tree


def test_the_filterset_organization_filter_takes_the_subtree(rf, world, items):
    request = rf.get("/ledger/")
    request.user = world.company_committee
    filterset = ItemFilterSet(
        {"organization": world.branch.pk}, queryset=Item.objects.visible_to(request.user), request=request
    )
    assert set(filterset.qs) == {items["branch"], items["group"]}


def test_the_filterset_offers_only_organizations_in_scope(rf, world, items):
    request = rf.get("/ledger/")
    request.user = world.committee
    filterset = ItemFilterSet(
        {"organization": world.sibling.pk}, queryset=Item.objects.visible_to(request.user), request=request
    )
    assert not filterset.is_valid()
    assert "organization" in filterset.errors
    assert set(filterset.form.fields["organization"].queryset) == {world.branch, world.group}


def test_the_filterset_keyword_searches_reference_issue_and_measures(rf, world, items):
    request = rf.get("/ledger/")
    request.user = world.company_committee
    base = Item.objects.visible_to(request.user)
    branch = items["branch"]

    def keyword(q):
        return set(ItemFilterSet({"q": q}, queryset=base, request=request).qs)

    assert keyword(branch.reference) == {branch}
    assert keyword("闭卷考试") == set(items.values())
    assert keyword(branch.issue.description[-6:]) == {branch}
    assert keyword("不存在的内容") == set()


def test_people_see_the_meetings_they_were_expected_at(world):
    from ledger.models import Attendance

    branch_meeting = MeetingFactory(organization=world.branch)
    other = MeetingFactory(organization=world.branch)
    Attendance.objects.create(
        meeting=branch_meeting, person=world.owner, present=False, absence_reason="on_shift"
    )
    # The owner belongs to the branch's group only: the branch's meetings are above that scope,
    # except the one the owner was on the attendance list of.
    assert set(Meeting.objects.visible_to(world.owner)) == {branch_meeting}
    assert other not in Meeting.objects.visible_to(world.owner)
    assert not Meeting.objects.visible_to(world.outsider).filter(pk=branch_meeting.pk).exists()
