"""Reading PDFs back in tests: text per page (pdftotext), page count and attachments (pypdf)."""

import io
import subprocess

from pypdf import PdfReader


def pages_text(pdf):
    """The text of every page, as pdftotext extracts it (what a reader can copy)."""
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return result.stdout.decode().split("\f")[:-1]


def text(pdf):
    """The whole text, with the spaces pdftotext puts between CJK glyphs taken out."""
    return "\n".join(pages_text(pdf))


def squeezed(value):
    return "".join(value.split())


def reader(pdf):
    return PdfReader(io.BytesIO(pdf))


def page_footer(page, pages):
    """The footer the reports print, in the active language ("第 1 页 共 3 页" in Chinese)."""
    from ledger.reports import PAGE_COUNTER

    return squeezed(str(PAGE_COUNTER).format(page=page, pages=pages))


def layout_text(pdf):
    """The text with pdftotext's -layout: table rows stay on their lines."""
    result = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return result.stdout.decode()
