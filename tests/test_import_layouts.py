"""Ledgers as offices keep them (tests/layouts.py, written by XlsxWriter), read right or refused
per cell: through the web preview (upload → preview → confirm), `import_ledger`, and the rows."""

import datetime
import io
import subprocess

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from ledger.imports import reading
from ledger.imports.reading import SheetRefused, open_table
from ledger.imports.rows import Placeholder, prepare, row_messages, section_key
from ledger.models import Issue, Item
from tests import layouts
from tests.factories import category
from tests.sheet_files import soffice, upload

pytestmark = pytest.mark.usefixtures("english", "import_dir")


def preview_of(world, content, name="台账.xlsx", **kwargs):
    return prepare(open_table(io.BytesIO(content), name), world.committee, world.branch, **kwargs)


def uploaded(client, world, content, name="台账.xlsx"):
    client.force_login(world.committee)
    response = client.post(
        reverse("ledger:import"), {"file": upload(content, name), "organization": world.branch.pk}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return response.url, response.url.rstrip("/").rsplit("/", 1)[-1]


# ---------------------------------------------------------------------------------------------
# Merged problem cells, the instructions sheet, sub-headings, names, footers


def test_merged_problem_cells_make_items_of_one_issue(world):
    preview = preview_of(world, layouts.merged_ledger())
    assert preview.sheets == [(0, "填报说明"), (1, "整改台账")]
    assert preview.sheet == 1  # the sheet that looks like a ledger
    assert preview.is_valid, [row_messages(row) for row in preview.rows]
    assert [row.number for row in preview.rows] == [4, 5, 6, 7]  # footers and 说明 are not rows
    first, second, third, other = (row.values for row in preview.rows)
    for values in (first, second, third):
        assert values["serial"] == "1"
        assert values["description"] == "班前会安全讲评流于形式"
        assert values["category"] == category("安全")
        assert values["leader"] == world.leader
        assert values["owner"] == world.owner  # 王  强, 王　强 and "王强、杨帆" are 王强
        assert values["department"] == "机运工区"
    assert [first["deadline"], second["deadline"], third["deadline"]] == [
        datetime.date(2026, 12, 31),
        datetime.date(2027, 6, 30),
        datetime.date(2026, 11, 30),
    ]
    assert third["co_owners"] == [world.member]
    assert first["co_owners"] == []
    assert third["completed_on"] == datetime.date(2026, 11, 20)
    assert "completed_on" not in first
    assert other["serial"] == "2"
    assert other["deadline"] == datetime.date(2026, 12, 31)  # 2026.12 as a number: not 1905-07-18
    assert other["owner"] == world.member
    assert preview.rows[2].cell("owner") == "G6"
    assert preview.rows[2].heading("owner") == "责任人（签字）"
    assert [(c.letter, c.field) for c in preview.columns if c.field][-2:] == [
        ("H", "deadline"),
        ("I", "completed_on"),
    ]


def test_the_web_import_reads_the_ledger_sheet_and_stores_one_issue(client, world, import_dir):
    url, token = uploaded(client, world, layouts.merged_ledger())
    assert len(list(import_dir.iterdir())) == 1  # the cache of the rows, not the file
    page = client.get(url).content.decode()
    assert '<option value="1" selected>整改台账</option>' in page
    assert "责任人（签字）" in page  # the file's own headings
    assert 'data-cell="D5"' in page
    response = client.post(reverse("ledger:import_confirm", args=[token]), {"sheet": "1"})
    assert response.status_code == 302, response.content.decode()[:3000]
    items = Item.objects.order_by("deadline", "pk")
    assert items.count() == 4
    safety = Issue.objects.get(description="班前会安全讲评流于形式")
    assert sorted(safety.items.values_list("measures", flat=True)) == sorted(
        ["修订班前会制度", "每周抽查班前会记录", "开展安全讲评培训"]
    )
    assert {item.owner for item in safety.items.all()} == {world.owner}
    assert {item.leader for item in safety.items.all()} == {world.leader}
    assert safety.category == category("安全")
    assert Item.objects.get(measures="每季度到班组蹲点调研").deadline == datetime.date(2026, 12, 31)
    assert Item.objects.get(measures="修订班前会制度").deadline == datetime.date(2026, 12, 31)


def test_the_user_may_read_another_sheet(client, world):
    url, _token = uploaded(client, world, layouts.merged_ledger())
    page = client.get(url, {"sheet": "0"}).content.decode()
    assert '<option value="0" selected>填报说明</option>' in page
    assert "Store all rows" not in page


def test_the_command_reads_the_ledger_sheet_or_the_sheet_it_is_told(world, tmp_path):
    path = tmp_path / "台账.xlsx"
    path.write_bytes(layouts.merged_ledger())
    args = ["import_ledger", str(path), "--organization", "机运", "--user", "branch_secretary"]
    out = io.StringIO()
    call_command(*args, "--dry-run", stdout=out)
    assert "Reading the sheet “整改台账”." in out.getvalue()
    assert "would have 4 created" in out.getvalue()
    # Told to read the instructions, it finds no ledger there and stores nothing.
    with pytest.raises(CommandError):
        call_command(*args, "--sheet", "填报说明", stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError, match="no sheet “台账二”; its sheets: 填报说明、整改台账"):
        call_command(*args, "--sheet", "台账二", stdout=io.StringIO())
    out = io.StringIO()
    call_command(*args, "--sheet", "2", stdout=out)
    assert "Reading the sheet “整改台账”." in out.getvalue()
    assert Item.objects.count() == 4


def test_two_names_in_one_cell_are_the_owner_and_a_co_owner_never_one_placeholder(world):
    names = ["王强、杨帆", "王强/杨帆", "王强,杨帆", "王强，杨帆", "王强 杨帆", " 王　强 \n"]
    preview = preview_of(world, layouts.dated_ledger(["2026-12-31"] * len(names), owners=names))
    assert preview.is_valid, [row_messages(row) for row in preview.rows]
    assert [row.values["owner"] for row in preview.rows] == [world.owner] * len(names)
    assert [row.values["co_owners"] for row in preview.rows] == [[world.member]] * 5 + [[]]
    assert preview.unknown_names == []


def test_unknown_people_in_one_cell_become_two_placeholders(world):
    content = layouts.dated_ledger(["2026-12-31"], owners=["孙 丽、周　涛\n"])
    preview = preview_of(world, content, create_people=True)
    assert preview.is_valid
    (row,) = preview.rows
    assert row.values["owner"] == Placeholder("孙丽")
    assert row.values["co_owners"] == [Placeholder("周涛")]
    assert preview.unknown_names == ["周涛", "孙丽"]


# ---------------------------------------------------------------------------------------------
# Deadlines as written


@pytest.mark.parametrize(
    "written, date",
    [
        ("2026年12月底", datetime.date(2026, 12, 31)),
        ("2027年6月底前", datetime.date(2027, 6, 30)),
        ("2026年11月30日前", datetime.date(2026, 11, 30)),
        ("2026年12月", datetime.date(2026, 12, 31)),
        ("2026.12.31前", datetime.date(2026, 12, 31)),
        ("2027年3月31日之前", datetime.date(2027, 3, 31)),
        ("2027年2月底", datetime.date(2027, 2, 28)),
        ("2026.12", datetime.date(2026, 12, 31)),
        (2026.12, datetime.date(2026, 12, 31)),
        (2027.3, datetime.date(2027, 3, 31)),
        (20261231, datetime.date(2026, 12, 31)),
        ("20261231", datetime.date(2026, 12, 31)),
    ],
)
def test_deadlines_as_people_write_them(world, written, date):
    preview = preview_of(world, layouts.dated_ledger([written]))
    assert preview.is_valid, [row_messages(row) for row in preview.rows]
    assert preview.rows[0].values["deadline"] == date


@pytest.mark.parametrize(
    "written, message",
    [
        (
            "2026年底",
            "整改时限 (D2): Date not understood; write it as 2026-11-30, 2026年11月底, 长期坚持 or 立行立改.",
        ),
        (
            "12月底",
            "整改时限 (D2): Date not understood; write it as 2026-11-30, 2026年11月底, 长期坚持 or 立行立改.",
        ),
        (
            "2026年第四季度",
            "整改时限 (D2): Date not understood; write it as 2026-11-30, 2026年11月底, 长期坚持 or 立行立改.",
        ),
        (2026.1, "整改时限 (D2): 2026.1 may be January or October: write 2026年1月 or 2026年10月."),
        (
            1234,
            "整改时限 (D2): Date not understood; write it as 2026-11-30, 2026年11月底, 长期坚持 or 立行立改.",
        ),
    ],
)
def test_ambiguous_deadlines_are_refused_per_cell(world, written, message):
    preview = preview_of(world, layouts.dated_ledger([written]))
    assert not preview.is_valid
    assert row_messages(preview.rows[0]) == [message]


def test_the_date_raised_is_the_files_in_a_chinese_date_format(world, tmp_path):
    content = layouts.dated_ledger(["2026年12月底"], raised=[datetime.datetime(2026, 10, 9)])
    preview = preview_of(world, content)
    assert preview.rows[0].values["raised_on"] == datetime.date(2026, 10, 9)
    path = tmp_path / "台账.xlsx"
    path.write_bytes(content)
    call_command(
        "import_ledger",
        str(path),
        "--organization",
        "机运",
        "--user",
        "branch_secretary",
        stdout=io.StringIO(),
    )
    assert Issue.objects.get().raised_on == datetime.date(2026, 10, 9)


def test_long_term_with_a_date_is_reviewed_on_that_date(world):
    preview = preview_of(world, layouts.dated_ledger(["长期坚持（2026年12月底）", "长期坚持"]))
    assert preview.is_valid, [row_messages(row) for row in preview.rows]
    dated, plain = (row.values for row in preview.rows)
    assert (dated["kind"], dated["deadline"], dated["next_review_on"]) == (
        Item.Kind.LONG_TERM,
        None,
        datetime.date(2026, 12, 31),
    )
    assert plain["kind"] == Item.Kind.LONG_TERM


# ---------------------------------------------------------------------------------------------
# Section titles


def test_section_titles_set_the_category_or_are_refused_per_cell(world):
    preview = preview_of(world, layouts.sectioned_ledger())
    assert [row.number for row in preview.rows] == [3, 5, 6]
    safety, politics, _study = preview.rows
    assert safety.values["category"] == category("安全")  # 一、安全生产方面
    assert not safety.errors
    assert row_messages(politics) == [
        "Category (A4): The section title “二、思想政治方面” names no known category: choose its category "
        "above the rows, or write the category in a column."
    ]
    assert politics.values["deadline"] == datetime.date(2026, 12, 31)
    assert preview.message_count == 2 and preview.error_row_count == 2
    chosen = preview_of(
        world, layouts.sectioned_ledger(), sections={section_key("二、思想政治方面"): category("党建").pk}
    )
    assert chosen.is_valid
    assert [row.values["category"] for row in chosen.rows] == [
        category("安全"),
        category("党建"),
        category("党建"),
    ]


def test_the_preview_offers_a_category_per_section_title_and_stores_it(client, world):
    url, token = uploaded(client, world, layouts.sectioned_ledger())
    page = client.get(url).content.decode()
    assert "2 rows with 2 problems." in page
    key = section_key("二、思想政治方面")
    assert f'name="{key}"' in page
    choice = {"sheet": "0", key: str(category("党建").pk)}
    page = client.get(url, choice).content.decode()
    assert "Store all rows" in page
    response = client.post(reverse("ledger:import_confirm", args=[token]), choice)
    assert response.status_code == 302
    assert Issue.objects.get(description="理论学习不系统").category == category("党建")
    assert Issue.objects.get(description="隐患排查不彻底").category == category("安全")
    assert Item.objects.get(measures="开展专题研讨").deadline == datetime.date(2027, 3, 31)


# ---------------------------------------------------------------------------------------------
# Hidden original deadline, states, progress, formulas with values


def test_hidden_original_deadline_states_progress_and_formulas(world):
    preview = preview_of(world, layouts.extended_ledger())
    assert preview.is_valid, [row_messages(row) for row in preview.rows]
    fields = {c.letter: c.field for c in preview.columns}
    assert (fields["E"], fields["F"]) == ("original_deadline", "deadline")
    rows = [row.values for row in preview.rows]
    assert [values["deadline"] for values in rows] == [
        datetime.date(2026, 12, 31),
        datetime.date(2027, 3, 31),
        datetime.date(2026, 12, 31),
        datetime.date(2026, 11, 15),
    ]
    assert rows[0]["original_deadline"] == datetime.date(2026, 10, 31)
    assert [values["percent"] for values in rows] == [50, 60, 30, 100]  # 1 in a percent cell is 100 %
    assert "progress" not in rows[0]  # a percent without a progress text is kept
    assert [values["status"] for values in rows] == [
        Item.Status.IN_PROGRESS,  # the formula's value
        Item.Status.IN_PROGRESS,  # 正在整改
        Item.Status.OPEN,
        Item.Status.CLOSED,  # the formula's value, 已完成
    ]
    assert rows[0]["closure_criteria"] == "巡检表覆盖全部设备"
    assert rows[1]["remarks"] == "已延期一次"
    assert rows[0]["co_owners"] == [world.member]


def test_import_ledger_stores_the_extended_ledger(world, tmp_path):
    path = tmp_path / "台账.xlsx"
    path.write_bytes(layouts.extended_ledger())
    out = io.StringIO()
    call_command(
        "import_ledger", str(path), "--organization", "机运", "--user", "branch_secretary", stdout=out
    )
    assert "4 created" in out.getvalue()
    item = Item.objects.get(measures="修订巡检表")
    assert item.deadline == datetime.date(2026, 12, 31)
    assert item.owner == world.owner


def test_import_ledger_stores_merged_cells_from_the_ledger_sheet(world, tmp_path):
    path = tmp_path / "台账.xlsx"
    path.write_bytes(layouts.merged_ledger())
    call_command(
        "import_ledger",
        str(path),
        "--organization",
        "机运",
        "--user",
        "branch_secretary",
        stdout=io.StringIO(),
    )
    assert Issue.objects.count() == 2
    assert Issue.objects.get(description="班前会安全讲评流于形式").items.count() == 3


def test_a_formula_without_a_value_is_refused_per_cell(world):
    content = layouts.dated_ledger(["2026-12-31"])
    # XlsxWriter keeps 0 as a formula's value unless told; LibreOffice and Excel keep the real one.
    preview = preview_of(world, content)
    assert preview.is_valid
    parsed = prepare(
        open_table(io.BytesIO(_formula_without_value()), "台账.xlsx"), world.committee, world.branch
    )
    assert row_messages(parsed.rows[0]) == [
        "整改措施 (B2): This cell holds a formula; formulas are not imported. Paste its value instead."
    ]


def _formula_without_value():
    # A package whose formula cell has no <v>: as written by tools that do not compute.
    import zipfile

    target, book = layouts._book()
    sheet = book.add_worksheet("台账")
    sheet.write_row("A1", ["存在问题", "整改措施", "责任人", "整改时限"])
    sheet.write_row("A2", ["问题", "", "王强", "2026-12-31"])
    sheet.write_formula("B2", '="措施"&A2', None, "")
    content = layouts._done(target, book)
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith("sheet1.xml"):
                data = data.replace(b"<v></v>", b"").replace(b"<v/>", b"")
            package.writestr(info, data)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# Padded used ranges


@pytest.fixture(scope="session")
def padded_file(tmp_path_factory):
    return layouts.padded_ledger(tmp_path_factory.mktemp("padded") / "padded.xlsx")


def test_a_sheet_formatted_to_the_last_row_is_read_for_its_data(world, padded_file, monkeypatch):
    # The file is bigger than the data limit; its data is six rows.
    monkeypatch.setattr(reading, "MAX_MB", 0.1)
    assert padded_file.stat().st_size > 0.1 * 1024 * 1024
    with padded_file.open("rb") as file:
        table = open_table(file, "padded.xlsx")
    preview = prepare(table, world.committee, world.branch)
    assert preview.is_valid, [row_messages(row) for row in preview.rows]
    assert preview.row_count == 6
    assert [row.values["measures"] for row in preview.rows] == [f"措施{n}" for n in range(1, 7)]


def test_a_row_of_data_far_below_the_padding_is_read(world, tmp_path):
    path = layouts.padded_ledger(
        tmp_path / "late.xlsx", last_row=120_000, bordered_rows=120_000, late_row=99_999
    )
    with path.open("rb") as file:
        preview = prepare(open_table(file, "late.xlsx"), world.committee, world.branch)
    assert preview.is_valid, [row_messages(row) for row in preview.rows]
    assert [row.number for row in preview.rows] == [2, 3, 4, 5, 6, 7, 100_000]
    assert preview.rows[-1].values["deadline"] == datetime.date(2026, 12, 31)


def test_the_data_limit_still_refuses_a_ledger_of_too_much_data(monkeypatch):
    monkeypatch.setattr(reading, "MAX_MB", 0.0001)
    with pytest.raises(SheetRefused) as refused:
        open_table(io.BytesIO(layouts.extended_ledger()), "台账.xlsx")
    assert "MB of data" in refused.value.message


# ---------------------------------------------------------------------------------------------
# The three lists


def test_the_three_lists_are_joined_by_serial(world):
    preview = preview_of(world, layouts.three_lists())
    assert preview.sheets[-1] == (3, "问题清单 + 任务清单 + 责任清单")
    assert preview.sheet == 3
    assert preview.is_valid, [row_messages(row) for row in preview.rows]
    rows = [row.values for row in preview.rows]
    assert [(v["serial"], v["description"], v["measures"]) for v in rows] == [
        ("1", "隐患整改不闭环", "建立隐患销号制度"),
        ("1", "隐患整改不闭环", "每月通报整改进度"),
        ("2", "会议多、落实少", "精简会议"),
    ]
    assert [v["owner"] for v in rows] == [world.owner, world.owner, world.member]
    assert [v["deadline"] for v in rows] == [
        datetime.date(2026, 12, 31),
        datetime.date(2026, 12, 31),
        datetime.date(2027, 3, 31),
    ]
    assert rows[0]["closure_criteria"] == "隐患全部销号"
    assert rows[2]["department"] == "综合办"
    assert rows[0]["category"] == category("安全")
    assert preview.rows[2].cell("description") == "问题清单!C3"
    assert preview.rows[2].cell("owner") == "责任清单!D3"
    assert preview.rows[2].cell("measures") == "任务清单!B4"


def test_a_task_of_a_serial_the_problems_lack_is_refused_per_cell(world):
    preview = preview_of(world, layouts.three_lists(orphan=True))
    assert not preview.is_valid
    (refused,) = [row for row in preview.rows if row.errors]
    assert refused.number == 5
    assert sorted(row_messages(refused)) == [
        "Deadline: Give the deadline: a date, 长期坚持 or 立行立改.",  # no row of 责任清单 either
        "Issue description: No row of 问题清单 has the 序号 “3”.",
    ]


def test_the_three_lists_through_the_web(client, world):
    url, token = uploaded(client, world, layouts.three_lists())
    page = client.get(url).content.decode()
    assert "问题清单 + 任务清单 + 责任清单" in page
    response = client.post(reverse("ledger:import_confirm", args=[token]), {"sheet": "3"})
    assert response.status_code == 302
    issue = Issue.objects.get(description="隐患整改不闭环")
    assert sorted(issue.items.values_list("measures", flat=True)) == ["建立隐患销号制度", "每月通报整改进度"]
    assert Item.objects.get(measures="精简会议").owner == world.member


# ---------------------------------------------------------------------------------------------
# Saved again by LibreOffice: its own XML (styles, merged ranges, formulas it computed itself)


def resaved_by_libreoffice(content, tmp_path):
    source = tmp_path / "source" / "台账.xlsx"
    source.parent.mkdir()
    source.write_bytes(content)
    out = tmp_path / "out"
    subprocess.run(
        [soffice(), f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to", "xlsx"]
        + ["--outdir", str(out), str(source)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return (out / "台账.xlsx").read_bytes()


def test_a_merged_ledger_saved_by_libreoffice(world, tmp_path):
    assert soffice(), "LibreOffice is installed by `make test` (scripts/apt-install.sh)"
    content = resaved_by_libreoffice(layouts.merged_ledger(), tmp_path)
    preview = preview_of(world, content)
    assert preview.sheet == 1
    assert preview.is_valid, [row_messages(row) for row in preview.rows]
    assert [row.values["description"] for row in preview.rows] == ["班前会安全讲评流于形式"] * 3 + [
        "调查研究不深入"
    ]
    assert [row.values["deadline"] for row in preview.rows] == [
        datetime.date(2026, 12, 31),
        datetime.date(2027, 6, 30),
        datetime.date(2026, 11, 30),
        datetime.date(2026, 12, 31),
    ]
    assert preview.rows[2].values["co_owners"] == [world.member]


def test_an_extended_ledger_saved_by_libreoffice(world, tmp_path):
    content = resaved_by_libreoffice(layouts.extended_ledger(), tmp_path)
    preview = preview_of(world, content)
    assert preview.is_valid, [row_messages(row) for row in preview.rows]
    assert [c.field for c in preview.columns][4:6] == ["original_deadline", "deadline"]
    rows = [row.values for row in preview.rows]
    assert [values["percent"] for values in rows] == [50, 60, 30, 100]
    assert [values["status"] for values in rows] == [
        Item.Status.IN_PROGRESS,
        Item.Status.IN_PROGRESS,
        Item.Status.OPEN,
        Item.Status.CLOSED,
    ]


def test_shared_texts_far_beyond_the_data_limit_are_refused_before_they_are_read(monkeypatch):
    monkeypatch.setattr(reading, "MAX_MB", 0.0001)  # 8 × 105 bytes of shared texts at most
    with pytest.raises(SheetRefused) as refused:
        open_table(io.BytesIO(layouts.merged_ledger()), "台账.xlsx")
    assert refused.value.message == (
        "The file holds more than 0.0001 MB of data; a ledger holds far less. Split the ledger."
    )


@pytest.mark.parametrize(
    "written, percent", [("60%", 60), ("60 %", 60), ("30", 30), ("0.5", 50), ("100%", 100), ("12.5%", 13)]
)
def test_progress_as_written_in_a_csv(world, written, percent):
    content = f"存在问题,整改措施,整改时限,完成进度\n问题,措施,2026-12-31,{written}\n".encode()
    preview = preview_of(world, content, name="台账.csv")
    assert preview.is_valid, [row_messages(row) for row in preview.rows]
    assert preview.rows[0].values["percent"] == percent


def test_long_term_in_the_kind_column_with_a_date_is_stored_with_that_review(world, tmp_path):
    target, book = layouts._book()
    sheet = book.add_worksheet("台账")
    sheet.write_row("A1", ["存在问题", "整改措施", "责任人", "整改类型", "整改时限"])
    sheet.write_row("A2", ["学习不经常", "坚持每周学习", "王强", "长期坚持", "2027年3月底"])
    path = tmp_path / "台账.xlsx"
    path.write_bytes(layouts._done(target, book))
    call_command(
        "import_ledger",
        str(path),
        "--organization",
        "机运",
        "--user",
        "branch_secretary",
        stdout=io.StringIO(),
    )
    item = Item.objects.get()
    assert (item.kind, item.deadline, item.next_review_on) == (
        Item.Kind.LONG_TERM,
        None,
        datetime.date(2027, 3, 31),
    )


def test_merged_ranges_beyond_the_columns_read_are_left_alone(world):
    target, book = layouts._book()
    sheet = book.add_worksheet("台账")
    sheet.write_row("A1", ["存在问题", "整改措施", "责任人", "整改时限"])
    sheet.write_row("A2", ["问题", "措施", "王强", "2026-12-31"])
    sheet.merge_range("XFA2:XFD1048576", "远处的合并单元格")
    preview = preview_of(world, layouts._done(target, book))
    assert preview.is_valid
    assert preview.width == 4


# ---------------------------------------------------------------------------------------------
# The light (亮灯): derived, never imported


def test_a_light_column_is_left_out_not_refused(world):
    preview = preview_of(world, layouts.lit_ledger())
    assert preview.is_valid, preview.problems or [row_messages(row) for row in preview.rows]
    assert [(column.heading, column.field) for column in preview.columns][2] == ("亮灯", "")
    assert [(column.heading, column.field) for column in preview.columns][5] == ("Light", "")
    assert all("light" not in row.values for row in preview.rows)


def test_a_light_column_imports_through_the_web_and_the_command(client, world, tmp_path):
    url, token = uploaded(client, world, layouts.lit_ledger())
    page = client.get(url).content.decode()
    assert "亮灯" in page  # shown as the file's heading, left out
    response = client.post(reverse("ledger:import_confirm", args=[token]), {"sheet": "0"})
    assert response.status_code == 302, response.content.decode()[:3000]
    stored = Item.objects.order_by("measures")
    assert [(i.measures, i.owner, i.deadline) for i in stored] == [
        ("措施1", world.owner, datetime.date(2026, 12, 31)),
        ("措施2", world.member, datetime.date(2027, 3, 31)),
    ]
    path = tmp_path / "亮灯.xlsx"
    path.write_bytes(layouts.lit_ledger())
    out = io.StringIO()
    call_command(
        "import_ledger", str(path), "--organization", "机运", "--user", "branch_secretary", stdout=out
    )
    assert "0 created, 0 updated, 2 unchanged" in out.getvalue()
