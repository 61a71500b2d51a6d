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
  extracts the text. :func:`render_pdf` watches WeasyPrint's log for that warning and reports the
  characters in ``RenderResult.missing_glyphs``; with ``strict=True`` it raises
  :class:`MissingGlyphs` instead (the tests render strictly).
"""

import base64
import io
import logging
import threading
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


class _NotdefCatcher(logging.Handler):
    """Collects WeasyPrint's ".notdef glyph rendered" warnings raised by this thread."""

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.thread = threading.get_ident()
        self.characters = set()

    def emit(self, record):
        if record.thread == self.thread and ".notdef" in str(record.msg):
            self.characters.add(str(record.args[0]) if record.args else "?")


@dataclass
class RenderResult:
    pdf: bytes
    pages: int
    missing_glyphs: set = field(default_factory=set)
    refused_urls: list = field(default_factory=list)


def render_pdf(html, *, variant=None, strict=None):
    """Render an HTML string to PDF bytes with the safe fetcher and our font.

    `variant` is None (plain PDF) or "pdfa" (PDF/A-3b, for archived signed copies). With
    `strict` (default: the LEDGER_PDF_STRICT_GLYPHS setting, on in the tests), a missing glyph
    raises :class:`MissingGlyphs` instead of being logged.
    """
    if strict is None:
        strict = getattr(settings, "LEDGER_PDF_STRICT_GLYPHS", False)
    fetcher = SafeURLFetcher()
    fonts = FontConfiguration()
    catcher = _NotdefCatcher()
    weasy_logger = logging.getLogger("weasyprint")
    weasy_logger.addHandler(catcher)
    try:
        stylesheet = weasyprint.CSS(string=font_face_css(), font_config=fonts, url_fetcher=fetcher)
        document = weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).render(
            font_config=fonts, stylesheets=[stylesheet]
        )
        options = {"pdf_variant": PDF_VARIANTS[variant]} if variant else {}
        pdf = document.write_pdf(**options)
    finally:
        weasy_logger.removeHandler(catcher)
    if catcher.characters:
        if strict:
            raise MissingGlyphs(catcher.characters)
        logger.warning("PDF printed empty boxes for: %s", " ".join(sorted(catcher.characters)))
    return RenderResult(
        pdf=pdf, pages=len(document.pages), missing_glyphs=catcher.characters, refused_urls=fetcher.refused
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
