"""The printed reports: thin views that check who may print and hand the query string to the
report's builder (``ledger.report_builders``, which the background task calls too) or, for one
item or meeting, to ``ledger.reports``.

Leadership, committee members and superusers may print the ledger, the summary, the periodic
lists and meeting minutes of what they can see; an owner (or the responsible leader) may print
the dossier of their own items. GET only: printing changes nothing.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from .. import report_builders, reports, word
from ..access import (
    can_print_dossier,
    can_print_minutes,
    can_print_reports,
    get_item_for_user,
    get_meeting_for_user,
)
from ..models import Item, ReportJob
from ..report_builders import BadReport
from ..tasks import fail_lost_jobs, generate_report


def pdf_response(content, filename):
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _list_report(request, kind):
    if not can_print_reports(request.user):
        raise PermissionDenied
    try:
        query, filterset = report_builders.parse(request.user, request.GET)
    except BadReport as refused:
        return HttpResponseBadRequest(refused.message, content_type="text/plain; charset=utf-8")
    count = filterset.qs.count()
    if count > settings.LEDGER_PDF_BACKGROUND_ITEMS:
        # Too big for a web worker: offer to generate it in the background (a POST, since it
        # creates a job).
        context = {"kind": kind, "query": request.GET.urlencode(), "count": count}
        return render(request, "ledger/report_background.html", context)
    content, filename = report_builders.build(
        kind, request.user, query, language=get_language(), filterset=filterset
    )
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
    if kind not in report_builders.BUILDERS:
        return HttpResponseBadRequest(_("Unknown report."))
    if not can_print_reports(request.user):
        raise PermissionDenied
    query = request.POST.get("query", "")
    try:
        filterset = report_builders.parse(request.user, query)[1]
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


def _job_for_user(user, pk):
    # A job is its requester's alone: anyone else gets a 404, like an invisible item.
    return get_object_or_404(ReportJob, pk=pk, user=user)


@login_required
@require_GET
def report_job(request, pk):
    """Progress of a background report; offers the file when it is ready."""
    job = _job_for_user(request.user, pk)
    fail_lost_jobs([job])  # a job whose worker died says so, and may be started again
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
    content = reports.item_dossier(
        item, user=request.user, variant=report_builders.ReportQuery.parse(request.GET).variant
    )
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


def _word_document(request, kind, params, meeting=None):
    if not can_print_reports(request.user):
        raise PermissionDenied
    try:
        query, filterset = report_builders.parse(request.user, params)
        content, filename = word.build(kind, request.user, query, filterset, meeting=meeting)
    except (BadReport, word.BadTemplate) as refused:
        return HttpResponseBadRequest(refused.message, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content, content_type=word.CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def report_docx(request):
    """整改情况报告 as Word: the ledger list's filtered items (?as_of=, ?version=public)."""
    return _word_document(request, "report", request.GET)


@login_required
@require_GET
def ledger_docx(request):
    """整改台账 as a Word table: the same items as the PDF ledger."""
    return _word_document(request, "ledger", request.GET)


@login_required
@require_GET
def meeting_report_docx(request, pk):
    """The rectification report of one meeting's issues (404 for a meeting the user cannot see)."""
    meeting = get_meeting_for_user(request.user, pk)
    params = request.GET.copy()
    params["meeting"] = str(meeting.pk)
    return _word_document(request, "report", params, meeting=meeting)
