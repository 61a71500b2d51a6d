"""The sheet XML of an .xlsx, streamed: `read_xlsx()` writes every worksheet's non-blank rows
through `ledger.imports.reading`'s cache writer, with the merged ranges, hidden columns and the
formats that tell a date or a percent (why a reader of our own: see `reading`)."""

import datetime
import re
import zipfile
from xml.etree import ElementTree
from xml.parsers import expat

from openpyxl.utils import column_index_from_string
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel

# The module, not its names: its limits are read when a file is, so that settings and tests
# that change them count, and `reading` imports this module.
from . import reading

# Excel's built-in number formats that show dates (the CJK ones included).
DATE_FORMAT_IDS = set(range(14, 23)) | set(range(27, 37)) | set(range(45, 48)) | set(range(50, 59))
PERCENT_FORMAT_IDS = {9, 10}
# Quoted text, escaped characters and [colours]/[locales] do not make a format a date.
_FORMAT_NOISE = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.')
# Value-less cells and rows (the padding of a formatted sheet), dropped before parsing.
# A row of nothing but value-less cells goes in one match (far fewer matches than per cell).
_PADDING = re.compile(
    rb"<(?:\w+:)?row\s[^>]*>(?:<(?:\w+:)?c\s[^>]*/>)*</(?:\w+:)?row>|<(?:\w+:)?c\s[^>]*/>|<(?:\w+:)?row\s[^>]*/>"
)
_REFERENCE = re.compile(r"([A-Z]+)(\d+)")


def _local(tag):
    return tag.rpartition("}")[2].rpartition(":")[2]


def _xml(archive, path):
    try:
        with archive.open(path) as member:
            return ElementTree.parse(member).getroot()
    except KeyError:
        return None


def read_xlsx(file, writer):
    try:
        archive = zipfile.ZipFile(file)
        with archive:
            book = _xml(archive, "xl/workbook.xml")
            rels = _xml(archive, "xl/_rels/workbook.xml.rels")
            targets = {}
            for rel in rels if rels is not None else ():
                target = rel.get("Target", "")
                target = target.lstrip("/") if target.startswith("/") else "xl/" + target
                targets[rel.get("Id")] = target
            date1904 = False
            sheets = []
            for element in book.iter():
                tag = _local(element.tag)
                if tag == "workbookPr":
                    date1904 = element.get("date1904") in ("1", "true")
                elif tag == "sheet":
                    rid = next((v for k, v in element.attrib.items() if _local(k) == "id"), None)
                    if rid in targets and "worksheets/" in targets[rid]:
                        sheets.append((element.get("name", ""), targets[rid]))
            strings = _shared_strings(archive)
            formats = _formats(archive)
            for name, path in sheets[: reading.MAX_SHEETS]:
                _read_sheet(archive, path, name, strings, formats, date1904, writer)
    except reading.SheetRefused:
        raise
    except Exception:  # a broken package raises many kinds
        raise reading.unreadable() from None
    if not writer.sheets:
        raise reading.unreadable()


def _shared_strings(archive):
    """The workbook's shared texts, held in memory: refused when they are far more than the
    data a ledger holds (their XML is a few times the texts)."""
    strings = []
    try:
        info = archive.getinfo("xl/sharedStrings.xml")
    except KeyError:
        return strings
    if info.file_size > 8 * reading.MAX_MB * 1024 * 1024:
        raise reading.too_much_data()
    member = archive.open(info)
    with member:
        parts, phonetic = [], 0
        for event, element in ElementTree.iterparse(member, events=("start", "end")):
            tag = _local(element.tag)
            if event == "start":
                if tag == "rPh":
                    phonetic += 1
                continue
            if tag == "t" and not phonetic:
                parts.append(element.text or "")
            elif tag == "rPh":
                phonetic -= 1
            elif tag == "si":
                strings.append("".join(parts))
                parts = []
                element.clear()
    return strings


def _formats(archive):
    """Per cell style: "date", "percent" or None."""
    root = _xml(archive, "xl/styles.xml")
    if root is None:
        return []
    custom = {}
    kinds = []
    for element in root.iter():
        if _local(element.tag) == "numFmt":
            custom[int(element.get("numFmtId", "0"))] = element.get("formatCode", "")
    for element in root:
        if _local(element.tag) != "cellXfs":
            continue
        for xf in element:
            kinds.append(_format_kind(int(xf.get("numFmtId", "0")), custom))
    return kinds


def _format_kind(number, custom):
    if number in custom:
        code = _FORMAT_NOISE.sub("", custom[number].split(";")[0]).lower()
        if "%" in code:
            return "percent"
        if code != "general" and re.search(r"[ymdhs]|e(?![+-])", code):
            return "date"
        return None
    if number in DATE_FORMAT_IDS:
        return "date"
    if number in PERCENT_FORMAT_IDS:
        return "percent"
    return None


_COLUMNS = {}


def _column(reference):
    """The column index of a cell reference ("D7" → 3), remembered."""
    letters = reference.rstrip("0123456789")
    index = _COLUMNS.get(letters)
    if index is None:
        index = _COLUMNS[letters] = column_index_from_string(letters) - 1
    return index


class _SheetParser:
    """Expat callbacks turning sheet XML into rows of values (kept lean: called per element)."""

    def __init__(self, strings, formats, date1904, emit):
        self.strings, self.formats, self.date1904, self.emit = strings, formats, date1904, emit
        self.hidden, self.merges = set(), []
        self.row, self.number, self.next_number = None, 0, 1
        self.in_cell = False
        self.column = self.kind = self.style = self.value_text = self.formula = None
        self.text = None

    def start(self, tag, attrs):
        if ":" in tag:
            tag = tag.rpartition(":")[2]
        if tag == "c":
            reference = attrs.get("r")
            self.column = _column(reference) if reference else len(self.row)
            self.kind = attrs.get("t", "n")
            self.style = attrs.get("s")
            self.value_text = self.formula = None
            self.in_cell = True
        elif tag == "v" or tag == "t" or tag == "f":
            if self.in_cell:
                self.text = []
        elif tag == "row":
            self.number = int(attrs["r"]) if "r" in attrs else self.next_number
            self.next_number = self.number + 1
            self.row = []
        elif tag == "col" and attrs.get("hidden") in ("1", "true"):
            first, last = int(attrs.get("min", 1)), min(int(attrs.get("max", 1)), reading.MAX_COLUMNS)
            self.hidden.update(range(first - 1, last))
        elif tag == "mergeCell":
            self.merges.append(attrs.get("ref", ""))

    def data(self, text):
        if self.text is not None:
            self.text.append(text)

    def end(self, tag):
        if ":" in tag:
            tag = tag.rpartition(":")[2]
        if tag == "v" or tag == "t":
            if self.text is not None:
                text = "".join(self.text)
                self.value_text = text if tag == "v" else (self.value_text or "") + text
                self.text = None
        elif tag == "c":
            self.in_cell = False
            value = self.value()
            column = self.column
            if value is not None and column < reading.MAX_COLUMNS:
                row = self.row
                if column >= len(row):
                    row.extend([None] * (column + 1 - len(row)))
                row[column] = value
        elif tag == "f":
            if self.text is not None:
                self.formula = "".join(self.text)
                self.text = None
        elif tag == "row" and self.row is not None:
            if self.row:
                self.emit(self.number, self.row)
            self.row = None

    def value(self):
        kind, text = self.kind, self.value_text
        if text is None or (text == "" and kind not in ("s", "str", "inlineStr")):
            if self.formula is not None:
                return reading.Formula("=" + self.formula)
            return None
        if kind == "s":
            return self.strings[int(text)]
        if kind == "str" or kind == "inlineStr":
            return text
        if kind == "b":
            return text.strip() in ("1", "true")
        if kind == "e":
            return text
        if kind == "d":
            return datetime.datetime.fromisoformat(text.strip())
        number = float(text)
        style = int(self.style) if self.style else 0
        shown = self.formats[style] if style < len(self.formats) else None
        if shown == "date":
            return from_excel(number, epoch=MAC_EPOCH if self.date1904 else WINDOWS_EPOCH)
        if shown == "percent":
            # As the cell shows it: 1 in a percent cell is 100 %, not 1 %.
            return f"{round(number * 100, 6):g}%"
        return int(number) if number.is_integer() and "." not in text and "E" not in text else number


_ROW_START = re.compile(rb"<(?:\w+:)?row[\s>/]")


def _after_last_row(chunk):
    """The position after the chunk's last </row> (or </x:row>), or 0."""
    plain = chunk.rfind(b"</row>")
    prefixed = chunk.rfind(b":row>")
    if prefixed > plain:
        start = chunk.rfind(b"</", 0, prefixed)
        if start >= 0 and chunk[start + 2 : prefixed].isalnum():
            return prefixed + 5
    return plain + 6 if plain >= 0 else 0


def _read_sheet(archive, path, name, strings, formats, date1904, writer):
    parser = _SheetParser(strings, formats, date1904, writer.row)
    expat_parser = expat.ParserCreate()
    expat_parser.buffer_text = True
    expat_parser.StartElementHandler = parser.start
    expat_parser.EndElementHandler = parser.end
    expat_parser.CharacterDataHandler = parser.data
    writer.begin(name)
    with archive.open(path) as member:
        tail = b""
        while chunk := member.read(reading.CHUNK):
            chunk = tail + chunk
            # Cut after the last whole row: a chunk of whole rows in which no cell is closed
            # by </c> holds no value at all (padding), and is not parsed.
            cut = _after_last_row(chunk)
            whole_rows = cut > 0 and _ROW_START.match(chunk) is not None
            if cut <= 0:
                cut = chunk.rfind(b">") + 1
            chunk, tail = chunk[:cut], chunk[cut:]
            if whole_rows and b"</c>" not in chunk and b":c>" not in chunk:
                continue
            expat_parser.Parse(_PADDING.sub(b"", chunk), False)
        expat_parser.Parse(tail, True)
    merges, sections = [], {}
    for reference in parser.merges:
        first, _sep, last = reference.partition(":")
        match_first, match_last = _REFERENCE.match(first), _REFERENCE.match(last or first)
        if not match_first or not match_last:
            continue
        column = column_index_from_string(match_first.group(1)) - 1
        last_column = column_index_from_string(match_last.group(1)) - 1
        top, bottom = int(match_first.group(2)), int(match_last.group(2))
        if column >= reading.MAX_COLUMNS:
            continue  # beyond the columns read: nothing to fill
        last_column = min(last_column, reading.MAX_COLUMNS - 1)
        if bottom > top:
            merges.append([top, bottom, column])
        if last_column > column:
            sections[str(top)] = [column, last_column]
    writer.current["hidden"] = sorted(parser.hidden)
    writer.current["merges"] = merges
    writer.current["sections"] = sections
    writer.end()
