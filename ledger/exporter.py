"""Exporting the ledger as it is on screen: XLSX and CSV (导出台账).

Both take an already filtered queryset (`filter_items(request).qs`), so an export is exactly the
list. Columns follow the 台账 order with headings in the reader's language; the importer knows
these headings, so an exported file imported again reproduces its items.

Any text cell that starts with =, +, - or @ (or a tab or carriage return) is prefixed with a
quote, so that a spreadsheet never runs a description as a formula (CSV/formula injection).
"""

import csv
import datetime
import io
from dataclasses import dataclass

from django.db.models import OuterRef, Subquery
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from . import lights
from .imports.vocabulary import FIELDS
from .models import Item, ProgressUpdate

DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


@dataclass(frozen=True)
class ExportColumn:
    field: str
    width: int  # in characters; Chinese characters count about double
    get: object
    label: object = None  # the heading of a column that is neither an import field nor the item's

    @property
    def heading(self):
        # The importer's fields name most columns; the item's own fields name the others.
        if self.label is not None:
            return str(self.label)
        if self.field in FIELDS:
            return str(FIELDS[self.field])
        return str(capfirst(Item._meta.get_field(self.field).verbose_name))


def _name(user):
    return str(user) if user is not None else ""


COLUMNS = [
    ExportColumn("reference", 16, lambda item: item.reference),
    ExportColumn("organization", 18, lambda item: item.organization.name),
    ExportColumn("description", 40, lambda item: item.issue.description),
    ExportColumn("category", 10, lambda item: item.issue.category.name),
    ExportColumn("source", 14, lambda item: item.issue.get_source_display()),
    ExportColumn("raised_on", 12, lambda item: item.issue.raised_on),
    ExportColumn("measures", 40, lambda item: item.measures),
    ExportColumn("leader", 10, lambda item: _name(item.leader)),
    ExportColumn("department", 14, lambda item: item.department),
    ExportColumn("owner", 10, lambda item: _name(item.owner)),
    ExportColumn("kind", 10, lambda item: item.get_kind_display()),
    ExportColumn("deadline", 12, lambda item: item.deadline),
    ExportColumn("next_review_on", 12, lambda item: item.next_review_on),
    ExportColumn("status", 12, lambda item: item.get_status_display()),
    ExportColumn("percent", 8, lambda item: item.progress),
    ExportColumn("progress", 40, lambda item: item.latest_progress or ""),
    # The item's fields beyond the importer's first ones, after them (files made before keep
    # their columns' places).
    # 协办人: the names in order, as a ledger writes two people in one cell.
    ExportColumn("co_owners", 14, lambda item: "、".join(str(person) for person in item.co_owner_people)),
    ExportColumn("original_deadline", 12, lambda item: item.original_deadline),
    ExportColumn("closure_criteria", 30, lambda item: item.closure_criteria),
    ExportColumn("completed_on", 12, lambda item: item.completed_on),
    ExportColumn("remarks", 30, lambda item: item.remarks),
    # 亮灯: derived on the day of the export, never stored, so an import has nothing to read in it.
    ExportColumn("light", 8, lambda item: str(item.light().label), label=_("Light")),
]
# The columns of the ledger template (台账模板), for filling in and importing: the derived light
# is not one of them.
TEMPLATE_COLUMNS = [column for column in COLUMNS if column.field != "light"]
DATE_FIELDS = ("raised_on", "deadline", "original_deadline", "next_review_on", "completed_on")


def export_queryset(queryset):
    """The items with everything the columns read, in one query."""
    latest = (
        ProgressUpdate.objects.filter(item=OuterRef("pk")).order_by("-created_at", "-pk").values("text")[:1]
    )
    if "light_code" not in queryset.query.annotations:  # the light sort annotates it already
        queryset = lights.Judge(timezone.localdate()).annotate(queryset)
    return (
        queryset.select_related("organization", "issue", "issue__category", "leader", "owner")
        .annotate(latest_progress=Subquery(latest))
        .with_co_owners()
    )


def neutralise(value):
    """Text that a spreadsheet would take for a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(DANGEROUS_FIRST):
        return "'" + value
    return value


def rows(queryset):
    for item in export_queryset(queryset):
        yield [neutralise(column.get(item)) for column in COLUMNS]


def describe_filters(filterset):
    """The filters in force, as (label, value) pairs a reader understands."""
    described = []
    if not filterset.is_bound or not filterset.form.is_valid():
        return described
    for name, value in filterset.form.cleaned_data.items():
        if value in (None, "", [], ()) or value is False:
            continue
        if value is True:
            described.append((str(filterset.filters[name].label or name), gettext("Yes")))
            continue
        label = str(filterset.filters[name].label or name)
        if hasattr(value, "start") and hasattr(value, "stop"):  # a date range is a slice
            if value.start is None and value.stop is None:
                continue
            shown = "{} – {}".format(
                formats.date_format(value.start) if value.start else "",
                formats.date_format(value.stop) if value.stop else "",
            )
        elif isinstance(value, (list, tuple)):
            field = filterset.form.fields[name]
            choices = dict(getattr(field, "choices", []))
            shown = ", ".join(str(choices.get(v, v)) for v in value)
        elif name == "ordering":
            continue
        else:
            field = filterset.form.fields[name]
            choices = dict(getattr(field, "choices", []) or [])
            shown = str(choices.get(value, value)) if not hasattr(value, "pk") else str(value)
        described.append((label, shown))
    return described


def to_xlsx(queryset, filterset=None, user=None):
    """The items as an .xlsx file (bytes): date cells, frozen headings, widths, autofilter and
    a second sheet saying which filters made this list."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = gettext("Ledger")[:31]
    sheet.append([column.heading for column in COLUMNS])
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    count = 0
    date_columns = [index for index, column in enumerate(COLUMNS) if column.field in DATE_FIELDS]
    for values in rows(queryset):
        sheet.append(values)
        count += 1
    for index in date_columns:
        letter = get_column_letter(index + 1)
        for cell in sheet[letter][1:]:
            cell.number_format = "yyyy-mm-dd"
    for index, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{count + 1}"

    about = workbook.create_sheet(gettext("Filters")[:31])
    about.append([gettext("Exported at"), timezone.localtime().strftime("%Y-%m-%d %H:%M")])
    if user is not None:
        about.append([gettext("Exported by"), neutralise(str(user))])
    about.append([gettext("Items"), count])
    described = describe_filters(filterset) if filterset is not None else []
    if not described:
        about.append([gettext("Filters"), gettext("None: all items you can see")])
    for label, shown in described:
        about.append([neutralise(label), neutralise(shown)])
    if filterset is not None and not filterset.shows_withdrawn():
        about.append([gettext("Withdrawn items"), gettext("Left out")])
    about.column_dimensions["A"].width = 24
    about.column_dimensions["B"].width = 60
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_xlsx():
    """The ledger template (台账模板): the export's headings and formats, no rows, as .xlsx."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = gettext("Ledger")[:31]
    sheet.append([column.heading for column in TEMPLATE_COLUMNS])
    bold = Font(bold=True)
    for index, column in enumerate(TEMPLATE_COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = bold
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_csv(queryset):
    """The items as CSV text in UTF-8 with a BOM, so that Excel reads the Chinese correctly."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([column.heading for column in COLUMNS])
    for values in rows(queryset):
        writer.writerow(value.isoformat() if isinstance(value, datetime.date) else value for value in values)
    return buffer.getvalue().encode("utf-8")
