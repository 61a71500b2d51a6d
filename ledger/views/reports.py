"""The printed reports: thin views that check who may print, build the ledger FilterSet from the
query string on the user's scoped items, and hand the result to ``ledger.reports``.

Leadership, committee members and superusers may print the ledger, the summary, the periodic
lists and meeting minutes of what they can see; an owner (or the responsible leader) may print
the dossier of their own items. GET only: printing changes nothing.
"""

import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.text import format_lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from core.models import Organization
from core.permissions import Scope

from .. import reports
from ..access import (
    can_print_dossier,
    can_print_minutes,
    can_print_reports,
    get_item_for_user,
    get_meeting_for_user,
)
from ..filtersets import ItemFilterSet, filter_items
from ..models import Item, Meeting, ReportJob
from ..tasks import generate_report


def pdf_response(content, filename):
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


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
    try:
        date_to = _date_param(request, "to") or timezone.localdate()
        date_from = _date_param(request, "from") or date_to - datetime.timedelta(days=default_days - 1)
    except ValueError:
        return None
    if date_from > date_to:
        return None
    return date_from, date_to


def _date_param(request, name):
    """The date in ?name=, None when absent; ValueError when present but not a date."""
    value = request.GET.get(name)
    if not value:
        return None
    day = parse_date(value)  # raises ValueError for 2026-02-30, returns None for "soon"
    if day is None:
        raise ValueError(value)
    return day


def _as_of(request):
    """The end of the ?as_of= day as an aware datetime, None when absent; raises ValueError if bad."""
    day = _date_param(request, "as_of")
    if day is None:
        return None
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.max))


def _variant(request):
    return "pdfa" if request.GET.get("format") == "pdfa" else None


class BadReport(Exception):
    """The query string of a report is not valid; `message` says why."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def valid_filterset(request):
    """The ledger FilterSet of the request, after checking the report's own parameters."""
    filterset = filter_items(request)
    if filterset.is_bound and not filterset.is_valid():
        raise BadReport(
            "; ".join(f"{field}: {' '.join(messages)}" for field, messages in filterset.errors.items())
        )
    if _period(request, 7) is None:
        raise BadReport(_("Invalid period."))
    try:
        _as_of(request)
    except ValueError:
        raise BadReport(_("Invalid date.")) from None
    return filterset


def build_ledger(request, filterset=None):
    """整改台账 for this request: (PDF bytes, file name). ?as_of= prints a past state."""
    filterset = filterset or valid_filterset(request)
    label = scope_label(request, filterset)
    as_of = _as_of(request)
    if as_of is not None:
        # The past ledger: the same filters, applied to the items as they stood then.
        content = reports.ledger_report_as_of(
            reports.items_as_of(_past_items(request, as_of)),
            user=request.user,
            when=as_of,
            scope_label=label,
            variant=_variant(request),
        )
        return content, f"ledger-as-of-{as_of:%Y%m%d}.pdf"
    content = reports.ledger_report(
        filterset.qs,
        user=request.user,
        scope_label=label,
        period_label=format_lazy(_("As of {date}"), date=timezone.localdate().isoformat()),
        variant=_variant(request),
    )
    return content, f"ledger-{timezone.localdate():%Y%m%d}.pdf"


def _past_items(request, as_of, *, with_withdrawn=False):
    """The request's filters applied to the items as they stood at `as_of` (historical rows)."""
    params = request.GET.copy()
    for key in ("overdue", "due_within"):  # these compare with today, not with then
        params.pop(key, None)
    filterset = ItemFilterSet(params, queryset=reports.visible_as_of(request.user, as_of), request=request)
    return filterset.qs_with_withdrawn if with_withdrawn else filterset.qs


def build_progress(request, filterset=None):
    """The periodic lists for ?from=&to= (the last 7 days by default): (PDF bytes, file name)."""
    filterset = filterset or valid_filterset(request)
    date_from, date_to = _period(request, default_days=7)
    content = reports.progress_lists(
        filterset.qs,
        user=request.user,
        date_from=date_from,
        date_to=date_to,
        scope_label=scope_label(request, filterset),
    )
    return content, f"progress-{date_from:%Y%m%d}-{date_to:%Y%m%d}.pdf"


def build_summary(request, filterset=None):
    """The leadership summary; ?from=&to= (the last 30 days by default) is the period for the
    items closed in it; ?as_of= rebuilds the figures as they stood on that day."""
    filterset = filterset or valid_filterset(request)
    as_of = _as_of(request)
    date_from, date_to = _period(request, default_days=30)
    if as_of is not None:
        date_to = min(date_to, as_of.date())
    # The summary counts withdrawn items in a column of their own (never in totals or rates), so
    # it is given them even where the ledger leaves them out.
    content = reports.leadership_summary(
        filterset.qs_with_withdrawn if as_of is None else _past_items(request, as_of, with_withdrawn=True),
        user=request.user,
        date_from=date_from,
        date_to=date_to,
        scope_label=scope_label(request, filterset),
        as_of=as_of,
        meetings=Meeting.objects.visible_to(request.user),
    )
    stamp = f"as-of-{as_of:%Y%m%d}" if as_of else f"{date_to:%Y%m%d}"
    return content, f"summary-{stamp}.pdf"


BUILDERS = {"ledger": build_ledger, "progress": build_progress, "summary": build_summary}


def _list_report(request, kind):
    if not can_print_reports(request.user):
        raise PermissionDenied
    try:
        filterset = valid_filterset(request)
    except BadReport as refused:
        return HttpResponseBadRequest(refused.message, content_type="text/plain; charset=utf-8")
    count = filterset.qs.count()
    if count > settings.LEDGER_PDF_BACKGROUND_ITEMS:
        # Too big for a web worker: offer to generate it in the background (a POST, since it
        # creates a job).
        context = {"kind": kind, "query": request.GET.urlencode(), "count": count}
        return render(request, "ledger/report_background.html", context)
    content, filename = BUILDERS[kind](request, filterset)
    return pdf_response(content, filename)


@login_required
@require_GET
def report_pdf(request):
    """整改台账 as PDF: exactly the ledger list's filtered items (?as_of= for a past state)."""
    return _list_report(request, "ledger")


@login_required
@require_GET
def progress_pdf(request):
    """The periodic lists (新增 / 推进落实 / 已办结销号) for ?from=&to=."""
    return _list_report(request, "progress")


@login_required
@require_GET
def summary_pdf(request):
    """The leadership summary with charts."""
    return _list_report(request, "summary")


@login_required
@require_POST
def start_report_job(request):
    """Queue a big report for background generation, then show its progress page."""
    kind = request.POST.get("kind")
    if kind not in BUILDERS:
        return HttpResponseBadRequest(_("Unknown report."))
    if not can_print_reports(request.user):
        raise PermissionDenied
    query = request.POST.get("query", "")
    try:
        filterset = valid_filterset(rebuild_request_from(request, query))
    except BadReport as refused:
        return HttpResponseBadRequest(refused.message, content_type="text/plain; charset=utf-8")
    job = ReportJob.objects.create(
        user=request.user,
        kind=kind,
        query=query,
        language=get_language() or settings.LANGUAGE_CODE,
        item_count=filterset.qs.count(),
    )
    generate_report.enqueue(str(job.pk))
    return redirect("ledger:report_job", pk=job.pk)


def rebuild_request_from(request, query):
    """A copy of `request` whose GET is `query`, to validate a posted report's filters."""
    copy = HttpRequest()
    copy.method = "GET"
    copy.GET = QueryDict(query)
    copy.user = request.user
    return copy


def _job_for_user(user, pk):
    # A job is its requester's alone: anyone else gets a 404, like an invisible item.
    return get_object_or_404(ReportJob, pk=pk, user=user)


@login_required
@require_GET
def report_job(request, pk):
    """Progress of a background report; offers the file when it is ready."""
    job = _job_for_user(request.user, pk)
    return render(request, "ledger/report_job.html", {"job": job})


@login_required
@require_GET
def report_job_file(request, pk):
    """The finished PDF of a background report."""
    job = _job_for_user(request.user, pk)
    if job.status != ReportJob.Status.DONE or not job.file:
        raise Http404
    return FileResponse(
        job.file.open("rb"), content_type="application/pdf", filename=job.filename, as_attachment=False
    )


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
    if not can_print_minutes(request.user, meeting):
        raise PermissionDenied
    items = Item.objects.visible_to(request.user)
    content = reports.meeting_minutes(meeting, items, user=request.user)
    return pdf_response(content, f"minutes-{meeting.pk}.pdf")
