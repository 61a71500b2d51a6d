"""Row identity of imports (issue 11): a row is its reference number, else its 序号 and its
position in its problem, else its texts and the ordinal of identical rows; never its problem and
measure text alone. Files are written by XlsxWriter."""

import io

import pytest
import xlsxwriter
from django.core.management import call_command
from django.urls import reverse

from core.models import Organization, User
from ledger import exporter
from ledger.imports.reading import read_table
from ledger.imports.rows import Row, legacy_row_key, prepare, row_key
from ledger.imports.storing import Identities, commit
from ledger.models import ImportedRow, Item
from tests.sheet_files import read_xlsx, upload

pytestmark = pytest.mark.usefixtures("english", "import_dir")

HEADINGS = ["问题描述", "问题类别", "整改措施", "责任部门", "责任人", "整改时限"]


def xlsx(rows):
    """An .xlsx written by XlsxWriter: the rows as given, from A1."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet("台账")
    for number, row in enumerate(rows):
        sheet.write_row(number, 0, row)
    workbook.close()
    return buffer.getvalue()


def same_measure_for_three_departments():
    measure = "组织全员重新学习作业规程"
    return [
        HEADINGS,
        ["班前会安全讲评流于形式", "安全", measure, "机运工区", "王强", "2027-03-01"],
        ["班前会安全讲评流于形式", "安全", measure, "调度室", "王强", "2027-04-01"],
        ["班前会安全讲评流于形式", "安全", measure, "安监处", "王强", "2027-05-01"],
    ]


def web_import(client, user, organization, content, name="整改台账.xlsx", data=None):
    """Upload, preview, confirm through the pages; returns the confirmation's response."""
    client.force_login(user)
    response = client.post(
        reverse("ledger:import"), {"file": upload(content, name), "organization": organization.pk}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    preview = client.get(response.url)
    assert preview.status_code == 200
    token = response.url.rstrip("/").rsplit("/", 1)[-1]
    return client.post(reverse("ledger:import_confirm", args=[token]), data or {}), preview


def test_keys_by_reference_serial_or_texts_with_an_ordinal(world):
    org = world.branch
    assert row_key({"reference": "机运-2026-007", "serial": "3", "organization": org}) == "r:机运-2026-007"
    assert row_key({"serial": " 3 ", "description": "问题", "measures": "措施"}, 1).startswith("s:3:1:")
    # The same 序号 with the same problem is the same row whatever its measure; another
    # problem under that number (another year's ledger) is another row.
    assert row_key({"serial": "3", "description": "问题", "measures": "另一措施"}, 1) == row_key(
        {"serial": "3", "description": "问题", "measures": "措施"}, 1
    )
    assert row_key({"serial": "3", "description": "另一问题"}, 1) != row_key(
        {"serial": "3", "description": "问题"}, 1
    )
    texts = {"description": "问题  一", "measures": "措施", "organization": org}
    assert row_key(texts, 0) != row_key(texts, 1)
    assert row_key(texts) == row_key({**texts, "description": "问题 一"})  # blanks normalised
    assert len(row_key({"serial": "序" * 80})) <= 64


def test_identities_count_rows_of_one_problem_and_identical_rows_in_file_order(world):
    identities = Identities()

    def row(number, **values):
        return identities.assign(Row(number=number, values={"organization": world.branch, **values}))

    first = row(2, serial="1", description="问题一", measures="措施甲")
    second = row(3, serial="1", description="问题一", measures="措施乙")
    other = row(4, serial="2", description="问题二", measures="措施甲")
    plain = [row(number, description="问题三", measures="措施") for number in (5, 6)]
    assert [key.rsplit(":", 1)[0] for key in (first.key, second.key, other.key)] == [
        "s:1:0",
        "s:1:1",
        "s:2:0",
    ]
    assert plain[0].key.endswith(":0") and plain[1].key.endswith(":1")


def test_one_problem_with_the_same_measure_for_three_departments_is_three_items(client, world):
    response, _preview = web_import(
        client, world.committee, world.branch, xlsx(same_measure_for_three_departments())
    )
    assert response.status_code == 302
    items = Item.objects.filter(organization=world.branch).order_by("deadline")
    assert [(item.department, str(item.deadline)) for item in items] == [
        ("机运工区", "2027-03-01"),
        ("调度室", "2027-04-01"),
        ("安监处", "2027-05-01"),
    ]
    assert len({item.issue_id for item in items}) == 1
    # Imported again: each row meets its own item; nothing is created twice.
    web_import(client, world.committee, world.branch, xlsx(same_measure_for_three_departments()))
    assert Item.objects.filter(organization=world.branch).count() == ImportedRow.objects.count() == 3


def with_serials(preview, serials):
    """The preview's rows with the 序号 the reading half gives (`Row.values["serial"]`)."""
    parse = preview.parse

    def parse_with_serials():
        for row in parse():
            row.values["serial"] = serials[row.number]
            yield row

    preview.parse = parse_with_serials
    return preview


def test_a_reworded_measure_of_a_row_with_a_serial_updates_its_item(world):
    rows = [
        HEADINGS,
        ["学习流于形式", "安全", "每周学习一次", "机运工区", "王强", "2027-03-01"],
        ["学习流于形式", "安全", "每月考试一次", "机运工区", "王强", "2027-03-01"],
    ]
    serials = {2: "1", 3: "1"}

    def imported(content):
        preview = prepare(read_table(io.BytesIO(content), "台账.xlsx"), world.committee, world.branch)
        return commit(with_serials(preview, serials), world.committee, "台账.xlsx")

    imported(xlsx(rows))
    keys = sorted(ImportedRow.objects.values_list("key", flat=True))
    assert [key.rsplit(":", 1)[0] for key in keys] == ["s:1:0", "s:1:1"]
    rows[2][2] = "每月组织闭卷考试一次"  # v2 rewords the second measure
    result = imported(xlsx(rows))
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    second = ImportedRow.objects.get(key=keys[1]).item
    assert second.measures == "每月组织闭卷考试一次"
    assert Item.objects.count() == 2
    # Another ledger numbering its own problems from 1 (next year's) makes items of its own.
    rows[1][0] = rows[2][0] = "制度执行不严"
    result = imported(xlsx(rows))
    assert (result.created, result.updated) == (2, 0)
    assert Item.objects.count() == 4


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=io.StringIO())
    return User.objects.get(username="admin"), Organization.objects.get(parent=None)


@pytest.mark.parametrize("name, suffix", [("ledger:export_xlsx", "xlsx"), ("ledger:export_csv", "csv")])
def test_the_demo_ledgers_export_imports_back_without_changes(client, demo, name, suffix):
    """Today a 500: two demo items with the same problem and measures got the same key."""
    admin, company = demo
    client.force_login(admin)
    content = client.get(reverse(name)).content
    before = Item.objects.count()
    shown = Item.objects.exclude(status=Item.Status.WITHDRAWN).count()  # the export leaves them out
    response, preview = web_import(client, admin, company, content, name="台账." + suffix)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert "Store all rows" in preview.content.decode()
    follow = client.get(response.url).content.decode()
    assert f"Imported “台账.{suffix}”" in follow
    assert f"0 items created, 0 updated, {shown} unchanged" in follow, follow[follow.find("Imported") :][:300]
    assert Item.objects.count() == before


def test_the_import_page_offers_the_ledger_template_with_the_exports_columns(client, world):
    client.force_login(world.committee)
    page = client.get(reverse("ledger:import")).content.decode()
    assert reverse("ledger:import_template") in page
    response = client.get(reverse("ledger:import_template"))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="ledger-template.xlsx"'
    sheet = read_xlsx(response.content).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    # The export's columns but the derived light (亮灯), which nobody fills in.
    assert rows == [tuple(column.heading for column in exporter.COLUMNS if column.field != "light")]
    assert "light" in [column.field for column in exporter.COLUMNS]
    assert client.post(reverse("ledger:import_template")).status_code == 405


def test_only_the_committee_downloads_the_template(client, world):
    client.force_login(world.owner)
    assert client.get(reverse("ledger:import_template")).status_code == 403


def test_rows_imported_under_the_old_key_are_recognised_once_and_given_the_new_one(world):
    """Before issue 11 a row's key was a digest of its problem and measure texts."""
    rows = same_measure_for_three_departments()[:3]  # two rows with the same texts

    def imported():
        preview = prepare(read_table(io.BytesIO(xlsx(rows)), "台账.xlsx"), world.committee, world.branch)
        return commit(preview, world.committee, "台账.xlsx")

    imported()
    first = Item.objects.get(department="机运工区")
    ImportedRow.objects.exclude(item=first).delete()  # the second row's item: not recognised now
    ImportedRow.objects.filter(item=first).update(
        key=legacy_row_key({"description": rows[1][0], "measures": rows[1][2]})
    )
    result = imported()
    assert (result.created, result.unchanged) == (1, 1)
    assert ImportedRow.objects.get(item=first).key.startswith("t:")
