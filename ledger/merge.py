"""Edit conflicts merged field by field, for items, issues and meetings alike.

An edit form carries the version of the record it was opened at. When someone else saved the
record in the meantime, the workflow refuses the save (`workflow.EditConflict`). Instead of
asking the user to type everything again, or letting them overwrite the colleague's change
unseen, the refused form is merged three ways, per field:

- the value when the form was opened (the *base*: the record's history row at the form's
  version),
- the value now (*theirs*: the record as stored),
- what the user typed (*mine*).

A field nobody changed stays; a field only the other person changed takes their value; a field
only the user changed keeps the user's value; a field both changed to the same value keeps it;
a field both changed to different values is *contested*: the form comes back with a choice
(keep theirs / take mine) that must be made before it saves. The form comes back over the
current version, so that saving it goes through the workflow's check like any other edit.

:func:`three_way` is the rule, on plain values; :func:`merge_conflict` applies it to the forms
of a refused POST and :func:`present` prepares the forms shown again; :class:`MergeChoicesMixin`
gives an edit form its choices and applies them.
"""

import datetime
from dataclasses import dataclass, field

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from .history import shown_values

# Who changed a field, as :func:`three_way` classifies it.
UNCHANGED = "unchanged"  # nobody
THEIRS = "theirs"  # only someone else since the form was opened: their value is taken
MINE = "mine"  # only the user: the typed value is kept
SAME = "same"  # both, to the same value
BOTH = "both"  # both, to different values: the user must choose

# Hidden fields of a form shown again after a conflict: the fields to choose, and the version
# the merge started from (for the record's history).
CONTESTED_FIELD = "merge_fields"
BASE_FIELD = "merge_base"
CHOICE_PREFIX = "keep_"


@dataclass(frozen=True)
class FieldMerge:
    """One field of a three-way merge. `base` is None when the opened version is unknown."""

    name: str
    outcome: str
    base: object
    theirs: object
    mine: object

    @property
    def contested(self):
        return self.outcome == BOTH

    @property
    def value(self):
        """The merged value (for a contested field, the typed one until the user chooses)."""
        return self.theirs if self.outcome == THEIRS else self.mine


def _comparable(value):
    if isinstance(value, str):
        # Browsers post text areas with CRLF line ends; a blank is the same as nothing.
        value = value.replace("\r\n", "\n").strip()
        return value or None
    return value


def same(a, b):
    """Whether two field values are the same for a merge (blank and None are)."""
    return _comparable(a) == _comparable(b)


def three_way(base, theirs, mine):
    """Merge per field: `theirs` and `mine` map field names to values, `base` too, or is None
    when the values the form was opened with are unknown (then every field that differs
    between theirs and mine is contested). Returns one :class:`FieldMerge` per field of
    `theirs`, in its order."""
    merged = []
    for name, their_value in theirs.items():
        my_value = mine[name]
        if base is None:
            outcome = UNCHANGED if same(their_value, my_value) else BOTH
            base_value = None
        else:
            base_value = base[name]
            they_changed = not same(base_value, their_value)
            i_changed = not same(base_value, my_value)
            if they_changed and i_changed:
                outcome = SAME if same(their_value, my_value) else BOTH
            elif they_changed:
                outcome = THEIRS
            elif i_changed:
                outcome = MINE
            else:
                outcome = UNCHANGED
        merged.append(FieldMerge(name, outcome, base_value, their_value, my_value))
    return merged


# ---------------------------------------------------------------------------------------------
# Records and forms


def merged_fields(form):
    """The fields of an edit form that are merged: its model's own columns (not the version,
    not many-to-many relations, which the history does not keep)."""
    model = form._meta.model
    names = []
    for name in form.fields:
        if name not in (form._meta.fields or ()) or name == "version":
            continue
        model_field = model._meta.get_field(name)
        if model_field.concrete and not model_field.many_to_many:
            names.append(name)
    return names


def record_values(record, names):
    """The stored values of a record (or of one of its historical rows), by field name."""
    model = record.instance_type if hasattr(record, "instance_type") else type(record)
    return {name: getattr(record, model._meta.get_field(name).attname) for name in names}


def _raw(value):
    return value.pk if isinstance(value, models.Model) else value


def as_data(value):
    """A stored value as a browser posts it."""
    if value is None or value is False:
        return ""
    if value is True:
        return "on"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _versions_since(current, version):
    """The record's history from `version` on: its row at that version (the latest, if
    several) and the names of the people who saved it since. One query."""
    try:
        version = int(version)
    except (TypeError, ValueError):
        return None, []
    rows = current.history.filter(version__gte=version).select_related("history_user").order_by("history_id")
    base, people = None, []
    for row in rows:
        if row.version == version:
            base = row
        elif row.history_user_id is not None and str(row.history_user) not in people:
            people.append(str(row.history_user))
    return base, people


@dataclass
class Row:
    """A field of a record merge as the conflict partial shows it."""

    name: str
    label: str
    base: str
    theirs: str
    mine: str
    outcome: str
    choice: object = None  # for a contested field, its choice in the form shown again

    @property
    def anchor(self):
        """The id of the choice, read when the page is drawn (a page may set the form's ids)."""
        return self.choice.auto_id if self.choice is not None else ""


@dataclass
class RecordMerge:
    """The merge of one refused form: what the conflict partial shows of one record."""

    prefix: str | None
    label: str
    version: int  # the version the form was opened at
    current: object
    fields: list
    changed_by: list
    rows: list = field(default_factory=list)

    @property
    def contested(self):
        return [merge.name for merge in self.fields if merge.contested]

    def key(self, name):
        return f"{self.prefix}-{name}" if self.prefix else name

    def apply(self, data):
        """Put the merge into `data` (a mutable copy of the refused POST): their values where
        only they changed something, the current version, the fields to choose."""
        for field_merge in self.fields:
            if field_merge.outcome == THEIRS:
                data[self.key(field_merge.name)] = as_data(field_merge.theirs)
        for key in [key for key in data if key.startswith(self.key(CHOICE_PREFIX))]:
            del data[key]  # a choice made for an earlier conflict is not one for this one
        data[self.key("version")] = self.current.version
        data[self.key(BASE_FIELD)] = self.version
        if self.contested:
            data[self.key(CONTESTED_FIELD)] = ",".join(self.contested)
        else:
            data.pop(self.key(CONTESTED_FIELD), None)


def merge_form(form, current, label=""):
    """The three-way merge of `form` (valid, refused because `current` changed since the
    version it carries) with `current` as it is now."""
    names = merged_fields(form)
    version = form.cleaned_data.get("version")
    base_row, people = _versions_since(current, version)
    base = record_values(base_row, names) if base_row is not None else None
    mine = {name: _raw(form.cleaned_data.get(name)) for name in names}
    fields = three_way(base, record_values(current, names), mine)
    record = RecordMerge(form.prefix, str(label), version, current, fields, people)
    shown = [field_merge for field_merge in fields if field_merge.outcome != UNCHANGED]
    values = [(f.name, value) for f in shown for value in (f.base, f.theirs, f.mine)]
    texts = iter(shown_values(type(current), values))
    for field_merge in shown:
        base_text, their_text, my_text = next(texts), next(texts), next(texts)
        record.rows.append(
            Row(
                name=field_merge.name,
                label=str(form.fields[field_merge.name].label or field_merge.name),
                base=base_text if base is not None else "?",
                theirs=their_text,
                mine=my_text,
                outcome=field_merge.outcome,
            )
        )
    return record


def merge_conflict(data, conflict, stale):
    """The edit-conflict handler of every edit page: merge each refused form with its record.

    `data` is the refused POST, `conflict` the workflow's `EditConflict`, `stale` a list of
    (form, record as it is now, label) for each valid form whose record changed since its
    version (a page of several records, the meeting and its issue rows, has several).
    Returns the data to bind the page's forms to (then pass them to :func:`present`) and the
    conflict as the partial `ledger/includes/edit_conflict.html` shows it."""
    data = data.copy()
    records = [merge_form(form, current, label) for form, current, label in stale]
    for record in records:
        record.apply(data)
    contested = any(record.contested for record in records)
    return data, {"message": conflict.message, "records": records, "contested": contested}


def at_base(data, form):
    """A merged form sent back with a choice still open: the data as it was first refused (its
    version the one it was opened at, no choices), for :func:`merge_conflict` to show the merge
    again. None when `form` holds no merge."""
    base = data.get(form.add_prefix(BASE_FIELD))
    if not getattr(form, "contested", None) or not base:
        return None
    data = data.copy()
    data[form.add_prefix("version")] = base
    for key in [key for key in data if key.startswith(form.add_prefix(CHOICE_PREFIX))]:
        del data[key]
    data.pop(form.add_prefix(CONTESTED_FIELD), None)
    return data


def present(conflict, *forms):
    """Prepare the forms bound to :func:`merge_conflict`'s data to be shown: the choices are
    asked, not reported missing yet, and each contested row links to its choice."""
    by_prefix = {record.prefix: record for record in conflict["records"]}
    for form in forms:
        form.merge_presented = True
        form.is_valid()
        record = by_prefix.get(form.prefix)
        for row in record.rows if record is not None else ():
            if row.outcome == BOTH and CHOICE_PREFIX + row.name in form.fields:
                row.choice = form[CHOICE_PREFIX + row.name]


def stale_forms(forms_and_labels):
    """(form, record as it is now, label) for each valid form of a saved record whose version
    is not the stored one: one query per kind of record."""
    wanted = {}
    for form, _label in forms_and_labels:
        pk = form.instance.pk
        if pk is not None and form.cleaned_data.get("version") is not None:
            wanted.setdefault(form._meta.model, set()).add(pk)
    stored = {model: model.objects.in_bulk(pks) for model, pks in wanted.items()}
    stale = []
    for form, label in forms_and_labels:
        current = stored.get(form._meta.model, {}).get(form.instance.pk)
        if current is not None and int(form.cleaned_data["version"]) != current.version:
            stale.append((form, current, label))
    return stale


class MergeChoicesMixin:
    """An edit form (of an item, an issue, a meeting) that may come back from a conflict.

    Bound to data naming contested fields (hidden `merge_fields`), it asks for each of them
    "keep theirs" (the value at the form's version, named) or "take mine" (the field as typed),
    and refuses to validate until each is chosen; keeping theirs replaces the typed value in
    `cleaned_data`, before a model form builds its instance."""

    merge_presented = False  # set by `present()`: shown for the first time, nothing chosen yet

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.contested = []
        self.theirs = {}
        if not self.is_bound:
            return
        listed = (self.data.get(self.add_prefix(CONTESTED_FIELD)) or "").split(",")
        merged = merged_fields(self)
        self.contested = [name for name in merged if name in listed]
        if not self.contested:
            return
        self.theirs = self._their_values()
        texts = dict(
            zip(self.contested, shown_values(self._meta.model, list(self.theirs.items())), strict=True)
        )
        fields = {}
        for name, form_field in self.fields.items():
            fields[name] = form_field
            if name in self.contested:
                fields[CHOICE_PREFIX + name] = forms.ChoiceField(
                    label=_("{field}: changed by both, choose one").format(field=form_field.label or name),
                    choices=[
                        (THEIRS, _("Keep theirs: {value}").format(value=texts[name])),
                        (MINE, _("Take mine (as typed above)")),
                    ],
                    widget=forms.RadioSelect(attrs={"class": "form-check-input", "required": True}),
                    required=False,  # checked in clean(), once the user had the chance
                )
        fields[CONTESTED_FIELD] = forms.CharField(widget=forms.HiddenInput, required=False)
        fields[BASE_FIELD] = forms.IntegerField(widget=forms.HiddenInput, required=False)
        self.fields = fields

    def _their_values(self):
        """The contested fields' values at the version the form carries (the ones shown)."""
        record = self.instance
        try:
            version = int(self.data.get(self.add_prefix("version")))
        except (TypeError, ValueError):
            return record_values(record, self.contested)  # the version field reports it
        if record.version != version:
            row = record.history.filter(version=version).order_by("-history_id").first()
            record = row if row is not None else record
        return record_values(record, self.contested)

    @property
    def merge_choices(self):
        """The choices to make, as bound fields (for templates that place fields by name)."""
        return [self[CHOICE_PREFIX + name] for name in self.contested if CHOICE_PREFIX + name in self.fields]

    def clean(self):
        cleaned = super().clean()
        for name in self.contested:
            if name not in self.fields:
                continue
            choice = cleaned.get(CHOICE_PREFIX + name)
            if choice == THEIRS:
                try:
                    cleaned[name] = self.fields[name].clean(as_data(self.theirs[name]))
                except forms.ValidationError as error:
                    self.add_error(name, error)
                else:
                    self.errors.pop(name, None)
            elif choice != MINE and not self.merge_presented:
                self.add_error(CHOICE_PREFIX + name, _("Choose which value to keep."))
        return cleaned
