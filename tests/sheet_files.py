"""Spreadsheet files for the import and export tests, built in memory with openpyxl."""

import io
import shutil
import subprocess

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

HEADINGS = [
    "序号",
    "问题描述",
    "问题类别",
    "问题来源",
    "整改措施",
    "责任领导",
    "责任部门",
    "责任人",
    "整改时限",
]

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_bytes(rows, title_rows=(), merges=(), number_formats=None):
    """An .xlsx whose first sheet holds the title rows then `rows`; `merges` are ranges like "A1:I1"."""
    workbook = Workbook()
    sheet = workbook.active
    for row in title_rows:
        sheet.append(list(row))
    for row in rows:
        sheet.append(list(row))
    for cell_range in merges:
        sheet.merge_cells(cell_range)
    for coordinate, number_format in (number_formats or {}).items():
        sheet[coordinate].number_format = number_format
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(content, name="整改台账.xlsx", content_type=XLSX_TYPE):
    return SimpleUploadedFile(name, content, content_type)


def ledger_rows(owner="王强", leader="赵志刚", count=2):
    """A plain ledger: headings then `count` rows."""
    rows = [list(HEADINGS)]
    for number in range(1, count + 1):
        rows.append(
            [
                number,
                f"班前会安全讲评流于形式（{number}）",
                "安全",
                "批评与自我批评",
                f"组织全员重新学习作业规程（{number}）",
                leader,
                "机运工区",
                owner,
                f"2027-03-{number:02d}",
            ]
        )
    return rows


def read_xlsx(content):
    return load_workbook(io.BytesIO(content))


def soffice():
    return shutil.which("soffice") or shutil.which("libreoffice")


def libreoffice_xlsx(csv_path, out_dir):
    """Convert a CSV file to .xlsx with LibreOffice (UTF-8 input); returns the new file's path."""
    subprocess.run(
        [
            soffice(),
            f"-env:UserInstallation=file://{out_dir}/profile",
            "--headless",
            "--infilter=CSV:44,34,76,1",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out_dir),
            str(csv_path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return out_dir / (csv_path.stem + ".xlsx")
