"""Telling people: the one function that writes a `Notification`.

The daily reminder run, the workflow's event receivers and the supervision actions all call
:func:`notify`; delivery (the in-app list, email digests, group robots) reads what it wrote. A
person is told at most once per `key`, so a caller that runs twice (a reminder run repeated the
same day, an event delivered again) tells nobody anything new. Choose keys that name what makes
the news new: ``f"due_soon:{item.pk}:{days}:{item.deadline}"`` reminds again after an extension
moved the deadline, never twice for the same one.
"""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from ledger.models import MutedItem, Notification


def _person_ids(recipients):
    ids = []
    for person in recipients:
        if person is None:
            continue
        person_id = person if isinstance(person, int) else person.pk
        if person_id not in ids:
            ids.append(person_id)
    return ids


def notify(
    recipients, kind, *, key, item=None, organization=None, params=None, message="", skip=None, now=None
):
    """Tell each of `recipients` (people or their ids) of `kind`, once per person and `key`.

    People who cannot sign in (inactive, import placeholders) are not told; nor is `skip` (the
    person whose action this is), nor anyone who muted `item`. Returns the notifications
    created, in recipient order.
    """
    ids = _person_ids(recipients)
    skip_id = skip if isinstance(skip, int) or skip is None else skip.pk
    ids = [i for i in ids if i != skip_id]
    if not ids:
        return []
    reachable = set(
        get_user_model()
        .objects.filter(pk__in=ids, is_active=True, is_placeholder=False)
        .values_list("pk", flat=True)
    )
    if item is not None:
        reachable -= set(
            MutedItem.objects.filter(item=item, person_id__in=reachable).values_list("person_id", flat=True)
        )
    with transaction.atomic():
        told = set(
            Notification.objects.filter(recipient_id__in=reachable, key=key).values_list(
                "recipient_id", flat=True
            )
        )
        created = [
            Notification(
                recipient_id=person_id,
                kind=kind,
                key=key,
                item=item,
                organization=organization
                if organization is not None
                else getattr(item, "organization", None),
                params=params or {},
                message=message,
                created_at=now or timezone.now(),
            )
            for person_id in ids
            if person_id in reachable and person_id not in told
        ]
        try:
            with transaction.atomic():
                return Notification.objects.bulk_create(created)
        except IntegrityError:
            # Another run told some of them in the meantime: tell the rest one by one.
            return [note for note in created if _create_unless_told(note)]


def _create_unless_told(note):
    fields = {
        f.attname: getattr(note, f.attname) for f in Notification._meta.concrete_fields if f.attname != "id"
    }
    key = {"recipient_id": fields.pop("recipient_id"), "key": fields.pop("key")}
    stored, created = Notification.objects.get_or_create(**key, defaults=fields)
    note.pk = stored.pk
    return created
