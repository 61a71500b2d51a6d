"""Benchmark of the Word documents against the floor: python-docx writing the same table with
no template."""

import io
import multiprocessing
import random
import resource
import time

from django.core.management.base import BaseCommand
from django.db import connections
from docx import Document

from core.models import User
from ledger import demo, reports, word
from ledger.filtersets import filter_items_for
from ledger.models import Item
from ledger.report_builders import ReportQuery


def _floor(items):
    """The ledger's cells written by python-docx into a plain table, no template, no styles."""
    rows = reports.ledger_rows(items)
    document = Document()
    table = document.add_table(rows=0, cols=11)
    for number, row in enumerate(rows, start=1):
        values = (
            str(number),
            row.reference,
            row.issue.description,
            str(row.issue.category),
            row.measures,
            str(row.leader or ""),
            row.department,
            row.owner_display,
            f"{row.deadline or ''}",
            row.get_status_display(),
            f"{row.progress}% {row.latest_progress or ''}",
        )
        for cell, value in zip(table.add_row().cells, values, strict=True):
            cell.text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _measure(kind, size, user_pk):
    """Build once; return (seconds, bytes, peak resident memory of this process in MB)."""
    user = User.objects.get(pk=user_pk)
    pks = list(Item.objects.order_by("pk").values_list("pk", flat=True)[:size])
    items = Item.objects.filter(pk__in=pks)
    started = time.perf_counter()
    if kind == "floor":
        content = _floor(items)
    else:
        filterset = filter_items_for(user, None, queryset=items)
        content, _name = word.build(kind, user, ReportQuery.parse(""), filterset)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return seconds, len(content), peak_mb


def _child(queue, kind, size, user_pk):
    queue.put(_measure(kind, size, user_pk))


class Command(BaseCommand):
    help = (
        "Time the ledger and the report as .docx for 1,000 and 5,000 items beside python-docx "
        "writing the same table with no template (the floor), with peak memory, each in a fresh "
        "process. Adds synthetic items when the database has too few. Target: ledger ≤ 1.5× floor."
    )

    def add_arguments(self, parser):
        parser.add_argument("--sizes", default="1000,5000", help="Comma-separated item counts.")
        parser.add_argument("--in-process", action="store_true", help="Build in this process (tests).")

    def handle(self, *args, sizes, in_process, **options):
        sizes = [int(size) for size in sizes.split(",") if size.strip()]
        missing = max(sizes) - Item.objects.count()
        if missing > 0:
            demo.add_synthetic_items(missing, rng=random.Random(2018))
        user = User.objects.filter(is_superuser=True).order_by("pk").first()
        self.stdout.write(
            f"{'items':>6} {'ledger s':>9} {'report s':>9} {'floor s':>8} {'ratio':>6} "
            f"{'ledger MB':>10} {'report MB':>10} {'floor MB':>9}"
        )
        for size in sizes:
            ledger = self._run("ledger", size, user.pk, in_process)
            report = self._run("report", size, user.pk, in_process)
            floor = self._run("floor", size, user.pk, in_process)
            self.stdout.write(
                f"{size:>6} {ledger[0]:>9.2f} {report[0]:>9.2f} {floor[0]:>8.2f} {ledger[0] / floor[0]:>6.2f} "
                f"{ledger[2]:>10.0f} {report[2]:>10.0f} {floor[2]:>9.0f}"
            )

    def _run(self, kind, size, user_pk, in_process):
        if in_process:
            return _measure(kind, size, user_pk)
        connections.close_all()  # a forked child must not share the parent's connection
        context = multiprocessing.get_context("fork")
        queue = context.Queue()
        process = context.Process(target=_child, args=(queue, kind, size, user_pk))
        process.start()
        result = queue.get()
        process.join()
        return result
