"""Reading the audit history back: one timeline per item, with readable field-by-field diffs.

The item's own historical rows are merged with those of its progress updates, evidence and
extension requests, so that the timeline tells the whole story in order. Values are shown as a
person reads them: people by name, states by label, dates as dates. The screen and the PDF
dossier render the same entries.
"""

import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from core.models import Organization

from .models import Evidence, ExtensionRequest, Issue, Item, ProgressUpdate
from .workflow import Action

# Fields whose changes are bookkeeping, not news.
NOISE_FIELDS = {"id", "version", "created_at", "updated_at", "year", "sequence", "item", "file"}


@dataclass
class Change:
    field: str
    label: str
    old: str
    new: str


@dataclass
class Entry:
    when: datetime.datetime
    user: str
    record: str  # what the row is about: the item, a progress update, …
    action: str
    reason: str
    history_type: str  # "+" created, "~" changed, "-" deleted
    changes: list = field(default_factory=list)

    @property
    def is_creation(self):
        return self.history_type == "+"


def _tracked_fields(model):
    return [f for f in model._meta.concrete_fields if f.name not in NOISE_FIELDS]


def _display(model_field, value, names):
    if value is None or value == "":
        return "—"
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
        if model in (get_user_model(), Organization, Issue):
            for obj in model.objects.filter(pk__in=ids):
                names[(model, obj.pk)] = str(obj)
        elif model is Item:
            for pk, reference in Item.objects.filter(pk__in=ids).values_list("pk", "reference"):
                names[(model, pk)] = reference
        # Rows this timeline already names (progress updates) are shown by id.
    return names


_ACTION_LABELS = dict(Action.choices)


def _action_label(record):
    code = getattr(record, "history_action", "")
    if code in _ACTION_LABELS:
        return str(_ACTION_LABELS[code])
    return {"+": str(_("Created")), "~": str(_("Changed")), "-": str(_("Deleted"))}[record.history_type]


def item_timeline(item):
    """The item's whole audit history, oldest first, as a list of :class:`Entry`.

    Five queries whatever the length of the history: the historical rows of the item, its
    progress updates, evidence and extension requests, and one per kind of related name shown.
    """
    sources = [
        (Item, item.history.all(), _("Item")),
        (ProgressUpdate, ProgressUpdate.history.filter(item_id=item.pk), _("Progress update")),
        (Evidence, Evidence.history.filter(item_id=item.pk), _("Evidence")),
        (ExtensionRequest, ExtensionRequest.history.filter(item_id=item.pk), _("Extension request")),
    ]
    rows = []
    for model, queryset, record_label in sources:
        fields = _tracked_fields(model)
        previous_by_object = {}
        for record in queryset.select_related("history_user").order_by("history_date", "history_id"):
            previous = previous_by_object.get(record.id)
            rows.append((record, record_label, _diff(fields, previous, record)))
            previous_by_object[record.id] = record
    names = _related_names(change for _record, _label, changes in rows for change in changes)
    entries = [
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
                    label=str(model_field.verbose_name),
                    old=_display(model_field, old, names),
                    new=_display(model_field, new, names),
                )
                for model_field, old, new in changes
            ],
        )
        for record, record_label, changes in rows
    ]
    entries.sort(key=lambda entry: entry.when)
    return entries
