"""Bringing notifications to people: the email digest and the group robots.

:func:`deliver_pending` runs after the reminders (`send_reminders`) or on its own
(`manage.py deliver_notifications`). It sends each person one digest of what they were told and
not yet emailed, in their language, and posts what is new to each organization's group robots in
batches. Nothing is marked sent until it was: a mail server or a robot that fails loses nothing,
the next run sends it, and one channel failing never keeps the others from running.
"""

import datetime
import logging
import smtplib
from itertools import groupby

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import Exists, Max, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from core.permissions import OrganizationTree

from . import webhooks
from .models import MutedItem, Notification, Webhook

logger = logging.getLogger(__name__)

# What a mail server answers about one message (its address, its sender), not about itself.
REFUSED = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)
# A digest lists at most this many notifications (the rest wait for the next run).
DIGEST_LIMIT = 200
# About 20 messages a minute per robot is what each platform allows: a run posts fewer, each
# message carrying several notifications.
LINES_PER_MESSAGE = 10
MESSAGES_PER_RUN = 10
# After a failure: wait 5 minutes, then 10, 20 … up to 6 hours.
FIRST_RETRY = datetime.timedelta(minutes=5)
LONGEST_RETRY = datetime.timedelta(hours=6)


def deliver_pending(now=None):
    """Send the email digests and the robots' batches that are due. Returns the counts."""
    now = now or timezone.now()
    counts = {"emails": 0, "emailed": 0, "email_failures": 0, "posts": 0, "posted": 0, "post_failures": 0}
    try:
        send_digests(now, counts)
    except Exception:  # the mail server down at connection time: the robots still run
        logger.exception("Email digests failed")
        counts["email_failures"] += 1
    post_to_robots(now, counts)
    return counts


def absolute_url(path):
    return settings.LEDGER_BASE_URL.rstrip("/") + path


def pending_emails():
    """Notifications not emailed yet, of people who take the digest, on items they did not mute."""
    muted = MutedItem.objects.filter(person_id=OuterRef("recipient_id"), item_id=OuterRef("item_id"))
    return (
        Notification.objects.filter(
            emailed_at__isnull=True, recipient__email_digest=True, recipient__is_active=True
        )
        .exclude(recipient__email="")
        .filter(Q(item__isnull=True) | ~Exists(muted))
        .select_related("item", "recipient")
        .order_by("recipient_id", "created_at", "pk")
    )


def digest_message(person, notes, connection=None):
    """One person's digest, in their language: a text and an HTML part, links absolute."""
    with translation.override(person.language or settings.LANGUAGE_CODE):
        entries = [
            {
                "text": note.text(),
                "message": note.message,
                "url": absolute_url(reverse("ledger:item_detail", args=[note.item_id]))
                if note.item_id
                else "",
                "at": note.created_at,
            }
            for note in notes
        ]
        context = {
            "person": person,
            "entries": entries,
            "inbox_url": absolute_url(reverse("notifications:list")),
            "profile_url": absolute_url(reverse("profile")),
        }
        subject = render_to_string("emails/digest-subject.txt", context).strip()
        text = render_to_string("emails/digest-body.txt", context)
        html = render_to_string("emails/digest-body.html", context)
    message = EmailMultiAlternatives(subject, text, to=[person.email], connection=connection)
    message.attach_alternative(html, "text/html")
    return message


def send_digests(now, counts):
    pending = list(pending_emails()[: DIGEST_LIMIT * 50])
    if not pending:
        return
    connection = get_connection()
    for _person_id, group in groupby(pending, key=lambda note: note.recipient_id):
        notes = list(group)[:DIGEST_LIMIT]
        try:
            digest_message(notes[0].recipient, notes, connection).send()
        except REFUSED as error:  # this address only: the others go on
            logger.warning("Email digest to %s refused: %s", notes[0].recipient_id, error)
            counts["email_failures"] += 1
            continue
        except Exception as error:
            # The server itself is down: trying each person would wait out its timeout each
            # time. The next run sends all of it.
            logger.warning("Email digests stopped, the mail server failed: %s", error)
            counts["email_failures"] += 1
            return
        Notification.objects.filter(pk__in=[note.pk for note in notes]).update(emailed_at=now)
        counts["emails"] += 1
        counts["emailed"] += len(notes)


def start_cursor():
    """Where a new robot starts: after what was told before it existed."""
    return Notification.objects.aggregate(last=Max("pk"))["last"] or 0


def post_to_robots(now, counts):
    tree = OrganizationTree.read()
    due = Webhook.objects.filter(enabled=True).filter(Q(next_try_at__isnull=True) | Q(next_try_at__lte=now))
    for webhook in due.select_related("organization"):
        try:
            post_batches(webhook, tree, now, counts)
        except Exception as error:  # never keep the other robots from their turn
            logger.exception("Webhook %s failed", webhook.pk)
            record_failure(webhook, error, now)
            counts["post_failures"] += 1


def group_text(notes):
    with translation.override(settings.LANGUAGE_CODE):
        lines = []
        for note in notes:
            line = note.text()
            if note.item_id:
                line += " " + absolute_url(reverse("ledger:item_detail", args=[note.item_id]))
            lines.append("· " + line)
        return "\n".join(lines)


def post_batches(webhook, tree, now, counts):
    org_ids = tree.subtree([webhook.organization_id])
    pending = list(
        Notification.objects.filter(pk__gt=webhook.sent_up_to, organization_id__in=org_ids)
        .select_related("item", "item__owner")
        .order_by("pk")[: LINES_PER_MESSAGE * MESSAGES_PER_RUN * 5]
    )
    # One line per event: all recipients of one key were told the same thing.
    seen = set()
    batch, last_pk = [], webhook.sent_up_to
    batches = []
    for note in pending:
        last_pk = note.pk
        if note.key in seen:
            continue
        seen.add(note.key)
        batch.append(note)
        if len(batch) == LINES_PER_MESSAGE:
            batches.append((batch, last_pk))
            batch = []
    if batch:
        batches.append((batch, last_pk))
    for batch, up_to in batches[:MESSAGES_PER_RUN]:
        mobiles = [note.item.owner.mobile for note in batch if note.item_id and note.item.owner_id]
        url, body = webhooks.build(webhook.kind, webhook.url, webhook.secret, group_text(batch), mobiles, now)
        try:
            webhooks.post(url, body)
        except webhooks.WebhookError as error:
            record_failure(webhook, error, now)
            counts["post_failures"] += 1
            return
        webhook.sent_up_to = up_to
        webhook.attempts = 0
        webhook.next_try_at = None
        webhook.last_error = ""
        webhook.last_sent_at = now
        webhook.save(update_fields=["sent_up_to", "attempts", "next_try_at", "last_error", "last_sent_at"])
        counts["posts"] += 1
        counts["posted"] += len(batch)


def record_failure(webhook, error, now):
    webhook.attempts += 1
    wait = min(FIRST_RETRY * 2 ** (webhook.attempts - 1), LONGEST_RETRY)
    webhook.next_try_at = now + wait
    webhook.last_error = str(error)[:500]
    webhook.save(update_fields=["attempts", "next_try_at", "last_error"])


def unread_count(user):
    """The bell's figure: one query on the `notification_inbox` index."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def mark_read(person, note, now=None):
    """Mark one of the person's notifications read (opening it)."""
    if note.read_at is None:
        note.read_at = now or timezone.now()
        Notification.objects.filter(pk=note.pk, recipient=person, read_at__isnull=True).update(
            read_at=note.read_at
        )


def mark_all_read(person, now=None):
    return Notification.objects.filter(recipient=person, read_at__isnull=True).update(
        read_at=now or timezone.now()
    )


def is_muted(person, item):
    return MutedItem.objects.filter(person=person, item=item).exists()


def set_muted(person, item, muted):
    """Mute (nothing more is told to the person about the item) or unmute it."""
    if muted:
        MutedItem.objects.get_or_create(person=person, item=item)
    else:
        MutedItem.objects.filter(person=person, item=item).delete()
