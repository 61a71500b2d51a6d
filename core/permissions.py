"""Who may see and do what: the one place that turns memberships into scopes.

A role held in an organization reaches that organization and every unit below it. The scope of a
user is computed once per user object (so once per request) with two queries: the user's
memberships and the (small) organization tree. Every list, report, export and API narrows its
queryset through `visible_to(user)` methods that read this scope.

Double review (`Organization.double_review`) reaches down the tree the same way: the scope keeps
the organizations it applies to, read with the same tree.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from core.models import Membership, Organization

_CACHE_ATTR = "_ledger_scope"


def subtree_ids(root_ids, children_by_parent):
    """Ids of the given organizations and of every organization below them."""
    found = set()
    stack = list(root_ids)
    while stack:
        org_id = stack.pop()
        if org_id in found:
            continue
        found.add(org_id)
        stack.extend(children_by_parent.get(org_id, ()))
    return found


def organization_tree():
    """The organization tree, read in one query: the map of parent id to its children's ids, and
    the ids of the organizations that set `double_review` themselves."""
    children = defaultdict(list)
    flagged = set()
    rows = Organization.objects.values_list("pk", "parent_id", "double_review")
    for org_id, parent_id, double_review in rows:
        children[parent_id].append(org_id)
        if double_review:
            flagged.add(org_id)
    return children, flagged


def children_map():
    """Map of parent id to its children's ids, read in one query."""
    return organization_tree()[0]


def double_review_ids(children_by_parent, flagged_ids):
    """Ids of the organizations whose items need double review: those that set `double_review`
    and every organization below them (a party group of a branch with double review has it too)."""
    return frozenset(subtree_ids(flagged_ids, children_by_parent))


@dataclass(frozen=True)
class Scope:
    """The organizations a user reaches, by role. Superusers reach everything."""

    user_id: int | None
    is_superuser: bool = False
    visible_org_ids: frozenset = field(default_factory=frozenset)
    committee_org_ids: frozenset = field(default_factory=frozenset)
    leadership_org_ids: frozenset = field(default_factory=frozenset)
    # Organizations whose items need double review; None until read (superusers and people
    # without memberships read no tree to compute their scope).
    double_review_org_ids: frozenset | None = None

    @classmethod
    def for_user(cls, user):
        """The user's scope, computed once and kept on the user object."""
        cached = getattr(user, _CACHE_ATTR, None)
        if cached is not None:
            return cached
        if user is None or not user.is_authenticated or not user.is_active:
            scope = cls(user_id=None)
        elif user.is_superuser:
            scope = cls(user_id=user.pk, is_superuser=True)
        else:
            scope = cls._compute(user)
        if user is not None:
            setattr(user, _CACHE_ATTR, scope)
        return scope

    @classmethod
    def _compute(cls, user):
        roots = defaultdict(set)
        for org_id, role in Membership.objects.filter(user=user).values_list("organization_id", "role"):
            roots[role].add(org_id)
        if not roots:
            return cls(user_id=user.pk)
        children, flagged = organization_tree()
        by_role = {role: frozenset(subtree_ids(ids, children)) for role, ids in roots.items()}
        return cls(
            user_id=user.pk,
            visible_org_ids=frozenset().union(*by_role.values()),
            committee_org_ids=by_role.get(Membership.Role.COMMITTEE, frozenset()),
            leadership_org_ids=by_role.get(Membership.Role.LEADERSHIP, frozenset()),
            double_review_org_ids=double_review_ids(children, flagged),
        )

    def can_view_org(self, org_id):
        return self.is_superuser or org_id in self.visible_org_ids

    def manages(self, org_id):
        """True when the user sits on the committee of this organization or of an ancestor."""
        return self.is_superuser or org_id in self.committee_org_ids

    def leads(self, org_id):
        """True when the user holds a leadership role over this organization."""
        return self.is_superuser or org_id in self.leadership_org_ids

    def needs_double_review(self, org_id):
        """True when items of this organization need their responsible leader's review before
        the committee closes them: it or an organization above it has double review on.

        Like the rest of the scope, read once per user object (so once per request)."""
        if self.double_review_org_ids is None:
            # The scope is frozen; this fills in the one field it leaves to be read on demand.
            object.__setattr__(self, "double_review_org_ids", double_review_ids(*organization_tree()))
        return org_id in self.double_review_org_ids

    def double_review_orgs(self):
        """The ids of the organizations whose items need double review (read as above)."""
        self.needs_double_review(None)
        return self.double_review_org_ids

    @property
    def manages_anything(self):
        return self.is_superuser or bool(self.committee_org_ids)
