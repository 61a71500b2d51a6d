"""The default Word templates (``ledger/docx_templates/*.docx``), built with python-docx.

The templates are docxtpl templates: a .docx with Jinja tags inside, each tag typed in one run
(python-docx's ``add_run`` keeps it so). They follow the layout of official documents
(GB/T 9704-2012): A4, type area 156 × 225 mm, title in 小标宋 size 2 (22 pt), body in 仿宋
size 3 (16 pt), 22 lines of 28 characters, page numbers "— 1 —" at the outer bottom edge.

The Chinese faces are set on the styles with the East Asian font attribute (``w:eastAsia``):
python-docx only sets the Latin one, and Word shows Chinese text in the Latin face without it.
Word and WPS fall back by name when a face is missing on the reading machine.

Regenerate with ``python scripts/build_docx_templates.py``; a committee edits its own copy.
"""

from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

TEMPLATE_DIR = Path(__file__).resolve().parent / "docx_templates"

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
SUBHEADING_FONT = "楷体_GB2312"
LATIN_FONT = "Times New Roman"

SIZE_2 = Pt(22)  # 二号
SIZE_3 = Pt(16)  # 三号
SIZE_4 = Pt(14)  # 四号
SIZE_5 = Pt(10.5)  # 五号
SIZE_6 = Pt(7.5)  # 六号
# 22 lines in the 225 mm type area.
LINE_PITCH = Pt(225 / 25.4 * 72 / 22)
# 28 characters to a line of 156 mm: each 三号 character (16 pt) condensed by a quarter point
# (15.75 pt × 28 = 155.6 mm; 29 would need 161 mm). Set as character spacing on the styles:
# LibreOffice spreads characters apart under a character grid (docGrid linesAndChars).
CHAR_PITCH = Pt(15.75)
CHAR_CONDENSE_TWIPS = round((CHAR_PITCH.pt - 16) * 20)


def set_fonts(style_or_run, east_asian, latin=LATIN_FONT, size=None, bold=None):
    """Set the Latin and the East Asian face (rFonts w:eastAsia) of a style or run."""
    font = style_or_run.font
    font.name = latin
    if size is not None:
        font.size = size
    if bold is not None:
        font.bold = bold
    rpr = style_or_run.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attribute in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attribute), latin)
    fonts.set(qn("w:eastAsia"), east_asian)
    # A theme font would win over the named one.
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attribute), None)


# What follows w:spacing in a run's properties (ECMA-376 CT_RPr): it goes before the first of them.
_AFTER_SPACING = (
    "w:w",
    "w:kern",
    "w:position",
    "w:sz",
    "w:szCs",
    "w:highlight",
    "w:u",
    "w:effect",
    "w:bdr",
    "w:shd",
    "w:fitText",
    "w:vertAlign",
    "w:rtl",
    "w:cs",
    "w:em",
    "w:lang",
    "w:eastAsianLayout",
    "w:specVanish",
    "w:oMath",
)


def _character_spacing(style, twips):
    """Character spacing (w:spacing, in twentieths of a point) of a style, in its schema place."""
    rpr = style.element.get_or_add_rPr()
    for old in rpr.findall(qn("w:spacing")):
        rpr.remove(old)
    spacing = OxmlElement("w:spacing")
    spacing.set(qn("w:val"), str(twips))
    rpr.insert_element_before(spacing, *_AFTER_SPACING)


def _styles(document, *, table_size):
    styles = document.styles
    normal = styles["Normal"]
    set_fonts(normal, BODY_FONT, size=SIZE_3)
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    normal.paragraph_format.line_spacing = LINE_PITCH
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.space_after = Pt(0)
    _character_spacing(normal, CHAR_CONDENSE_TWIPS)
    # The language of the text: Chinese shapes for Han characters.
    lang = OxmlElement("w:lang")
    lang.set(qn("w:eastAsia"), "zh-CN")
    normal.element.get_or_add_rPr().append(lang)

    title = styles["Title"]
    set_fonts(title, TITLE_FONT, size=SIZE_2, bold=False)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    title.paragraph_format.line_spacing = Pt(36)
    title.paragraph_format.space_after = LINE_PITCH
    # The built-in Title style has a bottom border and a colour: plain here.
    ppr = title.element.get_or_add_pPr()
    for border in ppr.findall(qn("w:pBdr")):
        ppr.remove(border)
    title.font.color.rgb = None

    for name, face in (("Heading 1", HEADING_FONT), ("Heading 2", SUBHEADING_FONT)):
        heading = styles[name]
        set_fonts(heading, face, size=SIZE_3, bold=False)
        heading.font.color.rgb = None
        heading.paragraph_format.first_line_indent = CHAR_PITCH * 2
        heading.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        heading.paragraph_format.line_spacing = LINE_PITCH
        heading.paragraph_format.space_before = Pt(0)
        heading.paragraph_format.space_after = Pt(0)

    body = (
        styles.add_style("Body Text Indent 2", 1)
        if "Body Text Indent 2" not in styles
        else styles["Body Text Indent 2"]
    )
    body.base_style = normal
    body.paragraph_format.first_line_indent = CHAR_PITCH * 2  # two characters

    table_text = styles.add_style("Table Text", 1)
    table_text.base_style = normal
    set_fonts(table_text, BODY_FONT, size=table_size)
    _character_spacing(table_text, 0)
    table_text.paragraph_format.line_spacing = 1.0
    table_text.paragraph_format.first_line_indent = Pt(0)
    # Table text keeps its own spacing, off the page's line grid.
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    table_text.element.get_or_add_pPr().append(snap)


def _page_number_footer(footer, alignment):
    """ "— N —" in 宋体 size 4 with a PAGE field, at the outer edge."""
    paragraph = footer.paragraphs[0]
    paragraph.alignment = alignment
    paragraph.paragraph_format.left_indent = Mm(7) if alignment == WD_ALIGN_PARAGRAPH.LEFT else None
    paragraph.paragraph_format.right_indent = Mm(7) if alignment == WD_ALIGN_PARAGRAPH.RIGHT else None
    for text, field in (("— ", None), (None, "PAGE"), (" —", None)):
        if field is None:
            set_fonts(paragraph.add_run(text), "宋体", size=SIZE_4)
            continue
        for kind in ("begin", None, "end"):
            run = paragraph.add_run()
            set_fonts(run, "宋体", size=SIZE_4)
            if kind is None:
                instruction = OxmlElement("w:instrText")
                instruction.set(qn("xml:space"), "preserve")
                instruction.text = f" {field} "
                run._r.append(instruction)
            else:
                char = OxmlElement("w:fldChar")
                char.set(qn("w:fldCharType"), kind)
                run._r.append(char)


def _page(document, *, landscape):
    section = document.sections[0]
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(297), Mm(210)
        section.top_margin, section.bottom_margin = Mm(28), Mm(26)
        section.left_margin, section.right_margin = Mm(37), Mm(35)
    else:
        # Type area 156 × 225 mm: 天头 37 mm, 订口 28 mm.
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)
        section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(28) if not landscape else Mm(16)
    document.settings.odd_and_even_pages_header_footer = True
    _page_number_footer(section.footer, WD_ALIGN_PARAGRAPH.RIGHT)
    _page_number_footer(section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)
    if not landscape:
        # 22 lines to the page: the document grid.
        grid = section._sectPr.find(qn("w:docGrid"))
        if grid is None:
            grid = OxmlElement("w:docGrid")
            section._sectPr.append(grid)
        # A line grid only: 28 characters a line come from the styles' character spacing
        # (CHAR_PITCH); a character grid spreads every character apart in LibreOffice.
        grid.set(qn("w:type"), "lines")
        grid.set(qn("w:linePitch"), str(round(LINE_PITCH.pt * 20)))


def _tag(document, text, style=None):
    """A paragraph whose whole text is one run (docxtpl needs each tag inside one run)."""
    paragraph = document.add_paragraph(style=style)
    paragraph.add_run(text)
    return paragraph


def _row_flags(row, *, header=False):
    properties = row._tr.get_or_add_trPr()
    flag = OxmlElement("w:tblHeader" if header else "w:cantSplit")
    properties.append(flag)
    if header:
        properties.append(OxmlElement("w:cantSplit"))


def _table(document, headers, cells, *, widths):
    """A table: a header row repeated on every page, one template row in a {%tr for %} loop."""
    table = document.add_table(rows=4, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for index, width in enumerate(widths):
        table.columns[index].width = width
        for row in table.rows:
            row.cells[index].width = width
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        paragraph = cell.paragraphs[0]
        paragraph.style = "Table Text"
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(text)
        run.bold = True
    _row_flags(table.rows[0], header=True)
    loop, body, end = table.rows[1], table.rows[2], table.rows[3]
    loop.cells[0].paragraphs[0].add_run(cells[0])
    for cell, text in zip(body.cells, cells[1:-1], strict=True):
        cell.paragraphs[0].style = "Table Text"
        cell.paragraphs[0].add_run(text)
    end.cells[0].paragraphs[0].add_run(cells[-1])
    _row_flags(body)
    return table


def report_template():
    """整改情况报告: title, opening, 一 basic facts with the breakdowns, 二 per issue, 三 next steps,
    the issuing organization and date."""
    document = Document()
    _styles(document, table_size=SIZE_4)
    _page(document, landscape=False)
    _tag(document, "{{ title }}", "Title")
    _tag(document, "{%p if public %}")
    _tag(document, "{{ public_notice }}", "Heading 2")
    _tag(document, "{%p endif %}")
    _tag(document, "{{ opening }}", "Body Text Indent 2")
    _tag(document, "{{ headings.basic }}", "Heading 1")
    _tag(document, "{{ sentence }}", "Body Text Indent 2")
    _tag(document, "{{ headings.by_category }}", "Heading 2")
    columns = [
        "{{ labels.group }}",
        "{{ labels.total }}",
        "{{ labels.closed }}",
        "{{ labels.active }}",
        "{{ labels.long_term }}",
        "{{ labels.rate }}",
    ]
    row = [
        "{{ row.label }}",
        "{{ row.total }}",
        "{{ row.closed }}",
        "{{ row.active }}",
        "{{ row.long_term }}",
        "{{ row.rate }}%",
    ]
    widths = [Mm(36), Mm(24), Mm(24), Mm(24), Mm(24), Mm(24)]
    _table(document, columns, ["{%tr for row in categories %}", *row, "{%tr endfor %}"], widths=widths)
    _tag(document, "{{ headings.by_kind }}", "Heading 2")
    _table(document, columns, ["{%tr for row in kinds %}", *row, "{%tr endfor %}"], widths=widths)
    _tag(document, "{{ headings.progress }}", "Heading 1")
    _tag(document, "{%p for entry in entries %}")
    _tag(document, "{{ entry.heading }}", "Heading 2")
    _tag(document, "{{ entry.problem }}", "Body Text Indent 2")
    _tag(document, "{{ entry.measures }}", "Body Text Indent 2")
    _tag(document, "{{ entry.done }}", "Body Text Indent 2")
    _tag(document, "{{ entry.status }}", "Body Text Indent 2")
    _tag(document, "{%p endfor %}")
    _tag(document, "{{ headings.next }}", "Heading 1")
    _tag(document, "{%p for entry in next_steps %}")
    _tag(document, "{{ entry }}", "Body Text Indent 2")
    _tag(document, "{%p endfor %}")
    _tag(document, "{{ closing }}", "Body Text Indent 2")
    document.add_paragraph()
    signature = _tag(document, "{{ organization }}")
    signature.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    signature.paragraph_format.right_indent = Pt(64)
    date = _tag(document, "{{ date }}")
    date.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    date.paragraph_format.right_indent = Pt(64)
    _chain_head(document)
    return document


def _chain_head(document):
    """The history's chain head the document was generated from (`core.chain`): a QR code and
    the short code in small type, at the end (as the PDFs print it)."""
    _tag(document, "{%p if chain %}")
    _tag(document, "{{ chain_qr }}")
    line = _tag(document, "{{ chain.label }}：{{ chain.code }}　{{ chain.note }}")
    for run in line.runs:
        set_fonts(run, BODY_FONT, size=SIZE_6)
    _tag(document, "{%p endif %}")


LEDGER_COLUMNS = (
    ("{{ labels.number }}", "{{ row.number }}", 10),
    ("{{ labels.reference }}", "{{ row.reference }}", 20),
    ("{{ labels.issue }}", "{{ row.issue }}", 36),
    ("{{ labels.category }}", "{{ row.category }}", 14),
    ("{{ labels.measures }}", "{{ row.measures }}", 40),
    ("{{ labels.leader }}", "{{ row.leader }}", 16),
    ("{{ labels.department }}", "{{ row.department }}", 18),
    ("{{ labels.owner }}", "{{ row.owner }}", 16),
    ("{{ labels.deadline }}", "{{ row.deadline }}", 20),
    ("{{ labels.status }}", "{{ row.status }}", 16),
    ("{{ labels.progress }}", "{{ row.progress }}", 29),
)


def ledger_template():
    """整改台账: a landscape table with the PDF's columns, header row repeated, rows not split."""
    document = Document()
    _styles(document, table_size=SIZE_5)
    _page(document, landscape=True)
    _tag(document, "{{ title }}", "Title")
    _tag(document, "{%p if public %}")
    _tag(document, "{{ public_notice }}", "Heading 2")
    _tag(document, "{%p endif %}")
    subtitle = _tag(document, "{{ subtitle }}")
    subtitle.alignment = WD_ALIGN_PARAGRAPH.CENTER
    headers = [header for header, _cell, _width in LEDGER_COLUMNS]
    cells = [cell for _header, cell, _width in LEDGER_COLUMNS]
    widths = [Mm(width * 225 / 235) for _header, _cell, width in LEDGER_COLUMNS]
    _table(document, headers, ["{%tr for row in rows %}", *cells, "{%tr endfor %}"], widths=widths)
    footer = _tag(document, "{{ footer }}")
    footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _chain_head(document)
    return document


BUILDERS = {"report": report_template, "ledger": ledger_template}


def write_defaults(directory=TEMPLATE_DIR):
    """Write every default template into `directory`; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, builder in BUILDERS.items():
        path = directory / f"{name}.docx"
        builder().save(path)
        written.append(path)
    return written
