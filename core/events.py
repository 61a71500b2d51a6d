"""One event per record an action writes, delivered after its transaction commits.

The save helpers (`core.audit.save_with_history` and `ledger.bulk.insert_history`) are the only
code that emits: every history row they write becomes one :class:`Event`, handed to the
registered receivers once the transaction commits (``transaction.on_commit``), never for a
transaction rolled back. Notifications, webhooks and the API's consumers subscribe here::

    from core import events

    @events.subscribe
    def notify(event):
        if event.model == "ledger.item" and event.action == "submit":
            ...

Receivers subscribe at start-up (an app's ``ready()``): events are only built while someone
listens, so that a bulk import nobody listens to pays nothing for them. A receiver that raises
is logged and does not keep the others from their event; the change it reports is stored
already.
"""

import datetime
import logging
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

from django.db import transaction

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Event:
    """What one action did to one record, as its history row says it."""

    action: str  # the workflow action code, as on the history row ("close", "import", …)
    model: str  # the record's model label, "ledger.item", "ledger.progressupdate", …
    record_id: int
    # The item the record is or belongs to (a progress update's, an extension request's …);
    # None for records of no item (meetings, issues, attendance, people).
    item_id: int | None
    actor_id: int | None
    at: datetime.datetime  # the history row's time
    reason: str
    changed: tuple  # names of the fields the action set (on creation: those given a value)
    action_id: uuid.UUID  # shared by every record the same action wrote
    created: bool  # True when the action created the record


_receivers = []


def subscribe(receiver):
    """Deliver every event to `receiver(event)` from now on. Returns it (usable as a decorator)."""
    if receiver not in _receivers:
        _receivers.append(receiver)
    return receiver


def unsubscribe(receiver):
    if receiver in _receivers:
        _receivers.remove(receiver)


def listening():
    """True when a receiver is subscribed: emitters build no event otherwise."""
    return bool(_receivers)


def emit(events):
    """Deliver `events` once the current transaction commits (at once outside a transaction)."""
    events = tuple(events)
    if events and _receivers:
        transaction.on_commit(partial(_deliver, events))


def _deliver(events):
    receivers = list(_receivers)
    for event in events:
        for receiver in receivers:
            try:
                receiver(event)
            except Exception:
                logger.exception("Event receiver %r failed on %r", receiver, event)


@contextmanager
def captured():
    """Collect the events delivered while the block runs: ``with captured() as events: ...``.

    For tests; a test inside a transaction that is never committed also needs the on-commit
    callbacks run (``tests.conftest.committed_events`` does both)."""
    got = []

    def receiver(event):
        got.append(event)

    subscribe(receiver)
    try:
        yield got
    finally:
        unsubscribe(receiver)
