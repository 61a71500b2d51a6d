"""待我处理: what waits for a user's action, and where a user starts after logging in.

The selection rules of the work queue live here and nowhere else. Each section of the queue is
the workflow's own rule turned into a database filter: the states come from the transition
table (`workflow.RULES`), who may act from the user's `Scope` (the organizations the user
manages, double review), so that the navbar's count is one query whatever the size of the
ledger. The rows a page shows are then checked again with `workflow.refusal()`: a row is only
offered when the workflow would accept the action it links to (the tests hold both to agree).

- Committee members: items awaiting verification (what they may close now: in an organization
  with double review only what the responsible leader has reviewed, and never their own
  items), extension requests to decide, overdue items, long-term items whose review date came.
- Responsible leaders: submitted items awaiting their review (复核) where double review applies.
- Owners: their items that wait for them, by urgency: overdue, returned to them, due within
  seven days.
"""

from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.permissions import Scope

from . import workflow
from .models import ExtensionRequest, Item
from .workflow import Action

S = Item.Status

SOON_DAYS = 7
# How many rows a section shows; the section's count says how many there are in all.
SECTION_ROWS = 50

# The states in which an item waits for its owner (to start, post progress, submit).
OWNER_STATES = (
    workflow.RULES[Action.START].states
    | workflow.RULES[Action.POST_PROGRESS].states
    | workflow.RULES[Action.SUBMIT].states
)
# The owner's actions, in the order the queue prefers to link to them.
OWNER_ACTIONS = (Action.START, Action.POST_PROGRESS, Action.SUBMIT, Action.REQUEST_EXTENSION)


@dataclass(frozen=True)
class Section:
    """One list of the queue. `action` is the workflow action its rows wait for (its form is
    where a row links to); None for a reminder (overdue items), which links to the item."""

    key: str
    title: str
    role: str
    action: Action | None = None


COMMITTEE, LEADER, OWNER = workflow.Role.COMMITTEE, workflow.Role.LEADER, workflow.Role.OWNER

SECTIONS = (
    Section("verify", _("Awaiting verification"), COMMITTEE, Action.CLOSE),
    Section("extensions", _("Extension requests to decide"), COMMITTEE, Action.DECIDE_EXTENSION),
    Section("review_due", _("Long-term items due for review"), COMMITTEE, Action.EDIT),
    Section("overdue", _("Overdue items"), COMMITTEE),
    Section("leader_review", _("Awaiting your review"), LEADER, Action.REVIEW),
    Section("mine_overdue", _("Your overdue items"), OWNER),
    Section("mine_returned", _("Returned to you"), OWNER),
    Section("mine_soon", _("Due within 7 days"), OWNER),
)
SECTIONS_BY_KEY = {section.key: section for section in SECTIONS}


def _returned_q():
    """The item's latest history row is a return (退回): nothing was done on it since."""
    latest = (
        Item.history.filter(id=OuterRef("pk"))
        .order_by("-history_date", "-history_id")
        .values("history_action")[:1]
    )
    # Coalesce: a row without history (none is written so, but a negated NULL would drop it).
    return Q(Exact(Coalesce(Subquery(latest), Value("")), Value(Action.RETURN.value)))


def section_filters(user, today=None):
    """{section key: Q} of the sections that apply to `user` (committee sections only for
    committee members). Reads the user's scope (cached per request), no other query."""
    today = today or timezone.localdate()
    scope = Scope.for_user(user)
    if scope.user_id is None:
        return {}
    uid = scope.user_id
    filters = {}
    double_review = scope.double_review_orgs()
    if scope.manages_anything:
        managed = Q() if scope.is_superuser else Q(organization__in=scope.committee_org_ids)
        pending = ExtensionRequest.objects.filter(status=ExtensionRequest.Status.PENDING).values("item_id")
        filters["verify"] = (
            managed
            & Q(status__in=workflow.RULES[Action.CLOSE].states)
            & ~Q(owner_id=uid)
            # With double review the leader reviews first: what is only submitted is not theirs yet.
            & ~Q(status=S.SUBMITTED, organization__in=double_review)
        )
        filters["extensions"] = (
            managed & Q(status__in=workflow.RULES[Action.DECIDE_EXTENSION].states) & Q(pk__in=pending)
        )
        filters["review_due"] = managed & Q(status=S.LONG_TERM, next_review_on__lte=today)
        filters["overdue"] = managed & Q(status__in=Item.DEADLINE_STATUSES, deadline__lt=today)
    filters["leader_review"] = Q(
        leader_id=uid, status__in=workflow.RULES[Action.REVIEW].states, organization__in=double_review
    ) & ~Q(owner_id=uid)
    owned = Item.worked_on_q(uid) & Q(status__in=OWNER_STATES)
    overdue = Item.overdue_q(today)
    returned = _returned_q()
    filters["mine_overdue"] = owned & overdue
    filters["mine_returned"] = owned & ~overdue & returned
    filters["mine_soon"] = owned & Item.due_within_q(SOON_DAYS, today) & ~returned
    return filters


def _any(filters):
    combined = Q()
    for condition in filters.values():
        combined |= condition
    return combined


# The navbar counts the waiting items up to this many and says "99+" beyond: every page shows
# the figure, and a committee's queue can hold tens of thousands of items (counting them all
# cost more than the rest of a page). The work queue's page counts each section in full.
WAITING_SHOWN = 99


def waiting_count(user, today=None, limit=None):
    """How many items wait for the user (each counted once, in whatever sections it is), counted
    up to `limit` + 1 (`WAITING_SHOWN` + 1 by default): the navbar's figure, exact up to
    `limit` (`limit` + 1 says "more"). One query (after the user's scope, which the page has
    read already)."""
    filters = section_filters(user, today)
    if not filters:
        return 0
    limit = WAITING_SHOWN if limit is None else limit
    # A LIMIT under the COUNT: the database stops at the first rows it finds.
    return Item.objects.visible_to(user).filter(_any(filters)).order_by()[: limit + 1].count()


def waiting_label(count, limit=None):
    """The navbar's figure for `count` (from `waiting_count`): the number, or "99+" beyond `limit`."""
    limit = WAITING_SHOWN if limit is None else limit
    return f"{limit}+" if count > limit else count


@dataclass
class Row:
    """One line of the queue: an item (and, for a decision, the extension request), the
    address of the form where the action is taken."""

    item: Item
    url: str
    extension: ExtensionRequest | None = None


@dataclass
class QueueSection:
    section: Section
    count: int
    rows: list = field(default_factory=list)

    @property
    def more(self):
        return self.count - len(self.rows)


def _item_url(item, anchor=""):
    url = reverse("ledger:item_detail", args=[item.pk])
    return f"{url}#{anchor}" if anchor else url


def _row(user, section, item):
    """The row for `item` in `section`, or None when the workflow would refuse its action."""
    if section.role == OWNER:
        allowed = workflow.allowed_actions(user, item)
        action = next((action for action in OWNER_ACTIONS if action in allowed), None)
        if action is None:
            return None
        return Row(item=item, url=_item_url(item, f"action-{action.value}"))
    if section.action is None:
        return Row(item=item, url=_item_url(item))
    if workflow.refusal(user, item, section.action) is not None:
        return None
    return Row(item=item, url=_item_url(item, f"action-{section.action.value}"))


# How each section's rows are ordered: what runs late first.
ORDERING = {
    "verify": ("deadline", "pk"),
    "review_due": ("next_review_on", "pk"),
    "overdue": ("deadline", "pk"),
    "leader_review": ("deadline", "pk"),
    "mine_overdue": ("deadline", "next_review_on", "pk"),
    "mine_returned": ("deadline", "pk"),
    "mine_soon": ("deadline", "next_review_on", "pk"),
}


def work_queue(user, today=None, rows=SECTION_ROWS):
    """The user's queue: the sections that apply, each with its count and its first `rows`
    rows, in a fixed number of queries (one for the counts, one per section with rows)."""
    today = today or timezone.localdate()
    filters = section_filters(user, today)
    if not filters:
        return []
    visible = Item.objects.visible_to(user)
    counts = visible.filter(_any(filters)).aggregate(
        **{key: Count("pk", filter=condition) for key, condition in filters.items()}
    )
    result = []
    for key, condition in filters.items():
        section = SECTIONS_BY_KEY[key]
        entry = QueueSection(section=section, count=counts[key])
        result.append(entry)
        if not entry.count:
            continue
        if key == "extensions":
            entry.rows = _extension_rows(user, visible.filter(condition), rows)
            continue
        items = (
            visible.filter(condition)
            .select_related("organization", "issue", "owner", "leader")
            .order_by(*ORDERING[key])[:rows]
        )
        entry.rows = [row for row in (_row(user, section, item) for item in items) if row is not None]
    return result


def _extension_rows(user, items, rows):
    """One row per pending extension request (oldest first), linked to its decision form."""
    requests = (
        ExtensionRequest.objects.filter(status=ExtensionRequest.Status.PENDING, item__in=items)
        .select_related("item", "item__organization", "item__issue", "item__owner", "requested_by")
        .order_by("created_at", "pk")[:rows]
    )
    found = []
    for request in requests:
        item = request.item
        if workflow.refusal(user, item, Action.DECIDE_EXTENSION) is None:
            found.append(Row(item=item, url=_item_url(item, f"extension-{request.pk}"), extension=request))
    return found


def landing_url(user):
    """Where a user starts after logging in: an owner with no committee or leadership role
    starts on the owner's page (`/ledger/mine/`), everybody else on the dashboard."""
    scope = Scope.for_user(user)
    if scope.is_superuser or scope.committee_org_ids or scope.leadership_org_ids:
        return reverse("dashboard")
    if Item.objects.filter(owner=user).exists():
        return reverse("ledger:mine")
    return reverse("dashboard")
