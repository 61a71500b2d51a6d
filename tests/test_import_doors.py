"""Layouts of issue 11 stored through both doors, the web preview and confirmation and
`import_ledger`, from files XlsxWriter wrote, and the stored items read back cell by cell (the
layout tests check most of them in the preview only)."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from ledger.models import Item
from tests import layouts
from tests.sheet_files import upload

pytestmark = pytest.mark.usefixtures("english", "import_dir")

DOORS = ["web", "command"]


def store(door, client, world, content, tmp_path, sheet=0):
    """Import `content` into the branch as its committee member, through `door`."""
    if door == "web":
        client.force_login(world.committee)
        response = client.post(
            reverse("ledger:import"), {"file": upload(content, "台账.xlsx"), "organization": world.branch.pk}
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        token = response.url.rstrip("/").rsplit("/", 1)[-1]
        assert client.get(response.url).status_code == 200  # the preview
        response = client.post(reverse("ledger:import_confirm", args=[token]), {"sheet": str(sheet)})
        assert response.status_code == 302, response.content.decode()[:3000]
        return
    path = tmp_path / "台账.xlsx"
    path.write_bytes(content)
    out = io.StringIO()
    call_command(
        "import_ledger",
        str(path),
        "--organization",
        "机运",
        "--user",
        "branch_secretary",
        "--sheet",
        str(sheet + 1),
        stdout=out,
    )
    assert " created" in out.getvalue()


WRITTEN = [
    ("2026年12月底", datetime.date(2026, 12, 31)),
    ("2027年6月底前", datetime.date(2027, 6, 30)),
    ("2026年11月30日前", datetime.date(2026, 11, 30)),
    ("2026年12月", datetime.date(2026, 12, 31)),
    ("2026.12.31前", datetime.date(2026, 12, 31)),
    ("2027年3月31日之前", datetime.date(2027, 3, 31)),
    (2026.12, datetime.date(2026, 12, 31)),
    (20261231, datetime.date(2026, 12, 31)),
]
NAMES = ["王强、杨帆", "王强/杨帆", "王强,杨帆", "王  强", "王　强", " 王强\n", "杨帆", "王强，杨帆"]


@pytest.mark.parametrize("door", DOORS)
def test_deadlines_and_names_as_written_are_stored(door, client, world, tmp_path):
    content = layouts.dated_ledger([written for written, _date in WRITTEN], owners=NAMES)
    store(door, client, world, content, tmp_path)
    items = {item.measures: item for item in Item.objects.all()}
    assert len(items) == len(WRITTEN)
    for number, ((_written, date), name) in enumerate(zip(WRITTEN, NAMES, strict=True), start=1):
        item = items[f"措施{number}"]
        assert item.issue.description == f"问题{number}"
        assert item.deadline == date, (number, item.deadline)
        two = "杨帆" in name and "王" in name
        assert item.owner == (world.member if name == "杨帆" else world.owner)
        assert item.co_owner_people == ([world.member] if two else [])
    # No placeholder was made for a cell naming two people.
    assert not type(world.owner).objects.filter(is_placeholder=True).exists()


@pytest.mark.parametrize("door", DOORS)
def test_the_extended_ledger_is_stored_with_states_progress_and_its_extra_columns(
    door, client, world, tmp_path
):
    store(door, client, world, layouts.extended_ledger(), tmp_path)
    stored = [
        (
            item.measures,
            item.original_deadline,
            item.deadline,
            item.progress,
            item.status,
            item.closure_criteria,
            item.remarks,
            item.co_owner_people,
        )
        for item in Item.objects.order_by("sequence")
    ]
    assert stored == [
        (
            "修订巡检表",
            datetime.date(2026, 10, 31),
            datetime.date(2026, 12, 31),
            50,
            Item.Status.IN_PROGRESS,
            "巡检表覆盖全部设备",
            "",
            [world.member],
        ),
        (
            "推行交接班清单",
            datetime.date(2026, 9, 30),
            datetime.date(2027, 3, 31),
            60,
            "in_progress",
            "",
            "已延期一次",
            [],
        ),
        ("每月更新台账", datetime.date(2026, 8, 31), datetime.date(2026, 12, 31), 30, "open", "", "", []),
        ("更换防护罩", datetime.date(2026, 7, 31), datetime.date(2026, 11, 15), 100, "closed", "", "", []),
    ]
    assert {item.owner for item in Item.objects.all()} == {world.owner}


@pytest.mark.parametrize("door", DOORS)
def test_the_three_lists_are_stored_joined_by_serial(door, client, world, tmp_path):
    store(door, client, world, layouts.three_lists(), tmp_path, sheet=3)
    stored = [
        (item.issue.description, item.measures, item.owner, item.deadline, item.department)
        for item in Item.objects.order_by("sequence")
    ]
    assert [row[:4] for row in stored] == [
        ("隐患整改不闭环", "建立隐患销号制度", world.owner, datetime.date(2026, 12, 31)),
        ("隐患整改不闭环", "每月通报整改进度", world.owner, datetime.date(2026, 12, 31)),
        ("会议多、落实少", "精简会议", world.member, datetime.date(2027, 3, 31)),
    ]
    assert stored[2][4] == "综合办"
    first, second, _third = Item.objects.order_by("sequence")
    assert first.issue_id == second.issue_id
    assert first.closure_criteria == "隐患全部销号"
    assert first.issue.category.name == "安全"


@pytest.mark.parametrize("door", DOORS)
def test_six_rows_in_a_sheet_formatted_to_the_last_row_are_stored(door, client, world, tmp_path):
    path = layouts.padded_ledger(tmp_path / "padded.xlsx")
    store(door, client, world, path.read_bytes(), tmp_path)
    stored = [
        (item.issue.description, item.measures, item.owner, item.deadline, item.issue.category.name)
        for item in Item.objects.order_by("sequence")
    ]
    assert stored == [
        (f"问题{n}", f"措施{n}", world.owner, datetime.date(2027, 3, 31), "安全") for n in range(1, 7)
    ]
