"""Reading the audit history back: one timeline per item, with readable field-by-field diffs.

The item's own historical rows are merged with those of its progress updates, evidence and
extension requests, so that the timeline tells the whole story in order, one entry per action:
the rows one action wrote share its action id (`core.audit`), so a progress post, which writes
the update, its files and the item's new state, is one entry; so is the decision on an
extension request, which writes the request's decision and the item's new deadline.
Values are shown as a person reads them: people by name, states by label, dates as dates. The
screen and the PDF dossier render the same entries.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from core.models import Organization

from .models import (
    Accountability,
    Category,
    Evidence,
    ExtensionRequest,
    Issue,
    Item,
    ItemCoOwner,
    ProgressUpdate,
    Recheck,
    Urging,
    WarningTalk,
)
from .workflow import Action

# Fields whose changes are bookkeeping, not news. The original deadline is set by the first
# approved extension, whose entry already shows the deadline's move.
NOISE_FIELDS = {
    "id",
    "version",
    "created_at",
    "updated_at",
    "year",
    "sequence",
    "item",
    "file",
    "original_deadline",
    "batch",  # a re-check's draw: the re-check's own fields say what matters
}


@dataclass
class Change:
    field: str
    label: str
    old: str
    new: str


@dataclass
class Detail:
    label: str
    value: str


@dataclass
class Entry:
    when: datetime.datetime
    user: str
    record: str  # what the row is about: the item, a progress update, …
    action: str
    reason: str
    history_type: str  # "+" created, "~" changed, "-" deleted
    changes: list = field(default_factory=list)
    # What the action recorded beside the changes: a progress post's text, percent and files;
    # an extension decision's outcome, the deadline asked for and the note.
    details: list = field(default_factory=list)

    @property
    def is_creation(self):
        return self.history_type == "+"


def _tracked_fields(model):
    # Fields the history leaves out (a derived sort key, `Item.org_rank`) have nothing to compare.
    recorded = {f.attname for f in model.history.model._meta.concrete_fields}
    return [f for f in model._meta.concrete_fields if f.name not in NOISE_FIELDS and f.attname in recorded]


# Evidence is shown by the kind of file and its size in KB/MB, not by its content type and bytes.
_EVIDENCE_LABELS = {"content_type": _("kind of file"), "size": _("size")}


def field_label(model_field):
    """The label of a field in a diff."""
    if model_field.model is Evidence and model_field.name in _EVIDENCE_LABELS:
        return str(_EVIDENCE_LABELS[model_field.name])
    return str(model_field.verbose_name)


def _display(model_field, value, names):
    if value is None or value == "":
        return "—"
    if model_field.model is Evidence and model_field.name == "content_type":
        return str(Evidence.kind_of(value))
    if model_field.model is Evidence and model_field.name == "size":
        return str(Evidence.size_text(value))
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.ForeignKey):
        return names.get((model_field.related_model, value), str(value))
    if isinstance(model_field, models.BooleanField):
        return str(_("yes") if value else _("no"))
    if isinstance(value, datetime.datetime):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "DATE_FORMAT")
    if isinstance(model_field, models.FileField):
        return str(value).rsplit("/", 1)[-1]
    return str(value)


def _diff(fields, previous, record):
    """(field, old value, new value) for every tracked field that changed."""
    changes = []
    for model_field in fields:
        new = getattr(record, model_field.attname)
        old = getattr(previous, model_field.attname) if previous is not None else None
        if previous is None and new in (None, "", 0, False):
            continue
        if old != new:
            changes.append((model_field, old, new))
    return changes


def _related_names(raw_changes):
    """Names of the people, organizations and issues that the diffs mention, in few queries."""
    wanted = {}
    for model_field, old, new in raw_changes:
        if isinstance(model_field, models.ForeignKey):
            wanted.setdefault(model_field.related_model, set()).update(v for v in (old, new) if v is not None)
    names = {}
    for model, ids in wanted.items():
        if model in (get_user_model(), Organization, Issue, Category):
            for obj in model.objects.filter(pk__in=ids):
                names[(model, obj.pk)] = str(obj)
        elif model is Item:
            for pk, reference in Item.objects.filter(pk__in=ids).values_list("pk", "reference"):
                names[(model, pk)] = reference
        # Rows this timeline already names (progress updates) are shown by id.
    return names


def shown_values(model, values):
    """Values of `model`'s fields as the timeline shows them: ``[(field name, value), …]``
    (raw values: ids for foreign keys) in, one text each out, in one query per kind of related
    record named."""
    raw = [(model._meta.get_field(name), value, None) for name, value in values]
    names = _related_names(raw)
    return [_display(model_field, value, names) for model_field, value, _none in raw]


_ACTION_LABELS = dict(Action.choices)


def _action_label(record):
    code = getattr(record, "history_action", "")
    if code in _ACTION_LABELS:
        return str(_ACTION_LABELS[code])
    return {"+": str(_("Created")), "~": str(_("Changed")), "-": str(_("Deleted"))}[record.history_type]


def _action_key(record):
    """The action a historical row belongs to: its action id. A row written before action ids
    existed is an action of its own."""
    return record.history_action_id or (record.model, record.history_id)


class _Row:
    """What the timeline needs of a historical row to order, pair and count it (the few columns
    `_LIGHT` names); the whole row, with its user, is read only for the entries shown."""

    __slots__ = (
        "model",
        "history_id",
        "id",
        "history_date",
        "history_type",
        "history_action",
        "history_action_id",
        "update_id",
    )

    def __init__(self, model, values):
        self.model = model
        self.update_id = None
        for name, value in zip(_light_columns(model), values, strict=True):
            setattr(self, name, value)


def _light_columns(model):
    columns = ["history_id", "id", "history_date", "history_type", "history_action", "history_action_id"]
    if model is Evidence:
        columns.append("update_id")
    return columns


def _progress_posts(rows):
    """The rows each progress post wrote: {item row: (update row, [evidence rows])}.

    `workflow.post_progress` writes the item's row, the new update's and its files' as one
    action (one action id); so does an import that creates an item with its progress text. The
    item's row of such an action is paired with the update the same action created, and the
    files with it. Files attached to an update later are another action: entries of their own.
    """
    updates = {}
    for record in rows[ProgressUpdate]:
        if record.history_type == "+" and record.history_action == Action.POST_PROGRESS:
            updates.setdefault(_action_key(record), []).append(record)
    files = {}
    for record in rows[Evidence]:
        if record.history_type == "+" and record.update_id is not None:
            files.setdefault((_action_key(record), record.update_id), []).append(record)
    posts = {}
    for record in rows[Item]:
        if record.history_action not in (Action.POST_PROGRESS, Action.IMPORT):
            continue
        waiting = updates.get(_action_key(record))
        if waiting:
            update = waiting.pop(0)
            posts[record] = (update, files.pop((_action_key(record), update.id), []))
    return posts


def _extension_decisions(rows):
    """The rows each extension decision wrote: {row shown as the decision: the request's row}.

    `workflow.decide_extension` approves by writing the item's row (its new deadline) and the
    request's decision as one action: the item's row is paired with the request's row of the
    same action. A rejection writes the request's row only, which is then the entry itself.
    """
    decided = {}
    for record in rows[ExtensionRequest]:
        if record.history_type == "~" and record.history_action == Action.DECIDE_EXTENSION:
            decided.setdefault(_action_key(record), []).append(record)
    decisions = {}
    for record in rows[Item]:
        if record.history_action != Action.DECIDE_EXTENSION:
            continue
        waiting = decided.get(_action_key(record))
        if waiting:
            decisions[record] = waiting.pop(0)
    decisions.update({request: request for waiting in decided.values() for request in waiting})
    return decisions


def _decision_details(request):
    status, proposed, note = (
        ExtensionRequest._meta.get_field(name) for name in ("status", "proposed_deadline", "decision_note")
    )
    details = [
        Detail(str(status.verbose_name), _display(status, request.status, {})),
        Detail(str(proposed.verbose_name), _display(proposed, request.proposed_deadline, {})),
    ]
    if request.decision_note:
        details.append(Detail(str(note.verbose_name), request.decision_note))
    return details


def _post_details(update, files):
    text_field, percent_field = (
        ProgressUpdate._meta.get_field("text"),
        ProgressUpdate._meta.get_field("percent"),
    )
    details = [
        Detail(str(text_field.verbose_name), update.text),
        Detail(str(percent_field.verbose_name), _display(percent_field, update.percent, {})),
    ]
    details += [Detail(str(Evidence._meta.verbose_name), record.original_name) for record in files]
    return details


def item_timeline(item):
    """The item's whole audit history, oldest first, as a list of :class:`Entry`.

    One entry per action: the rows a progress post writes (the item's, the update's and its
    files') are one entry, the post's text, percent and files as its details and the item's
    changes as its changes; so are an imported item's creation and its progress text; so are
    the rows of an extension decision, the decision as its details and the item's new deadline
    as its change. A fixed number of queries whatever the length of the history: the ordering
    columns of each kind of historical row, the whole rows of each kind the history holds, and
    one per kind of related name shown.
    """
    return Timeline(item)[:]


class Timeline(Sequence):
    """The entries of an item's timeline (see :func:`item_timeline`), oldest first or, with
    `newest_first`, newest first, made only when read: a page of a long history
    (``Paginator(Timeline(item, newest_first=True), 50)``) reads a few columns of every
    historical row (what orders, pairs and counts the entries, and which row each diff compares
    with), then the whole rows of the page's entries only (each with the row before it and
    the rows merged into it; one query per kind of record), and names the people and records
    their diffs mention (one query per kind)."""

    def __init__(self, item, newest_first=False):
        sources = [
            (Item, item.history.all(), _("Item")),
            (ProgressUpdate, ProgressUpdate.history.filter(item_id=item.pk), _("Progress update")),
            (Evidence, Evidence.history.filter(item_id=item.pk), _("Evidence")),
            (ExtensionRequest, ExtensionRequest.history.filter(item_id=item.pk), _("Extension request")),
            # Each co-owner added or taken away (协办人), by whom and why.
            (ItemCoOwner, ItemCoOwner.history.filter(item_id=item.pk), _("Co-owner")),
            # Supervision (issue 13): urgings and notices with their replies, warning talks,
            # accountability records, re-checks of the item.
            (Urging, Urging.history.filter(item_id=item.pk), _("Urging notice")),
            (WarningTalk, WarningTalk.history.filter(item_id=item.pk), _("Warning talk")),
            (Accountability, Accountability.history.filter(item_id=item.pk), _("Accountability record")),
            (Recheck, Recheck.history.filter(item_id=item.pk), _("Re-check")),
        ]
        rows = {model: [] for model, _queryset, _label in sources}
        # Each row's diff is against the previous row of the same record, worked out only for
        # the entries read (a page of a long history): (tracked fields, previous row) here.
        against = {}
        for model, queryset, _record_label in sources:
            fields = _tracked_fields(model)
            previous_by_object = {}
            light = queryset.order_by("history_date", "history_id").values_list(*_light_columns(model))
            for values in light:
                record = _Row(model, values)
                rows[model].append(record)
                against[record] = (fields, previous_by_object.get(record.id))
                previous_by_object[record.id] = record
        posts = _progress_posts(rows)
        decisions = _extension_decisions(rows)
        merged = {row for update, files in posts.values() for row in (update, *files)}
        for shown_as, request in decisions.items():
            if shown_as is request:
                # A decision is told by its details: the request's own diff (its status, decider,
                # time and note) would say the same again.
                against[request] = ((), None)
            else:
                merged.add(request)
        shown = [
            (record, record_label)
            for model, _queryset, record_label in sources
            for record in rows[model]
            if record not in merged
        ]
        shown.sort(key=lambda pair: pair[0].history_date)  # stable: ties keep the sources' order
        if newest_first:
            shown.reverse()
        self._shown, self._against, self._posts, self._decisions = shown, against, posts, decisions

    def __len__(self):
        return len(self._shown)

    def __iter__(self):
        return iter(self[:])

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self._entries(self._shown[index])
        return self._entries([self._shown[index]])[0]

    def _whole_rows(self, shown):
        """The whole historical rows behind the light ones of `shown`: each shown row, the row
        its diff compares with, and the rows merged into it, in one query per kind of record."""
        wanted = {}
        for record, _label in shown:
            _fields, previous = self._against[record]
            update, files = self._posts.get(record, (None, ()))
            for row in (record, previous, update, *files, self._decisions.get(record)):
                if row is not None:
                    wanted.setdefault(row.model, set()).add(row.history_id)
        whole = {}
        for model, ids in wanted.items():
            for row in model.history.filter(history_id__in=ids).select_related("history_user"):
                whole[(model, row.history_id)] = row
        return lambda row: None if row is None else whole[(row.model, row.history_id)]

    def _entries(self, light):
        whole = self._whole_rows(light)
        shown = [(whole(record), label, record) for record, label in light]
        changes = {
            row: _diff(self._against[record][0], whole(self._against[record][1]), row)
            for row, _l, record in shown
        }
        # Named for the entries read: a few queries (one per kind of record named) a page.
        names = _related_names(change for diff in changes.values() for change in diff)
        entries = []
        for record, record_label, light_record in shown:
            post = self._posts.get(light_record)
            if post:
                post = (whole(post[0]), [whole(row) for row in post[1]])
            decision = whole(self._decisions.get(light_record))
            # A post is shown as the progress update it made; an import as the item it created; an
            # extension decision as the request decided.
            details = []
            if post:
                details = _post_details(*post)
                if record.history_action == Action.POST_PROGRESS:
                    record_label = _("Progress update")
            elif decision:
                details = _decision_details(decision)
                record_label = _("Extension request")
            entries.append(
                Entry(
                    when=record.history_date,
                    user=str(record.history_user) if record.history_user_id else str(_("System")),
                    record=str(record_label),
                    action=_action_label(record),
                    reason=record.history_change_reason or "",
                    history_type=record.history_type,
                    changes=[
                        Change(
                            field=model_field.name,
                            label=field_label(model_field),
                            old=_display(model_field, old, names),
                            new=_display(model_field, new, names),
                        )
                        for model_field, old, new in changes[record]
                    ],
                    details=details,
                )
            )
        return entries
