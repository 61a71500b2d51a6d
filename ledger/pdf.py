"""The one small WeasyPrint helper: HTML in, PDF bytes out, fetching nothing it should not.

* :class:`SafeURLFetcher` refuses every URL except the CJK font file, the project's own static
  files and small ``data:`` images that we made ourselves (evidence thumbnails). ``file://`` paths
  anywhere else, ``http(s)://``, ``ftp://`` and big ``data:`` URLs are refused, so a
  ``<img src="file:///etc/passwd">`` that slipped through would still fetch nothing. (User text is
  escaped by the templates in the first place.)
* Fonts come from one @font-face rule (:func:`font_face_css`) pointing at the font file installed by
  the project's set-up (``fonts-wqy-microhei``, see the Makefile), so the output does not depend on
  what else the machine has.
* A glyph missing from every font is drawn as ``.notdef`` (an empty box) while pdftotext still
  extracts the text. :func:`render_pdf` reads the characters from the document's fonts
  (:func:`missing_glyphs`, not from WeasyPrint's log text) and reports them in
  ``RenderResult.missing_glyphs``; with ``strict=True`` it raises :class:`MissingGlyphs` instead
  (the tests render strictly).
* Progress is reported by the stages :func:`render_pdf` itself goes through (parsed, laid out,
  written), to a callback: WeasyPrint's progress log is not parsed.
"""

import base64
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import weasyprint
from django.conf import settings
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

logger = logging.getLogger(__name__)

# The largest data: URL accepted, in bytes of the URL: our thumbnails stay well below it.
MAX_DATA_URL = 512 * 1024
# A base URL that resolves relative links to a place the fetcher refuses.
BASE_URL = "file:///nonexistent-ledger-pdf-base/"
PDF_VARIANTS = {"pdfa": "pdf/a-3b"}


def font_file():
    """The CJK font file, from the LEDGER_PDF_FONT setting."""
    return Path(settings.LEDGER_PDF_FONT)


def font_face_css():
    """The @font-face rule naming our CJK font "Ledger CJK" (used by the templates and charts).

    The file is WenQuanYi Micro Hei from Debian's fonts-wqy-microhei (Apache-2.0 or GPLv3 with
    the font exception): 5 MB with full GBK coverage, so subsetting is fast. The rule points at
    the file itself, not at a family name that fontconfig might resolve to something else.
    """
    return f'@font-face {{ font-family: "Ledger CJK"; src: url("{font_file().as_uri()}"); }}'


class URLRefused(weasyprint.urls.URLFetchingError):
    """The PDF asked for a URL that the fetcher does not serve."""


class SafeURLFetcher(URLFetcher):
    """Serves the font, the static files and small data: URLs; refuses everything else.

    ``refused`` lists what was asked for and refused, for tests and logs.
    """

    def __init__(self):
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False, timeout=1)
        self.refused = []
        self.fetched = []
        # STATICFILES_DIRS entries may be (prefix, path) pairs.
        roots = [settings.STATIC_ROOT] + [
            entry[1] if isinstance(entry, (tuple, list)) else entry for entry in settings.STATICFILES_DIRS
        ]
        self._allowed_roots = [Path(root).resolve() for root in roots if root]

    def fetch(self, url, headers=None):
        if self._allowed(url):
            self.fetched.append(url)
            return super().fetch(url, headers)
        self.refused.append(url)
        logger.warning("PDF rendering refused to fetch %s", url[:200])
        raise URLRefused(f"Refused to fetch {url[:200]}")

    def _allowed(self, url):
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "data":
            return len(url) <= MAX_DATA_URL and url[5:].lower().startswith(("image/png", "image/jpeg"))
        if scheme != "file" or parts.netloc not in ("", "localhost"):
            return False
        path = Path(unquote(parts.path)).resolve()
        if path == font_file().resolve():
            return True
        return any(path.is_relative_to(root) for root in self._allowed_roots)


def data_url(content, content_type):
    """A data: URL for image bytes we produced (evidence thumbnails)."""
    return f"data:{content_type};base64,{base64.b64encode(content).decode()}"


class MissingGlyphs(Exception):
    """Some characters had no glyph in any font and would print as empty boxes."""

    def __init__(self, characters):
        super().__init__("No glyph for: {chars}".format(chars=" ".join(sorted(characters))))
        self.characters = characters


def missing_glyphs(document):
    """The characters that no font had a glyph for, in a document written by WeasyPrint.

    WeasyPrint has no public API for this. Its `Document.fonts` (documented: the fonts used by the
    document) holds `weasyprint.pdf.fonts.Font` objects whose `missing` maps each such codepoint
    to the stand-in glyph it drew while writing the PDF. The one place that relies on it;
    tests/test_pdf.py breaks if an upgrade changes it.
    """
    return {chr(codepoint) for font in document.fonts.values() for codepoint in font.missing}


@dataclass
class RenderResult:
    pdf: bytes
    pages: int
    missing_glyphs: set = field(default_factory=set)
    refused_urls: list = field(default_factory=list)


# The share of the work done after each stage of render_pdf (laying out is most of it).
PARSED, LAID_OUT, WRITTEN = 0.1, 0.75, 1.0


def render_pdf(html, *, variant=None, strict=None, progress=None):
    """Render an HTML string to PDF bytes with the safe fetcher and our font.

    `variant` is None (plain PDF) or "pdfa" (PDF/A-3b, for archived signed copies). With
    `strict` (default: the LEDGER_PDF_STRICT_GLYPHS setting, on in the tests), a missing glyph
    raises :class:`MissingGlyphs` instead of being logged. `progress`, if given, is called with
    the share of the work done (0 to 1) after each stage.
    """
    if strict is None:
        strict = getattr(settings, "LEDGER_PDF_STRICT_GLYPHS", False)
    report = progress or (lambda done: None)
    fetcher = SafeURLFetcher()
    fonts = FontConfiguration()
    stylesheet = weasyprint.CSS(string=font_face_css(), font_config=fonts, url_fetcher=fetcher)
    parsed = weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher)
    report(PARSED)
    document = parsed.render(font_config=fonts, stylesheets=[stylesheet])
    report(LAID_OUT)
    options = {"pdf_variant": PDF_VARIANTS[variant]} if variant else {}
    pdf = document.write_pdf(**options)
    report(WRITTEN)
    missing = missing_glyphs(document)
    if missing:
        if strict:
            raise MissingGlyphs(missing)
        logger.warning("PDF printed empty boxes for: %s", " ".join(sorted(missing)))
    return RenderResult(
        pdf=pdf, pages=len(document.pages), missing_glyphs=missing, refused_urls=fetcher.refused
    )


def merge_with_overlay(parts, overlay):
    """Concatenate the pages of the PDFs in `parts` and lay page i of `overlay` over page i.

    Used to number the pages of a report printed in parts (see ``ledger.reports``). pypdf copies
    each part's fonts and images as they are; nothing is fetched or re-rendered.
    """
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    overlay_pages = PdfReader(io.BytesIO(overlay)).pages
    number = 0
    for part in parts:
        for page in PdfReader(io.BytesIO(part)).pages:
            added = writer.add_page(page)
            added.merge_page(overlay_pages[number])
            number += 1
    writer.add_metadata({"/Producer": f"WeasyPrint {weasyprint.__version__} + pypdf"})
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()
