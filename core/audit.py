"""Audit history plumbing shared by every audited model.

django-simple-history writes one historical row per save. On top of its user and change reason,
every historical row here also records

- the *action* that caused it (a workflow action code such as ``close``), so that the history
  can be shown as "X closed the item: <reason>" in the reader's language, whatever language
  the reason was typed in;
- the *action id*, a UUID shared by every row one action writes (like NetBox's request id): a
  progress post writes the item's row, the update's and its files' under one id, and the
  history reader groups rows by it, never by their times.

An action is opened with :func:`action` (a context manager, also a decorator: every function of
`ledger.workflow` that writes is one action); an action opened inside another joins it. A row
written outside any action is an action of its own.

The save helpers (:func:`save_with_history`, and `ledger.bulk.insert_history` for bulk inserts)
also emit one `core.events.Event` per row they write, after the transaction commits.
"""

import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from operator import ne

from django.db import models
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from simple_history.signals import post_create_historical_record, pre_create_historical_record

from core import chain, events

_current_action = ContextVar("audit_action_id", default=None)


class ActionHistory(models.Model):
    """Abstract base of the historical models: adds the action code, the action id and the
    links of the record's hash chain (`core.chain`)."""

    history_action = models.CharField(_("action"), max_length=30, blank=True, default="")
    # Null on rows written before action ids existed.
    history_action_id = models.UUIDField(_("action id"), null=True, blank=True, editable=False)
    history_prev_hash = models.CharField(
        _("previous hash"), max_length=64, blank=True, default="", editable=False
    )
    history_hash = models.CharField(_("hash"), max_length=64, blank=True, default="", editable=False)

    class Meta:
        abstract = True


def audited(**kwargs):
    """`HistoricalRecords` with the action columns; use it on every audited model."""
    return HistoricalRecords(bases=[ActionHistory], **kwargs)


@contextmanager
def action():
    """Open one action: every history row written inside shares its id (yielded). Inside an
    open action, joins it (nested workflow calls are one action)."""
    outer = _current_action.get()
    if outer is not None:
        yield outer
        return
    action_id = uuid.uuid4()
    token = _current_action.set(action_id)
    try:
        yield action_id
    finally:
        _current_action.reset(token)


def current_action_id():
    """The id of the open action; a new one when none is open (a write that is its own action)."""
    return _current_action.get() or uuid.uuid4()


@receiver(pre_create_historical_record)
def stamp_action(sender, instance, history_instance, **kwargs):
    if hasattr(history_instance, "history_action"):
        history_instance.history_action = getattr(instance, "_history_action", "") or ""
        history_instance.history_action_id = getattr(instance, "_history_action_id", None) or (
            current_action_id()
        )
    chain.link(history_instance)


@receiver(post_create_historical_record)
def move_chain_head(sender, history_instance, **kwargs):
    chain.save_head(history_instance)


class Snapshot:
    """Mixin of the models the workflow writes: remembers the values a record was loaded with
    (or last saved with), so that the save helpers name the fields an action changed without
    reading the row again."""

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # Kept as given (no copy): most records loaded are never saved.
        instance._audit_loaded = (field_names, values)
        return instance

    def refresh_from_db(self, *args, **kwargs):
        super().refresh_from_db(*args, **kwargs)
        fields = kwargs.get("fields") or (args[1] if len(args) > 1 else None)
        known = _loaded_values(self) or {}
        attnames = {f.attname for f in self._meta.concrete_fields}
        refreshed = attnames if fields is None else {self._meta.get_field(name).attname for name in fields}
        known.update({name: getattr(self, name) for name in refreshed & attnames if name in self.__dict__})
        self._audit_loaded = known


def _loaded_values(obj):
    """{attname: value} the record was loaded or last saved with, or None when not known."""
    loaded = getattr(obj, "_audit_loaded", None)
    if isinstance(loaded, tuple):
        return dict(zip(*loaded, strict=True))
    return dict(loaded) if loaded is not None else None


def compare_with(obj, stored):
    """Name in `obj`'s event the fields that differ from `stored` (the same record, as read
    under a lock), whatever `obj` was loaded with."""
    obj._audit_loaded = getattr(stored, "_audit_loaded", None)


def _remember(obj):
    obj._audit_loaded = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


@cache
def event_fields(model):
    """(names, attnames) of the fields an event names: bookkeeping (the key, the version,
    times set on save) left out."""
    fields = [
        f
        for f in model._meta.concrete_fields
        if not f.primary_key
        and f.name != "version"
        and not getattr(f, "auto_now", False)
        and not getattr(f, "auto_now_add", False)
    ]
    return tuple(f.name for f in fields), tuple(f.attname for f in fields)


def _given(value):
    return value is not None and value != ""


def changed_fields(obj, created):
    """Names of the fields `obj` (about to be saved) changes: on creation, those given a value;
    on an update, those that differ from the values it was loaded with (read from the database
    when not known)."""
    names, attnames = event_fields(type(obj))
    now = [getattr(obj, attname) for attname in attnames]
    if created:
        return tuple(name for name, value in zip(names, now, strict=True) if _given(value))
    before = _loaded_values(obj) or {}
    if not set(attnames) <= before.keys():
        stored = type(obj)._base_manager.filter(pk=obj.pk).values(*attnames).first() or {}
        before = {**stored, **before}
    then = [before.get(attname) for attname in attnames]
    return tuple(name for name, changed in zip(names, map(ne, now, then), strict=True) if changed)


def make_event(obj, *, model_label, actor_id, action, reason, at, changed, action_id, created):
    item_id = obj.pk if model_label == "ledger.item" else getattr(obj, "item_id", None)
    return events.Event(
        action=str(action or ""),
        model=model_label,
        record_id=obj.pk,
        item_id=item_id,
        actor_id=actor_id,
        at=at,
        reason=reason or "",
        changed=changed,
        action_id=action_id,
        created=created,
    )


_STAMPS = ("_history_user", "_history_action", "_history_action_id", "_history_date", "_change_reason")


def _write_with_history(obj, write, *, user, action, reason, changed, created):
    """Run `write()` (a save or a delete of `obj`) so that its history row names the user, the
    action, the reason and the open action's id; then emit its event after the transaction
    commits. The stamps are removed again afterwards: a later save of the same object must not
    inherit this action's reason."""
    action_id = current_action_id()
    at = timezone.now()
    record_id = obj.pk
    for attr, value in zip(_STAMPS, (user, action, action_id, at, reason or ""), strict=True):
        setattr(obj, attr, value)
    try:
        write()
    finally:
        for attr in _STAMPS:
            if hasattr(obj, attr):
                delattr(obj, attr)
    if obj.pk is None:
        obj.pk = record_id  # a deleted record: the event names the record that was
    if events.listening():
        events.emit(
            [
                make_event(
                    obj,
                    model_label=obj._meta.label_lower,
                    actor_id=getattr(user, "pk", None),
                    action=action,
                    reason=reason,
                    at=at,
                    changed=changed,
                    action_id=action_id,
                    created=created,
                )
            ]
        )


def save_with_history(obj, *, user, action, reason="", **save_kwargs):
    """Save `obj` so that its history row names the user, the action, the reason and the open
    action's id (see :func:`action`); emit its event after the transaction commits."""
    created = obj._state.adding
    changed = changed_fields(obj, created) if events.listening() else ()
    _write_with_history(
        obj,
        lambda: obj.save(**save_kwargs),
        user=user,
        action=action,
        reason=reason,
        changed=changed,
        created=created,
    )
    if isinstance(obj, Snapshot):
        _remember(obj)
    return obj


def delete_with_history(obj, *, user, action, reason=""):
    """Delete `obj` so that its deletion's history row names the user, the action, the reason and
    the open action's id; emit its event (no changed fields) after the transaction commits.
    For the few records that may be taken away on record (a person wrongly on an attendance list)."""
    _write_with_history(obj, obj.delete, user=user, action=action, reason=reason, changed=(), created=False)
