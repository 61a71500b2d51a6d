"""The import_ledger and bench_import management commands."""

import io

import pytest
from django.core.management import CommandError, call_command

from core.models import Organization, User
from ledger.models import Item
from tests.sheet_files import ledger_rows, xlsx_bytes

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def admin(db):
    return User.objects.create_superuser("root", password="x", full_name="管理员")


def test_import_ledger_stores_the_file(world, admin, tmp_path):
    path = tmp_path / "机运台账.xlsx"
    path.write_bytes(xlsx_bytes(ledger_rows(count=3)))
    out = io.StringIO()
    call_command("import_ledger", str(path), "--organization", "机运党支部", stdout=out)
    assert out.getvalue().strip() == "3 created, 0 updated, 0 unchanged, 0 people created."
    item = Item.objects.filter(organization=world.branch).first()
    assert item.history.earliest().history_change_reason == "Imported from the file “机运台账.xlsx”"
    assert item.history.earliest().history_user == admin


def test_import_ledger_dry_run_stores_nothing(world, admin, tmp_path):
    path = tmp_path / "台账.xlsx"
    path.write_bytes(xlsx_bytes(ledger_rows(count=2)))
    out = io.StringIO()
    call_command("import_ledger", str(path), "--organization", str(world.branch.pk), "--dry-run", stdout=out)
    assert (
        out.getvalue().strip()
        == "Dry run, nothing stored: would have 2 created, 0 updated, 0 unchanged, 0 people created."
    )
    assert not Item.objects.exists()


def test_import_ledger_reports_row_errors_and_stores_nothing(world, admin, tmp_path):
    rows = ledger_rows(count=2)
    rows[2][8] = "下月底"
    path = tmp_path / "台账.xlsx"
    path.write_bytes(xlsx_bytes(rows))
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 problems; nothing was stored."):
        call_command("import_ledger", str(path), "--organization", "机运", stderr=err)
    assert "3: 整改时限 (I3): Date not understood" in err.getvalue()
    assert not Item.objects.exists()


def test_import_ledger_refuses_bad_files_and_unknown_organizations(world, admin, tmp_path):
    path = tmp_path / "台账.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(CommandError, match=r"old Excel file \(.xls\)"):
        call_command("import_ledger", str(path), "--organization", "机运")
    with pytest.raises(CommandError, match="No single organization"):
        call_command("import_ledger", str(path), "--organization", "不存在")
    with pytest.raises(CommandError, match="No such active user"):
        call_command("import_ledger", str(path), "--organization", "机运", "--user", "nobody")


def test_bench_import_prints_figures_and_leaves_nothing(db):
    out = io.StringIO()
    call_command("bench_import", "--rows", "20", "--layout-rows", "10", "--padded-rows", "50", stdout=out)
    assert out.getvalue().startswith("import 20 rows: ")
    assert "openpyxl read-only floor" in out.getvalue()
    assert "peak RSS" in out.getvalue()
    assert "import 10 rows with title rows and merged problem cells" in out.getvalue()
    assert "read six rows in a sheet formatted to row 50" in out.getvalue()
    assert not Item.objects.exists()
    assert not Organization.objects.exists()
