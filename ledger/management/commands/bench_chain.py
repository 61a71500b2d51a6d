"""Benchmark: the cost of the history's hash chain (`core.chain`). Normal saves (an item edited
through the workflow, one history row each) and an import (rows chained in bulk), each timed
with the chain and with it switched off, in transactions rolled back; prints saves/s and rows/s
and the slowdown (the goal: at most 20% on normal saves)."""

import datetime
import tempfile
from contextlib import contextmanager
from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils import timezone

from core import chain
from ledger import workflow
from ledger.management.commands.bench_import import rolled_back, run_import, timed, write_ledger
from ledger.models import Category, Issue


@contextmanager
def unchained():
    """The history written without its chain: the links and heads left out."""
    saved = chain.link, chain.save_head, chain.link_many
    chain.link = chain.save_head = lambda history_instance: None
    chain.link_many = lambda model, rows: [("", "")] * len(rows)
    try:
        yield
    finally:
        chain.link, chain.save_head, chain.link_many = saved


def edits(saves):
    """`saves` edits of one item by its committee (a superuser), each a save with its history row."""

    def run(actor, organization):
        issue = Issue(
            organization=organization,
            category=Category.objects.filter(is_active=True).first() or Category.objects.create(name="基准"),
            description="基准测试问题",
            source=Issue.Source.CRITICISM,
            raised_on=timezone.localdate(),
        )
        workflow.save_issue(actor, issue)
        item = workflow.create_item(
            actor,
            issue,
            measures="基准测试措施",
            department="甲",
            kind="by_deadline",
            deadline=timezone.localdate() + datetime.timedelta(days=30),
        )

        def work():
            for n in range(saves):
                item.refresh_from_db()
                workflow.edit_item(actor, item, expected_version=item.version, department=f"部门{n}")

        return timed(work)

    return run


def imported(path):
    def run(actor, organization):
        return timed(lambda: run_import(path, actor, organization))

    return run


class Command(BaseCommand):
    help = "Saves/s and imported rows/s with and without the history's hash chain."

    def add_arguments(self, parser):
        parser.add_argument("--saves", type=int, default=300)
        parser.add_argument("--rows", type=int, default=2_000)
        parser.add_argument("--repeat", type=int, default=3, help="Runs of each; the best is shown.")

    def handle(self, *args, saves, rows, repeat, **options):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "ledger.xlsx"
            write_ledger(path, rows)
            cases = [("workflow saves (edit_item)", saves, "saves/s", edits(saves))]
            cases.append(("import (bulk history rows)", rows, "rows/s", imported(path)))
            self.stdout.write(f"{'history chain':<28} {'with':>14} {'without':>14} {'slowdown':>9}")
            for label, count, unit, function in cases:
                best_with = best_without = float("inf")
                for _ in range(max(repeat, 1)):
                    best_with = min(best_with, rolled_back(function))
                    with unchained():
                        best_without = min(best_without, rolled_back(function))
                rate_with, rate_without = count / best_with, count / best_without
                slowdown = (best_with / best_without - 1) * 100
                self.stdout.write(
                    f"{label:<28} {rate_with:>6.0f} {unit:<7} {rate_without:>6.0f} {unit:<7} {slowdown:>8.1f}%"
                )
