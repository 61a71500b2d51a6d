"""Reading a sheet for import: opening .xlsx and .csv files as a stream of rows, and refusing
hostile or broken files with a message in plain words.

`open_table()` opens the first sheet of an .xlsx (openpyxl, read-only and streaming) or a .csv
(UTF-8 or GB18030) as a `Table` that reads its rows as a stream, refusing (`SheetRefused`): not a
spreadsheet, an old .xls, encrypted, too big, a zip bomb; and, as the rows are read, too many
rows or a cell too long. `read_table()` also reads every row once, so that the upload refuses
such a file at once. What the cells mean is `ledger.imports.vocabulary`'s business.
"""

import codecs
import csv
import functools
import io
import itertools
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

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
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class SheetRefused(Exception):
    """The file cannot be imported at all; `message` says why, in plain words."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Formula:
    """A cell holding a formula: never evaluated, never stored."""

    text: str


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
