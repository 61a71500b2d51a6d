"""The daily reminder run (`manage.py send_reminders`): who is told what about which item today.

Every notification goes through `ledger.notify.notify`, which tells each person once per key. The
keys name the state that makes the news, so that the run may repeat any number of times a day,
and a run after missed days catches up once instead of once per missed day:

- owners and co-owners of items due soon, at each of ``LEDGER_REMINDER_DAYS`` before the deadline
  (7 and 1; counted in the organization's days, see `ledger.lights`): ``due_soon:<item>:<days>:
  <deadline>``. A run that finds an item already inside the last reminder sends only that one;
- when an item turns red (behind pace) or overdue, its owner, co-owners, responsible leader and
  its organization's committee (the committee members of the nearest organization at or above it
  that has any): ``red:<item>:<deadline>``, ``overdue:<item>:<deadline>``;
- every ``LEDGER_ESCALATION_DAYS`` overdue, the committee one level further up the tree:
  ``escalated:<item>:<deadline>:<level>`` (a missed week tells each level due, once);
- committees of items awaiting verification, and responsible leaders of items awaiting their
  review (双审核), for ``LEDGER_WAITING_DAYS`` or more since they began to wait; committees of
  extension requests pending as long; committees of long-term items whose review date came;
- an urging or supervision notice still unanswered after its reply-by date: the item's owner,
  co-owners and whoever issued it, once per urging: ``reply_overdue:<urging>``.

The deadline is in the keys: an approved extension moves it, so the item is judged afresh (an
item no longer overdue is escalated no further; its reminders re-arm for the new deadline). A
closed item is not active and is told nothing more.
"""

import datetime
from collections import Counter, defaultdict
from dataclasses import replace

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from core.models import Membership
from core.permissions import OrganizationTree, double_review_ids

from . import lights
from .models import ExtensionRequest, Item, ItemCoOwner, Notification, Urging
from .notify import notify

K = Notification.Kind
S = Item.Status


class Committees:
    """The committee members of each organization, and who answers for a unit (read once)."""

    def __init__(self, tree):
        self.tree = tree
        self.members = defaultdict(list)
        rows = Membership.objects.filter(role=Membership.Role.COMMITTEE).values_list(
            "organization_id", "user_id"
        )
        for org_id, user_id in rows.order_by("pk"):
            self.members[org_id].append(user_id)

    def chain(self, org_id):
        """The organizations with a committee, from `org_id` up: the first answers for the unit,
        each next one is the next level of escalation."""
        return [node for node in [org_id, *self.tree.ancestors(org_id)] if self.members.get(node)]

    def of(self, org_id):
        chain = self.chain(org_id)
        return self.members[chain[0]] if chain else []


class Run:
    """One run on `today`; :meth:`send` returns the number of notifications created per kind."""

    def __init__(self, today=None):
        self.today = today or timezone.localdate()
        self.tree = OrganizationTree.read()
        self.committees = Committees(self.tree)
        self.judge = lights.Judge(self.today, lights.rules_by_organization(self.tree))
        self.sent = Counter()

    def tell(self, recipients, kind, *, key, item, **params):
        created = notify(recipients, kind, key=key, item=item, params=params)
        self.sent[kind] += len(created)

    def send(self):
        self.deadlines()
        self.waiting()
        self.review_dates()
        self.unanswered()
        return self.sent

    # --- deadlines and pace --------------------------------------------------------------------
    def _reminder_dates(self, item):
        """[(days, last due date)] of the reminders, the tightest first."""
        rules = self.judge.rules_for(item.organization_id)
        days = sorted(settings.LEDGER_REMINDER_DAYS)
        return [(n, lights.soon_date(replace(rules, due_soon_days=n), self.today)) for n in days]

    def deadlines(self):
        reminder_days = max(settings.LEDGER_REMINDER_DAYS, default=0)
        # Enough to hold the longest reminder, whichever way days are counted.
        horizon = lights.working_days_after(self.today, reminder_days) + datetime.timedelta(
            days=reminder_days
        )
        items = self.judge.annotate(
            Item.objects.filter(status__in=Item.DEADLINE_STATUSES, deadline__isnull=False)
        )
        items = items.filter(
            Q(light_code__in=(lights.RED_OVERDUE, lights.RED_LAG)) | Q(deadline__lte=horizon)
        ).order_by("pk")
        items = list(items.select_related("organization"))
        co_owners = defaultdict(list)
        for item_id, person_id in ItemCoOwner.objects.filter(item__in=[i.pk for i in items]).values_list(
            "item_id", "person_id"
        ):
            co_owners[item_id].append(person_id)
        for item in items:
            workers = [item.owner_id, *co_owners[item.pk]]
            deadline = item.deadline.isoformat()
            if item.light_code == lights.RED_OVERDUE:
                days = (self.today - item.deadline).days
                told = [*workers, item.leader_id, *self.committees.of(item.organization_id)]
                self.tell(
                    told,
                    K.OVERDUE,
                    key=f"overdue:{item.pk}:{deadline}",
                    item=item,
                    days=days,
                    deadline=deadline,
                )
                self.escalate(item, days)
                continue
            if item.light_code == lights.RED_LAG:
                points = lights.explain(item.light_code, item, self.today).figure
                told = [*workers, item.leader_id, *self.committees.of(item.organization_id)]
                self.tell(told, K.RED, key=f"red:{item.pk}:{deadline}", item=item, points=points)
            if item.status in lights.PACED_STATUSES:
                for n, last in self._reminder_dates(item):
                    if item.deadline <= last:
                        self.tell(
                            workers,
                            K.DUE_SOON,
                            key=f"due_soon:{item.pk}:{n}:{deadline}",
                            item=item,
                            days=(item.deadline - self.today).days,
                            deadline=deadline,
                        )
                        break

    def escalate(self, item, days):
        """Each full period overdue reaches one more committee up the tree."""
        period = settings.LEDGER_ESCALATION_DAYS
        if period <= 0:
            return
        above = self.committees.chain(item.organization_id)[1:]
        for level in range(1, min(days // period, len(above)) + 1):
            organization = above[level - 1]
            self.tell(
                self.committees.members[organization],
                K.ESCALATED,
                key=f"escalated:{item.pk}:{item.deadline.isoformat()}:{level}",
                item=item,
                days=days,
                organization=str(item.organization),
            )

    # --- what waits for a committee or a leader ---------------------------------------------------
    def _waiting_since(self, items):
        """{item id: the day it entered its present state}, read from its history."""
        since = {}
        state = {item.pk: item.status for item in items}
        rows = Item.history.filter(id__in=list(state)).order_by("id", "history_date", "history_id")
        for item_id, status, when in rows.values_list("id", "status", "history_date"):
            if status != state[item_id]:
                since.pop(item_id, None)
            elif item_id not in since:
                since[item_id] = timezone.localtime(when).date()
        return since

    def waiting(self):
        wait = settings.LEDGER_WAITING_DAYS
        double_review = double_review_ids(self.tree.children, self.tree.flagged)
        items = list(Item.objects.filter(status__in=(S.SUBMITTED, S.REVIEWED)).select_related("organization"))
        since = self._waiting_since(items)
        for item in items:
            began = since.get(item.pk)
            if began is None or (self.today - began).days < wait:
                continue
            days = (self.today - began).days
            if item.status == S.SUBMITTED and item.organization_id in double_review:
                self.tell(
                    [item.leader_id],
                    K.AWAITING_REVIEW,
                    key=f"awaiting_review:{item.pk}:{began}",
                    item=item,
                    days=days,
                )
            else:
                self.tell(
                    self.committees.of(item.organization_id),
                    K.AWAITING_VERIFICATION,
                    key=f"awaiting_verification:{item.pk}:{began}",
                    item=item,
                    days=days,
                )
        cutoff = timezone.make_aware(
            datetime.datetime.combine(self.today - datetime.timedelta(days=wait - 1), datetime.time())
        )
        pending = ExtensionRequest.objects.filter(
            status=ExtensionRequest.Status.PENDING, created_at__lt=cutoff
        ).select_related("item", "item__organization")
        for request in pending:
            days = (self.today - timezone.localtime(request.created_at).date()).days
            self.tell(
                self.committees.of(request.item.organization_id),
                K.EXTENSION_PENDING,
                key=f"extension_pending:{request.pk}",
                item=request.item,
                days=days,
            )

    def review_dates(self):
        due = Item.objects.filter(status=S.LONG_TERM, next_review_on__lte=self.today).select_related(
            "organization"
        )
        for item in due:
            date = item.next_review_on.isoformat()
            self.tell(
                self.committees.of(item.organization_id),
                K.REVIEW_DUE,
                key=f"review_due:{item.pk}:{date}",
                item=item,
                date=date,
            )

    # --- supervision ----------------------------------------------------------------------------
    def unanswered(self):
        """Open urgings past their reply-by date, on items still being worked on (closing or
        withdrawing an item ends what was asked of it)."""
        late = Urging.objects.filter(
            replied_at__isnull=True, reply_by__lt=self.today, item__status__in=Item.ACTIVE_STATUSES
        ).select_related("item", "item__organization")
        late = list(late.order_by("pk"))
        co_owners = defaultdict(list)
        rows = ItemCoOwner.objects.filter(item__in={u.item_id for u in late}).values_list(
            "item_id", "person_id"
        )
        for item_id, person_id in rows.order_by("pk"):
            co_owners[item_id].append(person_id)
        for urging in late:
            item = urging.item
            self.tell(
                [item.owner_id, *co_owners[item.pk], urging.issued_by_id],
                K.REPLY_OVERDUE,
                key=f"reply_overdue:{urging.pk}",
                item=item,
                level=urging.level,
                reply_by=urging.reply_by.isoformat(),
            )


def send_reminders(today=None):
    """Run the day's reminders; returns {kind: notifications created}."""
    return Run(today).send()
