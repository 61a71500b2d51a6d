"""Figures about the ledger for the dashboard and the printed summaries.

Every function takes an already-scoped queryset (``Item.objects.visible_to(user)``, usually
narrowed further by the ledger FilterSet, or the items as they stood at a date, see
``ledger.reports.visible_as_of``) and runs a fixed number of queries whatever the size of
the ledger: counting happens in the database, grouping in one ``values().annotate()`` query.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .models import Attendance, Item

S = Item.Status


@dataclass
class Totals:
    """Counts of items by status, and the figures derived from them."""

    by_status: dict = field(default_factory=dict)

    @property
    def total(self):
        return sum(self.by_status.values())

    @property
    def closed(self):
        return self.by_status.get(S.CLOSED, 0)

    @property
    def active(self):
        """Items being pushed forward (正在推进): the states that work towards a deadline."""
        return sum(self.by_status.get(status, 0) for status in Item.DEADLINE_STATUSES)

    @property
    def long_term(self):
        return self.by_status.get(S.LONG_TERM, 0)

    @property
    def withdrawn(self):
        return self.by_status.get(S.WITHDRAWN, 0)

    @property
    def applicable(self):
        """The items that still apply: withdrawn ones are not counted in totals and rates."""
        return self.total - self.withdrawn

    @property
    def completion_rate(self):
        """Closed items in percent of the items that still apply (withdrawn ones do not count)."""
        return completion_rate(self.closed, self.applicable)

    def rows(self):
        """(status, label, count) for every status, in workflow order, zeros included."""
        return [(status, label, self.by_status.get(status, 0)) for status, label in S.choices]


def completion_rate(closed, total):
    """Percent with one decimal; 0 for an empty ledger rather than a division error."""
    if not total:
        return 0.0
    return round(100.0 * closed / total, 1)


def totals(items):
    """Item counts by status. One query."""
    counts = items.order_by().values_list("status").annotate(n=Count("pk"))
    return Totals(by_status=dict(counts))


def end_of_week(today):
    """The Sunday of the week `today` is in."""
    return today + datetime.timedelta(days=6 - today.weekday())


def overdue_count(items, today=None):
    """How many items are overdue (derived, never stored). One query."""
    # Q objects, not the QuerySet methods: historical (as-of) querysets are counted too.
    return items.filter(Item.overdue_q(today or timezone.localdate())).count()


def due_this_week(items, today=None):
    """How many items fall due between today and Sunday, overdue ones excluded. One query."""
    today = today or timezone.localdate()
    return items.filter(Item.due_within_q((end_of_week(today) - today).days, today)).count()


@dataclass
class Breakdown:
    """One row of a breakdown: an organization or a category with its counts."""

    key: object
    label: str
    total: int = 0
    closed: int = 0
    active: int = 0
    long_term: int = 0
    overdue: int = 0

    @property
    def completion_rate(self):
        return completion_rate(self.closed, self.total)


def _breakdown(items, key, label_fields, today):
    # Withdrawn items do not apply any more: they are left out of every breakdown.
    return (
        items.exclude(status=S.WITHDRAWN)
        .order_by()
        .values(key, *label_fields)
        .annotate(
            total=Count("pk"),
            closed=Count("pk", filter=Q(status=S.CLOSED)),
            active=Count("pk", filter=Q(status__in=Item.DEADLINE_STATUSES)),
            long_term=Count("pk", filter=Q(status=S.LONG_TERM)),
            overdue=Count("pk", filter=Item.overdue_q(today)),
        )
    )


def _row(values, key, label):
    return Breakdown(
        key=values[key],
        label=label,
        total=values["total"],
        closed=values["closed"],
        active=values["active"],
        long_term=values["long_term"],
        overdue=values["overdue"],
    )


def by_organization(items, today=None):
    """Counts per organization, in the tree's sort order. One query."""
    today = today or timezone.localdate()
    rows = _breakdown(
        items, "organization_id", ["organization__name", "organization__sort_order"], today
    ).order_by("organization__sort_order", "organization__name")
    return [_row(row, "organization_id", row["organization__name"]) for row in rows]


def _category_label(name, name_en):
    # Category.__str__ does this on an instance; the grouped query only has the two columns.
    if name_en and (get_language() or "").startswith("en"):
        return name_en
    return name


def by_category(items, today=None):
    """Counts per issue category (党建, 安全, 廉政, 作风, …), in the categories' order. One query."""
    today = today or timezone.localdate()
    fields = ["issue__category__name", "issue__category__name_en", "issue__category__sort_order"]
    rows = _breakdown(items, "issue__category_id", fields, today).order_by(
        "issue__category__sort_order", "issue__category__name"
    )
    return [_row(row, "issue__category_id", _category_label(row[fields[0]], row[fields[1]])) for row in rows]


def by_kind(items, today=None):
    """Counts per kind (立行立改, 限期整改, 长期坚持), in the kinds' order, every kind listed even
    when it has no items. One query."""
    today = today or timezone.localdate()
    counts = {row["kind"]: row for row in _breakdown(items, "kind", [], today)}
    empty = {"total": 0, "closed": 0, "active": 0, "long_term": 0, "overdue": 0}
    return [
        _row({"kind": kind, **empty, **counts.get(kind, {})}, "kind", label)
        for kind, label in Item.Kind.choices
    ]


def _months(first, last):
    """The first day of every month from `first`'s month to `last`'s month."""
    month = first.replace(day=1)
    while month <= last:
        yield month
        month = (month + datetime.timedelta(days=32)).replace(day=1)


def _month_key(value):
    # TruncMonth gives an aware datetime on PostgreSQL and with USE_TZ; compare by (year, month).
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return (value.year, value.month)


# The date that makes an item "new" (新增) in the trend and the periodic lists: the day it entered
# the ledger (for an imported item, the day its issue was raised). The record's creation time
# says when it was typed in or imported.
NEW_ITEM_DATE = "opened_on"


def new_in_period(items, date_from, date_to):
    """The items that are new (新增) in the period [date_from, date_to], by `NEW_ITEM_DATE`."""
    return items.filter(**{f"{NEW_ITEM_DATE}__range": (date_from, date_to)})


@dataclass
class MonthPoint:
    month: datetime.date
    opened: int
    closed: int


def monthly_trend(items, months=12, today=None):
    """Items opened and closed (verified) per month over the last `months` months, oldest
    first, empty months included. One query.

    An item counts as opened in the month it entered the ledger (`Item.opened_on`): the day it
    was created here, or for an imported item the day its issue was raised, so that an old
    ledger imported today shows its items in the months they came from, not all as new this month."""
    today = today or timezone.localdate()
    first = (today.replace(day=1) - datetime.timedelta(days=31 * (months - 1))).replace(day=1)
    start = timezone.make_aware(datetime.datetime.combine(first, datetime.time.min))
    # One scan: the items opened or closed in the period, counted by (month opened, month closed)
    # with a FILTER each, then added up per month.
    new = Q(**{f"{NEW_ITEM_DATE}__gte": first})
    verified = Q(status=S.CLOSED, verified_at__gte=start)
    rows = (
        items.filter(new | verified)
        .order_by()
        .annotate(opened_month=TruncMonth(NEW_ITEM_DATE), closed_month=TruncMonth("verified_at"))
        .values_list("opened_month", "closed_month")
        .annotate(n_opened=Count("pk", filter=new), n_closed=Count("pk", filter=verified))
    )
    opened, closed = {}, {}
    for opened_month, closed_month, n_opened, n_closed in rows:
        if n_opened:
            key = _month_key(opened_month)
            opened[key] = opened.get(key, 0) + n_opened
        if n_closed:
            key = _month_key(closed_month)
            closed[key] = closed.get(key, 0) + n_closed
    return [
        MonthPoint(
            month=month, opened=opened.get(_month_key(month), 0), closed=closed.get(_month_key(month), 0)
        )
        for month in _months(first, today)
    ][-months:]


@dataclass
class Participation:
    """Attendance of one organization's meetings: present ÷ expected (参与率)."""

    organization_id: int
    organization: str
    meetings: int
    expected: int
    present: int
    made_up: int

    @property
    def rate(self):
        return participation_rate(self.present, self.expected)


def participation_rate(present, expected):
    """Participation (参与率): the people present in percent of the people expected (those on the
    meetings' attendance lists), with one decimal. The one rounding the dashboard, the meeting
    page, the leadership summary and the minutes all show."""
    return completion_rate(present, expected)


def participation(meetings, date_from=None, date_to=None):
    """Participation per organization over a period, from an already-scoped Meeting queryset.

    `expected` counts everyone on the attendance lists; `made_up` the absent who did the make-up
    study (补学). One query."""
    if date_from:
        meetings = meetings.filter(held_on__gte=date_from)
    if date_to:
        meetings = meetings.filter(held_on__lte=date_to)
    rows = (
        Attendance.objects.filter(meeting__in=meetings.values("pk"))
        .order_by()
        .values(
            "meeting__organization_id", "meeting__organization__name", "meeting__organization__sort_order"
        )
        .annotate(
            # Named n_*: an annotation called "present" would shadow the field in the filters.
            n_meetings=Count("meeting", distinct=True),
            n_expected=Count("pk"),
            n_present=Count("pk", filter=Q(present=True)),
            n_made_up=Count("pk", filter=Q(present=False, makeup_on__isnull=False)),
        )
        .order_by("meeting__organization__sort_order", "meeting__organization__name")
    )
    return [
        Participation(
            organization_id=row["meeting__organization_id"],
            organization=row["meeting__organization__name"],
            meetings=row["n_meetings"],
            expected=row["n_expected"],
            present=row["n_present"],
            made_up=row["n_made_up"],
        )
        for row in rows
    ]


HEADLINE = _(
    "{total} items in all: {closed} completed, {active} being pushed forward, "
    "{long_term} long-term; completion rate {rate}%"
)
CATEGORY_PART = _("{category} {total} items ({closed} completed)")
CATEGORY_LIST = _("By category: {parts}.")
LIST_SEPARATOR = _(", ")


def headline(item_totals, categories=()):
    """The sentence leaders quote, in the active language, e.g. in Chinese
    "共 12 项，已完成 5 项、正在推进 4 项、长期坚持 3 项，完成率 41.7%"; followed by the breakdown
    by category when one is given."""
    sentence = str(HEADLINE).format(
        total=item_totals.applicable,
        closed=item_totals.closed,
        active=item_totals.active,
        long_term=item_totals.long_term,
        rate=_rate_text(item_totals.completion_rate),
    )
    if not categories:
        return sentence
    parts = str(LIST_SEPARATOR).join(
        str(CATEGORY_PART).format(category=row.label, total=row.total, closed=row.closed)
        for row in categories
    )
    return sentence + str(_("; ")) + str(CATEGORY_LIST).format(parts=parts)


def _rate_text(rate):
    # 50.0 reads better as 50.
    return f"{rate:.0f}" if rate == int(rate) else f"{rate:.1f}"


@dataclass
class Summary:
    """Everything the dashboard and the leadership summary show at the top."""

    totals: Totals
    overdue: int
    due_this_week: int
    organizations: list
    categories: list

    @property
    def headline(self):
        return headline(self.totals, self.categories)


def summary(items, today=None):
    """Totals, overdue, due this week and the two breakdowns. Two queries: one grouped scan of
    the items by organization and status gives the totals, the overdue and due counts (FILTER
    aggregates) and the breakdown by organization; the categories need the issues."""
    today = today or timezone.localdate()
    week = (end_of_week(today) - today).days
    rows = (
        items.order_by()
        .values("organization_id", "organization__name", "organization__sort_order", "status")
        .annotate(
            n=Count("pk"),
            n_overdue=Count("pk", filter=Item.overdue_q(today)),
            n_due=Count("pk", filter=Item.due_within_q(week, today)),
        )
        .order_by("organization__sort_order", "organization__name", "status")
    )
    by_status, overdue, due, organizations = {}, 0, 0, {}
    for row in rows:
        status, n = row["status"], row["n"]
        by_status[status] = by_status.get(status, 0) + n
        overdue += row["n_overdue"]
        due += row["n_due"]
        if status == S.WITHDRAWN:  # left out of the breakdowns, as `_breakdown` does
            continue
        org = organizations.get(row["organization_id"])
        if org is None:
            org = organizations[row["organization_id"]] = Breakdown(
                key=row["organization_id"], label=row["organization__name"]
            )
        org.total += n
        org.closed += n if status == S.CLOSED else 0
        org.active += n if status in Item.DEADLINE_STATUSES else 0
        org.long_term += n if status == S.LONG_TERM else 0
        org.overdue += row["n_overdue"]
    return Summary(
        totals=Totals(by_status=by_status),
        overdue=overdue,
        due_this_week=due,
        organizations=list(organizations.values()),
        categories=by_category(items, today),
    )
