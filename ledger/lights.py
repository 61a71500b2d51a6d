"""亮灯: the traffic light of an item, derived from its dates and pace, never stored.

One definition in two forms that must agree (tests/test_lights.py holds them to it):
:meth:`Judge.light` reads one item in Python (``item.light(today)``, with the reason shown to
people), :meth:`Judge.annotate` and :meth:`Judge.filter` say the same in SQL for lists, counts
and sorts. The rules, for an active item:

- **red** when overdue (the deadline, or a long-term item's next review date, has passed), or
  when its progress lags the straight-line pace from `opened_on` to the deadline by more than
  `red_lag` points;
- **yellow** when due within `due_soon_days` (working days by default, see :func:`soon_date`),
  or lagging by `yellow_lag` to `red_lag` points, or not updated for more than `stale_days`;
- **green** otherwise; **blue** once closed; withdrawn items have no light (they no longer apply,
  and the ledger leaves them out).

Pace and staleness judge the owner's work: they apply to open and in-progress items only. An
item awaiting verification or review is judged by its deadline alone (the owner says it is done),
a long-term item by its next review date alone.

The pace is compared in whole points without division, so that SQL and Python round alike:
lagging by at least ``k`` points means ``elapsed * 100 >= (progress + k) * span`` (days since
`opened_on`, days from `opened_on` to the deadline).

Thresholds are per organization (`LightSettings`), each inherited from the organization above
up to :data:`DEFAULT_RULES`; the SQL groups the organizations by their effective rules (a few
distinct sets) and joins one condition per set.
"""

import datetime
from dataclasses import dataclass, fields, replace
from functools import reduce
from operator import or_

import chinese_calendar
from django.conf import settings
from django.db.models import Case, CharField, Count, DateField, F, Func, IntegerField, Q, Value, When
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.permissions import OrganizationTree

from .models import Item, LightSettings

S = Item.Status

RED, YELLOW, GREEN, BLUE = "red", "yellow", "green", "blue"
COLOURS = (RED, YELLOW, GREEN, BLUE)
LABELS = {RED: _("Red"), YELLOW: _("Yellow"), GREEN: _("Green"), BLUE: _("Blue")}
# The order of the light sort: the most urgent first; no light (withdrawn) last.
RANKS = {RED: 0, YELLOW: 1, GREEN: 2, BLUE: 3}
NO_LIGHT_RANK = 4
# Bootstrap colour of each light's dot.
DOT_CLASSES = {RED: "danger", YELLOW: "warning", GREEN: "success", BLUE: "primary"}

# Why an item has its light: the code the SQL annotation yields and `Light.reason` explains.
RED_OVERDUE, RED_LAG = "red_overdue", "red_lag"
YELLOW_DUE, YELLOW_LAG, YELLOW_STALE = "yellow_due", "yellow_lag", "yellow_stale"
GREEN_ON_TRACK, BLUE_CLOSED = "green", "blue"

# The states whose pace and updates are the owner's to keep.
PACED_STATUSES = (S.OPEN, S.IN_PROGRESS)


@dataclass(frozen=True)
class Rules:
    """The thresholds of one organization."""

    red_lag: int = 30
    yellow_lag: int = 10
    due_soon_days: int = 7
    stale_days: int = 30
    working_days: bool = True


def default_rules():
    """The rules of an organization that sets nothing (and none above it does)."""
    return Rules(working_days=getattr(settings, "LEDGER_LIGHT_WORKING_DAYS", True))


DEFAULT_RULES = Rules()


def _own_values(stored):
    values = {
        name.name: getattr(stored, name.name)
        for name in fields(Rules)
        if name.name != "working_days" and getattr(stored, name.name) is not None
    }
    if stored.day_count:
        values["working_days"] = stored.day_count == LightSettings.DayCount.WORKING
    return values


def rules_by_organization(tree=None):
    """{organization id: Rules} for every organization with settings of its own or below one
    that has; organizations missing from the map use :func:`default_rules`. One query, two when
    any organization set something (the tree is read then)."""
    stored = {row.organization_id: _own_values(row) for row in LightSettings.objects.all()}
    stored = {org_id: values for org_id, values in stored.items() if values}
    if not stored:
        return {}
    tree = tree or OrganizationTree.read()
    base = default_rules()
    found = {}
    for org_id in tree.parent_of:
        values = {}
        # The nearest setting wins: walk from the top down so that lower ones overwrite.
        for node in [*reversed(tree.ancestors(org_id)), org_id]:
            values.update(stored.get(node, {}))
        if values:
            found[org_id] = replace(base, **values)
    return found


# The thresholds as `LightSettings` names them, in the order the settings page lists them.
SETTING_FIELDS = ("red_lag", "yellow_lag", "due_soon_days", "stale_days", "day_count")


def _rules_name(setting):
    return "working_days" if setting == "day_count" else setting


def effective_settings(organization_id, tree=None, *, own=None):
    """{setting: (effective value, organization id it comes from or None for the default)} of one
    organization, the values of its own settings excluded when `own` is False (what it inherits).
    `day_count`'s value is a `LightSettings.DayCount`."""
    tree = tree or OrganizationTree.read()
    chain = [organization_id, *tree.ancestors(organization_id)]
    if own is False:
        chain = chain[1:]
    stored = {
        row.organization_id: _own_values(row) for row in LightSettings.objects.filter(organization__in=chain)
    }
    base = default_rules()
    found = {}
    for setting in SETTING_FIELDS:
        name = _rules_name(setting)
        source = next((node for node in chain if name in stored.get(node, {})), None)
        value = stored[source][name] if source is not None else getattr(base, name)
        if setting == "day_count":
            value = LightSettings.DayCount.WORKING if value else LightSettings.DayCount.CALENDAR
        found[setting] = (value, source)
    return found


def _weekday_after(start, days):
    day = start
    while days > 0:
        day += datetime.timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def working_days_after(start, days):
    """The date `days` working days after `start`, by China's statutory calendar
    (`chinese-calendar`: holidays and the weekends swapped into workdays). The package only knows
    the years it ships data for; beyond them the count falls back to Monday to Friday."""
    day = start
    while days > 0:
        day += datetime.timedelta(days=1)
        try:
            workday = chinese_calendar.is_workday(day)
        except NotImplementedError:
            return _weekday_after(day - datetime.timedelta(days=1), days)
        if workday:
            days -= 1
    return day


def soon_date(rules, today):
    """The last due date that counts as "due soon" on `today`."""
    if rules.working_days:
        return working_days_after(today, rules.due_soon_days)
    return today + datetime.timedelta(days=rules.due_soon_days)


class DayNumber(Func):
    """Days since 1970-01-01 of a date: SQLite and PostgreSQL write date arithmetic differently."""

    output_field = IntegerField()
    template = "(%(expressions)s - DATE '1970-01-01')"

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="CAST(julianday(%(expressions)s) - 2440587.5 AS INTEGER)", **extra
        )


EPOCH = datetime.date(1970, 1, 1)


@dataclass(frozen=True)
class Light:
    """An item's light on a day, with why: `code` names the rule, `figure` its number."""

    code: str | None
    figure: int | None = None
    long_term: bool = False

    @property
    def colour(self):
        return self.code.split("_")[0] if self.code else None

    @property
    def label(self):
        return LABELS.get(self.colour, "")

    @property
    def dot_class(self):
        return DOT_CLASSES.get(self.colour, "secondary")

    @property
    def rank(self):
        return RANKS.get(self.colour, NO_LIGHT_RANK)

    @property
    def reason(self):
        """The reason in the active language: 逾期 5 天, 进度落后 35 个百分点 …"""
        n = self.figure
        if self.code == RED_OVERDUE:
            if self.long_term:
                return _("Review overdue by {days} days").format(days=n)
            return _("Overdue by {days} days").format(days=n)
        if self.code in (RED_LAG, YELLOW_LAG):
            return _("Progress behind pace by {points} points").format(points=n)
        if self.code == YELLOW_DUE:
            if n == 0:
                return _("Review due today") if self.long_term else _("Due today")
            if self.long_term:
                return _("Review due in {days} days").format(days=n)
            return _("Due in {days} days").format(days=n)
        if self.code == YELLOW_STALE:
            return _("Not updated for {days} days").format(days=n)
        if self.code == GREEN_ON_TRACK:
            return _("On track")
        if self.code == BLUE_CLOSED:
            return _("Closed")
        return ""

    def __str__(self):
        return str(self.label)


def _lag_points(item, today):
    span = (item.deadline - item.opened_on).days
    elapsed = (today - item.opened_on).days
    return elapsed * 100 // span - item.progress


def explain(code, item, today):
    """The :class:`Light` of `item` whose rule `code` is known (from the SQL annotation): the
    figure is read from the item's own fields, no query."""
    long_term = item.status == S.LONG_TERM
    figure = None
    if code == RED_OVERDUE:
        figure = (today - item.due_date).days
    elif code in (RED_LAG, YELLOW_LAG):
        figure = _lag_points(item, today)
    elif code == YELLOW_DUE:
        figure = (item.due_date - today).days
    elif code == YELLOW_STALE:
        figure = (today - timezone.localtime(item.updated_at).date()).days
    return Light(code or None, figure, long_term)


class Judge:
    """The lights of `today` under the organizations' rules (read once, one or two queries)."""

    def __init__(self, today=None, rules=None):
        self.today = today or timezone.localdate()
        self.rules = rules_by_organization() if rules is None else rules
        self.default = default_rules()
        self._soon = {}
        # Updated before this instant (local midnight `stale_days` ago) is stale.
        self._stale = {}

    def rules_for(self, organization_id):
        return self.rules.get(organization_id, self.default)

    def soon(self, rules):
        key = (rules.working_days, rules.due_soon_days)
        if key not in self._soon:
            self._soon[key] = soon_date(rules, self.today)
        return self._soon[key]

    def stale_before(self, rules):
        if rules.stale_days not in self._stale:
            day = self.today - datetime.timedelta(days=rules.stale_days)
            self._stale[rules.stale_days] = timezone.make_aware(
                datetime.datetime.combine(day, datetime.time())
            )
        return self._stale[rules.stale_days]

    # --- one item, in Python -------------------------------------------------------------------
    def code(self, item):
        """The rule that lights `item` (see the module's docstring), or None (withdrawn)."""
        if item.status == S.CLOSED:
            return BLUE_CLOSED
        if item.status not in Item.ACTIVE_STATUSES:
            return None
        rules = self.rules_for(item.organization_id)
        due = item.due_date
        paced = item.status in PACED_STATUSES and item.deadline is not None
        span = (item.deadline - item.opened_on).days if paced else 0
        elapsed = (self.today - item.opened_on).days

        def lags(points):
            return span > 0 and elapsed * 100 >= (item.progress + points) * span

        if due is not None and due < self.today:
            return RED_OVERDUE
        if lags(rules.red_lag + 1):
            return RED_LAG
        if due is not None and due <= self.soon(rules):
            return YELLOW_DUE
        if lags(rules.yellow_lag):
            return YELLOW_LAG
        if item.status in PACED_STATUSES and item.updated_at < self.stale_before(rules):
            return YELLOW_STALE
        return GREEN_ON_TRACK

    def light(self, item):
        return explain(self.code(item), item, self.today)

    # --- many items, in SQL --------------------------------------------------------------------
    def _conditions(self, rules):
        """{code: Q} of one set of rules, in the order they are tried."""
        today = self.today
        elapsed = Value((today - EPOCH).days) - DayNumber("opened_on")
        span = DayNumber("deadline") - DayNumber("opened_on")
        paced = Q(status__in=PACED_STATUSES, deadline__isnull=False, deadline__gt=F("opened_on"))

        def lags(points):
            return paced & Q(GreaterThanOrEqual(elapsed * 100, (F("progress") + points) * span))

        soon = self.soon(rules)
        return {
            RED_OVERDUE: Item.overdue_q(today),
            RED_LAG: lags(rules.red_lag + 1),
            YELLOW_DUE: Q(status=S.LONG_TERM, next_review_on__lte=soon)
            | Q(status__in=Item.DEADLINE_STATUSES, deadline__lte=soon),
            YELLOW_LAG: lags(rules.yellow_lag),
            YELLOW_STALE: Q(status__in=PACED_STATUSES, updated_at__lt=self.stale_before(rules)),
        }

    def _groups(self):
        """[(Q of the organizations, rules)]: one entry per distinct set of rules in force."""
        distinct = {}
        for org_id, rules in self.rules.items():
            distinct.setdefault(rules, []).append(org_id)
        if not distinct:
            return [(Q(), self.default)]
        named = [org_id for ids in distinct.values() for org_id in ids]
        groups = [
            (Q(organization_id__in=ids), rules) for rules, ids in distinct.items() if rules != self.default
        ]
        # Whatever no setting names (or names with the defaults' values) follows the defaults.
        default_ids = distinct.get(self.default, [])
        groups.append((Q(organization_id__in=default_ids) | ~Q(organization_id__in=named), self.default))
        return groups

    def code_expression(self):
        """The SQL form of :meth:`code`: a CASE yielding the rule's code ("" when withdrawn)."""
        whens = [When(status=S.CLOSED, then=Value(BLUE_CLOSED)), When(status=S.WITHDRAWN, then=Value(""))]
        groups = self._groups()
        for code in (RED_OVERDUE, RED_LAG, YELLOW_DUE, YELLOW_LAG, YELLOW_STALE):
            conditions = [where & self._conditions(rules)[code] for where, rules in groups]
            whens.append(When(reduce(or_, conditions), then=Value(code)))
        return Case(*whens, default=Value(GREEN_ON_TRACK), output_field=CharField())

    def rank_expression(self):
        code = self.code_expression()
        whens = [When(light_code__startswith=colour, then=Value(rank)) for colour, rank in RANKS.items()]
        return code, Case(*whens, default=Value(NO_LIGHT_RANK), output_field=IntegerField())

    def annotate(self, queryset):
        """`queryset` with `light_code` (the rule, "" for withdrawn) and `light_rank` (the sort)."""
        code, rank = self.rank_expression()
        return queryset.annotate(light_code=code, light_on=Value(self.today, DateField())).annotate(
            light_rank=rank
        )

    def filter(self, queryset, colour):
        """The items of `queryset` lit `colour`."""
        if colour == BLUE:
            return queryset.filter(status=S.CLOSED)
        # Its own alias: the list still annotates (selects) `light_code` for its column.
        return queryset.alias(light_filter=self.code_expression()).filter(light_filter__startswith=colour)


def light_of(item, today=None):
    """`item`'s :class:`Light` on `today`; from the list's annotation when the item carries it."""
    today = today or timezone.localdate()
    code = item.__dict__.get("light_code")
    if code is not None and item.__dict__.get("light_on") == today:
        return explain(code, item, today)
    return Judge(today).light(item)


@dataclass(frozen=True)
class LightCount:
    """How many items of a list have one light, as the dashboard shows it (红灯 3 项)."""

    colour: str
    count: int

    @property
    def label(self):
        return LABELS[self.colour]

    @property
    def text(self):
        return _("{light}: {count} items").format(light=LABELS[self.colour], count=self.count)

    @property
    def dot_class(self):
        return DOT_CLASSES[self.colour]


def counts(items, today=None):
    """[LightCount] of `items` for every colour, in one query."""
    judge = Judge(today)
    totals = items.alias(light_code=judge.code_expression()).aggregate(
        **{colour: Count("pk", filter=Q(light_code__startswith=colour)) for colour in COLOURS}
    )
    return [LightCount(colour, totals[colour]) for colour in COLOURS]
