"""The printed reports: thin views that check who may print, build the ledger FilterSet from the
query string on the user's scoped items, and hand the result to ``ledger.reports``.

Leadership, committee members and superusers may print the ledger, the summary, the periodic
lists and meeting minutes of what they can see; an owner (or the responsible leader) may print
the dossier of their own items. GET only: printing changes nothing.
"""

import datetime

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBadRequest
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from core.models import Organization
from core.permissions import Scope

from .. import reports
from ..access import get_item_for_user, get_meeting_for_user
from ..filtersets import ItemFilterSet, filter_items
from ..models import Item


def can_print_reports(user):
    """Committee members, leadership and superusers print ledger-wide reports."""
    scope = Scope.for_user(user)
    return scope.is_superuser or bool(scope.committee_org_ids or scope.leadership_org_ids)


def can_print_dossier(user, item):
    """Who may print an item's dossier: its managers and leadership, its owner and its leader."""
    scope = Scope.for_user(user)
    return (
        scope.manages(item.organization_id)
        or scope.leads(item.organization_id)
        or user.pk in (item.owner_id, item.leader_id)
    )


def pdf_response(content, filename):
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _filtered_items(request):
    """The ledger FilterSet on the user's items, or None when the query string is invalid."""
    if not can_print_reports(request.user):
        raise PermissionDenied
    filterset = filter_items(request)
    if filterset.is_bound and not filterset.is_valid():
        return filterset, None
    return filterset, filterset.qs


def _bad_filters(filterset):
    errors = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in filterset.errors.items())
    return HttpResponseBadRequest(errors, content_type="text/plain; charset=utf-8")


def scope_label(request, filterset):
    """The organization a report is about: the filtered one, else the user's top organizations."""
    chosen = filterset.form.cleaned_data.get("organization") if filterset.is_bound else None
    if chosen:
        return chosen.name
    scope = Scope.for_user(request.user)
    if scope.is_superuser:
        top = Organization.objects.filter(parent__isnull=True)
    else:
        top = Organization.objects.filter(pk__in=scope.visible_org_ids).exclude(
            parent_id__in=scope.visible_org_ids
        )
    return "、".join(top.values_list("name", flat=True))


def _period(request, default_days):
    """(from, to) dates from ?from=&to=, the last `default_days` days by default; None if invalid."""
    today = timezone.localdate()
    try:
        date_to = parse_date(request.GET.get("to") or "") or today
        date_from = parse_date(request.GET.get("from") or "") or date_to - datetime.timedelta(
            days=default_days - 1
        )
    except ValueError:
        return None
    if date_from > date_to:
        return None
    return date_from, date_to


def _as_of(request):
    """The end of the ?as_of= day as an aware datetime, None when absent; raises ValueError if bad."""
    value = request.GET.get("as_of")
    if not value:
        return None
    day = parse_date(value)
    if day is None:
        raise ValueError(value)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.max))


def _variant(request):
    return "pdfa" if request.GET.get("format") == "pdfa" else None


@login_required
@require_GET
def report_pdf(request):
    """整改台账 as PDF: exactly the ledger list's filtered items (?as_of= for a past state)."""
    filterset, items = _filtered_items(request)
    if items is None:
        return _bad_filters(filterset)
    try:
        as_of = _as_of(request)
    except ValueError:
        return HttpResponseBadRequest(_("Invalid date."))
    label = scope_label(request, filterset)
    stamp = timezone.localdate().strftime("%Y%m%d")
    if as_of is not None:
        # The past ledger: the same filters, applied to the items as they stood then.
        params = request.GET.copy()
        for key in ("overdue", "due_within"):  # these compare with today, not with then
            params.pop(key, None)
        past = ItemFilterSet(params, queryset=reports.visible_as_of(request.user, as_of), request=request)
        rows = reports.items_as_of(past.qs)
        content = reports.ledger_report_as_of(
            rows, user=request.user, when=as_of, scope_label=label, variant=_variant(request)
        )
        return pdf_response(content, f"ledger-as-of-{as_of:%Y%m%d}.pdf")
    content = reports.ledger_report(
        items,
        user=request.user,
        scope_label=label,
        period_label=format_lazy(_("As of {date}"), date=timezone.localdate().isoformat()),
        variant=_variant(request),
    )
    return pdf_response(content, f"ledger-{stamp}.pdf")


@login_required
@require_GET
def item_dossier(request, pk):
    """The dossier of one item (404 outside the user's scope, 403 for a plain member)."""
    item = get_item_for_user(
        request.user,
        pk,
        queryset=Item.objects.select_related(
            "organization",
            "issue",
            "issue__category",
            "issue__raised_by",
            "owner",
            "leader",
            "verified_by",
            "reviewed_by",
        ),
    )
    if not can_print_dossier(request.user, item):
        raise PermissionDenied
    content = reports.item_dossier(item, user=request.user, variant=_variant(request))
    return pdf_response(content, f"dossier-{item.pk}.pdf")


@login_required
@require_GET
def meeting_minutes(request, pk):
    """Minutes of a meeting, for its managers and leadership."""
    meeting = get_meeting_for_user(request.user, pk)
    scope = Scope.for_user(request.user)
    if not (scope.manages(meeting.organization_id) or scope.leads(meeting.organization_id)):
        raise PermissionDenied
    items = Item.objects.visible_to(request.user)
    content = reports.meeting_minutes(meeting, items, user=request.user)
    return pdf_response(content, f"minutes-{meeting.pk}.pdf")


@login_required
@require_GET
def progress_pdf(request):
    """The periodic lists (新增 / 推进落实 / 已办结销号) for ?from=&to= (the last 7 days by default)."""
    filterset, items = _filtered_items(request)
    if items is None:
        return _bad_filters(filterset)
    period = _period(request, default_days=7)
    if period is None:
        return HttpResponseBadRequest(_("Invalid period."))
    content = reports.progress_lists(
        items,
        user=request.user,
        date_from=period[0],
        date_to=period[1],
        scope_label=scope_label(request, filterset),
    )
    return pdf_response(content, f"progress-{period[0]:%Y%m%d}-{period[1]:%Y%m%d}.pdf")


@login_required
@require_GET
def summary_pdf(request):
    """The leadership summary with charts; ?from=&to= is the period for "closed in the period"."""
    filterset, items = _filtered_items(request)
    if items is None:
        return _bad_filters(filterset)
    period = _period(request, default_days=30)
    if period is None:
        return HttpResponseBadRequest(_("Invalid period."))
    content = reports.leadership_summary(
        items,
        user=request.user,
        date_from=period[0],
        date_to=period[1],
        scope_label=scope_label(request, filterset),
    )
    return pdf_response(content, f"summary-{period[1]:%Y%m%d}.pdf")
