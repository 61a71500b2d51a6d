"""Benchmark of the ledger report against the floor: a bare WeasyPrint table of the same text."""

import multiprocessing
import random
import resource
import time

from django.core.management.base import BaseCommand
from django.db import connections
from django.utils.html import escape

from core.models import User
from ledger import demo, reports
from ledger.models import Item
from ledger.pdf import render_pdf


def _pages(content):
    # pypdf comes with the test requirements, which `make bench` installs.
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(content)).pages)


def _bare_table(rows):
    """The same cells as the ledger report, in a table with no styling at all (the floor)."""
    cells = []
    for row in rows:
        values = (
            row.reference,
            row.issue.description,
            row.issue.category,
            row.measures,
            row.leader or "",
            row.department,
            row.owner or "",
            row.deadline or "",
            row.get_status_display(),
            row.latest_progress or "",
        )
        cells.append("<tr>" + "".join(f"<td>{escape(value)}</td>" for value in values) + "</tr>")
    return (
        '<html lang="zh-Hans"><body style="font-family: \'Ledger CJK\'"><table>'
        + "".join(cells)
        + "</table></body></html>"
    )


def _measure(kind, size, user_pk):
    """Render once; return (seconds, pages, peak resident memory of this process in MB)."""
    user = User.objects.get(pk=user_pk)
    items = Item.objects.order_by("pk")[:size]
    items = Item.objects.filter(pk__in=list(items.values_list("pk", flat=True)))
    started = time.perf_counter()
    if kind == "report":
        content = reports.ledger_report(items, user=user, scope_label="bench")
    else:
        content = render_pdf(_bare_table(reports.ledger_rows(items))).pdf
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return seconds, _pages(content), peak_mb


def _child(queue, kind, size, user_pk):
    queue.put(_measure(kind, size, user_pk))


class Command(BaseCommand):
    help = (
        "Time the ledger report for 100, 1,000 and 5,000 items beside a bare WeasyPrint table of "
        "the same text (the floor), with peak memory. Each run happens in a fresh process so that "
        "its peak memory is its own. Adds synthetic items when the database has too few."
    )

    def add_arguments(self, parser):
        parser.add_argument("--sizes", default="100,1000,5000", help="Comma-separated item counts.")
        parser.add_argument(
            "--in-process",
            action="store_true",
            help="Render in this process (tests; memory then accumulates).",
        )

    def handle(self, *args, sizes, in_process, **options):
        sizes = [int(size) for size in sizes.split(",") if size.strip()]
        missing = max(sizes) - Item.objects.count()
        if missing > 0:
            demo.add_synthetic_items(missing, rng=random.Random(2018))
        user = User.objects.filter(is_superuser=True).order_by("pk").first()
        self.stdout.write(
            f"{'items':>6} {'report s':>9} {'floor s':>8} {'ratio':>6} {'pages':>6} {'report MB':>10} {'floor MB':>9}"
        )
        for size in sizes:
            report = self._run("report", size, user.pk, in_process)
            floor = self._run("floor", size, user.pk, in_process)
            self.stdout.write(
                f"{size:>6} {report[0]:>9.2f} {floor[0]:>8.2f} {report[0] / floor[0]:>6.2f} "
                f"{report[1]:>6} {report[2]:>10.0f} {floor[2]:>9.0f}"
            )

    def _run(self, kind, size, user_pk, in_process):
        if in_process:
            return _measure(kind, size, user_pk)
        # A forked child measures its own peak; it must not share the parent's database connection.
        connections.close_all()
        context = multiprocessing.get_context("fork")
        queue = context.Queue()
        process = context.Process(target=_child, args=(queue, kind, size, user_pk))
        process.start()
        result = queue.get()
        process.join()
        return result
