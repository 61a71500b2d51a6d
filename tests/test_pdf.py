"""The WeasyPrint helper: fetches nothing but our font, static files and small images; Chinese
prints with real glyphs, and a glyph missing from every font is caught."""

import pytest

from ledger import pdf
from tests import pdfs

HOSTILE = """
<html lang="zh-Hans"><body style="font-family: 'Ledger CJK'">
<p>整改台账</p>
<img src="file:///etc/passwd">
<img src="http://127.0.0.1:9/x.png">
<img src="https://example.com/x.png">
<img src="ftp://example.com/x.png">
<img src="relative.png">
<link rel="attachment" href="file:///etc/passwd">
<link rel="stylesheet" href="file:///etc/hostname">
<div style="background: url(file:///etc/shadow)">x</div>
</body></html>
"""


def test_chinese_prints_with_our_embedded_font():
    result = pdf.render_pdf(
        '<html lang="zh-Hans"><body style="font-family: \'Ledger CJK\'">整改台账 户直骨</body></html>',
        strict=True,
    )
    assert result.pages == 1
    assert result.missing_glyphs == set()
    assert "整改台账户直骨" in pdfs.squeezed(pdfs.text(result.pdf))
    fonts = pdfs.reader(result.pdf).pages[0]["/Resources"]["/Font"]
    names = [str(font.get_object()["/BaseFont"]) for font in fonts.values()]
    # Embedded as a subset: a six-letter tag before the name.
    assert any(name.endswith("+Ledger-CJK") for name in names)


def test_the_fetcher_refuses_every_foreign_url():
    result = pdf.render_pdf(HOSTILE)
    assert sorted(set(result.refused_urls)) == sorted(
        {
            "file:///etc/passwd",
            "file:///etc/hostname",
            "file:///etc/shadow",
            "http://127.0.0.1:9/x.png",
            "https://example.com/x.png",
            "ftp://example.com/x.png",
            pdf.BASE_URL + "relative.png",
        }
    )
    reader = pdfs.reader(result.pdf)
    assert not reader.attachments
    assert b"root:" not in result.pdf


def test_the_fetcher_allows_the_font_static_files_and_small_images(settings, tmp_path):
    static = tmp_path / "static"
    static.mkdir()
    (static / "logo.css").write_text("p { color: red }")
    settings.STATIC_ROOT = str(static)
    fetcher = pdf.SafeURLFetcher()
    assert fetcher._allowed(pdf.font_file().as_uri())
    assert fetcher._allowed((static / "logo.css").as_uri())
    assert not fetcher._allowed((static / ".." / "secret").as_uri())
    assert fetcher._allowed(pdf.data_url(b"\x89PNG....", "image/png"))
    assert not fetcher._allowed(pdf.data_url(b"x" * pdf.MAX_DATA_URL, "image/png"))
    assert not fetcher._allowed("data:text/html;base64,PHNjcmlwdD4=")
    assert not fetcher._allowed("file://otherhost/etc/passwd")


def test_a_glyph_missing_from_every_font_is_caught():
    html = "<html><body>整改 \U00013000</body></html>"
    result = pdf.render_pdf(html)
    assert result.missing_glyphs == {"\U00013000"}
    with pytest.raises(pdf.MissingGlyphs) as refused:
        pdf.render_pdf(html, strict=True)
    assert refused.value.characters == {"\U00013000"}


def test_pdfa_variant():
    result = pdf.render_pdf("<html lang='zh-Hans'><body>整改台账</body></html>", variant="pdfa", strict=True)
    root = pdfs.reader(result.pdf).trailer["/Root"]
    assert "/OutputIntents" in root  # the sRGB profile PDF/A requires
    metadata = root["/Metadata"].get_object().get_data()
    assert b'pdfaid:part="3"' in metadata
    assert b'pdfaid:conformance="B"' in metadata


def test_missing_glyphs_are_read_from_the_documents_fonts_not_from_the_log():
    """`pdf.missing_glyphs` relies on WeasyPrint's `Document.fonts` and on its fonts' `missing`
    map (no public API says which characters were drawn as boxes): this breaks on an upgrade
    that changes either, and shows that the log text plays no part."""
    import logging

    import weasyprint

    document = weasyprint.HTML(string="<html><body>整改 \U00013000</body></html>").render()
    document.write_pdf()
    fonts = list(document.fonts.values())
    assert fonts and all(isinstance(font.missing, dict) for font in fonts)
    assert pdf.missing_glyphs(document) == {"\U00013000"}
    weasy_logger = logging.getLogger("weasyprint")
    weasy_logger.disabled = True
    try:
        assert pdf.render_pdf("<html><body>整改 \U00013000</body></html>").missing_glyphs == {"\U00013000"}
    finally:
        weasy_logger.disabled = False


def test_progress_is_reported_by_stage():
    done = []
    pdf.render_pdf("<html lang='zh-Hans'><body>整改台账</body></html>", progress=done.append, strict=True)
    assert done == [pdf.PARSED, pdf.LAID_OUT, pdf.WRITTEN]
    assert done == sorted(done) and done[-1] == 1.0
