"""Who may see and do what: the one place that turns memberships into scopes.

A role held in an organization reaches that organization and every unit below it. The scope of a
user is computed once per user object (so once per request) with two queries: the user's
memberships and the (small) organization tree. Every list, report, export and API narrows its
queryset through `visible_to(user)` methods that read this scope.

Double review (`Organization.double_review`) reaches down the tree the same way: the scope keeps
the organizations it applies to, read with the same tree.

Every walk of the organization tree goes through :class:`OrganizationTree` (read in one query):
subtrees, ancestors, "is this unit within that one". Every permission decision is a method of
:class:`Scope`: which items the user sees (:meth:`Scope.visible_items`, for the live table and
for its historical rows alike), who manages or leads what, who may print which report.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.apps import apps
from django.db import connection
from django.db.models import BooleanField, F, Func, Q

from core.models import Membership, Organization, User

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
    tree = OrganizationTree.read()
    return tree.children, tree.flagged


def children_map():
    """Map of parent id to its children's ids, read in one query."""
    return organization_tree()[0]


class OrganizationTree:
    """The organization tree as read once (one query): the one helper for walking it.

    Walks happen in memory, so a subtree or the ancestors of a unit cost no query per level."""

    def __init__(self, rows):
        self.parent_of = {}
        self.children = defaultdict(list)
        self.flagged = set()
        for org_id, parent_id, double_review in rows:
            self.parent_of[org_id] = parent_id
            self.children[parent_id].append(org_id)
            if double_review:
                self.flagged.add(org_id)

    @classmethod
    def read(cls):
        """The tree as stored now, in one query."""
        return cls(Organization.objects.values_list("pk", "parent_id", "double_review"))

    @classmethod
    def from_children(cls, children_by_parent):
        """The tree of a map of parent id to its children's ids, as `children_map()` reads it
        (no double review flags)."""
        return cls(
            (child, parent, False) for parent, children in children_by_parent.items() for child in children
        )

    def subtree(self, root_ids):
        """Ids of the given organizations and of every organization below them."""
        return subtree_ids(root_ids, self.children)

    def ancestors(self, org_id):
        """Ids of the organizations above `org_id`, the nearest first (a cycle stops the walk)."""
        found = []
        node = self.parent_of.get(org_id)
        while node is not None and node != org_id and node not in found:
            found.append(node)
            node = self.parent_of.get(node)
        return found

    def subtree_and_ancestors(self, org_id):
        """The organization, the units below it and the ones above it (whose leaders answer for it)."""
        return self.subtree([org_id]) | set(self.ancestors(org_id))

    def is_within(self, org_id, ancestor_id):
        """True when `org_id` is `ancestor_id` or a unit below it."""
        return org_id == ancestor_id or ancestor_id in self.ancestors(org_id)


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

    # Items: the visibility rule, written once ------------------------------------------------

    def visible_items(self, items):
        """`items` narrowed to what the user may see: the items of the user's organizations, plus
        the items the user owns or leads anywhere. `items` is a queryset of items or of their
        historical rows (the ledger as it stood at a date): both have these columns."""
        if self.is_superuser:
            return items
        if self.user_id is None:
            return items.none()
        # The co-owners' links are a table of their own (ledger.ItemCoOwner): a semi-join, not a
        # join that would repeat rows. `id` is the item's id on items and on historical rows.
        co_owned = apps.get_model("ledger", "ItemCoOwner").objects.filter(person_id=self.user_id)
        return items.filter(
            Q(organization_id__in=self.visible_org_ids)
            | Q(owner_id=self.user_id)
            | Q(leader_id=self.user_id)
            | among("id", co_owned.values("item_id"))
        )

    # Printing ------------------------------------------------------------------------------

    def may_print_reports(self):
        """Committee members, leadership and superusers print ledger-wide reports."""
        return self.is_superuser or bool(self.committee_org_ids or self.leadership_org_ids)

    def may_see_history_chain(self):
        """Superusers and leadership watch the tamper-evident history (`core.chain`)."""
        return self.is_superuser or bool(self.leadership_org_ids)

    def may_print_dossier(self, item):
        """An item's dossier is for its managers and leadership, its owner and its leader."""
        return (
            self.manages(item.organization_id)
            or self.leads(item.organization_id)
            or (self.user_id is not None and self.user_id in (item.owner_id, item.leader_id))
        )

    def may_print_minutes(self, meeting):
        """The minutes of a meeting are for its organization's managers and leadership."""
        return self.manages(meeting.organization_id) or self.leads(meeting.organization_id)


# ---------------------------------------------------------------------------------------------
# Who may be chosen as owner (责任人) or responsible leader (责任领导) of an organization's items:
# one rule for both, for the forms, the importer and the workflow.

# Active people, and the placeholders an import created for names that matched no account
# (inactive by design: they cannot sign in).
CHOOSABLE = Q(is_active=True) | Q(is_placeholder=True)


def among(column, values):
    """Q: `column` is one of the values the subquery `values` yields (`column__in`).

    On PostgreSQL written `column = ANY(ARRAY(subquery))`: the subquery runs once and the
    condition is an index condition, so that ORed with others (the owner, the leader) the
    planner reads each by its index; an `IN (subquery)` ORed so made it read every open item
    (an owner's page spent 0.1 s a query on it at 100,000 items)."""
    if connection.vendor != "postgresql":
        return Q(**{f"{column}__in": values})
    from django.contrib.postgres.expressions import ArraySubquery  # PostgreSQL's own (psycopg)

    return Q(_AnyOf(F(column), ArraySubquery(values)))


class _AnyOf(Func):
    """`column = ANY(ARRAY(subquery))`, a condition."""

    arg_joiner = " = ANY("
    template = "%(expressions)s)"
    output_field = BooleanField()


def related_organization_ids(organization_id, children_by_parent=None):
    """The organization, every unit below it and every one above it (whose leaders answer for
    it). Reads the tree (one query) unless `children_by_parent` is given."""
    if children_by_parent is None:
        tree = OrganizationTree.read()
    else:
        tree = OrganizationTree.from_children(children_by_parent)
    return tree.subtree_and_ancestors(organization_id)


def eligible_memberships(organization, children_by_parent=None):
    """The memberships that make people eligible as owner or responsible leader of the items of
    `organization` (see `eligible_people`): of active people or placeholders, in it, in a unit
    below it or in one above it."""
    related = related_organization_ids(organization.pk, children_by_parent)
    return Membership.objects.filter(organization__in=related, user__in=User.objects.filter(CHOOSABLE))


def eligible_people(organization, children_by_parent=None):
    """The people who may own an item of `organization` or be its responsible leader: those who
    hold a membership (any role) in it, in a unit below it or in one above it, and are active or
    are placeholders (an import gives a placeholder a membership in the organization it imports
    into). A queryset; `is_eligible()` and `Eligibility` apply the same rule to given people.
    `children_by_parent` (the tree, as `children_map()` reads it) saves reading the tree."""
    members = eligible_memberships(organization, children_by_parent)
    return User.objects.filter(pk__in=members.values("user_id"))


def is_eligible(person, organization):
    """Whether `person` may own an item of `organization` or be its responsible leader."""
    return Eligibility([person.pk]).allows(person.pk, organization.pk)


class Eligibility:
    """`eligible_people()`'s rule for many people and organizations at once, for batches such as
    imports: two queries (the organization tree, the memberships of the people given), or none
    when the tree and the memberships (user id, organization id) were read already."""

    def __init__(self, person_ids=(), *, children_by_parent=None, memberships=None):
        self.children = children_map() if children_by_parent is None else children_by_parent
        self.orgs_of = defaultdict(set)
        if memberships is None:
            person_ids = list(person_ids)
            people = User.objects.filter(CHOOSABLE, pk__in=person_ids)
            memberships = (
                Membership.objects.filter(user__in=people)
                .order_by()
                .values_list("user_id", "organization_id")
                if person_ids
                else ()
            )
        for user_id, org_id in memberships:
            self.orgs_of[user_id].add(org_id)
        self._related = {}

    def add(self, person_id, organization_id):
        """Count a membership made since (a placeholder's)."""
        self.orgs_of[person_id].add(organization_id)

    def allows(self, person_id, organization_id):
        if organization_id not in self._related:
            self._related[organization_id] = related_organization_ids(organization_id, self.children)
        return not self.orgs_of.get(person_id, set()).isdisjoint(self._related[organization_id])
