"""The rectification workflow: the one writer of the ledger's records.

Items, issues, meetings, attendance, progress updates, evidence and extension requests change
only through the functions of this module (and `ledger.bulk`, which it uses for batches): the
web views, the importer and `seed_demo` call them. (The admin shows items and what hangs on
them read-only; its edits of meetings, issues and attendance do not come here yet: issue 10.)
The Word documents' records (an organization's `WordTemplate` versions, the `Withheld` 不公开
marks of the public version) are written here too: `upload_word_template`, `withhold`, `disclose`.
Templates only *offer* what :func:`allowed_actions` returns; the functions check again.

Each action on an item
1. locks the item row (``select_for_update``) inside ``transaction.atomic()``,
2. refuses a stale edit (the caller's ``expected_version`` is not the stored one),
3. checks the rules table below and the actor's role on the item,
4. saves once, so that the item gets exactly one history row naming the actor, the action and
   the reason, and bumps ``version``.

Every function that writes is one action (`core.audit.action`): the history rows it writes
(the item's and, for a progress post, the update's and its files') share one action id, and
each row emits one `core.events.Event` once the transaction commits. A function called by
another joins its action.

A refused action raises :class:`ActionRefused` (or a field-keyed ``ValidationError`` for bad
input) and changes nothing. Views, forms and imports call these functions (and so will the
API); the admin only reads these records (``ledger.admin``); templates only *offer* what
:func:`allowed_actions` returns.
"""

import datetime
import functools
import random
import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core import audit
from core.audit import save_with_history
from core.models import Membership, Organization
from core.permissions import Eligibility, OrganizationTree, Scope

from . import bulk, lights
from .models import (
    Accountability,
    Attendance,
    Evidence,
    ExtensionRequest,
    Issue,
    Item,
    ItemCoOwner,
    LightSettings,
    Meeting,
    Notification,
    ProgressUpdate,
    Recheck,
    RecheckBatch,
    Urging,
    WarningTalk,
    Withheld,
    WordTemplate,
)
from .notify import notify
from .validators import check_evidence_file, check_evidence_totals

S = Item.Status


class Action(models.TextChoices):
    CREATE = "create", _("Created")
    EDIT = "edit", _("Edit")
    START = "start", _("Start work")
    POST_PROGRESS = "post_progress", _("Post progress")
    ATTACH_EVIDENCE = "attach_evidence", _("Attach evidence")
    SUBMIT = "submit", _("Submit for verification")
    REVIEW = "review", _("Review")
    RETURN = "return", _("Return")
    # With a context: Django's admin has a "Close" button (关闭), which must not read 销号.
    CLOSE = "close", pgettext_lazy("item action", "Close")
    REOPEN = "reopen", _("Reopen")
    WITHDRAW = "withdraw", _("Withdraw")
    REQUEST_EXTENSION = "request_extension", _("Request extension")
    DECIDE_EXTENSION = "decide_extension", _("Decide extension")
    IMPORT = "import", _("Imported")
    REMOVE = "remove", _("Removed from the list")
    # Supervision (issue 13): the records of `Urging`, `WarningTalk`, `Accountability`, re-checks.
    URGE = "urge", _("Urge")
    ISSUE_NOTICE = "issue_notice", _("Issue a supervision notice")
    REPLY = "reply", _("Reply to the urging")
    WARNING_TALK = "warning_talk", _("Record a warning talk")
    ACCOUNTABILITY = "accountability", _("Record accountability")
    DRAW_RECHECK = "draw_recheck", _("Draw items for re-check")
    RECHECK = "recheck", _("Record a re-check")
    ASSIGN_CHECKER = "assign_checker", _("Assign the checker")
    SET_LIGHTS = "set_lights", _("Change the traffic-light thresholds")
    # Word documents (issue 14): the public version's marks and the organizations' templates.
    WITHHOLD = "withhold", _("Mark as not for publication")
    DISCLOSE = "disclose", _("Unmark: may be published")
    UPLOAD_TEMPLATE = "upload_template", _("Upload a Word template")


class Role(models.TextChoices):
    """A user's relation to one item (not a membership role)."""

    OWNER = "owner", _("owner")
    LEADER = "leader", _("responsible leader")
    COMMITTEE = "committee", _("committee member")
    CO_OWNER = "co_owner", _("co-owner")


class ActionRefused(Exception):
    """An action that the rules do not allow now. Nothing was changed."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def __str__(self):
        return str(self.message)


class NotAllowed(ActionRefused, PermissionDenied):
    """The actor has no right to take this action on this item."""


class InvalidTransition(ActionRefused):
    """The action is not possible in the item's current state."""


class EditConflict(ActionRefused):
    """The record (an item, an issue, a meeting) changed since the actor loaded it; `current`
    is the record as it is now."""

    MESSAGES = {
        Item: _(
            "Someone else changed this item in the meantime (now version {version}). "
            "Nothing was saved: review the changes and try again."
        ),
        Issue: _(
            "Someone else changed this issue in the meantime (now version {version}). "
            "Nothing was saved: review the changes and try again."
        ),
        Meeting: _(
            "Someone else changed this meeting in the meantime (now version {version}). "
            "Nothing was saved: review the changes and try again."
        ),
        Attendance: _(
            "Someone else recorded this person's attendance in the meantime (now version {version}). "
            "Nothing was saved: review the list and save again."
        ),
        Urging: _(
            "Someone else answered this notice in the meantime (now version {version}). "
            "Nothing was saved: read the reply on the item's page."
        ),
        Recheck: _(
            "Someone else recorded this re-check in the meantime (now version {version}). "
            "Nothing was saved: read the result on the re-check page."
        ),
    }

    def __init__(self, current):
        super().__init__(self.MESSAGES[type(current)].format(version=current.version))
        self.current = current


@dataclass(frozen=True)
class Rule:
    states: frozenset
    roles: frozenset


ACTIVE = frozenset(Item.ACTIVE_STATUSES)  # every state but closed and withdrawn
COMMITTEE, OWNER, LEADER, CO_OWNER = Role.COMMITTEE, Role.OWNER, Role.LEADER, Role.CO_OWNER

# The transition table: which states an action starts from and who may take it. Conditions
# that depend on more than the state (double review, "not your own item", a pending
# extension, a progress update before submitting) are checked in `refusal()`.
RULES = {
    Action.EDIT: Rule(ACTIVE, frozenset({COMMITTEE})),
    Action.START: Rule(frozenset({S.OPEN}), frozenset({OWNER, COMMITTEE})),
    # A co-owner (协办人) reports on the work too; the owner still submits and answers for it.
    Action.POST_PROGRESS: Rule(
        frozenset({S.OPEN, S.IN_PROGRESS, S.LONG_TERM}), frozenset({OWNER, CO_OWNER, COMMITTEE})
    ),
    Action.ATTACH_EVIDENCE: Rule(ACTIVE, frozenset({OWNER, CO_OWNER, COMMITTEE})),
    Action.SUBMIT: Rule(frozenset({S.IN_PROGRESS, S.LONG_TERM}), frozenset({OWNER})),
    Action.REVIEW: Rule(frozenset({S.SUBMITTED}), frozenset({LEADER})),
    Action.RETURN: Rule(frozenset({S.SUBMITTED, S.REVIEWED}), frozenset({COMMITTEE, LEADER})),
    Action.CLOSE: Rule(frozenset({S.SUBMITTED, S.REVIEWED}), frozenset({COMMITTEE})),
    Action.REOPEN: Rule(frozenset({S.CLOSED}), frozenset({COMMITTEE})),
    Action.WITHDRAW: Rule(ACTIVE, frozenset({COMMITTEE})),
    Action.REQUEST_EXTENSION: Rule(frozenset({S.OPEN, S.IN_PROGRESS}), frozenset({OWNER})),
    Action.DECIDE_EXTENSION: Rule(ACTIVE, frozenset({COMMITTEE})),
}

# Actions offered on an item page, in the order buttons are shown.
ITEM_ACTIONS = [
    Action.START,
    Action.POST_PROGRESS,
    Action.SUBMIT,
    Action.REQUEST_EXTENSION,
    Action.REVIEW,
    Action.RETURN,
    Action.CLOSE,
    Action.DECIDE_EXTENSION,
    Action.EDIT,
    Action.REOPEN,
    Action.WITHDRAW,
    Action.ATTACH_EVIDENCE,
]


def roles_on(user, item, *, co_owner=False):
    """The user's roles on this item: owner, responsible leader, committee (of it or above);
    with `co_owner`, co-owner too (which may read the item's co-owners: see `is_co_owner`)."""
    roles = set()
    if user is None or not user.is_authenticated:
        return roles
    if item.owner_id == user.pk:
        roles.add(Role.OWNER)
    if item.leader_id == user.pk:
        roles.add(Role.LEADER)
    if Scope.for_user(user).manages(item.organization_id):
        roles.add(Role.COMMITTEE)
    if co_owner and is_co_owner(user, item):
        roles.add(Role.CO_OWNER)
    return roles


def co_owner_ids(item):
    """The ids of the item's co-owners, in their order (`Item.co_owner_list`: one query an item
    object at most), or as an action of this request left them."""
    if "_co_owner_ids" in item.__dict__:
        return item._co_owner_ids
    return [link.person_id for link in item.co_owner_list()]


def is_co_owner(user, item):
    return user.pk in co_owner_ids(item)


def needs_double_review(user, item):
    """True when `item` needs its responsible leader's review (复核) before the committee closes
    it: its organization or one above it has double review on (`Organization.double_review`).

    Read from the user's scope, which loads the organization tree once per request: no query per
    item nor per level of the tree.
    """
    return Scope.for_user(user).needs_double_review(item.organization_id)


def refusal(user, item, action):
    """Why `user` may not take `action` on `item` now, or None when allowed.

    Returns ``(exception class, message)``; it reads the item as given, without locking.
    """
    rule = RULES[action]
    roles = roles_on(user, item)
    # Whether the user is a co-owner is read only when it decides (one query an item at most).
    if not roles & rule.roles and CO_OWNER in rule.roles and is_co_owner(user, item):
        roles.add(Role.CO_OWNER)
    if not roles & rule.roles:
        return NotAllowed, _("You may not take the action “{action}” on this item.").format(
            action=action.label
        )
    if item.status not in rule.states:
        return InvalidTransition, _("“{action}” is not possible while the item is “{status}”.").format(
            action=action.label, status=item.get_status_display()
        )
    double_review = needs_double_review(user, item)
    if action == Action.REVIEW and not double_review:
        return InvalidTransition, _("This organization does not use double review.")
    if action == Action.REVIEW and Role.OWNER in roles:
        return NotAllowed, _("You cannot review an item you own.")
    if action == Action.CLOSE:
        if Role.OWNER in roles:
            return NotAllowed, _("You cannot close an item you own: another committee member must verify it.")
        if double_review and item.status == S.SUBMITTED:
            return InvalidTransition, _(
                "The responsible leader must review this item before it can be closed."
            )
    # The leader returns only what waits for the leader's review.
    leader_may_return = double_review and item.status == S.SUBMITTED
    if action == Action.RETURN and Role.COMMITTEE not in roles and not leader_may_return:
        return NotAllowed, _("Only the committee can return this item now.")
    if action == Action.REQUEST_EXTENSION and item.kind == Item.Kind.LONG_TERM:
        return InvalidTransition, _("A long-term item has review dates, not a deadline to extend.")
    # The preconditions that read other rows come last, so that most refusals need no query.
    if action == Action.SUBMIT and not has_progress_updates(item):
        return InvalidTransition, _("Post at least one progress update before submitting.")
    if action == Action.REQUEST_EXTENSION and has_pending_extension(item):
        return InvalidTransition, _("This item already has an extension request awaiting a decision.")
    return None


def has_progress_updates(item):
    """Whether the item has a progress update (a submit needs one).

    Reads the annotation of :func:`with_preconditions` when the item has it, else asks the
    database: a page of many items annotates them instead of asking once per item."""
    known = getattr(item, "has_progress_updates", None)
    if known is not None:
        return known
    return item.updates.exists()


def has_pending_extension(item):
    """Whether an extension request of the item awaits a decision (only one may at a time).

    Like :func:`has_progress_updates`, reads the annotation when there is one."""
    known = getattr(item, "has_pending_extension", None)
    if known is not None:
        return known
    return item.extension_requests.filter(status=ExtensionRequest.Status.PENDING).exists()


def with_preconditions(queryset):
    """`queryset` of items annotated with what :func:`refusal` reads besides the item itself,
    so that :func:`allowed_actions` on every item of a page runs no query of its own."""
    return queryset.annotate(
        has_progress_updates=models.Exists(ProgressUpdate.objects.filter(item=models.OuterRef("pk"))),
        has_pending_extension=models.Exists(
            ExtensionRequest.objects.filter(
                item=models.OuterRef("pk"), status=ExtensionRequest.Status.PENDING
            )
        ),
    )


def allowed_actions(user, item):
    """The actions `user` may take on `item` now, for templates to offer (the server re-checks)."""
    return [action for action in ITEM_ACTIONS if refusal(user, item, action) is None]


def check(user, item, action):
    """Raise the refusal, if any."""
    refused = refusal(user, item, action)
    if refused is not None:
        exc_class, message = refused
        raise exc_class(message)


def _lock(item, expected_version):
    """Re-read the item under a row lock and refuse a stale version. Call inside atomic()."""
    fresh = Item.objects.select_related("organization").select_for_update(of=("self",)).get(pk=item.pk)
    if expected_version is not None and int(expected_version) != fresh.version:
        raise EditConflict(fresh)
    return fresh


def _save(item, actor, action, reason=""):
    item.version += 1
    return save_with_history(item, user=actor, action=action, reason=reason)


def _require(value, field, message):
    if not (value or "").strip():
        raise ValidationError({field: message})
    return value.strip()


def _working_status(item):
    """The state of an item that is being worked on: long-term items stay long-term."""
    return S.LONG_TERM if item.kind == Item.Kind.LONG_TERM else S.IN_PROGRESS


def _take_progress(item, percent):
    """Progress posted on an item: the percent reached; an item not started yet is started."""
    if item.status == S.OPEN:
        item.status = _working_status(item)
    item.progress = percent


def _take_imported_state(item, status):
    """The state a spreadsheet says an item is in, taken over as written: a closed item is
    closed as completed (at 100 %), without a verifier."""
    item.status = status
    if status == S.CLOSED:
        item.outcome = Item.Outcome.COMPLETED
        item.progress = 100
    else:
        item.outcome = ""


# ---------------------------------------------------------------------------------------------
# Items: creating and editing


ITEM_EDITABLE_FIELDS = (
    "measures",
    "leader",
    "department",
    "owner",
    "kind",
    "deadline",
    "next_review_on",
    "closure_criteria",
    "remarks",
)


def item_reference(organization, year, sequence):
    """An item's reference: its organization's short name, the year and its number in that
    year, ``机运-2026-007``."""
    return f"{organization.short_name}-{year}-{sequence:03d}"


def _store_new_items(actor, items, *, action, reason="", now=None):
    """Number new, checked items and write them with their history: the one way items are made.

    `create_item` (one item) and `import_new_items` (a batch; `seed_demo` too) end here. Each
    item gets the next number of its organization and year, allocated under one lock per
    organization (taken in a fixed order, so that two batches cannot deadlock) with one query
    for the last numbers, its reference (:func:`item_reference`), and one history row naming
    the actor, the action and the reason; the rows go in through `ledger.bulk`, which emits one
    event per item. Call inside ``transaction.atomic()``.
    """
    if not items:
        return items
    org_ids = sorted({item.organization_id for item in items})
    locked = Organization.objects.select_for_update().filter(pk__in=org_ids).order_by("pk")
    ranks = dict(with_organization_rank(locked).values_list("pk", "rank"))
    years = {item.year for item in items}
    last = {
        (entry["organization"], entry["year"]): entry["last"]
        for entry in Item.objects.filter(organization__in=org_ids, year__in=years)
        .values("organization", "year")
        .annotate(last=models.Max("sequence"))
    }
    today = timezone.localdate()
    for item in items:
        # An imported item entered the ledger when its issue was raised, not on the day of the import.
        item.opened_on = item.issue.raised_on if action == Action.IMPORT else today
        key = (item.organization_id, item.year)
        last[key] = item.sequence = last.get(key, 0) + 1
        item.reference = item_reference(item.organization, item.year, item.sequence)
        item.org_rank = ranks[item.organization_id]
    now = now or timezone.now()
    bulk.insert_records(Item, items, now)
    bulk.insert_history(Item, items, actor, action, reason, now)
    return items


def with_organization_rank(organizations):
    """`organizations` annotated with `rank`: an organization's place in the organizations' order
    (sort order, then name; names are unique), counted by the database so that its collation
    decides, as it does for the organizations' own order. Items keep it as their sort key."""
    before = Organization.objects.filter(
        Q(sort_order__lt=models.OuterRef("sort_order"))
        | Q(sort_order=models.OuterRef("sort_order"), name__lt=models.OuterRef("name"))
    )
    count = before.order_by().annotate(n=models.Func("pk", function="COUNT")).values("n")
    return organizations.annotate(rank=models.Subquery(count, output_field=models.IntegerField()))


def renumber_organization_ranks():
    """Give every item its organization's current place (`Item.org_rank`), after an organization
    was added, reordered, renamed or removed; returns how many items changed.

    One statement, touching only the items whose place changed. No history row and no version
    bump: the sort key is derived from the organizations (whose own history records the change)
    and is not one of the item's facts, which stay as they were."""
    ranks = dict(with_organization_rank(Organization.objects.all()).values_list("pk", "rank"))
    if not ranks:
        return 0
    place = models.Case(
        *(models.When(organization_id=pk, then=models.Value(rank)) for pk, rank in ranks.items()),
        default=models.F("org_rank"),
        output_field=models.PositiveIntegerField(),
    )
    return Item.objects.exclude(org_rank=place).update(org_rank=place)


# The fields that name a person, who must be eligible for the item's organization.
ITEM_PEOPLE_FIELDS = ("owner", "leader")


def people_refusal(organization, people, eligibility=None):
    """The field-keyed `ValidationError` for the people in `people` ({field: person or None})
    who may not own or lead an item of `organization` (`core.permissions.eligible_people`), or
    None. `eligibility` (a `core.permissions.Eligibility` holding them) saves its queries."""
    named = {name: person for name, person in people.items() if person is not None}
    if not named:
        return None
    eligibility = eligibility or Eligibility({person.pk for person in named.values()})
    errors = {
        name: _(
            "{person} is not a member of {organization}, of a unit below it or of one above it: "
            "choose someone who is."
        ).format(person=person, organization=organization)
        for name, person in named.items()
        if not eligibility.allows(person.pk, organization.pk)
    }
    return ValidationError(errors) if errors else None


def check_people(organization, people):
    """Raise `people_refusal()`, if any."""
    refused = people_refusal(organization, people)
    if refused is not None:
        raise refused


def co_owners_refusal(organization, co_owners, owner=None, eligibility=None):
    """The `ValidationError` (on ``co_owners``) for co-owners who may not help on an item of
    `organization`: the owner's rule (`people_refusal`); the owner is not also a co-owner, and
    nobody is named twice. None when they may."""
    co_owners = list(co_owners)
    messages = []
    pks = [person.pk for person in co_owners]
    if len(set(pks)) != len(pks):
        messages.append(_("A person is named twice among the co-owners."))
    if owner is not None and owner.pk in pks:
        messages.append(_("The owner is not also a co-owner: {person}.").format(person=owner))
    if co_owners:
        eligibility = eligibility or Eligibility(set(pks))
        messages += [
            _(
                "{person} is not a member of {organization}, of a unit below it or of one above it: "
                "choose someone who is."
            ).format(person=person, organization=organization)
            for person in co_owners
            if not eligibility.allows(person.pk, organization.pk)
        ]
    return ValidationError({"co_owners": messages}) if messages else None


def check_co_owners(organization, co_owners, owner=None, eligibility=None):
    refused = co_owners_refusal(organization, co_owners, owner, eligibility)
    if refused is not None:
        raise refused


def _write_co_owners(actor, item, before_ids, people, action, reason):
    """Make the item's co-owners `people` (in order): links taken away and added, each with its
    history row in the open action. Call inside ``transaction.atomic()``."""
    wanted = [person.pk for person in people]
    if wanted == list(before_ids):
        return
    links = {link.person_id: link for link in ItemCoOwner.objects.filter(item=item)}
    for person_id, link in links.items():
        if person_id not in wanted:
            audit.delete_with_history(link, user=actor, action=action, reason=reason)
    for position, person_id in enumerate(wanted):
        link = links.get(person_id) or ItemCoOwner(item=item, person_id=person_id)
        if link.pk is None or link.position != position:
            link.position = position
            save_with_history(link, user=actor, action=action, reason=reason)
    item._co_owner_ids = wanted
    item.__dict__.pop("_co_owner_list", None)
    getattr(item, "_prefetched_objects_cache", {}).pop("co_owner_links", None)


PAST_DEADLINE = _(
    "This deadline is already past: the item will be overdue from the start. "
    "If that is right, tick the confirmation and save again."
)


@audit.action()
def create_item(
    actor,
    issue,
    *,
    organization=None,
    reason="",
    action=Action.CREATE,
    warn_past_deadline=False,
    co_owners=(),
    **fields,
):
    """Create a rectification item for `issue`, numbered within its organization and year.

    Only the committee of the organization (or of one above it) may do so. A deadline before
    the issue was raised is refused (`Item.clean`); with `warn_past_deadline` (a form that has
    not been confirmed yet), so is a deadline already past, with the code ``past_deadline``:
    unusual rather than impossible, it is taken once the user confirms it. The owner and the
    responsible leader must be eligible for it (`core.permissions.eligible_people`). Written by
    `_store_new_items`, as every new item is.
    """
    organization = organization or issue.organization
    if not Scope.for_user(actor).manages(organization.pk):
        raise NotAllowed(_("You may not create items for {organization}.").format(organization=organization))
    unknown = set(fields) - set(ITEM_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"create_item() got unexpected fields: {sorted(unknown)}")
    check_people(organization, {name: fields.get(name) for name in ITEM_PEOPLE_FIELDS})
    check_co_owners(organization, co_owners, fields.get("owner"))
    item = Item(issue=issue, organization=organization, **fields)
    # No original deadline: only an approved extension (or a committee decision) makes one.
    past = item.deadline is not None and item.deadline < timezone.localdate()
    if warn_past_deadline and past and item.kind != Item.Kind.LONG_TERM:
        raise ValidationError({"deadline": ValidationError(PAST_DEADLINE, code="past_deadline")})
    item.year = issue.raised_on.year
    # The number, the reference and the day it opened are given when the item is stored.
    item.full_clean(exclude=["sequence", "reference", "opened_on"])
    with transaction.atomic():
        _store_new_items(actor, [item], action=action, reason=reason)
        _write_co_owners(actor, item, [], list(co_owners), action, reason)
    return item


@audit.action()
def edit_item(
    actor,
    item,
    *,
    expected_version,
    reason="",
    deadline_decision=False,
    eligibility=None,
    co_owners=None,
    **changes,
):
    """Change measures, people, kind or dates. Committee only; refuses a stale version; a new
    owner or leader must be eligible (`people_refusal`, with `eligibility` if given).

    A changed deadline is a correction (a typo, with its reason) and leaves no "original
    deadline" behind, unless `deadline_decision` says the committee decided to move it: then,
    as for an approved extension, the deadline before the first move is kept as the original.
    `co_owners` (people, in order; None leaves them) replaces the co-owners, under the owner's
    eligibility rule; a change of co-owners alone bumps the item's version too.
    Returns the saved item. An edit that changes nothing writes no history.
    """
    unknown = set(changes) - set(ITEM_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"edit_item() got unexpected fields: {sorted(unknown)}")
    with transaction.atomic():
        item = _lock(item, expected_version)
        check(actor, item, Action.EDIT)
        changed = [name for name, value in changes.items() if getattr(item, name) != value]
        before = co_owner_ids(item) if co_owners is not None else None
        new_co_owners = None
        if co_owners is not None and [person.pk for person in co_owners] != before:
            new_co_owners = list(co_owners)
            check_co_owners(item.organization, new_co_owners, changes.get("owner", item.owner), eligibility)
        if not changed and new_co_owners is None:
            return item
        if new_co_owners is not None:
            _write_co_owners(actor, item, before, new_co_owners, Action.EDIT, reason)
        people = {name: changes[name] for name in ITEM_PEOPLE_FIELDS if name in changed}
        refused = people_refusal(item.organization, people, eligibility)
        if refused is not None:
            raise refused
        if deadline_decision and "deadline" in changed and item.original_deadline is None:
            item.original_deadline = item.deadline
        for name in changed:
            setattr(item, name, changes[name])
        # Keep the state coherent with the kind: a long-term item is worked on as long-term.
        if item.status in (S.IN_PROGRESS, S.LONG_TERM):
            item.status = _working_status(item)
        item.full_clean()
        return _save(item, actor, Action.EDIT, reason)


# ---------------------------------------------------------------------------------------------
# Items: the owner's actions


@audit.action()
def start(actor, item, *, expected_version=None, note=""):
    with transaction.atomic():
        item = _lock(item, expected_version)
        check(actor, item, Action.START)
        item.status = _working_status(item)
        return _save(item, actor, Action.START, note)


@audit.action()
def post_progress(actor, item, *, text, percent, files=(), expected_version=None, reason=None):
    """Record what was done and the percent reached, with evidence files. Returns the update.

    Posting on an item that was not started yet starts it. The history reason is the text,
    unless `reason` is given (an import names its file). The item's row, the update's and its
    files' are one action (one action id): the history shows them as one entry.
    """
    text = _require(text, "text", _("Describe what was done."))
    try:
        percent = int(percent)
    except (TypeError, ValueError):
        raise ValidationError(
            {"percent": _("Give the percent done as a whole number from 0 to 100.")}
        ) from None
    if not 0 <= percent <= 100:
        raise ValidationError({"percent": _("Give the percent done as a whole number from 0 to 100.")})
    content_types = [_checked_file(uploaded) for uploaded in files]
    with transaction.atomic():
        item = _lock(item, expected_version)
        check(actor, item, Action.POST_PROGRESS)
        if files:
            _checked_totals(item, files)
        _take_progress(item, percent)
        reason = text if reason is None else reason
        _save(item, actor, Action.POST_PROGRESS, reason)
        update = save_with_history(
            ProgressUpdate(item=item, author=actor, text=text, percent=percent),
            user=actor,
            action=Action.POST_PROGRESS,
            reason=reason,
        )
        for uploaded, content_type in zip(files, content_types, strict=True):
            _store_evidence(actor, item, uploaded, content_type, update, reason=reason)
    return update


def _checked_file(uploaded):
    try:
        return check_evidence_file(uploaded)
    except ValidationError as error:
        raise ValidationError({"files": error.messages}) from None


def _checked_totals(item, files):
    try:
        check_evidence_totals(item, files)
    except ValidationError as error:
        raise ValidationError({"files": error.messages}) from None


def _store_evidence(actor, item, uploaded, content_type, update=None, reason=""):
    evidence = Evidence(
        item=item,
        update=update,
        original_name=uploaded.name[:200],
        content_type=content_type,
        size=uploaded.size,
        uploaded_by=actor,
    )
    evidence.file.save(uploaded.name, uploaded, save=False)
    return save_with_history(evidence, user=actor, action=Action.ATTACH_EVIDENCE, reason=reason)


@audit.action()
def attach_evidence(actor, item, uploaded, *, update=None):
    """Attach one evidence file to the item (or to one of its updates). Returns the evidence."""
    content_type = _checked_file(uploaded)
    with transaction.atomic():
        item = _lock(item, None)
        check(actor, item, Action.ATTACH_EVIDENCE)
        _checked_totals(item, [uploaded])
        if update is not None and update.item_id != item.pk:
            raise ValidationError({"update": _("That progress update belongs to another item.")})
        return _store_evidence(actor, item, uploaded, content_type, update)


@audit.action()
def submit(actor, item, *, expected_version=None, note="", incomplete_confirmed=False):
    """The owner says the work is done: the item waits for verification.

    It needs a progress update (see :func:`refusal`). An item whose last reported progress is
    below 100 % is submitted only when the owner confirms that the work is done all the same
    (`incomplete_confirmed`): one tap must not send a 60 % item to verification. `note` is the
    owner's completion note, the history row's reason (the owner's page requires one).
    """
    with transaction.atomic():
        item = _lock(item, expected_version)
        check(actor, item, Action.SUBMIT)
        if needs_incomplete_confirmation(item) and not incomplete_confirmed:
            raise ValidationError(
                {
                    "incomplete_confirmed": _(
                        "The item is at {percent}%: confirm that the work is done, or post the "
                        "progress reached first."
                    ).format(percent=item.progress)
                }
            )
        item.status = S.SUBMITTED
        return _save(item, actor, Action.SUBMIT, note)


def needs_incomplete_confirmation(item):
    """Whether submitting `item` needs the owner's confirmation that the work is done although
    the progress last posted is below 100 % (:func:`submit`)."""
    return item.progress < 100


@audit.action()
def request_extension(actor, item, *, proposed_deadline, reason):
    """The owner asks to move the deadline. Returns the pending request."""
    reason = _require(reason, "reason", _("Give the reason for the extension."))
    with transaction.atomic():
        item = _lock(item, None)
        check(actor, item, Action.REQUEST_EXTENSION)
        if not isinstance(proposed_deadline, datetime.date):
            raise ValidationError({"proposed_deadline": _("Give the proposed deadline.")})
        if item.deadline and proposed_deadline <= item.deadline:
            raise ValidationError(
                {"proposed_deadline": _("The proposed deadline must be later than the current one.")}
            )
        return save_with_history(
            ExtensionRequest(
                item=item,
                requested_by=actor,
                previous_deadline=item.deadline,
                proposed_deadline=proposed_deadline,
                reason=reason,
            ),
            user=actor,
            action=Action.REQUEST_EXTENSION,
            reason=reason,
        )


# ---------------------------------------------------------------------------------------------
# Items: verification and the committee's decisions


@audit.action()
def review(actor, item, *, expected_version=None, note=""):
    """Double review (复核): the responsible leader confirms a submitted item."""
    with transaction.atomic():
        item = _lock(item, expected_version)
        check(actor, item, Action.REVIEW)
        item.status = S.REVIEWED
        item.reviewed_by = actor
        item.reviewed_at = timezone.now()
        return _save(item, actor, Action.REVIEW, note)


@audit.action()
def return_item(actor, item, *, reason, expected_version=None):
    """Send a submitted item back for more work (退回); a reason is required."""
    reason = _require(reason, "reason", _("Give the reason for returning the item."))
    with transaction.atomic():
        item = _lock(item, expected_version)
        check(actor, item, Action.RETURN)
        item.status = _working_status(item)
        item.reviewed_by = None
        item.reviewed_at = None
        return _save(item, actor, Action.RETURN, reason)


@audit.action()
def close(actor, item, *, note, outcome=Item.Outcome.COMPLETED, next_review_on=None, expected_version=None):
    """Verify and sign off (验收销号) with a verification note.

    Outcome "stage completed, continuing" does not close the item: it becomes long-term, with
    its next review date.
    """
    note = _require(note, "note", _("Write the verification note."))
    if outcome not in Item.Outcome.values:
        raise ValidationError({"outcome": _("Choose the outcome.")})
    if outcome == Item.Outcome.STAGE_COMPLETED and not next_review_on:
        raise ValidationError({"next_review_on": _("A long-term item needs its next review date.")})
    with transaction.atomic():
        item = _lock(item, expected_version)
        check(actor, item, Action.CLOSE)
        item.outcome = outcome
        item.verification_note = note
        item.verified_by = actor
        item.verified_at = timezone.now()
        if outcome == Item.Outcome.COMPLETED:
            item.status = S.CLOSED
            item.progress = 100
            item.completed_on = item.completed_on or timezone.localdate()
        else:
            item.kind = Item.Kind.LONG_TERM
            item.status = S.LONG_TERM
            item.next_review_on = next_review_on
        _save(item, actor, Action.CLOSE, note)
        if item.status == S.CLOSED:
            tell_how_resolved(actor, item)
        return item


@audit.action()
def reopen(actor, item, *, reason, expected_version=None):
    """Reopen a closed item (the committee, with a reason)."""
    reason = _require(reason, "reason", _("Give the reason for reopening the item."))
    with transaction.atomic():
        item = _lock(item, expected_version)
        check(actor, item, Action.REOPEN)
        item.status = _working_status(item)
        item.outcome = ""
        item.completed_on = None
        item.verified_by = None
        item.verified_at = None
        item.reviewed_by = None
        item.reviewed_at = None
        return _save(item, actor, Action.REOPEN, reason)


@audit.action()
def withdraw(actor, item, *, reason, expected_version=None):
    """Withdraw an item that no longer applies (撤销). Items are never deleted."""
    reason = _require(reason, "reason", _("Give the reason for withdrawing the item."))
    with transaction.atomic():
        item = _lock(item, expected_version)
        check(actor, item, Action.WITHDRAW)
        item.status = S.WITHDRAWN
        return _save(item, actor, Action.WITHDRAW, reason)


@audit.action()
def decide_extension(actor, extension, *, approve, note=""):
    """Approve or reject a pending extension request; approval moves the deadline, on record.

    An approval writes the item's row (its new deadline) and the request's decision as one
    action (one action id): the history shows them as one entry, as it does a progress post's.
    A rejection changes the request only.
    """
    if not approve:
        note = _require(note, "note", _("Give the reason for rejecting the request."))
    with transaction.atomic():
        item = _lock(extension.item, None)
        check(actor, item, Action.DECIDE_EXTENSION)
        extension = ExtensionRequest.objects.select_for_update().get(pk=extension.pk)
        if extension.status != ExtensionRequest.Status.PENDING:
            raise InvalidTransition(_("This extension request was already decided."))
        extension.status = ExtensionRequest.Status.APPROVED if approve else ExtensionRequest.Status.REJECTED
        extension.decided_by = actor
        extension.decided_at = timezone.now()
        extension.decision_note = note
        if approve:
            if item.original_deadline is None:
                item.original_deadline = item.deadline
            item.deadline = extension.proposed_deadline
            _save(item, actor, Action.DECIDE_EXTENSION, note)
        save_with_history(extension, user=actor, action=Action.DECIDE_EXTENSION, reason=note)
        return extension


# ---------------------------------------------------------------------------------------------
# Meetings and issues: the committee of the organization keeps them


def check_manages(actor, organization):
    if not Scope.for_user(actor).manages(organization.pk):
        raise NotAllowed(
            _("You may not change the records of {organization}.").format(organization=organization)
        )


def _save_record(actor, record, *, reason, expected_version):
    """Create or update a meeting or an issue, records the committee of their organization keeps.

    An update re-reads the stored row under a lock and refuses a stale `expected_version` (the
    version an edit form started from; None skips the check, as an import does), so that two
    people editing at once never overwrite each other silently. It writes nothing when no field
    changed; otherwise it bumps the version and writes one history row with the reason.
    """
    check_manages(actor, record.organization)
    record.full_clean()
    if record.pk is None:
        return save_with_history(record, user=actor, action=Action.CREATE, reason=reason)
    model = type(record)
    with transaction.atomic():
        stored = model.objects.select_for_update().get(pk=record.pk)
        if expected_version is not None and int(expected_version) != stored.version:
            raise EditConflict(stored)
        if stored.organization_id != record.organization_id:
            check_manages(actor, stored.organization)  # moving it needs the right on both sides
        compared = [f.attname for f in model._meta.concrete_fields if f.name not in ("id", "version")]
        record.version = stored.version
        audit.compare_with(record, stored)  # its event names what changed since the stored row
        if all(getattr(record, name) == getattr(stored, name) for name in compared):
            return record
        record.version += 1
        return save_with_history(record, user=actor, action=Action.EDIT, reason=reason)


@audit.action()
def save_meeting(actor, meeting, *, reason="", expected_version=None, issues=()):
    """Create or update a meeting; an update refuses a stale `expected_version` (EditConflict).

    `issues` are typed issue rows saved with it, as ``(issue, expected_version)`` pairs: each
    becomes an issue of the meeting, in its organization (a new one raised on its date).

    Moving a meeting to another organization takes its issues along (each with its own history
    row and version), as long as none of them has items yet: items are numbered in their
    organization, so a meeting whose issues became items is refused (ValidationError on
    `organization`) and nothing is saved."""
    with transaction.atomic():
        moved_from = None
        if meeting.pk is not None:
            moved_from = (
                Meeting.objects.filter(pk=meeting.pk)
                .exclude(organization=meeting.organization_id)
                .values_list("organization_id", flat=True)
                .first()
            )
        if moved_from is not None and Item.objects.filter(issue__meeting=meeting.pk).exists():
            raise ValidationError(
                {
                    "organization": _(
                        "This meeting's issues already have rectification items: it cannot move to "
                        "another organization. Log the meeting again in the right organization instead."
                    )
                }
            )
        saved = _save_record(actor, meeting, reason=reason, expected_version=expected_version)
        for issue, issue_version in issues:
            issue.meeting = saved
            issue.organization = saved.organization
            if issue.pk is None:
                issue.raised_on = saved.held_on
            save_issue(actor, issue, reason=reason, expected_version=issue_version)
        if moved_from is not None:
            _move_issues(actor, saved, moved_from, reason)
    return saved


def _move_issues(actor, meeting, moved_from, reason):
    """Give the issues of a moved meeting that are still in its old organization the new one."""
    for issue in Issue.objects.select_for_update().filter(meeting=meeting, organization=moved_from):
        issue.organization = meeting.organization
        issue.meeting = meeting
        issue.full_clean()
        issue.version += 1
        save_with_history(issue, user=actor, action=Action.EDIT, reason=reason)


@audit.action()
def save_attendance(actor, attendance, *, reason=""):
    """Record or correct one person's attendance at a meeting (and the make-up study)."""
    check_manages(actor, attendance.meeting.organization)
    attendance.full_clean()
    action = Action.EDIT if attendance.pk else Action.CREATE
    if attendance.pk:
        attendance.version += 1
    return save_with_history(attendance, user=actor, action=action, reason=reason)


ATTENDANCE_FIELDS = ("present", "absence_reason", "absence_note", "makeup_on")


def expected_attendees(meeting):
    """The people expected at `meeting`: the active members of its organization and of its party
    groups (a group's members attend their branch's meetings), by name, less those removed from
    this meeting's list (they were not expected after all), plus whoever is on the list."""
    groups = Organization.objects.filter(parent_id=meeting.organization_id, kind=Organization.Kind.GROUP)
    members = Q(is_active=True, memberships__organization=meeting.organization_id) | Q(
        is_active=True, memberships__organization__in=groups.values("pk")
    )
    removed = Attendance.history.filter(meeting_id=meeting.pk, history_type="-").values("person_id")
    listed = Attendance.objects.filter(meeting=meeting).values("person_id")
    return (
        get_user_model()
        .objects.filter((members & ~Q(pk__in=removed)) | Q(pk__in=listed))
        .distinct()
        .order_by("full_name", "username")
    )


@dataclass
class RosterRow:
    """One person's line on a meeting's attendance list, for :func:`save_roster`.

    `version` is the version of the stored row the form was loaded with (None: the person was not
    on the list yet); `remove` takes a wrongly listed person off the list."""

    person: object
    present: bool = True
    absence_reason: str = ""
    absence_note: str = ""
    makeup_on: datetime.date | None = None
    version: int | None = None
    remove: bool = False


@audit.action()
def save_roster(actor, meeting, rows, *, reason=""):
    """Record the attendance of a whole meeting in one go (committee of its organization).

    Each row is checked against the version it was loaded at: a person recorded by someone else
    since (or added to the list meanwhile) refuses the whole list with :class:`EditConflict`
    (its `current` is that person's row, `conflicts` every such row), and nothing is saved. A
    removed person's row is deleted with a history row (action REMOVE) naming who and why; a
    row that changes nothing writes nothing. Returns the number of people recorded or removed.
    """
    check_manages(actor, meeting.organization)
    changed = 0
    with transaction.atomic():
        stored = {
            attendance.person_id: attendance
            for attendance in Attendance.objects.select_for_update().filter(meeting=meeting)
        }
        stale = []
        for row in rows:
            current = stored.get(row.person.pk)
            if row.version is None:
                if current is not None and not row.remove:
                    stale.append(current)  # listed by someone else meanwhile
            elif current is None:
                if not row.remove:
                    # Taken off the list meanwhile: version 0, no longer listed.
                    stale.append(Attendance(meeting=meeting, person=row.person, version=0))
            elif int(row.version) != current.version:
                stale.append(current)
        if stale:
            conflict = EditConflict(stale[0])
            conflict.conflicts = stale
            raise conflict
        for row in rows:
            attendance = stored.get(row.person.pk)
            if row.remove:
                if attendance is not None:
                    _remove_attendance(actor, attendance, reason)
                    changed += 1
                continue
            values = {name: getattr(row, name) for name in ATTENDANCE_FIELDS}
            if attendance is None:
                attendance = Attendance(meeting=meeting, person=row.person, **values)
                attendance.full_clean()
                save_with_history(attendance, user=actor, action=Action.CREATE, reason=reason)
                changed += 1
            elif any(getattr(attendance, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(attendance, name, value)
                attendance.meeting = meeting
                attendance.full_clean()
                attendance.version += 1
                save_with_history(attendance, user=actor, action=Action.EDIT, reason=reason)
                changed += 1
    return changed


@audit.action()
def remove_attendance(actor, attendance, *, reason="", expected_version=None):
    """Take a wrongly listed person off a meeting's attendance list, on record (REMOVE)."""
    check_manages(actor, attendance.meeting.organization)
    with transaction.atomic():
        stored = Attendance.objects.select_for_update().get(pk=attendance.pk)
        if expected_version is not None and int(expected_version) != stored.version:
            raise EditConflict(stored)
        _remove_attendance(actor, stored, reason)


def _remove_attendance(actor, attendance, reason):
    audit.delete_with_history(attendance, user=actor, action=Action.REMOVE, reason=reason)


@audit.action()
def save_issue(actor, issue, *, reason="", expected_version=None):
    """Create or update an issue; an update refuses a stale `expected_version` (EditConflict)."""
    return _save_record(actor, issue, reason=reason, expected_version=expected_version)


# ---------------------------------------------------------------------------------------------
# Imports: an existing ledger brings its items' states along


# What a record of a new item's creation may hold for `set_imported_state`: its creation (by
# hand or by an import) and the progress its ledger gave.
_CREATION_ACTIONS = (Action.CREATE, Action.IMPORT, Action.POST_PROGRESS)


@audit.action()
def set_imported_state(actor, item, *, status, reason):
    """Give an item an import has just created the state its spreadsheet says it is in
    (committee only); `import_new_items` does the same for a batch.

    A ledger kept in Excel has no trail of submissions and verifications, so a new item's state
    is taken over as written, on record as an import; a closed item is closed as completed
    without a verifier. The workflow's rules apply again from the next action on. An item that
    has been acted on since its creation is refused: an import takes an existing item through
    the real transitions (`advance_imported_item`). Returns the item, unchanged (and with no
    history row) when it is already in that state.
    """
    if status not in S.values:
        raise ValidationError({"status": _("This state cannot be imported.")})
    with transaction.atomic():
        item = _lock(item, None)
        if not Scope.for_user(actor).manages(item.organization_id):
            raise NotAllowed(
                _("You may not import into {organization}.").format(organization=item.organization)
            )
        if item.status == status:
            return item
        if item.history.exclude(history_action__in=_CREATION_ACTIONS).exists():
            raise InvalidTransition(
                _("This item has been worked on since it was created: its state changes through its actions.")
            )
        if status == S.LONG_TERM and item.kind != Item.Kind.LONG_TERM:
            raise ValidationError({"status": _("Only a long-term item can be in the long-term state.")})
        _take_imported_state(item, status)
        return _save(item, actor, Action.IMPORT, reason)


# How far along the way an item is, for an import that takes an existing item forward to the
# state its file gives: open → worked on (in progress or long-term) → submitted → reviewed
# (with double review) → closed.
_ALONG = {S.OPEN: 0, S.IN_PROGRESS: 1, S.LONG_TERM: 1, S.SUBMITTED: 2, S.REVIEWED: 3, S.CLOSED: 4}


def imported_state_steps(actor, item, status):
    """The actions that take `item` forward from its state to `status`, in order: [] when it is
    there already, None when no forward way leads there (a file never takes an item back: it
    shows what was, the product what is). A closed target is reached by the way the workflow
    closes items: submitted by the owner, reviewed by the responsible leader with double review,
    closed by another committee member; each step's own checks decide whether `actor` may."""
    if status == S.WITHDRAWN:
        return [] if item.status == S.WITHDRAWN else [Action.WITHDRAW] if item.status in ACTIVE else None
    if status not in _ALONG or item.status not in _ALONG:
        return None
    if status == S.LONG_TERM and item.kind != Item.Kind.LONG_TERM:
        return None  # only a long-term item is worked on as long-term
    here, there = _ALONG[item.status], _ALONG[status]
    if there < here:
        return None
    if there == here:
        return []
    steps = [Action.START] if here == 0 else []
    if here <= 1 < there:
        steps.append(Action.SUBMIT)
    if there == 3 or (there == 4 and here <= 2 and needs_double_review(actor, item)):
        steps.append(Action.REVIEW)
    if there == 4:
        steps.append(Action.CLOSE)
    return steps


def advance_imported_item(actor, item, *, status, reason):
    """Take an existing item forward to the state its re-imported file gives, through the real
    transitions (start, submit, review, close, withdraw), each with its own checks and its own
    history row, the import's `reason` (naming the file) as note; a closed item is closed as
    completed, with that note as its verification note.

    Raises `InvalidTransition` when no forward way leads there, or the refusal of the first
    step the rules refuse (the actions of the steps before it stay; an import rolls its rows
    back together). Returns the item as saved.
    """
    if status not in S.values:
        raise ValidationError({"status": _("This state cannot be imported.")})
    steps = imported_state_steps(actor, item, status)
    if steps is None:
        raise InvalidTransition(
            _("An import cannot take an item from “{current}” to “{status}”.").format(
                current=item.get_status_display(), status=S(status).label
            )
        )
    for step in steps:
        if step == Action.START:
            item = start(actor, item, note=reason)
        elif step == Action.SUBMIT:
            # The file states the work is done: that is the owner's confirmation below 100 %.
            item = submit(actor, item, note=reason, incomplete_confirmed=True)
        elif step == Action.REVIEW:
            item = review(actor, item, note=reason)
        elif step == Action.CLOSE:
            item = close(actor, item, note=reason, outcome=Item.Outcome.COMPLETED)
        else:
            item = withdraw(actor, item, reason=reason)
    return item


# What an imported ledger says of an item that no action here decides (see `NewItem`).
IMPORTED_DATE_FIELDS = ("completed_on", "original_deadline")


@audit.action()
def record_imported_dates(actor, item, *, reason, expected_version=None, **dates):
    """Take the completion date (实际完成时间) or the original deadline (before an extension
    granted outside the product) a re-imported ledger gives, when the item holds another
    (committee only, in any state: they are facts of the past, not a change of the work).
    Returns the item as saved; changing nothing writes nothing."""
    unknown = set(dates) - set(IMPORTED_DATE_FIELDS)
    if unknown:
        raise TypeError(f"record_imported_dates() got unexpected fields: {sorted(unknown)}")
    with transaction.atomic():
        item = _lock(item, expected_version)
        if not Scope.for_user(actor).manages(item.organization_id):
            raise NotAllowed(
                _("You may not change the records of {organization}.").format(organization=item.organization)
            )
        changed = {name: value for name, value in dates.items() if getattr(item, name) != value}
        if not changed:
            return item
        for name, value in changed.items():
            setattr(item, name, value)
        return _save(item, actor, Action.IMPORT, reason)


@dataclass
class NewItem:
    """One new item of an import, for :func:`import_new_items`.

    `issue` is an unsaved issue, or one an earlier batch of the same import stored; several
    items may share the same one. `fields` are the item's editable fields. `progress` (with
    `percent`) is the progress text the ledger gives, `status` the state it says the item is
    in; both may be empty. `key` names the row in refusals.
    """

    key: object
    issue: Issue
    organization: Organization
    fields: dict
    progress: str = ""
    percent: int | None = None
    status: str = ""
    co_owners: tuple = ()  # people, in the file's order
    # What the file says and no action here decides: the day the work was done (实际完成时间),
    # and the deadline before an extension granted before the import (the hidden column).
    completed_on: datetime.date | None = None
    original_deadline: datetime.date | None = None
    item: Item | None = None  # the item built from the row, once validated


class ImportRefused(Exception):
    """Some new items could not be imported, so none was; `errors` maps keys to the exception."""

    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors


# An imported issue gives its text, source and date; its other fields hold defaults, or
# resolved objects (foreign keys: validating them would query each one). So do an item's
# foreign keys.
ISSUE_IMPORTED_FIELDS = ("description", "source", "raised_on")
_ITEM_FK = ("issue", "organization", "leader", "owner", "verified_by", "reviewed_by")


@functools.cache
def _clean_plan(model):
    """{field name: (label, attribute name, field)} of `model`, looked up once, not for each
    row and field: the label (``ledger.Item.department``) keys the values found valid (a
    string's hash is kept; a field's is worked out on every call)."""
    return {
        model_field.name: (f"{model._meta.label}.{model_field.name}", model_field.attname, model_field)
        for model_field in model._meta.concrete_fields
    }


def _clean_without_queries(obj, names, valid):
    """`full_clean()` less the per-row queries: the checks of the fields `names` (as
    `Model.clean_fields()` runs them) and `clean()`.

    A ledger repeats its values (departments, kinds, deadlines): a value that passed its
    field's checks once is in `valid` ({(field, value): cleaned value}) and not checked
    again. Uniqueness needs no query here: references are allocated under the organizations'
    locks.
    """
    errors = {}
    fields = _clean_plan(type(obj))
    for name in names:
        label, attname, model_field = fields[name]
        value = getattr(obj, attname)
        key = (label, value)
        if key in valid:
            setattr(obj, attname, valid[key])
            continue
        if model_field.blank and value in model_field.empty_values:
            continue
        try:
            valid[key] = model_field.clean(value, obj)
            setattr(obj, attname, valid[key])
        except ValidationError as error:
            errors[name] = error.error_list
    try:
        obj.clean()
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


@audit.action()
def import_new_items(actor, rows, *, reason, eligibility=None):
    """Create the items of an imported ledger in bulk, in a constant number of queries.

    Each row becomes what `save_issue` + `create_item(action=IMPORT)` + `post_progress` +
    `set_imported_state` would leave: its issue (shared by rows describing the same one), the
    item in the state and at the progress the file gives, and its progress text as an update.
    Each record gets one history row naming the user, the action (the item's: IMPORT) and the
    reason, and one event: the import created it so. The batch is one action (one action id),
    so the history shows an item and its progress text as one entry.

    The actor's right is checked against the (cached) scope; the owners and leaders against
    `eligibility` (a `core.permissions.Eligibility` holding them; read here when not given);
    rows are validated in Python
    (`clean()` and the checks of the fields a row gives, but not the foreign keys, which hold
    resolved objects); the items are numbered and written by `_store_new_items`, as every new
    item is, the other records inserted by `ledger.bulk`. Raises :class:`ImportRefused`
    before writing anything when a row is refused. Returns the saved items, in the order of
    `rows`. No model signals are sent (none is used on these models but simple-history's, whose
    rows are written here); the records' creation and update times are the import's time.
    """
    rows = list(rows)
    if not rows:
        return []
    new_item, new_update = bulk.Maker(Item), bulk.Maker(ProgressUpdate)
    scope = Scope.for_user(actor)
    if eligibility is None:
        # Who may own and lead the rows' items: two queries for the batch (none without people).
        named = {
            row.fields[name]
            for row in rows
            for name in ITEM_PEOPLE_FIELDS
            if row.fields.get(name) is not None
        } | {person for row in rows for person in row.co_owners}
        eligibility = Eligibility({person.pk for person in named}) if named else None
    valid = {}  # (field, value) that passed the field's checks: the cleaned value
    statuses = set(S.values)
    errors = {}
    issues = {}  # id() → issue, in first-use order: an issue may carry several items
    issue_errors = {}
    for row in rows:
        if not scope.manages(row.organization.pk) or not scope.manages(row.issue.organization_id):
            errors[row.key] = NotAllowed(
                _("You may not change the records of {organization}.").format(
                    organization=row.issue.organization
                )
            )
            continue
        issue = row.issue
        # An issue stored already (by an earlier batch of the same import) is only referred to.
        if issue._state.adding and id(issue) not in issues and id(issue) not in issue_errors:
            try:
                _clean_without_queries(issue, ISSUE_IMPORTED_FIELDS, valid)
                issues[id(issue)] = issue
            except ValidationError as error:
                issue_errors[id(issue)] = error
        if id(issue) in issue_errors:
            errors[row.key] = issue_errors[id(issue)]
            continue
        unknown = set(row.fields) - set(ITEM_EDITABLE_FIELDS)
        if unknown:
            raise TypeError(f"import_new_items() got unexpected fields: {sorted(unknown)}")
        item = new_item(issue=issue, organization=row.organization, **row.fields)
        item.year = issue.raised_on.year
        item.completed_on = row.completed_on
        item.original_deadline = row.original_deadline
        try:
            refused = people_refusal(
                row.organization, {name: row.fields.get(name) for name in ITEM_PEOPLE_FIELDS}, eligibility
            )
            if refused is not None:
                raise refused
            if row.co_owners:
                check_co_owners(row.organization, row.co_owners, row.fields.get("owner"), eligibility)
            # The fields the row gives are checked; the others hold the model's defaults.
            _clean_without_queries(item, set(row.fields) - set(_ITEM_FK), valid)
            if (row.progress or row.percent is not None) and not 0 <= (row.percent or 0) <= 100:
                raise ValidationError(
                    {"percent": _("Give the percent done as a whole number from 0 to 100.")}
                )
            if row.status and row.status not in statuses:
                raise ValidationError({"status": _("This state cannot be imported.")})
            if row.status == S.LONG_TERM and item.kind != Item.Kind.LONG_TERM:
                raise ValidationError({"status": _("Only a long-term item can be in the long-term state.")})
        except ValidationError as error:
            errors[row.key] = error
            continue
        row.item = item
    if errors:
        raise ImportRefused(errors)

    now = timezone.now()
    with transaction.atomic():
        issue_list = list(issues.values())
        bulk.insert_records(Issue, issue_list, now)
        bulk.insert_history(Issue, issue_list, actor, Action.CREATE, reason, now)
        # Each item goes in as the file describes it, progress and state included, with one
        # history row: the import created it so (its progress text is an update of its own).
        items = [row.item for row in rows]
        for row in rows:
            item = row.item
            item.issue = item.issue  # the issue's new primary key
            # A percent without a progress text is the file's word on the progress too.
            if row.progress or row.percent is not None:
                _take_progress(item, row.percent or 0)
            if row.status and row.status != item.status:
                _take_imported_state(item, row.status)
        _store_new_items(actor, items, action=Action.IMPORT, reason=reason, now=now)
        updates = [
            new_update(item=row.item, author=actor, text=row.progress.strip(), percent=row.percent or 0)
            for row in rows
            if row.progress
        ]
        for update in updates:
            update.created_at = now
        bulk.insert_records(ProgressUpdate, updates, now)
        bulk.insert_history(ProgressUpdate, updates, actor, Action.POST_PROGRESS, reason, now)
        new_link = bulk.Maker(ItemCoOwner)
        links = [
            new_link(item=row.item, person=person, position=position)
            for row in rows
            for position, person in enumerate(row.co_owners)
        ]
        bulk.insert_records(ItemCoOwner, links, now)
        bulk.insert_history(ItemCoOwner, links, actor, Action.IMPORT, reason, now)
        for row in rows:
            row.item._co_owner_ids = [person.pk for person in row.co_owners]
    return items


# ---------------------------------------------------------------------------------------------
# Bulk changes: the same edit on several items, with one reason

# What a committee member changes on several items at once from the ledger list
# (co-owners: a list of people, empty to clear them).
BULK_EDITABLE_FIELDS = ("owner", "leader", "department", "deadline", "co_owners")


@dataclass
class BulkEdit:
    """What :func:`bulk_edit_items` did: the items saved, those that already had the values
    (no history row), and those refused as ``(item, message)`` (left unchanged)."""

    changed: list
    unchanged: list
    refused: list


@audit.action()
def bulk_edit_items(actor, items, *, reason, **changes):
    """Change owner, leader, department, deadline or co-owners of several items in one step,
    one reason. `co_owners` (people, in order) replaces each item's co-owners; an empty list
    clears them; each item's owner is refused as its own co-owner (`check_co_owners`).

    Each item goes through :func:`edit_item` (so through its rules, with its own history row
    naming the actor, the action and the reason, and its version bumped), all in one
    transaction. Only the fields given change: the item is read under its lock as it is now, so a
    colleague's other changes are kept. An item the actor may not edit (outside the
    organizations they manage, closed or withdrawn, or the change is not valid for it) is
    refused and left unchanged, and the others are saved: the refusals name each item with the
    reason, so that the user fixes those few instead of redoing the whole selection.

    Raises ``ValidationError`` (nothing saved) when no change or no reason is given.
    """
    unknown = set(changes) - set(BULK_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"bulk_edit_items() got unexpected fields: {sorted(unknown)}")
    # An empty list of co-owners is a change (clear them); an empty owner or deadline is not.
    changes = {
        name: value
        for name, value in changes.items()
        if value is not None and (name == "co_owners" or value != "")
    }
    if not changes:
        raise ValidationError(_("Choose at least one change."))
    reason = _require(reason, "reason", _("Give the reason for the change."))
    result = BulkEdit(changed=[], unchanged=[], refused=[])
    with transaction.atomic():
        for item in sorted(items, key=lambda item: (item.reference, item.pk)):
            try:
                item = _lock(item, None)
                if "deadline" in changes and item.kind == Item.Kind.LONG_TERM:
                    raise InvalidTransition(_("A long-term item has review dates, not a deadline."))
                # edit_item's own savepoint undoes a refused item's writes, and only those.
                saved = edit_item(actor, item, expected_version=item.version, reason=reason, **changes)
            except ActionRefused as refused:
                result.refused.append((item, str(refused.message)))
            except ValidationError as error:
                result.refused.append((item, " ".join(error.messages)))
            else:
                (result.changed if saved.version != item.version else result.unchanged).append(saved)
    return result


# ---------------------------------------------------------------------------------------------
# Supervision (issue 13): urging and supervision notices, warning talks, accountability,
# re-checks and feedback. None of these changes the item itself: each writes its own record
# (with its history row) and tells the people concerned through `ledger.notify` in the same
# transaction, so that a refused or failed action tells nobody anything.


def committee_ids(organization_id):
    """The ids of the committee members of this very organization (not of those above it)."""
    return list(
        Membership.objects.filter(organization_id=organization_id, role=Membership.Role.COMMITTEE)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def issuing_organization(actor, item):
    """The organization in whose name `actor` supervises `item`: the nearest of the item's
    organization and those above it where the actor sits on the committee."""
    scope = Scope.for_user(actor)
    own = set(
        Membership.objects.filter(user=actor, role=Membership.Role.COMMITTEE).values_list(
            "organization_id", flat=True
        )
    )
    for org_id in [item.organization_id, *OrganizationTree.read().ancestors(item.organization_id)]:
        if org_id in own:
            return Organization.objects.get(pk=org_id)
    if scope.is_superuser:
        return item.organization
    raise NotAllowed(
        _("You may not supervise the items of {organization}.").format(organization=item.organization)
    )


def _supervised(actor, item):
    """The item under a lock, if `actor` manages it (else NotAllowed); the lock orders the
    supervision records of one item behind its other actions."""
    item = _lock(item, None)
    if not Scope.for_user(actor).manages(item.organization_id):
        raise NotAllowed(
            _("Only the committee of {organization} or above may do this.").format(
                organization=item.organization
            )
        )
    return item


def _past_or_today(value, field):
    if value is None:
        raise ValidationError({field: _("Give the date.")})
    if value > timezone.localdate():
        raise ValidationError({field: _("This date is after today.")})
    return value


@audit.action()
def urge(actor, item, *, message, reply_by, level=Urging.Level.URGING):
    """Send an urging notice (催办) or a supervision notice (督办单, `level` NOTICE) on an active
    item to its owner and responsible leader, with what is required and a reply-by date.

    The committee of the item's organization or of one above it; recorded in the name of the
    nearest of those organizations (`issuing_organization`). Returns the `Urging`."""
    message = _require(message, "message", _("Write what is required."))
    if level not in Urging.Level.values:
        raise ValidationError({"level": _("Choose urging or supervision notice.")})
    if reply_by is None or reply_by < timezone.localdate():
        raise ValidationError({"reply_by": _("The reply-by date cannot be before today.")})
    with transaction.atomic():
        item = _supervised(actor, item)
        if item.status not in ACTIVE:
            raise InvalidTransition(
                _("An item that is “{status}” is not urged.").format(status=item.get_status_display())
            )
        urging = Urging(
            item=item,
            level=level,
            organization=issuing_organization(actor, item),
            message=message,
            reply_by=reply_by,
            issued_by=actor,
        )
        notice = level == Urging.Level.NOTICE
        action = Action.ISSUE_NOTICE if notice else Action.URGE
        save_with_history(urging, user=actor, action=action, reason=message)
        notify(
            [item.owner_id, item.leader_id],
            Notification.Kind.SUPERVISION_NOTICE if notice else Notification.Kind.URGED,
            key=f"urging:{urging.pk}",
            item=item,
            params={"reply_by": reply_by.isoformat()},
            message=message,
            skip=actor,
        )
        return urging


def may_urge(user, item):
    """The committee of an active item's organization, or of one above it, urges it (`urge`)."""
    return item.status in ACTIVE and Scope.for_user(user).manages(item.organization_id)


def answers_urgings(user, item):
    """The owner of an item, or one of its co-owners, answers its urgings (反馈情况)."""
    return user.pk == item.owner_id or is_co_owner(user, item)


def may_reply(user, urging):
    return answers_urgings(user, urging.item)


@audit.action()
def reply_to_urging(actor, urging, *, reply, expected_version=None):
    """The owner's (or a co-owner's) reply (反馈情况), which closes the urging or the notice.
    Refuses a stale version and a second reply; tells whoever issued it."""
    reply = _require(reply, "reply", _("Write the reply."))
    with transaction.atomic():
        stored = Urging.objects.select_for_update().select_related("item").get(pk=urging.pk)
        if expected_version is not None and int(expected_version) != stored.version:
            raise EditConflict(stored)
        if not may_reply(actor, stored):
            raise NotAllowed(_("Only the owner or a co-owner of the item replies."))
        if not stored.is_open:
            raise InvalidTransition(_("This notice was answered already."))
        stored.reply = reply
        stored.replied_by = actor
        stored.replied_at = timezone.now()
        stored.version += 1
        save_with_history(stored, user=actor, action=Action.REPLY, reason=reply)
        notify(
            [stored.issued_by_id],
            Notification.Kind.NOTICE_REPLIED,
            key=f"urging_replied:{stored.pk}",
            item=stored.item,
            message=reply,
            skip=actor,
        )
        return stored


@audit.action()
def record_warning_talk(actor, *, person, talked_on, talked_by, outcome, item=None, organization=None):
    """Record a warning talk (约谈) on an item, or on a person of `organization`: who was talked
    to, when, by whom, and the outcome. Committee only; the person talked to is told."""
    outcome = _require(outcome, "outcome", _("Write the outcome of the talk."))
    _past_or_today(talked_on, "talked_on")
    if person is None:
        raise ValidationError({"person": _("Choose who was talked to.")})
    if talked_by is None:
        raise ValidationError({"talked_by": _("Choose who held the talk.")})
    with transaction.atomic():
        if item is not None:
            item = _supervised(actor, item)
            organization = item.organization
        elif organization is None:
            raise ValidationError({"organization": _("Choose the organization.")})
        else:
            check_manages(actor, organization)
        refused = people_refusal(organization, {"person": person})
        if refused is not None:
            raise refused
        talk = WarningTalk(
            item=item,
            organization=organization,
            person=person,
            talked_on=talked_on,
            talked_by=talked_by,
            outcome=outcome,
            recorded_by=actor,
        )
        save_with_history(talk, user=actor, action=Action.WARNING_TALK, reason=outcome)
        if item is not None:
            notify(
                [person], Notification.Kind.WARNING_TALK, key=f"warning_talk:{talk.pk}", item=item, skip=actor
            )
        return talk


@audit.action()
def record_accountability(actor, item, *, kind, decided_on, decision, person=None):
    """Record an accountability decision (问责) on an item. Committee only."""
    decision = _require(decision, "decision", _("Write the decision."))
    if kind not in Accountability.Kind.values:
        raise ValidationError({"kind": _("Choose the kind of accountability.")})
    _past_or_today(decided_on, "decided_on")
    with transaction.atomic():
        item = _supervised(actor, item)
        if person is not None:
            refused = people_refusal(item.organization, {"person": person})
            if refused is not None:
                raise refused
        record = Accountability(
            item=item, person=person, kind=kind, decided_on=decided_on, decision=decision, recorded_by=actor
        )
        return save_with_history(record, user=actor, action=Action.ACCOUNTABILITY, reason=decision)


def recheck_pool(organization, period_start, period_end):
    """The items of `organization` and below closed (completed) in the period, in id order: the
    stable order the sample is drawn from."""
    org_ids = OrganizationTree.read().subtree([organization.pk])
    return Item.objects.filter(
        organization__in=org_ids, status=S.CLOSED, completed_on__range=(period_start, period_end)
    ).order_by("pk")


def recheck_sample(item_ids, seed, one_in=10):
    """The ids drawn from `item_ids` (in a stable order): one in `one_in`, rounded up, at least
    one (none from none). The same seed and the same ids give the same sample."""
    item_ids = list(item_ids)
    if not item_ids:
        return []
    size = max(1, -(-len(item_ids) // one_in))
    return sorted(random.Random(seed).sample(item_ids, size))


@audit.action()
def draw_recheck(actor, organization, *, period_start, period_end, due_on, checker, one_in=10, seed=None):
    """Draw closed items for re-check (回头看): a `RecheckBatch` recording the seed, with one
    `Recheck` per item drawn, assigned to `checker` (eligible there) by `due_on`. Committee of
    the organization only; the checker is told of each item."""
    check_manages(actor, organization)
    if period_start is None or period_end is None or period_start > period_end:
        raise ValidationError({"period_end": _("The period ends before it starts.")})
    if due_on is None or due_on < timezone.localdate():
        raise ValidationError({"due_on": _("The due date cannot be before today.")})
    if not 1 <= int(one_in) <= 100:
        raise ValidationError({"one_in": _("Draw one in 1 to 100 items.")})
    if checker is None:
        raise ValidationError({"checker": _("Choose who checks.")})
    refused = people_refusal(organization, {"checker": checker})
    if refused is not None:
        raise refused
    seed = secrets.randbelow(2**31) if seed is None else int(seed)
    with transaction.atomic():
        pool = list(recheck_pool(organization, period_start, period_end).values_list("pk", flat=True))
        if not pool:
            raise ValidationError({"period_end": _("No item was closed in this period.")})
        batch = RecheckBatch(
            organization=organization,
            period_start=period_start,
            period_end=period_end,
            one_in=one_in,
            seed=seed,
            pool_size=len(pool),
            due_on=due_on,
            drawn_by=actor,
        )
        reason = _(
            "Re-check of the items closed from {start} to {end}, one in {one_in} (seed {seed})"
        ).format(start=period_start.isoformat(), end=period_end.isoformat(), one_in=one_in, seed=seed)
        save_with_history(batch, user=actor, action=Action.DRAW_RECHECK, reason=reason)
        items = Item.objects.in_bulk(recheck_sample(pool, seed, one_in))
        for item_id in sorted(items):
            recheck = Recheck(batch=batch, item=items[item_id], checker=checker, due_on=due_on)
            save_with_history(recheck, user=actor, action=Action.DRAW_RECHECK, reason=reason)
            notify(
                [checker],
                Notification.Kind.RECHECK_ASSIGNED,
                key=f"recheck:{recheck.pk}",
                item=items[item_id],
                params={"date": due_on.isoformat()},
            )
        return batch


def may_record_recheck(user, recheck):
    return user.pk == recheck.checker_id or Scope.for_user(user).manages(recheck.item.organization_id)


@audit.action()
def record_recheck(actor, recheck, *, result, note="", deadline=None, expected_version=None):
    """The checker's (or the committee's) finding on a re-checked item: it holds, or it relapsed
    (问题反弹). A relapse opens a new item on the same issue, linked to the closed one
    (`Recheck.new_item`), with the closed item's measures and people and `deadline`; the closed
    item stays closed. Tells the committee of the item's organization and its owner and leader
    of a relapse."""
    if result not in (Recheck.Result.HOLDS, Recheck.Result.RELAPSED):
        raise ValidationError({"result": _("Choose the result.")})
    relapsed = result == Recheck.Result.RELAPSED
    if relapsed:
        note = _require(note, "note", _("Describe how the problem came back."))
        if deadline is None or deadline < timezone.localdate():
            raise ValidationError({"deadline": _("Give the new item's deadline, today or later.")})
    with transaction.atomic():
        stored = (
            Recheck.objects.select_for_update()
            .select_related("item", "item__organization")
            .get(pk=recheck.pk)
        )
        if expected_version is not None and int(expected_version) != stored.version:
            raise EditConflict(stored)
        if not may_record_recheck(actor, stored):
            raise NotAllowed(_("Only the person assigned or the committee records this re-check."))
        if stored.result != Recheck.Result.PENDING:
            raise InvalidTransition(_("This re-check was recorded already."))
        old = stored.item
        if relapsed:
            stored.new_item = _open_relapse(actor, old, note, deadline)
        stored.result = result
        stored.note = (note or "").strip()
        stored.recorded_by = actor
        stored.checked_at = timezone.now()
        stored.version += 1
        save_with_history(stored, user=actor, action=Action.RECHECK, reason=stored.note)
        if relapsed:
            notify(
                [*committee_ids(old.organization_id), old.owner_id, old.leader_id],
                Notification.Kind.RELAPSED,
                key=f"relapsed:{stored.pk}",
                item=old,
                params={"new_reference": stored.new_item.reference},
                message=stored.note,
                skip=actor,
            )
        return stored


def _open_relapse(actor, old, note, deadline):
    """The new item a relapse opens: on the closed item's issue and organization, with its
    measures, department and those of its people who are still eligible."""
    eligibility = Eligibility({pk for pk in (old.owner_id, old.leader_id) if pk})
    people = {
        name: person
        for name, person in (("owner", old.owner), ("leader", old.leader))
        if person is not None and eligibility.allows(person.pk, old.organization_id)
    }
    remarks = _("Relapse found by the re-check of {reference}: {note}").format(
        reference=old.reference, note=note
    )
    item = Item(
        issue=old.issue,
        organization=old.organization,
        measures=old.measures,
        department=old.department,
        kind=Item.Kind.BY_DEADLINE,
        deadline=deadline,
        closure_criteria=old.closure_criteria,
        remarks=str(remarks),
        year=old.issue.raised_on.year,
        **people,
    )
    item.full_clean(exclude=["sequence", "reference", "opened_on", "year"])
    _store_new_items(actor, [item], action=Action.CREATE, reason=str(remarks))
    return item


def tell_how_resolved(actor, item):
    """Feedback (反馈), from `close`: when `item` was its issue's last item still being worked on,
    whoever raised the issue is told how it was resolved (the verification note); an issue
    raised anonymously, or by someone without an account, is told to the committee of the
    organization that logged it, to publish or pass on. Told once per closure."""
    issue = item.issue
    still_open = Item.objects.filter(issue=issue, status__in=Item.ACTIVE_STATUSES).exclude(pk=item.pk)
    if still_open.exists():
        return []
    recipients = [issue.raised_by_id] if issue.raised_by_id else committee_ids(issue.organization_id)
    return notify(
        recipients,
        Notification.Kind.FEEDBACK,
        key=f"feedback:{item.pk}:{item.version}",
        item=item,
        organization=issue.organization,
        params={"anonymous": not issue.raised_by_id},
        message=item.verification_note,
        skip=actor,
    )


@audit.action()
def assign_checker(actor, recheck, *, checker, expected_version=None):
    """Give a re-check not yet recorded to another checker (eligible in the batch's
    organization). The committee of the item's organization; the new checker is told."""
    if checker is None:
        raise ValidationError({"checker": _("Choose who checks.")})
    with transaction.atomic():
        stored = (
            Recheck.objects.select_for_update()
            .select_related("item", "item__organization", "batch__organization")
            .get(pk=recheck.pk)
        )
        if expected_version is not None and int(expected_version) != stored.version:
            raise EditConflict(stored)
        check_manages(actor, stored.item.organization)
        if stored.result != Recheck.Result.PENDING:
            raise InvalidTransition(_("This re-check was recorded already."))
        if stored.checker_id == checker.pk:
            return stored
        refused = people_refusal(stored.batch.organization, {"checker": checker})
        if refused is not None:
            raise refused
        stored.checker = checker
        stored.version += 1
        save_with_history(stored, user=actor, action=Action.ASSIGN_CHECKER)
        notify(
            [checker],
            Notification.Kind.RECHECK_ASSIGNED,
            key=f"recheck:{stored.pk}:{checker.pk}",
            item=stored.item,
            params={"date": stored.due_on.isoformat()},
            skip=actor,
        )
        return stored


# ---------------------------------------------------------------------------------------------
# The traffic-light thresholds: reference data an organization's committee keeps


def light_settings_revision(organization):
    """The id of the last history row of the organization's thresholds (0 before any): what an
    edit form started from, since `LightSettings` carries no version of its own."""
    row = LightSettings.history.filter(organization_id=organization.pk).order_by("-history_id").first()
    return row.history_id if row else 0


@audit.action()
def save_light_settings(actor, organization, *, values, reason, expected_revision=None):
    """Set the organization's own thresholds (`values`: {setting: value or None to inherit}),
    checked against what it inherits. The committee of the organization or of one above it.
    Writes nothing when nothing changed; refuses a form started before another change. Returns the `LightSettings`."""
    check_manages(actor, organization)
    reason = _require(reason, "reason", _("Say why the thresholds change."))
    with transaction.atomic():
        stored = LightSettings.objects.select_for_update().filter(organization=organization).first()
        if expected_revision is not None and int(expected_revision) != light_settings_revision(organization):
            raise ActionRefused(
                _(
                    "Someone else changed these thresholds in the meantime. "
                    "Nothing was saved: review them and save again."
                )
            )
        record = LightSettings(pk=stored.pk if stored else None, organization=organization)
        for setting in lights.SETTING_FIELDS:
            value = values.get(setting)
            setattr(record, setting, "" if setting == "day_count" and not value else value)
        inherited = lights.effective_settings(organization.pk, own=False)
        record.inherited = {setting: value for setting, (value, _source) in inherited.items()}
        record.full_clean(validate_unique=False)
        if stored is not None and all(
            getattr(record, setting) == getattr(stored, setting) for setting in lights.SETTING_FIELDS
        ):
            return stored
        action = Action.CREATE if stored is None else Action.EDIT
        if stored is not None:
            record._state.adding = False
        return save_with_history(record, user=actor, action=action, reason=reason)


# Word documents (issue 14) ----------------------------------------------------------------------


@audit.action()
def withhold(actor, item, *, field="", reason):
    """Mark the item (`field` ""), or one of its fields, 不公开: the public version leaves it out.
    `reason` is one of `Withheld.Reason`. The committee of the item's organization or above.
    Changing the reason of a mark updates it. Returns the `Withheld` mark."""
    check_manages(actor, item.organization)
    if field not in Withheld.Field.values:
        raise ValidationError({"field": _("Choose what is not for publication.")})
    if reason not in Withheld.Reason.values:
        raise ValidationError({"reason": _("Choose why it is not for publication.")})
    with transaction.atomic():
        mark = Withheld.objects.select_for_update().filter(item=item, field=field).first()
        if mark is not None and mark.reason == reason:
            return mark
        mark = mark or Withheld(item=item, field=field)
        mark.reason = reason
        mark.marked_by = actor
        mark.marked_at = timezone.now()
        return save_with_history(
            mark, user=actor, action=Action.WITHHOLD, reason=Withheld.Reason(reason).label
        )


@audit.action()
def disclose(actor, item, *, field="", reason):
    """Take the 不公开 mark off the item or its field, saying why. Returns None."""
    check_manages(actor, item.organization)
    reason = _require(reason, "reason", _("Say why it may now be published."))
    with transaction.atomic():
        mark = Withheld.objects.select_for_update().filter(item=item, field=field).first()
        if mark is None:
            raise ActionRefused(_("This is not marked as not for publication."))
        audit.delete_with_history(mark, user=actor, action=Action.DISCLOSE, reason=reason)


@audit.action()
def upload_word_template(actor, organization, kind, uploaded, *, reason=""):
    """Store `uploaded` as the organization's Word template for `kind` (a `WordTemplate.Kind`),
    after checking it renders (``ledger.word.check_template``: size, format, every tag). The
    committee of the organization or above. Returns the `WordTemplate`, its version bumped."""
    from . import word

    check_manages(actor, organization)
    if kind not in WordTemplate.Kind.values:
        raise ValidationError({"kind": _("Choose the document.")})
    word.check_template(uploaded)  # raises ValidationError({"file": ...}) before anything is stored
    with transaction.atomic():
        record = WordTemplate.objects.select_for_update().filter(organization=organization, kind=kind).first()
        action = Action.UPLOAD_TEMPLATE
        if record is None:
            record = WordTemplate(organization=organization, kind=kind)
        else:
            record.version += 1
        uploaded.seek(0)
        record.file.save(uploaded.name, uploaded, save=False)
        record.original_name = (uploaded.name or "")[:200]
        record.uploaded_by = actor
        record.uploaded_at = timezone.now()
        return save_with_history(record, user=actor, action=action, reason=reason or record.original_name)
