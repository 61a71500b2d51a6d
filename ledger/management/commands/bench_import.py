"""Benchmark: import a 10,000-row ledger and compare with openpyxl merely reading the file."""

import datetime
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test.utils import override_settings
from openpyxl import Workbook, load_workbook

from core.models import Organization
from ledger.imports.reading import open_table
from ledger.imports.rows import prepare
from ledger.imports.storing import commit

HEADINGS = ["序号", "问题描述", "问题类别", "整改措施", "责任部门", "整改时限", "整改进展", "是否完成"]


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = (
        "Import a generated ledger of --rows rows (10,000 by default) into a throw-away organization "
        "inside a transaction that is rolled back; print the time beside openpyxl merely reading "
        "the same file (the floor), best of --repeat runs each, the peak memory of each (and of "
        "importing a quarter of the rows: memory is flat when both are about the same), and the "
        "time of the preview."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=10_000)
        parser.add_argument("--repeat", type=int, default=3, help="Runs of each; the best is shown.")

    def handle(self, *args, **options):
        rows, repeat = options["rows"], max(options["repeat"], 1)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "ledger.xlsx"
            write_ledger(path, rows)
            rss_before = peak_rss()
            # The floor and the import take turns, so that both meet the machine in the same
            # mood; the best run of each is kept (the others only met more interference).
            # Timed without tracemalloc, which would slow every allocation down.
            floors, imports = [], []
            for _run in range(repeat):
                floors.append(timed(lambda: read_only(path)))
                imports.append(
                    rolled_back(
                        lambda actor, organization: timed(lambda: run_import(path, actor, organization))
                    )
                )
            floor, elapsed = min(floors), min(imports)
            rss_growth = peak_rss() - rss_before
            floor_peak = traced_peak(lambda: read_only(path))
            preview = rolled_back(
                lambda actor, organization: timed(lambda: run_preview(path, actor, organization))
            )
            peak = rolled_back(
                lambda actor, organization: traced_peak(lambda: run_import(path, actor, organization))
            )
            # Flat memory: a quarter of the rows needs about as much.
            small = Path(folder) / "small.xlsx"
            write_ledger(small, max(rows // 4, 1))
            small_peak = rolled_back(
                lambda actor, organization: traced_peak(lambda: run_import(small, actor, organization))
            )
        self.stdout.write(
            f"import {rows} rows: {elapsed:.2f} s, peak RSS grew {rss_growth:.1f} MB; openpyxl read-only floor: "
            f"{floor:.2f} s, peak {floor_peak:.1f} MB traced; ratio {elapsed / floor if floor else 0:.1f}× "
            f"(best of {repeat}, {connection.vendor})\n"
            f"  memory traced: {peak:.1f} MB importing {rows} rows, {small_peak:.1f} MB importing "
            f"{max(rows // 4, 1)} rows\n"
            f"  the preview (reading and checking every row, storing nothing): {preview:.2f} s"
        )


def rolled_back(function):
    """`function(actor, organization)` on a throw-away organization, in a transaction rolled back."""
    result = None
    try:
        # DEBUG (which `make bench` sets for its SECRET_KEY) keeps every query's SQL,
        # which production does not: measure without it, as a server runs.
        with transaction.atomic(), override_settings(DEBUG=False):
            result = function(*scratch())
            raise Rollback
    except Rollback:
        pass
    return result


def write_ledger(path, rows):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["机运党支部整改台账"])
    sheet.append(HEADINGS)
    start = datetime.date(2027, 1, 1)
    for number in range(1, rows + 1):
        sheet.append(
            [
                number,
                f"问题描述第{number}条：班前会安全讲评流于形式",
                "安全",
                f"整改措施第{number}条：组织全员重新学习作业规程",
                "机运工区",
                start + datetime.timedelta(days=number % 365),
                "已组织学习" if number % 3 == 0 else None,
                "否",
            ]
        )
    workbook.save(path)


def read_only(path):
    workbook = load_workbook(path, read_only=True)
    for _row in workbook.worksheets[0].iter_rows(values_only=True):
        pass
    workbook.close()


def timed(function):
    began = time.perf_counter()
    function()
    return time.perf_counter() - began


def traced_peak(function):
    tracemalloc.start()
    function()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1024 / 1024


def peak_rss():
    """The process's peak resident memory so far, in MB (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_import(path, actor, organization):
    """What confirming an import does: read the file once, checking and storing every row."""
    with path.open("rb") as file, open_table(file, path.name) as table:
        preview = prepare(table, actor, organization, scan=False)
        if preview.problems:
            raise RuntimeError(f"the generated ledger does not import: {preview.problems}")
        return commit(preview, actor, path.name)


def run_preview(path, actor, organization):
    """What the preview page does: read and check every row."""
    with path.open("rb") as file, open_table(file, path.name) as table:
        preview = prepare(table, actor, organization)
    if not preview.is_valid:
        raise RuntimeError(f"the generated ledger does not import: {preview.problems or preview.rows[:3]}")
    return preview


def scratch():
    actor = get_user_model().objects.create(
        username="bench-import-actor", is_superuser=True, full_name="基准"
    )
    organization = Organization.objects.create(
        name="基准测试党支部", short_name="基准", kind=Organization.Kind.BRANCH
    )
    return actor, organization
