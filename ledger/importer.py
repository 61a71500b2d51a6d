"""Importing a ledger kept in Excel, WPS or CSV (导入台账).

Three steps, so that nothing is stored before the user saw what will be, and nothing holds the
whole file in memory:

1. `open_table()` opens the first sheet of an .xlsx (openpyxl, read-only and streaming) or a
   .csv (UTF-8 or GB18030) as a `Table` that reads its rows as a stream, refusing hostile
   files with a clear message (`SheetRefused`): not a spreadsheet, an old .xls, encrypted, too
   big, a zip bomb; and, as the rows are read, too many rows or a cell too long.
   `read_table()` also reads every row once, so that the upload refuses such a file at once.
2. `prepare()` finds the heading row (below title rows, over a second row of merged headings),
   maps columns to fields by their usual headings or by the user's hand-made mapping, and (for
   the preview) reads every row as the value it will store, with per-cell errors in plain
   language, keeping only the rows a person looks at.
3. `commit()` reads the file once more and stores all rows or none (one transaction), checking
   each row as it goes. New rows are created `BATCH_ROWS` at a time by
   `workflow.import_new_items` (a constant number of queries a batch); a row that was imported
   before (recognised by its reference number, else by `ImportedRow.key`) updates its item
   instead of creating a second one, one by one through `workflow.save_issue` / `edit_item` /
   `post_progress` / `set_imported_state`. Every history row names the file.
"""

import codecs
import contextlib
import csv
import datetime
import functools
import hashlib
import io
import itertools
import re
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePath

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel

from core.audit import save_with_history
from core.models import Organization
from core.permissions import Scope, children_map, subtree_ids

from . import bulk, workflow
from .models import Category, ImportedRow, Issue, Item, ProgressUpdate

MAX_MB = getattr(settings, "LEDGER_IMPORT_MAX_MB", 10)
MAX_ROWS = getattr(settings, "LEDGER_IMPORT_MAX_ROWS", 20_000)
MAX_CELL_CHARS = 10_000
MAX_COLUMNS = 100
# A real .xlsx packs about 5 to 30 times; far more than that, on a big member, is a zip bomb.
MAX_UNCOMPRESSED_MB = 200
MAX_RATIO = 100
HEADER_SEARCH_ROWS = 30
# The rows read ahead to find the headings (a second row of merged headings included).
HEAD_ROWS = HEADER_SEARCH_ROWS + 1
# A preview lists every row with an error (up to this many) and the first others.
PREVIEW_ROWS = 200
MAX_ERROR_ROWS = 1000
# An import stores its rows this many at a time, so that its memory does not grow with the file.
BATCH_ROWS = 2000
# A long-term item needs a review date; one a ledger does not give is set a quarter ahead.
DEFAULT_REVIEW_DAYS = 90
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _label(model, name):
    # The models' own (already translated) field names, so headings read as on every page.
    return capfirst(model._meta.get_field(name).verbose_name)


# The fields a column can be mapped to, in the ledger's column order.
FIELDS = {
    "reference": _("Reference"),
    "organization": _label(Item, "organization"),
    "description": _label(Issue, "description"),
    "category": _label(Issue, "category"),
    "source": _label(Issue, "source"),
    "raised_on": _label(Issue, "raised_on"),
    "measures": _label(Item, "measures"),
    "leader": _label(Item, "leader"),
    "department": _label(Item, "department"),
    "owner": _label(Item, "owner"),
    "kind": _label(Item, "kind"),
    "deadline": _label(Item, "deadline"),
    "next_review_on": _label(Item, "next_review_on"),
    "status": _label(Item, "status"),
    "percent": _label(Item, "progress"),
    "progress": _label(ProgressUpdate, "text"),
}
REQUIRED = ("description", "measures")

# The usual headings of ledgers kept by hand (normalised: no blanks, lower case).
SYNONYMS = {
    "reference": ["编号", "事项编号", "台账编号", "reference"],
    "organization": ["组织", "所属组织", "党组织", "责任组织", "organization"],
    "description": ["问题描述", "存在问题", "存在的问题", "问题", "问题表现", "issuedescription", "issue"],
    "category": ["问题类别", "问题类型", "类别", "category"],
    "source": ["问题来源", "来源", "source"],
    "raised_on": ["提出日期", "提出时间", "发现时间", "dateraised"],
    "measures": ["整改措施", "措施", "整改内容", "measures"],
    "leader": ["责任领导", "分管领导", "牵头领导", "responsibleleader"],
    "department": ["责任部门", "责任单位", "牵头部门", "responsibledepartment"],
    "owner": ["责任人", "具体责任人", "整改责任人", "owner"],
    "kind": ["整改类型", "整改方式", "类型", "kind"],
    "deadline": ["整改时限", "完成时限", "整改期限", "时限", "完成时间", "deadline"],
    "next_review_on": ["下次复查", "下次复查日期", "复查日期", "下次评估日期", "nextreviewdate"],
    "status": ["整改状态", "是否完成", "完成状态", "状态", "status"],
    "percent": ["进度", "完成进度", "整改进度", "progress(%)", "progress%"],
    "progress": ["整改进展", "完成情况", "进展情况", "整改情况", "progress"],
    # Recognised so that the heading row is found, then left out.
    "": ["序号", "备注", "说明", "no", "no.", "remarks", "notes"],
}

KIND_WORDS = {
    Item.Kind.IMMEDIATE: ["立行立改", "立即整改", "immediate"],
    Item.Kind.BY_DEADLINE: ["限期整改", "bydeadline"],
    Item.Kind.LONG_TERM: ["长期坚持", "长期", "long-term", "longterm"],
}
STATUS_WORDS = {
    Item.Status.OPEN: ["待整改", "未开始", "未整改", "open"],
    Item.Status.IN_PROGRESS: ["整改中", "正在整改", "进行中", "未完成", "否", "inprogress"],
    Item.Status.SUBMITTED: ["待验收", "awaitingverification"],
    Item.Status.REVIEWED: ["领导已审核", "reviewedbyleader"],
    Item.Status.LONG_TERM: ["长期坚持", "long-term", "longterm"],
    Item.Status.CLOSED: ["已销号", "已完成", "完成", "已整改", "是", "closed", "completed"],
    Item.Status.WITHDRAWN: ["已撤销", "撤销", "withdrawn"],
}
SOURCE_WORDS = {
    Issue.Source.SOLICITATION: ["征求意见", "意见征求"],
    Issue.Source.TALK: ["谈心谈话", "谈心"],
    Issue.Source.CRITICISM: ["批评与自我批评", "相互批评", "自我批评"],
    Issue.Source.INSPECTION: ["巡视巡察", "巡视", "巡察", "检查"],
    Issue.Source.SUPERIOR: ["上级反馈", "上级点评", "上级指出"],
    Issue.Source.SELF_CHECK: ["自查", "自查自纠", "自我检视"],
    Issue.Source.OTHER: ["其他"],
}
DATE_PATTERN = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+[\d:]+)?$")
PERCENT_PATTERN = re.compile(r"^(\d{1,3})(?:\.0+)?\s*%?$")


class SheetRefused(Exception):
    """The file cannot be imported at all; `message` says why, in plain words."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class ImportFailed(Exception):
    """Some rows could not be stored, so none was; `errors` maps row numbers to messages (the
    first `MAX_ERROR_ROWS` rows), `more` counts the refused rows left out."""

    def __init__(self, errors, more=0):
        super().__init__(errors)
        self.errors = errors
        self.more = max(more, 0)


@dataclass(frozen=True)
class Formula:
    """A cell holding a formula: never evaluated, never stored."""

    text: str


@dataclass(frozen=True)
class Placeholder:
    """A person named in the file, to be created as an inactive placeholder on commit."""

    name: str

    def __str__(self):
        return self.name


@dataclass
class Column:
    index: int
    heading: str
    field: str  # "" when ignored

    @property
    def letter(self):
        return get_column_letter(self.index + 1)

    @property
    def field_label(self):
        return FIELDS.get(self.field, "")


@dataclass
class Row:
    number: int
    values: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    # The fields the file gives; the others hold defaults, used for new items only.
    given: frozenset = frozenset()

    def error(self, name, message):
        self.errors.setdefault(name, []).append(str(message))

    @functools.cached_property
    def key(self):
        """The import key that recognises the row when the file is imported again."""
        return row_key(self.values)

    @functools.cached_property
    def issue_signature(self):
        """What makes rows describe the same issue (see `_issue_signature`)."""
        return _issue_signature(self.values)

    def cells(self):
        """(field, shown value, errors) in the ledger's column order, for the preview."""
        return [(name, _show(name, self.values.get(name)), self.errors.get(name, [])) for name in FIELDS]


@dataclass
class Preview:
    """What an import will store, read from the table with the user's choices.

    `parse()` reads the rows again and yields each one as it will be stored. `prepare()`
    fills `rows` with what a person looks at (every row with an error, up to `MAX_ERROR_ROWS`,
    and the first `keep` others) and counts the rest: nothing here grows with the file.
    """

    table: "Table"
    organization: Organization
    header_number: int | None
    columns: list
    start: int  # the rows of the table's head that are headings or titles
    lookups: "Lookups | None" = None
    rows: list = field(default_factory=list)
    row_count: int = 0
    error_row_count: int = 0
    width: int = 0  # of the widest row read
    problems: list = field(default_factory=list)  # about the whole file
    unknown_names: list = field(default_factory=list)
    candidates: list = field(default_factory=list)

    @property
    def error_count(self):
        return len(self.problems) + self.error_row_count

    @property
    def is_valid(self):
        return self.error_count == 0

    def parse(self):
        """Every row below the headings as a `Row`, read from the file again."""
        today = timezone.localdate()
        mapped = [(c.field, c.index) for c in self.columns if c.field]
        for number, values in itertools.islice(self.table.rows(), self.start, None):
            width = len(values)
            self.width = max(self.width, width)
            raw = {
                name: values[index] for name, index in mapped if index < width and values[index] is not None
            }
            if raw:
                yield _parse_row(number, raw, self.lookups, today)


@dataclass
class Result:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    people_created: int = 0


# ---------------------------------------------------------------------------------------------
# 1. Reading the file


class Table:
    """A sheet opened for import, read as a stream: nothing holds all of its rows.

    `head` holds its first non-blank rows (where the headings are); `rows()` yields every
    non-blank row as (row number in the file, cell values), reading the file again on each
    call but the first, and raises `SheetRefused` when it meets a row too many or a cell too
    long. The file must stay open while the table is used.
    """

    def __init__(self, name, open_rows):
        self.name = name
        self._open_rows = open_rows
        self._fresh = _collect(open_rows())
        self.head = list(itertools.islice(self._fresh, HEAD_ROWS))
        self.width = max((len(values) for _number, values in self.head), default=0)

    def rows(self):
        # The first pass goes on where reading the head stopped, instead of opening it again.
        fresh, self._fresh = self._fresh, None
        if fresh is None:
            yield from _collect(self._open_rows())
        else:
            yield from self.head
            yield from fresh

    def check(self):
        """Read every row once, so that a file refused anywhere is refused now."""
        for _row in self.rows():
            pass

    def close(self):
        """Stop a first reading that was not finished (it holds the workbook open), while the
        file is still open. `with open_table(…) as table:` closes the table at the end."""
        if self._fresh is not None:
            self._fresh.close()
            self._fresh = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def open_table(file, name):
    """The first sheet of an .xlsx, or a .csv, as a `Table`. Raises `SheetRefused`.

    `file` is a seekable binary file object (an upload, an open file). Only what a glance
    shows is checked here (size, kind, encryption, packing, the head rows); the rest is
    checked as the rows are read.
    """
    file.seek(0, io.SEEK_END)
    size = file.tell()
    file.seek(0)
    if size > MAX_MB * 1024 * 1024:
        raise SheetRefused(
            _("The file is {size} MB; the largest file accepted is {limit} MB. Split the ledger.").format(
                size=round(size / 1024 / 1024), limit=MAX_MB
            )
        )
    if size == 0:
        raise SheetRefused(_("The file is empty."))
    head = file.read(8)
    file.seek(0)
    suffix = PurePath(name).suffix.lower()
    if head == OLE_MAGIC:
        if _is_encrypted(file):
            raise SheetRefused(
                _("The file is protected by a password. Remove the password in Excel or WPS, then upload it.")
            )
        raise SheetRefused(
            _("This is an old Excel file (.xls). Open it in Excel or WPS, save it as .xlsx, then upload it.")
        )
    if head.startswith(b"PK"):
        _check_zip(file)
        return Table(name, functools.partial(_xlsx_rows, file))
    if suffix in (".csv", ".txt"):
        encoding = _csv_encoding(file)
        return Table(name, functools.partial(_csv_rows, file, encoding))
    raise SheetRefused(_("This file is not a spreadsheet. Upload an .xlsx file or a .csv file."))


def read_table(file, name):
    """`open_table()`, then every row read once: a file refused anywhere is refused now."""
    table = open_table(file, name)
    table.check()
    return table


def _is_encrypted(file):
    """Whether an OLE2 compound file holds an encrypted workbook: Excel and WPS keep a
    password-protected .xlsx in such a file, beside its `EncryptionInfo` stream."""
    file.seek(0)
    found = "EncryptionInfo".encode("utf-16-le") in file.read()
    file.seek(0)
    return found


def _check_zip(file):
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise SheetRefused(
            _("This file is damaged or not a spreadsheet. Upload an .xlsx file or a .csv file.")
        ) from None
    with archive:
        members = archive.infolist()
        names = {member.filename for member in members}
        total = sum(member.file_size for member in members)
        # Sheet XML packs well, so only a big member packed far too well is suspect.
        bomb = any(
            m.file_size > 20 * 1024 * 1024 and m.file_size / max(m.compress_size, 1) > MAX_RATIO
            for m in members
        )
    if total > MAX_UNCOMPRESSED_MB * 1024 * 1024 or bomb:
        raise SheetRefused(
            _("The file unpacks to far more data than a ledger holds (a “zip bomb”); it was not opened.")
        )
    if "xl/workbook.xml" not in names:
        raise SheetRefused(_("This file is not an Excel workbook. Upload an .xlsx file or a .csv file."))
    file.seek(0)


def _unreadable():
    return SheetRefused(
        _("This workbook could not be read. Open it in Excel or WPS, save it again as .xlsx, then upload it.")
    )


def _xlsx_rows(file):
    """The raw rows of the first sheet, streamed (openpyxl's read-only mode)."""
    file.seek(0)
    try:
        workbook = load_workbook(file, read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds on a broken package
        raise _unreadable() from None
    try:
        sheet = workbook.worksheets[0]
        # Writers that leave out (or misstate) the sheet's dimensions would cut rows short.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except Exception:  # broken sheet XML, found only once reading reaches it
                raise _unreadable() from None
            yield row
    finally:
        workbook.close()


CSV_CHUNK = 1024 * 1024


def _csv_encoding(file):
    """UTF-8 (with or without BOM) or GB18030, found by decoding the whole file once, a
    chunk at a time; a NUL byte means a binary file, not a CSV."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        file.seek(0)
        try:
            while chunk := file.read(CSV_CHUNK):
                if b"\x00" in chunk:
                    raise SheetRefused(
                        _("This file is not a spreadsheet. Upload an .xlsx file or a .csv file.")
                    )
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        file.seek(0)
        return encoding
    raise SheetRefused(_("The CSV file is neither UTF-8 nor GB18030 text. Save it again as CSV (UTF-8)."))


def _csv_rows(file, encoding):
    file.seek(0)
    text = io.TextIOWrapper(file, encoding=encoding, newline="")
    try:
        yield from csv.reader(text)
    except csv.Error:
        raise SheetRefused(_("The CSV file could not be read: its quotes do not match.")) from None
    finally:
        # Leave the caller's file open (closing the wrapper would close it too).
        if not file.closed:
            text.detach()


def _collect(raw_rows):
    """Non-blank rows with their numbers; refuses a row too many or a cell too long."""
    kept = 0
    for number, raw in enumerate(raw_rows, start=1):
        values = list(raw[:MAX_COLUMNS])
        for index, value in enumerate(values):
            if not isinstance(value, str):
                continue
            value = value.strip()
            if len(value) > MAX_CELL_CHARS:
                raise SheetRefused(
                    _(
                        "Cell {cell} holds more than {limit} characters; a ledger cell is never that long."
                    ).format(cell=f"{get_column_letter(index + 1)}{number}", limit=MAX_CELL_CHARS)
                )
            if value.startswith("="):
                value = Formula(value)
            elif value[:1] == "'" and value[1:2] in ("=", "+", "-", "@"):
                # Our own export's neutralised cell: the quote is not part of the text.
                value = value[1:]
            elif value == "":
                value = None
            values[index] = value
        if values.count(None) < len(values):
            if kept >= MAX_ROWS + HEADER_SEARCH_ROWS:
                raise SheetRefused(
                    _("The file has more than {limit} rows. Split the ledger into smaller files.").format(
                        limit=MAX_ROWS
                    )
                )
            kept += 1
            yield number, values


# ---------------------------------------------------------------------------------------------
# 2. Understanding the rows


BLANKS = re.compile(r"[\s*:：]+")


def normalise(text):
    """Text as headings and words are compared: no blanks or colons, lower case."""
    text = str(text)
    # A ledger repeats the same few categories, states and names on every row: short texts
    # are remembered (long ones, which would fill the memory of a server, are not).
    return _normalise_short(text) if len(text) <= 50 else _normalise(text)


def _normalise(text):
    text = text.replace("（", "(").replace("）", ")").replace("：", ":")
    return BLANKS.sub("", text).lower()


_normalise_short = functools.lru_cache(maxsize=4096)(_normalise)


def heading_index():
    """Normalised heading → field, including the export's headings in the current language."""
    index = {}
    for name, words in SYNONYMS.items():
        for word in words:
            index[normalise(word)] = name
    # The export's own headings win over the usual ones, the reader's language last.
    for language in [code for code, _name in settings.LANGUAGES] + [translation.get_language()]:
        with translation.override(language):
            for name, label in FIELDS.items():
                index[normalise(label)] = name
    return index


def _field_of(value, index):
    if value is None or isinstance(value, Formula):
        return None
    text = normalise(value)
    if text in index:
        return index[text]
    # "整改时限（完成日期）" → "整改时限"
    stripped = re.sub(r"\(.*?\)", "", text)
    return index.get(stripped) if stripped else None


def find_header(table):
    """(position of the heading row in `table.head`, position of a second heading row or None)."""
    index = heading_index()
    best, best_count = None, 1
    for position, (_number, values) in enumerate(table.head[:HEADER_SEARCH_ROWS]):
        count = sum(1 for value in values if _field_of(value, index) is not None)
        if count > best_count:
            best, best_count = position, count
    if best is None:
        # No heading recognised: the first row still is the heading row of nearly every file;
        # the user maps its columns by hand.
        return (0, None) if table.head else (None, None)
    # Merged heading cells: "责任" over "责任领导 | 责任人" on the next row.
    if best + 1 < len(table.head):
        below = [value for value in table.head[best + 1][1] if value is not None]
        if below and all(_field_of(value, index) is not None for value in below):
            return best, best + 1
    return best, None


def detect_columns(table, mapping=None):
    """The columns with their headings and fields, and where the data starts.

    `mapping` ({column index: field name or ""}) overrides what the headings say.
    """
    index = heading_index()
    header, second = find_header(table)
    columns = []
    # Columns mapped by hand may lie right of the head rows (found by the preview's reading).
    width = max(table.width, max(mapping, default=-1) + 1 if mapping else 0)
    for position in range(width):
        heading, name = "", ""
        if header is not None:
            main = _cell(table.head[header][1], position)
            sub = _cell(table.head[second][1], position) if second is not None else None
            if sub is not None and _field_of(sub, index) is not None:
                heading, name = str(sub), _field_of(sub, index)
            elif main is not None:
                heading, name = str(main), _field_of(main, index) or ""
        if mapping and position in mapping:
            name = mapping[position]
        columns.append(Column(index=position, heading=heading, field=name))
    start = 0 if header is None else (second if second is not None else header) + 1
    return header, columns, start


def _cell(values, position):
    return values[position] if position < len(values) else None


CHOICES = {"source": Issue.Source, "kind": Item.Kind, "status": Item.Status}


def _show(name, value):
    if value is None or value == "":
        return ""
    if name in CHOICES and value in CHOICES[name].values:
        return CHOICES[name](value).label
    if isinstance(value, datetime.date):
        return formats.date_format(value, "Y-m-d")
    return str(value)


def parse_date(value):
    """A date from a cell: a date cell, an Excel serial number or 2026-11-30 and its variants."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 2958466:
            return from_excel(value).date()
        return None
    text = str(value).strip()
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return from_excel(float(text)).date()
    match = DATE_PATTERN.match(text)
    if not match:
        return None
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _word_match(value, words_by_key):
    text = normalise(value)
    for key, words in words_by_key.items():
        if text in {normalise(word) for word in words}:
            return key
    return None


@functools.cache
def choice_index(choices_class, extra_key=None):
    """Normalised word → code: codes, labels in every language, and the usual words."""
    index = {}
    extra = {"source": SOURCE_WORDS, "kind": KIND_WORDS, "status": STATUS_WORDS}.get(extra_key, {})
    for code, words in extra.items():
        for word in words:
            index[normalise(word)] = code
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for code, label in choices_class.choices:
                index[normalise(label)] = code
    for code in choices_class.values:
        index[normalise(code)] = code
    return index


def _choice(value, choices_class, extra_key=None):
    """The choice whose code, label (in any language) or usual word matches the text."""
    return choice_index(choices_class, extra_key).get(normalise(value))


def person_key(name):
    """The key under which the person chosen for a name in the file is given."""
    return "person_" + hashlib.sha256(name.encode()).hexdigest()[:12]


class Lookups:
    """What rows refer to, read once per import: organizations, people, categories."""

    def __init__(self, actor, organization, people=None, create_people=False):
        scope = Scope.for_user(actor)
        # The whole (small) organization tree in one query: subtree, ancestors and names.
        tree = {org.pk: org for org in Organization.objects.all()}
        children = {}
        for org in tree.values():
            children.setdefault(org.parent_id, []).append(org.pk)
        subtree = subtree_ids([organization.pk], children)
        allowed = subtree if scope.is_superuser else subtree & scope.committee_org_ids
        self.organization = organization
        self.organizations = {}
        for org in sorted((tree[pk] for pk in allowed), key=lambda org: (org.sort_order, org.name)):
            self.organizations[normalise(org.name)] = org
            self.organizations.setdefault(normalise(org.short_name), org)
        self.known_organizations = {normalise(org.name) for org in tree.values()}
        ancestors, node = [], tree.get(organization.parent_id)
        while node is not None:
            ancestors.append(node.pk)
            node = tree.get(node.parent_id)
        users = get_user_model().objects.exclude(full_name="")
        if not scope.is_superuser:
            # The people of the user's organizations, and the leaders above the target one.
            reach = set(scope.visible_org_ids) | set(ancestors)
            users = users.filter(memberships__organization__in=reach).distinct()
        self.people = {}
        for user in users:
            self.people.setdefault(user.full_name.strip(), []).append(user)
        self.by_id = {user.pk: user for found in self.people.values() for user in found}
        # Chosen by the key of the name (`person_key`): a form field names no one's name.
        self.mapped = {key: self.by_id[pk] for key, pk in (people or {}).items() if pk in self.by_id}
        self.create_people = create_people
        self.categories = {}
        for category in Category.objects.all():
            for word in (category.name, category.name_en):
                if word:
                    self.categories[normalise(word)] = category
        # Rows that name no category are filed under 其他 (other).
        self.default_category = self.categories.get(normalise("其他"))
        self.unknown_names = set()

    def person(self, row, name, value):
        """The user named in a cell, the one the user chose for that name, or a placeholder."""
        text = str(value).strip()
        found = self.people.get(text, [])
        if len(found) == 1:
            return found[0]
        # Remembered even when mapped, so that the list of names to map stays the same.
        self.unknown_names.add(text)
        chosen = self.mapped.get(person_key(text))
        if chosen is not None:
            return chosen
        if len(found) > 1:
            row.error(name, _("Several people are named “{name}”: choose one below.").format(name=text))
        elif self.create_people:
            return Placeholder(text)
        else:
            row.error(name, _("Unknown person “{name}”: choose the person below.").format(name=text))
        return None

    @property
    def candidates(self):
        """The people a name may be mapped to, by name."""
        return sorted(self.by_id.values(), key=lambda user: (user.full_name, user.username))


def prepare(
    table,
    actor,
    organization,
    mapping=None,
    people=None,
    create_people=False,
    *,
    scan=True,
    keep=None,
):
    """The rows as they will be stored, with per-cell errors; nothing is written.

    `mapping` ({column index: field name or ""}) overrides what the headings say; `people`
    ({`person_key(name)`: user id}) names the person a name stands for. With `scan` every row
    is read and checked now (the preview); without it only the headings are, and `commit()`
    checks each row as it stores it (one reading of the file in all). The preview keeps every
    row with an error (up to `MAX_ERROR_ROWS`) and the first `keep` others (`PREVIEW_ROWS`).
    """
    header, columns, start = detect_columns(table, mapping)
    preview = Preview(
        table=table,
        organization=organization,
        header_number=table.head[header][0] if header is not None else None,
        columns=columns,
        start=start,
    )
    used = {}
    for column in columns:
        if column.field and column.field in used:
            preview.problems.append(
                _("Columns {first} and {second} are both mapped to “{field}”: keep one.").format(
                    first=used[column.field].letter, second=column.letter, field=column.field_label
                )
            )
        used.setdefault(column.field, column)
    for name in REQUIRED:
        if name not in used:
            preview.problems.append(
                _("No column holds “{field}”: map it by hand below.").format(field=FIELDS[name])
            )
    if preview.problems:
        return preview
    preview.lookups = Lookups(actor, organization, people, create_people)
    if not scan:
        return preview
    for row in preview.parse():
        preview.row_count += 1
        if row.errors:
            preview.error_row_count += 1
            if preview.error_row_count <= MAX_ERROR_ROWS:
                preview.rows.append(row)
        elif preview.row_count - preview.error_row_count <= (PREVIEW_ROWS if keep is None else keep):
            preview.rows.append(row)
    if not preview.row_count:
        preview.problems.append(NO_ROWS)
    # Cells right of the headings, further down than the head: columns to map by hand too.
    for index in range(len(preview.columns), preview.width):
        preview.columns.append(Column(index=index, heading="", field=""))
    preview.unknown_names = sorted(preview.lookups.unknown_names)
    preview.candidates = preview.lookups.candidates
    return preview


def _parse_row(number, raw, lookups, today):
    row = Row(number=number)
    values = row.values
    for name, value in raw.items():
        if isinstance(value, Formula):
            row.error(
                name, _("This cell holds a formula; formulas are not imported. Paste its value instead.")
            )
    raw = {name: value for name, value in raw.items() if not isinstance(value, Formula)}
    row.given = frozenset(raw)
    texts = {name: str(value).strip() for name, value in raw.items()}
    for name in ("reference", "description", "measures", "department", "progress"):
        if name in texts:
            values[name] = texts[name]
    for name in REQUIRED:
        if not values.get(name) and name not in row.errors:
            row.error(name, _("This cell is empty; it is required."))
    values["organization"] = lookups.organization
    if "organization" in texts:
        org = lookups.organizations.get(normalise(texts["organization"]))
        if org is None:
            if normalise(texts["organization"]) in lookups.known_organizations:
                row.error("organization", _("This organization is outside your scope."))
            else:
                row.error("organization", _("Unknown organization."))
        else:
            values["organization"] = org
    values["category"] = lookups.default_category
    if "category" in texts:
        values["category"] = lookups.categories.get(normalise(texts["category"]))
        if values["category"] is None:
            row.error("category", _("Unknown category."))
    values["source"] = Issue.Source.OTHER
    if "source" in texts:
        values["source"] = _choice(texts["source"], Issue.Source, "source")
        if values["source"] is None:
            row.error("source", _("Unknown source."))
    for name in ("raised_on", "next_review_on"):
        if name in raw:
            values[name] = parse_date(raw[name])
            if values[name] is None:
                row.error(name, _("Date not understood; write it as 2026-11-30."))
    values.setdefault("raised_on", today)
    for name in ("leader", "owner"):
        if name in texts:
            values[name] = lookups.person(row, name, texts[name])
    _parse_deadline(row, raw, texts, today)
    if "status" in texts:
        values["status"] = _choice(texts["status"], Item.Status, "status")
        if values["status"] is None:
            row.error("status", _("State not understood."))
        elif values["status"] == Item.Status.IN_PROGRESS and values.get("kind") == Item.Kind.LONG_TERM:
            values["status"] = Item.Status.LONG_TERM
    if "percent" in raw:
        value = raw["percent"]
        if isinstance(value, float) and 0 <= value <= 1 and "%" not in texts["percent"]:
            value = round(value * 100)  # a percent-formatted cell holds 0.6 for 60 %
        match = PERCENT_PATTERN.match(str(value).strip())
        if match and int(match.group(1)) <= 100:
            values["percent"] = int(match.group(1))
        else:
            row.error("percent", _("Give the progress as a whole number from 0 to 100."))
    return row


def _parse_deadline(row, raw, texts, today):
    values = row.values
    kind = None
    if "kind" in texts:
        kind = _choice(texts["kind"], Item.Kind, "kind")
        if kind is None:
            row.error("kind", _("Kind not understood; write 立行立改, 限期整改 or 长期坚持."))
    deadline = None
    if "deadline" in raw:
        deadline = parse_date(raw["deadline"])
        if deadline is None:
            written = _word_match(texts["deadline"], KIND_WORDS)
            if written is None:
                row.error("deadline", _("Date not understood; write it as 2026-11-30, 长期坚持 or 立行立改."))
            kind = kind or written
    if kind is None:
        kind = Item.Kind.BY_DEADLINE
    if kind == Item.Kind.IMMEDIATE and deadline is None:
        deadline = values.get("raised_on") or today
    values["kind"] = kind
    if kind == Item.Kind.LONG_TERM:
        values["deadline"] = deadline
        if not values.get("next_review_on") and "next_review_on" not in row.errors:
            values["next_review_on"] = today + datetime.timedelta(days=DEFAULT_REVIEW_DAYS)
    else:
        values["deadline"] = deadline
        values["next_review_on"] = values.get("next_review_on")
        if deadline is None and not row.errors.get("deadline"):
            row.error("deadline", _("Give the deadline: a date, 长期坚持 or 立行立改."))


NO_ROWS = _("The file has no rows below its headings.")


def row_key(values):
    """The import key of a row: its issue description and measures, blanks normalised."""
    text = (
        " ".join(values.get("description", "").split())
        + "\x1f"
        + " ".join(values.get("measures", "").split())
    )
    return hashlib.sha256(text.encode()).hexdigest()


# ---------------------------------------------------------------------------------------------
# 3. Storing


ITEM_FIELDS = ("measures", "leader", "department", "owner", "kind", "deadline", "next_review_on")
ISSUE_FIELDS = ("description", "category", "source", "raised_on")


def commit(preview, actor, source_name, dry_run=False):
    """Store every row of the file, or none. Returns a `Result`; raises `ImportFailed`.

    The rows are read from the file again and checked as they are stored, `BATCH_ROWS` at a
    time, in one transaction: after a refusal the rows are still stored (and all rolled back at
    the end), so that every refusal, the workflow's included, can be listed. With `dry_run` everything is done and
    then rolled back, so the workflow's own checks run too.
    """
    if not preview.is_valid:
        raise ImportFailed(
            {row.number: row_messages(row) for row in preview.rows if row.errors}
            or {0: [str(p) for p in preview.problems]}
        )
    reason = gettext("Imported from the file “{name}”").format(name=source_name)
    result = Result()
    errors = {}
    try:
        with transaction.atomic():
            store = _Store(actor, preview.organization, reason, source_name, result)
            batch, count = [], 0
            for row in preview.parse():
                count += 1
                if row.errors:
                    errors[row.number] = row_messages(row)
                else:
                    # Stored even after a refusal (and rolled back with the rest), so that
                    # the workflow's refusals further down are listed too.
                    batch.append(row)
                    if len(batch) == BATCH_ROWS:
                        store.store(batch, errors)
                        batch = []
            if batch:
                store.store(batch, errors)
            if not count:
                errors[0] = [str(NO_ROWS)]
            if errors:
                refused = sorted(errors.items())
                raise ImportFailed(dict(refused[:MAX_ERROR_ROWS]), more=len(refused) - MAX_ERROR_ROWS)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return result


@contextlib.contextmanager
def _row_errors(errors, number):
    """Record a refused row's messages under its number instead of stopping the import."""
    try:
        yield
    except (workflow.ActionRefused, ValidationError) as error:
        errors[number] = _error_messages(error)


def _error_messages(error):
    if isinstance(error, workflow.ActionRefused):
        return [str(error.message)]
    return _validation_messages(error)


class _DryRun(Exception):
    pass


def row_messages(row):
    """A row's errors as "field: message" lines."""
    return [
        f"{FIELDS.get(name, name)}: {message}"
        for name, messages in row.errors.items()
        for message in messages
    ]


def _validation_messages(error):
    if hasattr(error, "error_dict"):
        return [
            "{}: {}".format(FIELDS.get(name, name) if name != "__all__" else "", message).lstrip(": ")
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    return list(error.messages)


def _issue_signature(values):
    """What makes rows describe the same issue, as a short digest (kept for the whole import)."""
    text = "\x1f".join(
        str(part)
        for part in (
            values["organization"].pk,
            values["description"],
            values["category"].pk,
            values["source"],
        )
    )
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def _differs(record, name, value):
    """Whether `record`'s field `name` holds something else than `value`; a related record is
    compared by its key, not loaded (one query a row otherwise)."""
    model_field = record._meta.get_field(name)
    if model_field.is_relation:
        return getattr(record, model_field.attname) != (value.pk if value is not None else None)
    return getattr(record, name) != value


class _Store:
    """Writes the rows of one import a batch at a time, recognising rows imported before.

    What it keeps from batch to batch is small: the ids of the issues it created (by digest)
    and the placeholders it made; everything else is looked up for each batch.
    """

    def __init__(self, actor, organization, reason, source_name, result):
        self.actor = actor
        self.reason = reason
        self.source_name = source_name[:200]
        self.result = result
        self.org_ids = subtree_ids([organization.pk], children_map())
        self.issue_ids = {}  # signature → id of an issue this import created
        self.make_issue = bulk.Maker(Issue)
        self.placeholders = {}

    def store(self, rows, errors):
        """Store a batch of rows: new items together, updates one by one (they are few), each
        in a savepoint so that all their errors can be listed. Refusals go into `errors`."""
        self.load(rows)
        later = []
        for row in rows:
            with _row_errors(errors, row.number):
                queued = self.queue(row)
                if queued is None:
                    later.append(row)
                elif not queued:
                    with transaction.atomic():
                        self.update_row(row)
        try:
            self.create_queued()
        except workflow.ImportRefused as refused:
            for number, error in refused.errors.items():
                errors[number] = _error_messages(error)
        else:
            # Rows repeating a row created above update the item it became.
            for row in later:
                with _row_errors(errors, row.number), transaction.atomic():
                    self.update_row(row)

    def load(self, rows):
        """What the batch's rows were imported as before (by reference number, else by import
        key), and the issues earlier batches created for them."""
        references = {row.values["reference"] for row in rows if row.values.get("reference")}
        self.by_reference = {}
        if references:
            self.by_reference = {
                (item.organization_id, item.reference): item
                for item in Item.objects.filter(
                    organization__in=self.org_ids, reference__in=references
                ).select_related("organization", "issue")
            }
        self.by_key = {
            (imported.organization_id, imported.key): imported
            for imported in ImportedRow.objects.filter(
                organization__in=self.org_ids, key__in={row.key for row in rows}
            ).select_related("item__issue")
        }
        self.new_issues = {}
        wanted = {}  # id → signature of the issues earlier batches created for these rows
        for row in rows:
            if row.issue_signature in self.issue_ids:
                wanted[self.issue_ids[row.issue_signature]] = row.issue_signature
        if wanted:
            for issue in Issue.objects.filter(pk__in=wanted):
                self.new_issues[wanted[issue.pk]] = issue
        self.queued = []
        self.queued_keys = set()
        self.queued_order = []  # the import key of each queued row

    def _match(self, row):
        """(values, organization, key, item or None, imported row or None) of a file's row."""
        values = dict(row.values)
        values["given"] = row.given
        for name in ("leader", "owner"):
            if isinstance(values.get(name), Placeholder):
                values[name] = self.placeholder(values[name].name)
        org = values["organization"]
        key = row.key
        item = self.by_reference.get((org.pk, values.get("reference")))
        imported = self.by_key.get((org.pk, key))
        if item is None and imported is not None:
            item = imported.item
        return values, org, key, item, imported

    def queue(self, row):
        """Queue a row that makes a new item: True; False for a row that updates an item; None
        for a row repeating a queued one, which updates the item that one becomes."""
        values, org, key, item, _imported = self._match(row)
        if item is not None:
            return False
        if (org.pk, key) in self.queued_keys:
            return None
        self.queued_keys.add((org.pk, key))
        self.queued_order.append(key)
        self.queued.append(
            workflow.NewItem(
                key=row.number,
                issue=self.new_issue(row.issue_signature, values),
                organization=org,
                fields={
                    name: values.get(name) or ("" if name == "department" else None) for name in ITEM_FIELDS
                },
                progress=values.get("progress") or "",
                percent=values.get("percent", 0),
                status=values.get("status") or "",
            )
        )
        return True

    def create_queued(self):
        """Create the queued items in bulk, with the rows that remember where they came from."""
        items = workflow.import_new_items(self.actor, self.queued, reason=self.reason)
        new_imported_row = bulk.Maker(ImportedRow)
        imported_rows = [
            new_imported_row(item=item, organization=item.organization, key=key, source_name=self.source_name)
            for item, key in zip(items, self.queued_order, strict=True)
        ]
        bulk.insert_records(ImportedRow, imported_rows)
        for imported in imported_rows:
            self.by_key[(imported.organization_id, imported.key)] = imported
        for signature, issue in self.new_issues.items():
            self.issue_ids[signature] = issue.pk
        self.result.created += len(items)

    def new_issue(self, signature, values):
        """One issue per distinct description among the new rows of an import, unsaved until
        its first item is created."""
        if signature not in self.new_issues:
            self.new_issues[signature] = self.make_issue(
                organization=values["organization"], **{name: values[name] for name in ISSUE_FIELDS}
            )
        return self.new_issues[signature]

    def update_row(self, row):
        """Update the item a row was imported as before (or became earlier in this import)."""
        values, org, key, item, imported = self._match(row)
        item, changed = self.update(item, values)
        item, progressed = self.after(item, values)
        # A later row naming the same item (a repeat in the file) meets it as saved now, at its
        # new version, not as it was loaded.
        self.by_reference[(item.organization_id, item.reference)] = item
        if imported is not None and imported.item_id == item.pk:
            imported.item = item
        if changed or progressed:
            self.result.updated += 1
        else:
            self.result.unchanged += 1
        if imported is not None and imported.item_id == item.pk and imported.source_name == self.source_name:
            return
        imported = imported if imported is not None and imported.item_id == item.pk else None
        imported = imported or ImportedRow.objects.filter(item=item).first()
        if imported is None:
            imported = ImportedRow(item=item, organization=org, key=key)
        imported.source_name = self.source_name
        imported.save()
        self.by_key[(org.pk, key)] = imported

    def placeholder(self, name):
        if name not in self.placeholders:
            user = get_user_model()(
                username="imported-" + uuid.uuid4().hex[:12], full_name=name, is_active=False
            )
            user.set_unusable_password()
            save_with_history(user, user=self.actor, action=workflow.Action.IMPORT, reason=self.reason)
            self.placeholders[name] = user
            self.result.people_created += 1
        return self.placeholders[name]

    def update(self, item, values):
        """Change what the file gives and the item does not say yet; keep the rest."""
        given = values["given"]
        issue = item.issue
        issue_changes = {
            name: values[name]
            for name in ISSUE_FIELDS
            if name in given and _differs(issue, name, values[name])
        }
        if issue_changes:
            for name, value in issue_changes.items():
                setattr(issue, name, value)
            workflow.save_issue(self.actor, issue, reason=self.reason)
        names = {"measures"} | ({"leader", "owner", "department", "next_review_on"} & given)
        if given & {"kind", "deadline"}:
            names |= {"kind", "deadline"}
            if values["kind"] == Item.Kind.LONG_TERM and not item.next_review_on:
                names.add("next_review_on")
        changes = {name: values.get(name) or ("" if name == "department" else None) for name in names}
        changes = {name: value for name, value in changes.items() if _differs(item, name, value)}
        if changes:
            item = workflow.edit_item(
                self.actor, item, expected_version=item.version, reason=self.reason, **changes
            )
        return item, bool(issue_changes or changes)

    def after(self, item, values):
        """Progress text and state, when the file gives them and they differ: (the item as
        saved, whether it changed)."""
        changed = False
        text = values.get("progress")
        if text:
            latest = ProgressUpdate.objects.filter(item=item).order_by("-created_at", "-pk").first()
            if latest is None or latest.text != text:
                percent = values.get("percent", item.progress)
                # The update holds the item as the workflow saved it (new state and version).
                item = workflow.post_progress(
                    self.actor, item, text=text, percent=percent, reason=self.reason
                ).item
                changed = True
        status = values.get("status")
        if status and status != item.status:
            item = workflow.set_imported_state(self.actor, item, status=status, reason=self.reason)
            changed = True
        return item, changed
