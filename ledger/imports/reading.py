"""Reading a workbook for import: every sheet of an .xlsx (or a .csv) read once into a compact
cache of its non-blank rows, then opened from that cache as a `Table` that streams its rows.

`cache_workbook()` reads the file once, refusing (`SheetRefused`) what cannot be a ledger: not a
spreadsheet, an old .xls, encrypted, a zip bomb, more data than a ledger holds, too many rows, a
cell too long. It writes each sheet's non-blank rows as JSON lines (and returns what else the
steps after need: the sheets' names, merged cells, hidden columns) so that the preview and the
confirmation read that cache instead of the workbook (the web import keeps it in `upload_dir()`).
`open_table()` / `read_table()` do both at once, into a temporary file, for the command line.

Why a reader of our own for .xlsx (measured with `manage.py bench_import` on this 2-core machine,
shared, so figures vary by about 2×): openpyxl's read-only mode gives neither merged ranges nor
hidden columns, and walks every styled empty cell: six rows in a sheet formatted down to row
1,048,576 (13.5 MB, 185 MB of sheet XML) took it 35 s alone, 100 s under load. Its normal mode
gives both but holds the sheet in memory. python-calamine (not measured: not installed here, a
compiled dependency) gives values and merged ranges, but no percent format (a 50 % cell reads
0.5, like a typed 0.5) and no hidden columns. So the sheet XML is streamed through expat (the standard
library's): it is cut after whole rows, a chunk of rows that closes no cell (padding) is not
parsed at all, and a regular expression drops the value-less cells of the others, in C. The
padded sheet reads in 1.2 to 1.9 s, most of it unzipping; a 5,000-row ledger with merged cells in
0.4 s where openpyxl's read-only mode takes 0.6 s. Styles give the date and percent formats,
so that only a date-formatted cell is a date and a 100 % cell reads "100%"; a formula's cached
value is read (all of it in `ledger.imports.sheetxml`). What the cells mean is
`ledger.imports.vocabulary`'s business.
"""

import codecs
import contextlib
import csv
import datetime
import io
import itertools
import json
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePath

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from openpyxl.utils import get_column_letter

from .sheetxml import read_xlsx

# The data a ledger holds (its non-blank cells), and the file it comes in (padding included).
MAX_MB = getattr(settings, "LEDGER_IMPORT_MAX_MB", 10)
MAX_FILE_MB = getattr(settings, "LEDGER_IMPORT_MAX_FILE_MB", 40)
MAX_ROWS = getattr(settings, "LEDGER_IMPORT_MAX_ROWS", 20_000)
MAX_CELL_CHARS = 10_000
MAX_COLUMNS = 100
MAX_SHEETS = 20
# A real .xlsx packs about 5 to 30 times, a sheet of styled empty rows up to about 150; far
# more than that, on a big member, is a zip bomb. Streamed, a sheet costs time, not memory:
# the total is capped so that a file cannot keep a worker busy for minutes.
MAX_UNCOMPRESSED_MB = 1024
MAX_RATIO = 400
HEADER_SEARCH_ROWS = 30
# The rows read ahead to find the headings (a second row of merged headings included).
HEAD_ROWS = HEADER_SEARCH_ROWS + 1
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
CHUNK = 1024 * 1024


class SheetRefused(Exception):
    """The file cannot be imported at all; `message` says why, in plain words."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Formula:
    """A cell holding a formula with no value kept: never evaluated, never stored."""

    text: str


# ---------------------------------------------------------------------------------------------
# The table, read from the cache


class Table:
    """One sheet of a cached workbook, read as a stream: nothing holds all of its rows.

    `head` holds its first non-blank rows (where the headings are); `rows()` yields every
    non-blank row as (row number in the sheet, cell values), a vertically merged cell's value
    in every row it spans. `sections` maps the number of a row whose only cell is merged across
    the table to that cell's column index; `hidden` is the set of hidden column indexes;
    `sheets` the names of the workbook's sheets and `sheet` the position of this one.
    """

    def __init__(self, name, cache, meta, sheet=0):
        self.name = name
        self._cache = cache
        self.meta = meta
        self.sheet = sheet
        self.sheets = [info["name"] for info in meta["sheets"]]
        info = meta["sheets"][sheet]
        self.sheet_name = info["name"]
        self.hidden = set(info["hidden"])
        self.sections = {int(number): column for number, column in info["sections"].items()}
        self._info = info
        self.head = list(itertools.islice(self.rows(), HEAD_ROWS))
        self.width = max((len(values) for _number, values in self.head), default=0)

    def address(self, index, number):
        """The address of a cell as the user finds it: "D7" (with the sheet's name when the
        table joins several sheets)."""
        return f"{get_column_letter(index + 1)}{number}"

    def rows(self):
        merges = sorted(tuple(merge) for merge in self._info["merges"])
        pending, active = 0, {}  # column → (last row, value)
        for number, values in _cached_rows(self._cache, self._info["start"], self._info["end"]):
            while pending < len(merges) and merges[pending][0] <= number:
                first, last, column = merges[pending]
                pending += 1
                if first == number:
                    active[column] = (last, values[column] if column < len(values) else None)
            for column, (last, value) in list(active.items()):
                if last < number:
                    del active[column]
                elif value is not None:
                    if column >= len(values):
                        values.extend([None] * (column + 1 - len(values)))
                    if values[column] is None:
                        values[column] = value
            yield number, values

    def row_problems(self, number):
        """(field, message) about how row `number` was put together (none for one sheet)."""
        return ()

    def check(self):
        """The whole file was checked when it was read into the cache."""

    owns_cache = False

    def sheet_number(self, wanted):
        """The position of the sheet named `wanted`, or numbered so (1 is the first), else None."""
        if wanted in self.sheets:
            return self.sheets.index(wanted)
        if str(wanted).isdigit() and 1 <= int(wanted) <= len(self.sheets):
            return int(wanted) - 1
        return None

    def other_sheet(self, sheet):
        """The table of another sheet of the same file, read from the same cache (which this
        table keeps open: use it while this table is open)."""
        return open_cached(self._cache, self.meta, self.name, sheet)

    def close(self):
        if self.owns_cache:
            self._cache.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def _decode(value):
    if isinstance(value, dict):
        if "d" in value:
            return datetime.datetime.fromisoformat(value["d"])
        return Formula(value["f"])
    return value


def _encode(value):
    if isinstance(value, datetime.datetime):
        return {"d": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"d": datetime.datetime.combine(value, datetime.time()).isoformat()}
    if isinstance(value, Formula):
        return {"f": value.text}
    return value


def _cached_rows(cache, start, end):
    cache.seek(start)
    position = start
    while position < end:
        line = cache.readline()
        position += len(line)
        number, *values = json.loads(line)
        yield number, [_decode(value) if isinstance(value, dict) else value for value in values]


# The three lists (三张清单) many committees issue the ledger as, linked by 序号.
THREE_LISTS = ("问题清单", "任务清单", "责任清单")


def three_lists(meta):
    """The positions of the sheets 问题清单, 任务清单 and 责任清单, or None."""
    names = [info["name"] for info in meta["sheets"]]
    found = [next((i for i, name in enumerate(names) if word in name), None) for word in THREE_LISTS]
    return None if None in found else found


def open_cached(cache, meta, name, sheet=None):
    """The table of sheet number `sheet`: by default the one `meta` names as the ledger, or
    the three lists joined into one table (offered as one more sheet after the others)."""
    lists = three_lists(meta)
    joined = len(meta["sheets"])
    if sheet is None or not 0 <= sheet < joined + (1 if lists else 0):
        sheet = joined if lists else meta.get("ledger_sheet", 0)
    if sheet == joined:
        return JoinedTable(name, cache, meta, lists)
    table = Table(name, cache, meta, sheet)
    if lists:
        table.sheets = [*table.sheets, JOINED_NAME]
    return table


JOINED_NAME = "问题清单 + 任务清单 + 责任清单"


class JoinedTable(Table):
    """The three lists as one table: each row of 任务清单 (a measure) with the problem of the
    same 序号 from 问题清单 and the owner, leader, department and deadline from 责任清单 (by
    the task's own 序号, else by its problem's: 1.2 and 1-2 belong to problem 1). Its first row
    holds the headings; a cell's address names its sheet (问题清单!C3)."""

    def __init__(self, name, cache, meta, lists):
        self.name = name
        self.meta = meta
        self._cache = cache  # closed by `close()` when the table owns it, as a sheet's is
        self.sheet = len(meta["sheets"])
        self.sheets = [info["name"] for info in meta["sheets"]] + [JOINED_NAME]
        self.sheet_name = JOINED_NAME
        self.hidden, self.sections = set(), {}
        self.parts = [Table(name, cache, meta, position) for position in lists]
        self.layouts = [_list_layout(part) for part in self.parts]
        # Column index in the joined table → (part, column in its sheet).
        self.origin = [(1, self.layouts[1][1])]
        for part, (_header, serial, width) in enumerate(self.layouts):
            self.origin.extend((part, column) for column in range(width) if column != serial)
        self._numbers, self._orphans = {}, {}
        self.head = list(itertools.islice(self.rows(), HEAD_ROWS))
        self.width = len(self.origin)

    def address(self, index, number):
        part, column = self.origin[index] if index < len(self.origin) else (1, index)
        rows = self._numbers.get(number, (None, number, None))
        if rows[part] is None:
            return ""
        return f"{self.parts[part].sheet_name}!{get_column_letter(column + 1)}{rows[part]}"

    def rows(self):
        (p_header, p_serial, _w), (t_header, t_serial, _w2), (r_header, r_serial, _w3) = self.layouts
        problems = _by_serial(self.parts[0], p_header, p_serial)
        duties = _by_serial(self.parts[2], r_header, r_serial)
        heads = [_row_at(part, layout[0]) for part, layout in zip(self.parts, self.layouts, strict=True)]
        yield 0, [_cell_of(heads[part], column) for part, column in self.origin]
        for number, values in self.parts[1].rows():
            if number <= t_header:
                continue
            serial = _serial(_cell_of(values, t_serial))
            issue = re.split(r"[.\-－—、．]", serial, maxsplit=1)[0]
            problem = problems.get(issue)
            duty = duties.get(serial) or duties.get(issue)
            rows = (problem, (number, values), duty)
            self._numbers[number] = tuple(row[0] if row else None for row in rows)
            if problem is None:
                self._orphans[number] = issue
            yield (
                number,
                [_cell_of(rows[part][1], column) if rows[part] else None for part, column in self.origin],
            )

    def row_problems(self, number):
        if number not in self._orphans:
            return ()
        message = _("No row of {sheet} has the 序号 “{serial}”.").format(
            sheet=self.parts[0].sheet_name, serial=self._orphans[number]
        )
        return (("description", message),)


def _list_layout(table):
    """(number of the heading row, column of 序号, width) of one of the three lists."""
    from .vocabulary import field_of, heading_index

    index = heading_index()
    best, best_count, serial = None, 0, 0
    for number, values in table.head:
        fields = [field_of(value, index) for value in values]
        count = len(set(fields) - {None, ""})
        if count > best_count:
            best, best_count = number, count
            serial = fields.index("serial") if "serial" in fields else 0
    return best or 0, serial, table.width


def _row_at(table, number):
    return next((values for row_number, values in table.head if row_number == number), [])


def _by_serial(table, header, column):
    rows = {}
    for number, values in table.rows():
        if number > header:
            rows.setdefault(_serial(_cell_of(values, column)), (number, values))
    return rows


def _serial(value):
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


def _cell_of(values, column):
    return values[column] if column < len(values) else None


def open_table(file, name, sheet=None):
    """The ledger's sheet of an .xlsx, or a .csv, as a `Table` (the workbook read once into a
    temporary cache that lives as long as the table). Raises `SheetRefused`."""
    # Closed with the table (or when it is collected): the cache lives as long as the table.
    cache = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    try:
        meta = cache_workbook(file, name, cache)
    except BaseException:
        cache.close()
        raise
    table = open_cached(cache, meta, name, sheet)
    table.owns_cache = True
    return table


def save_upload(file, name, path):
    """Read an upload once into one cache file at `path`: its rows, then its metadata and the
    offset of that (the file's last line), for the preview and the confirmation to read
    instead of the upload. Raises `SheetRefused` (and leaves nothing behind)."""
    path = Path(path)
    try:
        with path.open("w+b") as cache:
            meta = cache_workbook(file, name, cache)
            cache.seek(0, io.SEEK_END)
            offset = cache.tell()
            cache.write(json.dumps(meta).encode() + b"\n" + b"%019d\n" % offset)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def open_upload(path, name, sheet=None):
    """The table of a cached upload (see `save_upload`), while its cache is open."""
    with open(path, "rb") as cache:
        cache.seek(-20, io.SEEK_END)
        cache.seek(int(cache.read(19)))
        meta = json.loads(cache.readline())
        yield open_cached(cache, meta, name, sheet)


def read_table(file, name, sheet=None):
    """`open_table()`: the whole file is checked as it is read."""
    return open_table(file, name, sheet)


# ---------------------------------------------------------------------------------------------
# Reading the file once


def cache_workbook(file, name, cache):
    """Read every sheet of the file once into `cache` (a binary file), refusing what cannot be
    imported; returns the metadata (JSON-serialisable) that `open_cached` needs."""
    file.seek(0, io.SEEK_END)
    size = file.tell()
    file.seek(0)
    if size > MAX_FILE_MB * 1024 * 1024:
        raise SheetRefused(
            _("The file is {size} MB; the largest file accepted is {limit} MB. Split the ledger.").format(
                size=round(size / 1024 / 1024), limit=MAX_FILE_MB
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
    writer = _CacheWriter(cache)
    if head.startswith(b"PK"):
        _check_zip(file)
        read_xlsx(file, writer)
    elif suffix in (".csv", ".txt"):
        encoding = _csv_encoding(file)
        writer.begin(PurePath(name).stem)
        for number, raw in enumerate(_csv_rows(file, encoding), start=1):
            writer.row(number, raw)
        writer.end()
    else:
        raise SheetRefused(_("This file is not a spreadsheet. Upload an .xlsx file or a .csv file."))
    cache.flush()
    meta = {"sheets": writer.sheets}
    # The sheet that looks most like a ledger (most headings recognised) is read by default:
    # an instructions sheet (填报说明) often comes first.
    from .vocabulary import heading_score

    scores = [
        heading_score(Table(name, cache, meta, position).head) for position in range(len(writer.sheets))
    ]
    meta["ledger_sheet"] = max(range(len(scores)), key=lambda position: (scores[position], -position))
    return meta


class _CacheWriter:
    """Writes non-blank rows as JSON lines, checking the limits as it goes."""

    def __init__(self, cache):
        self.cache = cache
        self.sheets = []
        self.data = 0

    def begin(self, name, hidden=(), merges=None, sections=None):
        self.kept = 0
        self.current = {
            "name": name,
            "start": self.cache.tell(),
            "end": None,
            "hidden": sorted(hidden),
            "merges": merges if merges is not None else [],
            "sections": sections if sections is not None else {},
        }
        self.sheets.append(self.current)

    def row(self, number, raw):
        values = list(raw[:MAX_COLUMNS])
        blank = True
        for index, value in enumerate(values):
            if not isinstance(value, str):
                if value is not None:
                    blank = False
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
            if value is not None:
                blank = False
            values[index] = value
        if blank:
            return
        if self.kept >= MAX_ROWS + HEADER_SEARCH_ROWS:
            raise SheetRefused(
                _("The file has more than {limit} rows. Split the ledger into smaller files.").format(
                    limit=MAX_ROWS
                )
            )
        self.kept += 1
        while values and values[-1] is None:
            values.pop()
        line = json.dumps([number, *map(_encode, values)], ensure_ascii=False).encode() + b"\n"
        self.data += len(line)
        if self.data > MAX_MB * 1024 * 1024:
            raise too_much_data()
        self.cache.write(line)

    def end(self):
        self.current["end"] = self.cache.tell()


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


def too_much_data():
    return SheetRefused(
        _("The file holds more than {limit} MB of data; a ledger holds far less. Split the ledger.").format(
            limit=MAX_MB
        )
    )


def unreadable():
    return SheetRefused(
        _("This workbook could not be read. Open it in Excel or WPS, save it again as .xlsx, then upload it.")
    )


# ---------------------------------------------------------------------------------------------
# .csv


def _csv_encoding(file):
    """UTF-8 (with or without BOM) or GB18030, found by decoding the whole file once, a
    chunk at a time; a NUL byte means a binary file, not a CSV."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        file.seek(0)
        try:
            while chunk := file.read(CHUNK):
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
