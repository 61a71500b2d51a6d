"""Telling people what the workflow did: the receivers of `core.events` that call `notify`.

Subscribed in `LedgerConfig.ready()`. Each notification is keyed on the event's action id and
record, so that an event delivered again tells nobody twice; the actor is never told of their
own action. An import (`Action.IMPORT`, the spreadsheet importer and its command) tells nobody:
its owners find the items on their own page and in their work queue, and a ledger of hundreds
of rows must not become hundreds of messages. The demo seeding goes through the workflow's
single actions, so its few dozen items leave the demo's people a realistic inbox; the synthetic
ledger (`seed_demo --items`) emits no events at all.
"""

from ledger.models import ExtensionRequest, Item, ItemCoOwner, Notification
from ledger.notify import notify
from ledger.workflow import Action

K = Notification.Kind


def _key(kind, event):
    return f"{kind}:{event.action_id}:{event.model}:{event.record_id}"


def on_event(event):
    """Notify on assignment, return, closure and extension decisions (see the module's text)."""
    if event.action == Action.IMPORT:
        return
    if event.model == "ledger.item":
        _item_event(event)
    elif event.model == "ledger.itemcoowner" and event.created:
        link = ItemCoOwner.objects.select_related("item").filter(pk=event.record_id).first()
        if link is not None:
            notify(
                [link.person_id], K.ASSIGNED, key=_key(K.ASSIGNED, event), item=link.item, skip=event.actor_id
            )
    elif event.model == "ledger.extensionrequest" and event.action == Action.DECIDE_EXTENSION:
        extension = ExtensionRequest.objects.select_related("item").filter(pk=event.record_id).first()
        if extension is not None and extension.status != ExtensionRequest.Status.PENDING:
            notify(
                [extension.requested_by_id],
                K.EXTENSION_DECIDED,
                key=_key(K.EXTENSION_DECIDED, event),
                item=extension.item,
                params={"decision": extension.status, "deadline": str(extension.proposed_deadline)},
                message=extension.decision_note,
                skip=event.actor_id,
            )


def _item_event(event):
    interesting = (
        event.created
        or event.action in (Action.RETURN, Action.CLOSE)
        or {"owner", "leader"} & set(event.changed)
    )
    if not interesting:
        return
    item = Item.objects.filter(pk=event.record_id).first()
    if item is None:
        return
    if event.created or {"owner", "leader"} & set(event.changed):
        assigned = []
        if event.created or "owner" in event.changed:
            assigned.append(item.owner_id)
        if event.created or "leader" in event.changed:
            assigned.append(item.leader_id)
        notify(assigned, K.ASSIGNED, key=_key(K.ASSIGNED, event), item=item, skip=event.actor_id)
    if event.action == Action.RETURN:
        notify(
            [item.owner_id],
            K.RETURNED,
            key=_key(K.RETURNED, event),
            item=item,
            params={"reason": event.reason},
            skip=event.actor_id,
        )
    elif event.action == Action.CLOSE and item.status == Item.Status.CLOSED:
        people = [item.owner_id, *item.co_owner_links.values_list("person_id", flat=True), item.leader_id]
        notify(people, K.CLOSED, key=_key(K.CLOSED, event), item=item, skip=event.actor_id)
