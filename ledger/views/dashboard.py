"""The dashboard (`/`): the user's scope at a glance, figures from `ledger.stats`, charts from
`ledger.charts` (server-side SVG, the numbers also in tables)."""

import datetime

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from .. import charts, lights, stats
from ..forms import DateInput
from ..models import Item, Meeting


class PeriodForm(forms.Form):
    """The period of the participation figures (meetings held from … to …)."""

    date_from = forms.DateField(label=_("Meetings from"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("to"), required=False, widget=DateInput())


@login_required
@require_GET
def dashboard(request):
    today = timezone.localdate()
    items = Item.objects.visible_to(request.user)
    summary = stats.summary(items, today)
    trend = stats.monthly_trend(items, months=12, today=today)
    period = PeriodForm(request.GET or None)
    date_from, date_to = datetime.date(today.year, 1, 1), today
    if period.is_bound and period.is_valid():
        date_from = period.cleaned_data["date_from"] or date_from
        date_to = period.cleaned_data["date_to"] or date_to
    elif not period.is_bound:
        period = PeriodForm(initial={"date_from": date_from, "date_to": date_to})
    participation = stats.participation(Meeting.objects.visible_to(request.user), date_from, date_to)
    return render(
        request,
        "ledger/dashboard.html",
        {
            "summary": summary,
            "trend": trend,
            "participation": participation,
            "period": period,
            "date_from": date_from,
            "date_to": date_to,
            "end_of_week": stats.end_of_week(today),
            "days_to_end_of_week": (stats.end_of_week(today) - today).days,
            "status_chart": _wide_and_narrow(charts.status_chart, summary.totals)
            if summary.totals.total
            else None,
            "organization_chart": _wide_and_narrow(charts.organization_chart, summary.organizations)
            if summary.organizations
            else None,
            "category_chart": _wide_and_narrow(charts.category_chart, summary.categories)
            if summary.categories
            else None,
            "trend_chart": _wide_and_narrow(charts.trend_chart, trend),
            "participation_chart": _wide_and_narrow(charts.participation_chart, participation)
            if participation
            else None,
            "colours": Item.STATUS_COLOURS,
            "light_counts": lights.counts(items, today),
        },
    )


def _wide_and_narrow(chart, figures):
    """A chart drawn for wide screens and again for a phone's width: the page shows the one that
    fits (ledger/includes/chart.html). Scaled down to a phone, the wide one is unreadable."""
    return {"wide": chart(figures), "narrow": chart(figures, narrow=True)}
