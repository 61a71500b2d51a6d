"""The Word documents (issue 14): the rectification report (整改情况报告) and the ledger table
(整改台账) as .docx, rendered from docxtpl templates a committee can edit.

The numbers are the PDF's: the same FilterSet and scoping (``ledger.report_builders.parse``),
the same rows (``reports.ledger_rows``, or ``reports.items_as_of`` for ?as_of=) and the same
figures (``ledger.stats``). Only the layout differs.

Templates are rendered in a sandboxed Jinja environment with autoescape: an uploaded template
cannot reach Python internals, read files or run code (attribute access to ``__class__`` and the
like raises a SecurityError, reported as :class:`BadTemplate`), and user text such as
``{{ 7*7 }}``, ``{% for %}`` or ``<&>`` is printed as typed (values are never parsed as
template source, and XML special characters are escaped).

The public version (公开版, ``?version=public``) masks people's names other than the
responsible leaders and says that it is the public version.
"""

import datetime
import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import ChainableUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from core import chain
from core.permissions import OrganizationTree, Scope

from . import reports, stats
from .docx_layout import TEMPLATE_DIR
from .models import Item, ProgressUpdate, Withheld, WordTemplate
from .report_builders import ReportQuery, _past_items, scope_label

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
KINDS = ("report", "ledger")
PUBLIC = "public"
TEMPLATE_MAX_BYTES = 5 * 1024 * 1024
ZIP_SIGNATURE = b"PK\x03\x04"


class BadTemplate(Exception):
    """A template that cannot be rendered; `message` says why, naming the tag when known."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class Sandbox(SandboxedEnvironment):
    """Jinja's sandbox, refusing at once what it would otherwise print as empty: any access to
    an unsafe attribute (``''.__class__``, ``x.mro``, …) stops the rendering."""

    def unsafe_undefined(self, obj, attribute):
        raise SecurityError(f"access to attribute {attribute!r} of {type(obj).__name__!r} object is unsafe")


def environment(**options):
    """The sandboxed, autoescaping Jinja environment every Word template is rendered with."""
    return Sandbox(autoescape=True, **options)


def default_template(kind):
    return TEMPLATE_DIR / f"{kind}.docx"


def render(template, context, *, qr=None, **options):
    """Render a docxtpl template (a path or a binary file) with `context`: the .docx bytes.
    `qr` (PNG bytes) is given to the template as the picture ``chain_qr``. Raises
    :class:`BadTemplate` for a broken tag or a forbidden access."""
    document = DocxTemplate(template)
    if qr is not None:
        context = {**context, "chain_qr": InlineImage(document, io.BytesIO(qr), width=Mm(16))}
    try:
        document.render(context, jinja_env=environment(**options), autoescape=True)
    except TemplateError as error:
        raise BadTemplate(template_error_message(error)) from None
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def template_error_message(error):
    """A message for the user naming what is wrong in a template, with the text of the
    paragraph that holds the broken tag when docxtpl knows it."""
    message = getattr(error, "message", None) or str(error)
    lines = [line.strip() for line in getattr(error, "docx_context", None) or ()]
    if lines and error.lineno:
        where = lines[min(3, error.lineno - 1)] if len(lines) > min(3, error.lineno - 1) else ""
        if where:
            return _("The template cannot be used: %(error)s, in “%(text)s”") % {
                "error": message,
                "text": where,
            }
    return _("The template cannot be used: %(error)s") % {"error": message}


def check_template(uploaded):
    """Check an uploaded template before it is stored: a .docx of at most 5 MB whose every tag
    renders in the sandbox (with nothing given: a missing name prints empty). Raises a
    ValidationError on "file" saying what is wrong."""
    if uploaded.size > TEMPLATE_MAX_BYTES:
        raise ValidationError({"file": _("The template is too large: at most 5 MB.")}, code="file_size")
    uploaded.seek(0)
    head = uploaded.read(4)
    uploaded.seek(0)
    if not (uploaded.name or "").lower().endswith(".docx") or head != ZIP_SIGNATURE:
        raise ValidationError({"file": _("Upload a Word document (.docx).")}, code="file_type")
    try:
        render(io.BytesIO(uploaded.read()), {}, undefined=ChainableUndefined)
    except BadTemplate as refused:
        raise ValidationError({"file": refused.message}, code="template") from None
    except Exception:  # a damaged zip or document: python-docx and docxtpl raise many kinds
        raise ValidationError(
            {"file": _("The file is not a Word document that can be read.")}, code="file_type"
        ) from None
    finally:
        uploaded.seek(0)


def own_templates(organization_ids):
    """{(organization id, kind): WordTemplate} of the given organizations. One query."""
    records = WordTemplate.objects.filter(organization_id__in=organization_ids)
    return {(record.organization_id, record.kind): record for record in records}


def effective_template(organization_id, kind, tree=None):
    """The WordTemplate that applies to the organization for `kind`: its own, else the nearest
    above it; None for the default. Two queries (the tree, the templates)."""
    if organization_id is None:
        return None
    tree = tree or OrganizationTree.read()
    chain = [organization_id, *tree.ancestors(organization_id)]
    records = own_templates(chain)
    for org_id in chain:
        if (org_id, kind) in records:
            return records[(org_id, kind)]
    return None


def template_organization(user, filterset, meeting=None, tree=None):
    """The organization whose template a document uses: the meeting's, the filtered one, else
    the user's one top organization (None when there are several: the default template)."""
    if meeting is not None:
        return meeting.organization_id
    chosen = filterset.form.cleaned_data.get("organization") if filterset.is_bound else None
    if chosen:
        return chosen.pk
    scope = Scope.for_user(user)
    if scope.is_superuser:
        return None
    tree = tree or OrganizationTree.read()
    visible = set(scope.visible_org_ids)
    top = [org_id for org_id in visible if not set(tree.ancestors(org_id)) & visible]
    return top[0] if len(top) == 1 else None


def mask_name(name):
    """A person's name as the public version prints it: the first character, then one * for
    each other character (张** for 张三丰)."""
    name = str(name or "")
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


def _day(value):
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date()
    return date_format(value, "DATE_FORMAT")


def _rate(rate):
    return stats._rate_text(rate)


CHINESE_DIGITS = "零一二三四五六七八九"


def _in_chinese():
    return (get_language() or "zh-hans").startswith("zh")


def chinese_number(number):
    """1 → 一, 12 → 十二, 25 → 二十五 (the numbering of the report's sections); from 100 on,
    the figures (a report of a hundred issues numbers them 100, 101, …)."""
    if number >= 100:
        return str(number)
    if number < 10:
        return CHINESE_DIGITS[number]
    tens, units = divmod(number, 10)
    prefix = "" if tens == 1 else CHINESE_DIGITS[tens]
    return f"{prefix}十{CHINESE_DIGITS[units] if units else ''}"


@dataclass
class Source:
    """What a Word document shows: the rows (Item instances, live or as they stood), the
    queryset the figures are counted on, the day they are judged on, and the labels."""

    rows: list
    counted: object
    today: datetime.date
    as_of: datetime.datetime | None
    scope: str
    public: bool


def source(user, query, filterset):
    """The items of the ledger's filters for `user` (a parsed :class:`ReportQuery` and its
    FilterSet, see ``report_builders.parse``), live or as they stood at ?as_of=."""
    public = query.params.get("version") == PUBLIC
    label = scope_label(user, filterset)
    if query.as_of is not None:
        counted = _past_items(user, query)
        rows = reports.items_as_of(counted)
        latest = reports.latest_progress_as_of([row.pk for row in rows], query.as_of)
        for row in rows:
            row.latest_progress = latest.get(row.pk, "")
        today = timezone.localtime(query.as_of).date()
        for row in rows:
            row.owner_text = str(row.owner) if row.owner_id else ""
    else:
        counted = filterset.qs
        today = timezone.localdate()
        rows = reports.ledger_rows(counted, today)
        for row in rows:
            row.owner_text = row.owner_display
    for row in rows:
        row.overdue = row.is_overdue(today)
        row.withheld_fields = set()
    if public:
        marks = {}
        for item_id, field in Withheld.objects.filter(item_id__in=[row.pk for row in rows]).values_list(
            "item_id", "field"
        ):
            marks.setdefault(item_id, set()).add(field)
        rows = [row for row in rows if Withheld.Field.WHOLE not in marks.get(row.pk, ())]
        for row in rows:
            row.withheld_fields = marks.get(row.pk, set())
            row.owner_text = mask_name(row.owner) if row.owner_id else ""
        counted = counted.exclude(
            id__in=Withheld.objects.filter(field=Withheld.Field.WHOLE).values("item_id")
        )
    return Source(rows=rows, counted=counted, today=today, as_of=query.as_of, scope=label, public=public)


def shown(row, field, value):
    """`value`, or "(not for publication)" where the public version withholds the row's field."""
    if field in row.withheld_fields:
        return _("(not for publication)")
    return value


def headline(source):
    """The computed sentence of 一、基本情况, e.g. "共查摆问题 8 个，制定整改措施 12 条；已完成 5 项、
    正在推进 4 项、长期坚持 3 项，完成率 41.7%". Withdrawn items do not count."""
    totals = stats.totals(source.counted)
    applicable = source.counted.exclude(status=Item.Status.WITHDRAWN)
    issues = applicable.order_by().values("issue_id").distinct().count()
    return _(
        "{issues} problems identified, {measures} rectification measures set; {closed} completed, "
        "{active} being pushed forward, {long_term} long-term; completion rate {rate}%"
    ).format(
        issues=issues,
        measures=totals.applicable,
        closed=totals.closed,
        active=totals.active,
        long_term=totals.long_term,
        rate=_rate(totals.completion_rate),
    )


def _breakdown_rows(rows):
    return [
        {
            "label": row.label,
            "total": row.total,
            "closed": row.closed,
            "active": row.active,
            "long_term": row.long_term,
            "rate": _rate(row.completion_rate),
        }
        for row in rows
    ]


def _updates(rows, as_of):
    """Every progress update of the rows (up to `as_of`), per item id, oldest first. One query."""
    updates = ProgressUpdate.objects.filter(item_id__in=[row.pk for row in rows]).order_by("created_at", "pk")
    if as_of is not None:
        updates = updates.filter(created_at__lte=as_of)
    per_item = {}
    for item_id, created_at, text in updates.values_list("item_id", "created_at", "text"):
        per_item.setdefault(item_id, []).append((created_at, text))
    return per_item


def _status_text(row):
    text = row.get_status_display()
    if row.status == Item.Status.CLOSED and row.completed_on:
        text = _("{status} ({date})").format(status=text, date=_day(row.completed_on))
    elif row.overdue:
        text = _("{status}, overdue").format(status=text)
    return text


def _entries(source):
    """二、整改落实情况: one entry per issue, in the order the issues were raised."""
    applicable = [row for row in source.rows if row.status != Item.Status.WITHDRAWN]
    updates = _updates(applicable, source.as_of)
    issues = {}
    for row in applicable:
        issues.setdefault(row.issue_id, (row.issue, []))[1].append(row)
    ordered = sorted(issues.values(), key=lambda entry: (entry[0].raised_on, entry[0].pk))
    separator = _("; ")
    entries = []
    for index, (issue, items) in enumerate(ordered, start=1):
        done = []
        for item in items:
            if Withheld.Field.PROGRESS in item.withheld_fields:
                continue
            for created_at, text in updates.get(item.pk, []):
                done.append(_("{date}: {text}").format(date=_day(created_at), text=text))
        entries.append(
            {
                "heading": _("({number}) {category}").format(
                    number=chinese_number(index) if _in_chinese() else index, category=issue.category
                ),
                "problem": _("Problem: {text}").format(
                    text=shown(items[0], Withheld.Field.DESCRIPTION, issue.description)
                    if all(Withheld.Field.DESCRIPTION not in item.withheld_fields for item in items)
                    else _("(not for publication)")
                ),
                "measures": _("Measures: {text}").format(
                    text=separator.join(
                        f"{number}. {shown(item, Withheld.Field.MEASURES, item.measures)}"
                        for number, item in enumerate(items, 1)
                    )
                ),
                "done": _("What was done: {text}").format(
                    text=separator.join(done) if done else _("none yet")
                ),
                "status": _("Status: {text}").format(
                    text=separator.join(f"{item.reference} {_status_text(item)}" for item in items)
                ),
            }
        )
    return entries


def _next_steps(source):
    """三、下一步工作打算: the long-term and unfinished items with their next dates."""
    steps = []
    for row in source.rows:
        if row.status not in Item.ACTIVE_STATUSES:
            continue
        when = row.next_review_on if row.kind == Item.Kind.LONG_TERM else row.deadline
        template = (
            _("{reference} {measures} (long-term, next review {date})")
            if row.kind == Item.Kind.LONG_TERM
            else _("{reference} {measures} (to be completed by {date})")
        )
        measures = shown(row, Withheld.Field.MEASURES, row.measures)
        steps.append(template.format(reference=row.reference, measures=measures, date=_day(when) or "—"))
    return steps


def _common(source):
    return {
        "public": source.public,
        "public_notice": _(
            "Public version (公开版): names other than the responsible leaders are masked, and what the "
            "committee marked as not for publication is left out."
        ),
        "organization": source.scope,
        "date": _day(source.as_of or timezone.localdate()),
    }


def report_context(source, meeting=None):
    """The context of the rectification report."""
    summary_categories = stats.by_category(source.counted, source.today)
    kinds = stats.by_kind(source.counted, source.today)
    subject = meeting.topic if meeting is not None else ""
    if subject:
        title = _("Report of {organization} on the rectification after {subject}").format(
            organization=source.scope, subject=subject
        )
    else:
        title = _("Report of {organization} on the implementation of rectification").format(
            organization=source.scope
        )
    opening = _(
        "Following the requirements of the superior organization, {organization} has rectified the problems "
        "identified item by item. The rectification is reported as follows."
    ).format(organization=source.scope)
    if source.as_of is not None:
        opening += _(" (As it stood on {date}.)").format(date=_day(source.as_of))
    return {
        **_common(source),
        "title": title,
        "opening": opening,
        "headings": {
            "basic": _("I. Basic facts"),
            "by_category": _("By category"),
            "by_kind": _("By kind"),
            "progress": _("II. Implementation of the rectification"),
            "next": _("III. Next steps"),
        },
        "labels": {
            "group": _("Category or kind"),
            "total": _("Items"),
            "closed": _("Completed"),
            "active": _("Being pushed forward"),
            "long_term": _("Long-term"),
            "rate": _("Completion rate"),
        },
        "sentence": headline(source),
        "categories": _breakdown_rows(summary_categories),
        "kinds": _breakdown_rows(kinds),
        "entries": _entries(source),
        "next_steps": _next_steps(source)
        or [_("All items are completed; the results will be consolidated.")],
        "closing": _("We will keep up the rectification and consolidate its results."),
    }


def _deadline_text(row):
    if row.kind == Item.Kind.LONG_TERM:
        review = f" {_('review')} {row.next_review_on:%Y-%m-%d}" if row.next_review_on else ""
        return _("Long-term") + review
    return f"{row.deadline:%Y-%m-%d}" if row.deadline else ""


def _progress_text(row):
    text = f"{row.progress}%"
    if row.status == Item.Status.CLOSED and row.verification_note:
        return text + _(": ") + row.verification_note
    if getattr(row, "latest_progress", ""):
        return text + _(": ") + row.latest_progress[:160]
    return text


def ledger_context(source):
    """The context of the ledger table: the PDF's columns, one dict per row."""
    rows = [
        {
            "number": number,
            "reference": row.reference,
            "issue": shown(row, Withheld.Field.DESCRIPTION, row.issue.description),
            "category": str(row.issue.category),
            "measures": shown(row, Withheld.Field.MEASURES, row.measures),
            "leader": str(row.leader) if row.leader_id else "",
            "department": shown(row, Withheld.Field.DEPARTMENT, row.department),
            "owner": row.owner_text,
            "deadline": _deadline_text(row),
            "status": row.get_status_display() + (f" {_('Overdue')}" if row.overdue else ""),
            "progress": shown(row, Withheld.Field.PROGRESS, _progress_text(row)),
        }
        for number, row in enumerate(source.rows, start=1)
    ]
    if source.as_of is not None:
        subtitle = _("As it stood on {date}").format(date=_day(source.as_of))
    else:
        subtitle = _("As of {date}").format(date=timezone.localdate().isoformat())
    return {
        **_common(source),
        "title": _("Rectification ledger of {organization}").format(organization=source.scope),
        "subtitle": subtitle,
        "labels": {
            "number": _("No."),
            "reference": _("Reference"),
            "issue": _("Issue"),
            "category": _("Category"),
            "measures": _("Measures"),
            "leader": _("Responsible leader"),
            "department": _("Responsible department"),
            "owner": _("Owner"),
            "deadline": _("Deadline"),
            "status": _("Status"),
            "progress": _("Progress / completion"),
        },
        "rows": rows,
        "footer": _("{count} items").format(count=len(rows)),
    }


def build(kind, user, query, filterset, *, meeting=None, template=None):
    """The Word document `kind` ("report" or "ledger") for `user`: (bytes, file name).
    `template` (a path or binary file) replaces the default one."""
    if not isinstance(query, ReportQuery):
        raise TypeError("query must be a parsed ReportQuery")
    data = source(user, query, filterset)
    context = report_context(data, meeting) if kind == "report" else ledger_context(data)
    if template is None:
        tree = OrganizationTree.read()
        own = effective_template(template_organization(user, filterset, meeting, tree), kind, tree)
        template = own.file.open("rb") if own is not None else default_template(kind)
    # The history's chain head the document was generated from (`core.chain`), as the PDFs
    # print it: its short code, and a QR code of the digest for `verify_history --at`.
    digest = chain.checkpoint([(Item.history.model, [row.pk for row in data.rows])], scope=f"{kind}.docx")
    context["chain"] = {
        "label": _("History chain head"),
        "code": chain.short_code(digest),
        "note": _("Proves these records unchanged since printing: verify_history --at followed by the code."),
    }
    try:
        content = render(template, context, qr=chain.qr_png(digest))
    finally:
        if hasattr(template, "close"):
            template.close()
    stamp = f"as-of-{query.as_of:%Y%m%d}" if query.as_of else f"{timezone.localdate():%Y%m%d}"
    suffix = "-public" if data.public else ""
    return content, f"{kind}-{stamp}{suffix}.docx"
