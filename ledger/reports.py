"""The printed documents: one function per document, each given an already-scoped queryset (or
object the user may see) and returning PDF bytes.

Who may print what is `core.permissions.Scope`'s rule, applied by the callers (the views, and
``ledger.report_builders`` for the list reports); these functions only read what they are given,
in a fixed number of queries, and render ``templates/pdf/`` through :func:`ledger.pdf.render_pdf`.
Texts follow the active language.
"""

import datetime
import io
import re

from django.conf import settings
from django.db.models import OuterRef, Prefetch, Subquery
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from core import chain

from . import charts, lights, stats, supervision
from .history import item_timeline
from .models import (
    Accountability,
    Attendance,
    Evidence,
    ExtensionRequest,
    Issue,
    Item,
    ProgressUpdate,
    Urging,
    WarningTalk,
)
from .pdf import data_url, merge_with_overlay, render_pdf

PAGE_COUNTER = _("Page {page} of {pages}")
# The page margins of every report; the page-number overlay of a report printed in parts must
# put its footer exactly where the report's own would be.
PAGE_MARGIN = "16mm 12mm 18mm 12mm"
THUMBNAIL_SIZE = (360, 360)


def css_string(text):
    """`text` as a CSS string literal: quotes and backslashes escaped, no line breaks, and no
    "<" (a "</style>" in it would end the stylesheet)."""
    escaped = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ")
    return '"' + re.sub(r"[\r\n\f]+", " ", escaped) + '"'


def page_counter_css():
    """CSS `content` for "第 1 页 共 N 页" / "Page 1 of N" from the translated pattern."""
    parts = re.split(r"(\{page\}|\{pages\})", str(PAGE_COUNTER))
    tokens = []
    for part in parts:
        if part == "{page}":
            tokens.append("counter(page)")
        elif part == "{pages}":
            tokens.append("counter(pages)")
        elif part:
            tokens.append(css_string(part))
    return " ".join(tokens)


def chain_stamp(records, *, scope=""):
    """What a report prints of the history's chain head it was generated from: the checkpoint
    of the heads of `records` ([(model, ids)], `core.chain.checkpoint`), its short code and a
    QR code of its digest (a data: URL, nothing fetched)."""
    digest = chain.checkpoint([(model.history.model, ids) for model, ids in records], scope=scope)
    return {
        "digest": digest,
        "code": chain.short_code(digest),
        "qr": data_url(chain.qr_png(digest), "image/png"),
    }


def _common(user):
    return {
        "generated_at": timezone.localtime(),
        "generated_by": user.get_full_name() if user is not None else "",
        "page_counter_css": page_counter_css(),
        "page_margin": PAGE_MARGIN,
        "first_number": 0,
        "last_part": True,
    }


def _render(template, context, *, user, variant=None, progress=None):
    html = render_to_string(template, {**_common(user), **context})
    return render_pdf(html, variant=variant, progress=progress).pdf


def _share(progress, start, end):
    """A progress callback for one stage of a report: its 0 to 1 mapped onto [start, end]."""
    if progress is None:
        return None
    return lambda done: progress(start + (end - start) * done)


def _render_in_parts(template, rows, context, *, user, orientation, title, progress=None):
    """A long table printed in parts of LEDGER_PDF_PART_ROWS rows, so that memory stays bounded.

    WeasyPrint keeps the layout of every page until the PDF is written: 5,000 rows would take
    well over 1 GB. Each part is laid out and written on its own (its layout freed before the
    next), without page numbers; then one light document of empty pages carries "第 X 页 共 Y 页"
    and is laid over the parts' pages (:func:`ledger.pdf.merge_with_overlay`).
    """
    size = settings.LEDGER_PDF_PART_ROWS
    common = _common(user)
    # The later parts show no title; their page headers get the strings the title would set.
    printed = _("Printed %(when)s by %(who)s") % {
        "when": date_format(common["generated_at"], "DATETIME_FORMAT"),
        "who": common["generated_by"],
    }
    running = "doctitle {title}, scope {scope}, generated {printed}".format(
        title=css_string(title), scope=css_string(context.get("scope_label", "")), printed=css_string(printed)
    )
    parts = []
    count = -(-len(rows) // size)  # the number of parts; the page numbers take half a part more
    for start in range(0, len(rows), size):
        index = start // size
        part = {
            **common,
            **context,
            "rows": rows[start : start + size],
            "first_number": start,
            "continuation": start > 0,
            "last_part": start + size >= len(rows),
            "page_counter_css": "none",
            "running_strings_css": running,
        }
        parts.append(
            render_pdf(
                render_to_string(template, part),
                progress=_share(progress, index / (count + 0.5), (index + 1) / (count + 0.5)),
            )
        )
    total = sum(part.pages for part in parts)
    numbers = render_pdf(
        render_to_string(
            "pdf/page_numbers.html",
            {**common, "pages": range(total), "orientation": orientation},
        ),
        progress=_share(progress, count / (count + 0.5), 1.0),
    )
    return merge_with_overlay([part.pdf for part in parts], numbers.pdf)


def ledger_rows(items, today=None):
    """The 台账 rows: items with their issue, category, people and latest progress, one query.

    The latest progress text comes from a subquery, so 5,000 rows cost no more queries than 5.
    """
    latest = ProgressUpdate.objects.filter(item=OuterRef("pk")).order_by("-created_at", "-pk")
    today = today or timezone.localdate()
    if "light_code" not in items.query.annotations:  # the light sort annotates it already
        items = lights.Judge(today).annotate(items)
    rows = list(
        items.select_related("issue", "issue__category", "organization", "leader", "owner")
        .annotate(latest_progress=Subquery(latest.values("text")[:1]))
        .with_co_owners()
    )
    for row in rows:
        row.overdue = row.is_overdue(today)
        row.lit = row.light(today)  # 亮灯, from the annotation: no query per row
    return rows


def ledger_report(items, *, user, scope_label="", period_label="", variant=None, progress=None):
    """整改台账: landscape table of the given items with repeated header, overdue rows marked,
    page numbers, printing time and user, and the signature block. Returns PDF bytes.

    Long ledgers are printed in parts (:func:`_render_in_parts`), except as PDF/A, which must be
    written by WeasyPrint in one piece. `progress`, if given, is called with the share of the
    rendering done (0 to 1), as every report here does."""
    rows = ledger_rows(items)
    return _ledger_pdf(
        rows,
        user=user,
        scope_label=scope_label,
        period_label=period_label,
        variant=variant,
        progress=progress,
    )


def _ledger_pdf(rows, *, user, scope_label, period_label, variant, as_of=None, progress=None):
    context = {
        "rows": rows,
        "row_count": len(rows),
        "scope_label": scope_label,
        "period_label": period_label,
        "overdue_count": sum(1 for row in rows if row.overdue),
        "as_of": as_of,
        "chain": chain_stamp([(Item, [row.pk for row in rows])], scope="ledger"),
    }
    if variant is None and len(rows) > settings.LEDGER_PDF_PART_ROWS:
        return _render_in_parts(
            "pdf/ledger.html",
            rows,
            context,
            user=user,
            orientation="landscape",
            title=_("Rectification ledger"),
            progress=progress,
        )
    return _render("pdf/ledger.html", context, user=user, variant=variant, progress=progress)


def ledger_report_as_of(items_as_of, *, user, when, scope_label="", variant=None, progress=None):
    """The ledger as it stood at `when`, from historical rows (see :func:`items_as_of`)."""
    rows = list(items_as_of)
    latest = latest_progress_as_of([row.pk for row in rows], when)
    for row in rows:
        row.latest_progress = latest.get(row.pk, "")
        row.overdue = row.is_overdue(timezone.localtime(when).date())
    period = _("As it stood on {date}").format(date=_date(when))
    return _ledger_pdf(
        rows,
        user=user,
        scope_label=scope_label,
        period_label=period,
        variant=variant,
        as_of=when,
        progress=progress,
    )


def latest_progress_as_of(item_ids, when):
    """The text of each item's last progress update posted up to `when`, in one query.

    Progress updates are never edited, so the rows as they are now are the rows as they were."""
    latest = {}
    updates = (
        ProgressUpdate.objects.filter(item_id__in=item_ids, created_at__lte=when)
        .order_by("item_id", "-created_at", "-pk")
        .values_list("item_id", "text")
    )
    for item_id, text in updates:
        latest.setdefault(item_id, text)
    return latest


def _date(value):
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date()
    return date_format(value, "DATE_FORMAT")


def visible_as_of(user, when):
    """The items the user may see, as they stood at `when`: simple-history's `as_of` (the last
    historical row of each item up to then, deleted ones left out), narrowed by the same rule
    as ``Item.objects.visible_to`` (``Scope.visible_items``). The ledger FilterSet applies to it
    like to the live table, except the overdue and due-within filters, which need today's date."""
    from core.permissions import Scope

    return Scope.for_user(user).visible_items(Item.history.as_of(when))


def items_as_of(historical):
    """Item instances from a (filtered) as-of queryset, with issue, category, organization and
    people loaded in four queries, in the ledger's order."""
    instances = list(historical)
    _attach(instances)
    return sorted(
        instances,
        key=lambda item: (-item.year, item.organization.sort_order, item.organization.name, item.sequence),
    )


def _attach(items):
    """Load issue (with category), organization, leader and owner for historical instances."""
    from django.contrib.auth import get_user_model

    from core.models import Organization

    issues = Issue.objects.select_related("category").in_bulk({item.issue_id for item in items})
    organizations = Organization.objects.in_bulk({item.organization_id for item in items})
    people = get_user_model().objects.in_bulk(
        {pk for item in items for pk in (item.leader_id, item.owner_id) if pk}
    )
    for item in items:
        item.issue = issues.get(item.issue_id)
        item.organization = organizations.get(item.organization_id)
        item.leader = people.get(item.leader_id)
        item.owner = people.get(item.owner_id)


def _thumbnail(evidence):
    """A small JPEG of an image evidence, as a data: URL; None if it cannot be read."""
    from PIL import Image, UnidentifiedImageError

    try:
        with evidence.file.open("rb") as handle, Image.open(handle) as image:
            image.thumbnail(THUMBNAIL_SIZE)
            buffer = io.BytesIO()
            image.convert("RGB").save(buffer, "JPEG", quality=75)
    except (OSError, UnidentifiedImageError, ValueError):
        return None
    return data_url(buffer.getvalue(), "image/jpeg")


def item_dossier(item, *, user, variant=None):
    """The dossier of one item: issue, item, progress updates, evidence (images as thumbnails),
    extension decisions, verification and the complete audit history."""
    updates = list(
        ProgressUpdate.objects.filter(item=item)
        .select_related("author")
        .prefetch_related(Prefetch("evidence", queryset=Evidence.objects.order_by("uploaded_at", "pk")))
        .order_by("created_at", "pk")
    )
    evidence = list(Evidence.objects.filter(item=item).select_related("uploaded_by", "update"))
    for entry in evidence:
        entry.thumbnail = _thumbnail(entry) if entry.is_image else None
    extensions = list(
        ExtensionRequest.objects.filter(item=item)
        .select_related("requested_by", "decided_by")
        .order_by("created_at", "pk")
    )
    context = {
        "item": item,
        "issue": item.issue,
        "updates": updates,
        "evidence": evidence,
        "extensions": extensions,
        "timeline": item_timeline(item),
        "overdue": item.is_overdue(),
        # Supervision (issue 13): its urgings and notices, warning talks and accountability.
        "urgings": list(
            Urging.objects.filter(item=item).select_related("issued_by", "replied_by", "organization")
        ),
        "talks": list(WarningTalk.objects.filter(item=item).select_related("person", "talked_by")),
        "accountabilities": list(Accountability.objects.filter(item=item).select_related("person")),
    }
    context["chain"] = chain_stamp(
        [
            (Item, [item.pk]),
            (ProgressUpdate, [update.pk for update in updates]),
            (Evidence, [entry.pk for entry in evidence]),
            (ExtensionRequest, [entry.pk for entry in extensions]),
            (Urging, [entry.pk for entry in context["urgings"]]),
            (WarningTalk, [entry.pk for entry in context["talks"]]),
            (Accountability, [entry.pk for entry in context["accountabilities"]]),
        ],
        scope=f"dossier {item.reference}",
    )
    return _render("pdf/dossier.html", context, user=user, variant=variant)


def supervision_notice(notice, *, user):
    """The supervision notice (督办单, an `Urging` of level NOTICE) on one page: the item, its
    problem, measures, people and deadline, what is required, the reply-by date, the issuing
    organization, the reply once given, and the signature lines."""
    item = notice.item
    context = {"notice": notice, "item": item, "issue": item.issue}
    return _render("pdf/notice.html", context, user=user)


def meeting_minutes(meeting, items, *, user):
    """Minutes of a meeting: facts, attendance with absence reasons and make-up study, the issues
    raised and the items they became (from `items`, already scoped) with their status."""
    attendances = list(
        Attendance.objects.filter(meeting=meeting)
        .select_related("person")
        .order_by("-present", "person__full_name")
    )
    issues = list(
        Issue.objects.filter(meeting=meeting)
        .select_related("category", "raised_by", "concerns")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=items.select_related("owner", "leader").order_by("reference"),
                to_attr="visible_items",
            )
        )
        .order_by("raised_on", "pk")
    )
    present = sum(1 for attendance in attendances if attendance.present)
    context = {
        "meeting": meeting,
        "attendances": attendances,
        "issues": issues,
        "present": present,
        "expected": len(attendances),
        "rate": stats.participation_rate(present, len(attendances)),
    }
    return _render("pdf/minutes.html", context, user=user)


def progress_lists(items, *, user, date_from, date_to, scope_label="", progress=None):
    """The three periodic lists supervising offices ask for, over [date_from, date_to]:
    new items (新增: they entered the ledger in the period, see `stats.new_in_period`), items
    being pushed forward with what moved (推进落实), items closed (已办结销号)."""
    start = timezone.make_aware(datetime.datetime.combine(date_from, datetime.time.min))
    end = timezone.make_aware(
        datetime.datetime.combine(date_to + datetime.timedelta(days=1), datetime.time.min)
    )
    base = items.select_related("issue", "issue__category", "organization", "leader", "owner")
    new = list(stats.new_in_period(base, date_from, date_to))
    moved_updates = ProgressUpdate.objects.filter(created_at__gte=start, created_at__lt=end).order_by(
        "created_at", "pk"
    )
    moving = list(
        base.filter(status__in=Item.ACTIVE_STATUSES)
        .filter(pk__in=moved_updates.values("item_id"))
        .prefetch_related(
            Prefetch("updates", queryset=moved_updates.select_related("author"), to_attr="moved")
        )
    )
    closed = list(base.filter(status=Item.Status.CLOSED, verified_at__gte=start, verified_at__lt=end))
    today = timezone.localdate()
    for row in (*new, *moving):
        row.overdue = row.is_overdue(today)
    context = {
        "new": new,
        "moving": moving,
        "closed": closed,
        "date_from": date_from,
        "date_to": date_to,
        "scope_label": scope_label,
        "summary": stats.summary(items),
    }
    return _render("pdf/progress.html", context, user=user, progress=progress)


def leadership_summary(
    items, *, user, date_from, date_to, scope_label="", as_of=None, meetings=None, progress=None
):
    """The leadership summary: the sentence leaders quote, totals, completion rate, breakdowns by
    organization and category with charts, the overdue list and the items closed in the period.

    With `as_of` (a datetime), `items` are the items as they stood then (:func:`visible_as_of`)
    and "overdue" is judged on that day. `meetings` (already scoped) adds the participation in
    the period's meetings per organization."""
    today = timezone.localtime(as_of).date() if as_of else timezone.localdate()
    summary = stats.summary(items, today)
    start = timezone.make_aware(datetime.datetime.combine(date_from, datetime.time.min))
    end = timezone.make_aware(
        datetime.datetime.combine(date_to + datetime.timedelta(days=1), datetime.time.min)
    )
    base = items.select_related("issue", "issue__category", "organization", "leader", "owner")
    overdue = list(base.filter(Item.overdue_q(today)).order_by("deadline", "reference"))
    for row in overdue:
        row.overdue = True
    closed = list(base.filter(status=Item.Status.CLOSED, verified_at__gte=start, verified_at__lt=end))
    trend = stats.monthly_trend(items, months=12, today=today)
    context = {
        "summary": summary,
        "overdue": overdue,
        "closed": closed,
        "date_from": date_from,
        "date_to": date_to,
        "scope_label": scope_label,
        "status_chart": charts.status_chart(summary.totals),
        "organization_chart": charts.organization_chart(summary.organizations),
        "category_chart": charts.category_chart(summary.categories),
        "trend_chart": charts.trend_chart(trend),
        "as_of": as_of,
        # 督办 N 项次, warning talks, accountability and re-checks in the period (issue 13).
        "supervision": supervision.totals(
            items, date_from, date_to, organizations=items.values("organization_id")
        ),
    }
    if meetings is not None:
        participation = stats.participation(meetings, date_from, date_to)
        context["participation"] = participation
        context["participation_chart"] = charts.participation_chart(participation) if participation else ""
    return _render("pdf/summary.html", context, user=user, progress=progress)
