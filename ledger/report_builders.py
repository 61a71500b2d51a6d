"""The list reports as a request asks for them, without the request: one builder per report.

A builder takes the user, the parsed query (:class:`ReportQuery`: the ledger list's filters and
the report's own parameters, checked once) and the language; it returns (PDF bytes, file name).
The report views (``ledger.views.reports``) and the background task (``ledger.tasks``) call the
same builders, so a report generated in the background is the one the page would have printed.

Who may print is checked by the callers (``Scope.may_print_reports``); the builders narrow every
queryset to the user's scope themselves, like the list does.
"""

import datetime
from dataclasses import dataclass

from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.dateparse import parse_date
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.models import Organization
from core.permissions import Scope

from . import reports
from .filtersets import filter_items_for
from .models import Meeting


class BadReport(Exception):
    """The query string of a report is not valid; `message` says why."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


# The years a report's dates may name: 9999-12-31 would overflow the day after it (the end of a
# period) and the conversion of its end to UTC.
DATE_YEARS = (1900, 2999)


def _date_param(params, name):
    """The date in ?name=, None when absent; ValueError when present but not a date (or a date
    outside :data:`DATE_YEARS`)."""
    value = params.get(name)
    if not value:
        return None
    day = parse_date(value)  # raises ValueError for 2026-02-30, returns None for "soon"
    if day is None or not DATE_YEARS[0] <= day.year <= DATE_YEARS[1]:
        raise ValueError(value)
    return day


@dataclass(frozen=True)
class ReportQuery:
    """A report's query string, parsed: the ledger filters (`params`, read by the FilterSet), the
    period (?from=&to=, each report has its default length) and ?as_of= (the end of that day)."""

    params: QueryDict
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    as_of: datetime.datetime | None = None

    @classmethod
    def parse(cls, query):
        """The query string (or QueryDict) parsed; raises :class:`BadReport` for a bad period
        or date. The ledger filters are checked with the user's FilterSet (:func:`item_filterset`)."""
        params = query if isinstance(query, QueryDict) else QueryDict(query or "")
        try:
            date_from, date_to = _date_param(params, "from"), _date_param(params, "to")
            as_of_day = _date_param(params, "as_of")
        except (ValueError, OverflowError):
            raise BadReport(
                format_lazy(
                    _("Invalid date: give a day between the years {start} and {end}, as 2026-03-01."),
                    start=DATE_YEARS[0],
                    end=DATE_YEARS[1],
                )
            ) from None
        if date_from and date_to and date_from > date_to:
            raise BadReport(_("Invalid period."))
        as_of = None
        if as_of_day is not None:
            as_of = timezone.make_aware(datetime.datetime.combine(as_of_day, datetime.time.max))
        return cls(params=params, date_from=date_from, date_to=date_to, as_of=as_of)

    def period(self, default_days):
        """(from, to): the given dates, else the last `default_days` days up to `to` (or today)."""
        date_to = self.date_to or timezone.localdate()
        date_from = self.date_from or date_to - datetime.timedelta(days=default_days - 1)
        if date_from > date_to:
            raise BadReport(_("Invalid period."))
        return date_from, date_to

    @property
    def variant(self):
        return "pdfa" if self.params.get("format") == "pdfa" else None


def item_filterset(user, query):
    """The ledger FilterSet of the query on the user's items, validated (else :class:`BadReport`)."""
    filterset = filter_items_for(user, query.params or None)
    if filterset.is_bound and not filterset.is_valid():
        raise BadReport(
            "; ".join(f"{field}: {' '.join(messages)}" for field, messages in filterset.errors.items())
        )
    return filterset


def parse(user, query):
    """The query parsed and its filters checked for `user`: (ReportQuery, FilterSet)."""
    parsed = ReportQuery.parse(query)
    filterset = item_filterset(user, parsed)
    parsed.period(1)  # also refuses a lone ?from= after the default end (today)
    return parsed, filterset


def scope_label(user, filterset):
    """The organization a report is about: the filtered one, else the user's top organizations."""
    chosen = filterset.form.cleaned_data.get("organization") if filterset.is_bound else None
    if chosen:
        return chosen.name
    scope = Scope.for_user(user)
    if scope.is_superuser:
        top = Organization.objects.filter(parent__isnull=True)
    else:
        top = Organization.objects.filter(pk__in=scope.visible_org_ids).exclude(
            parent_id__in=scope.visible_org_ids
        )
    return "、".join(top.values_list("name", flat=True))


def _past_items(user, query, *, with_withdrawn=False):
    """The query's filters applied to the items as they stood at `query.as_of` (historical rows)."""
    params = query.params.copy()
    for key in ("overdue", "due_within"):  # these compare with today, not with then
        params.pop(key, None)
    filterset = filter_items_for(user, params, queryset=reports.visible_as_of(user, query.as_of))
    return filterset.qs_with_withdrawn if with_withdrawn else filterset.qs


def build_ledger(user, query, filterset, progress=None):
    """整改台账: (PDF bytes, file name). ?as_of= prints a past state."""
    label = scope_label(user, filterset)
    if query.as_of is not None:
        # The past ledger: the same filters, applied to the items as they stood then.
        content = reports.ledger_report_as_of(
            reports.items_as_of(_past_items(user, query)),
            user=user,
            when=query.as_of,
            scope_label=label,
            variant=query.variant,
            progress=progress,
        )
        return content, f"ledger-as-of-{query.as_of:%Y%m%d}.pdf"
    content = reports.ledger_report(
        filterset.qs,
        user=user,
        scope_label=label,
        period_label=format_lazy(_("As of {date}"), date=timezone.localdate().isoformat()),
        variant=query.variant,
        progress=progress,
    )
    return content, f"ledger-{timezone.localdate():%Y%m%d}.pdf"


def build_progress(user, query, filterset, progress=None):
    """The periodic lists for ?from=&to= (the last 7 days by default): (PDF bytes, file name)."""
    date_from, date_to = query.period(default_days=7)
    content = reports.progress_lists(
        filterset.qs,
        user=user,
        date_from=date_from,
        date_to=date_to,
        scope_label=scope_label(user, filterset),
        progress=progress,
    )
    return content, f"progress-{date_from:%Y%m%d}-{date_to:%Y%m%d}.pdf"


def build_summary(user, query, filterset, progress=None):
    """The leadership summary; ?from=&to= (the last 30 days by default) is the period for the
    items closed in it; ?as_of= rebuilds the figures as they stood on that day."""
    date_from, date_to = query.period(default_days=30)
    as_of = query.as_of
    if as_of is not None:
        date_to = min(date_to, as_of.date())
    # The summary counts withdrawn items in a column of their own (never in totals or rates), so
    # it is given them even where the ledger leaves them out.
    content = reports.leadership_summary(
        filterset.qs_with_withdrawn if as_of is None else _past_items(user, query, with_withdrawn=True),
        user=user,
        date_from=date_from,
        date_to=date_to,
        scope_label=scope_label(user, filterset),
        as_of=as_of,
        meetings=Meeting.objects.visible_to(user),
        progress=progress,
    )
    stamp = f"as-of-{as_of:%Y%m%d}" if as_of else f"{date_to:%Y%m%d}"
    return content, f"summary-{stamp}.pdf"


BUILDERS = {"ledger": build_ledger, "progress": build_progress, "summary": build_summary}


def build(kind, user, query, *, language, filterset=None, progress=None):
    """The report `kind` for `user` from `query` (a query string, a QueryDict or a parsed
    :class:`ReportQuery`), in `language`: (PDF bytes, file name). `progress`, if given, is called
    with the share of the rendering done (0 to 1). Raises :class:`BadReport` for a bad query."""
    with translation.override(language):
        if not isinstance(query, ReportQuery):
            query, filterset = parse(user, query)
        elif filterset is None:
            filterset = item_filterset(user, query)
        return BUILDERS[kind](user, query, filterset, progress)
