"""The list reports' builders take the user, the parsed query and the language, not a request:
the background task calls them as the views do, and moves its progress bar by what they report."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from ledger import report_builders, reports, tasks
from ledger.models import Item, ReportJob
from tests import pdfs
from tests.reportdata import SIBLING_TEXT, populate

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def strict_glyphs(settings):
    settings.LEDGER_PDF_STRICT_GLYPHS = True


def test_a_builder_needs_no_request(world):
    populate(world)
    content, filename = report_builders.build("ledger", world.committee, "kind=by_deadline", language="en")
    assert filename.startswith("ledger-") and filename.endswith(".pdf")
    text = pdfs.squeezed(pdfs.text(content))
    assert "Rectificationledger" in text  # the language given, not the active one (squeezed)
    assert "组织全员重新学习作业规程" in text
    assert SIBLING_TEXT not in text  # the user's scope


def test_the_summary_builder_reads_its_period_and_language(world):
    populate(world)
    query = "from=2026-01-01&to=2026-01-31"
    content, filename = report_builders.build("summary", world.committee, query, language="zh-hans")
    assert filename == "summary-20260131.pdf"
    assert "2026" in pdfs.text(content)


@pytest.mark.parametrize(
    "query",
    ["due_within=many", "from=2026-02-30", "from=2026-02-01&to=2026-01-01", "as_of=soon", "from=2999-01-01"],
)
def test_a_bad_query_is_refused_before_anything_is_rendered(world, query):
    with pytest.raises(report_builders.BadReport):
        report_builders.build("ledger", world.committee, query, language="en")


def test_the_task_module_imports_no_view_and_builds_no_request():
    tree = ast.parse((ROOT / "ledger" / "tasks.py").read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            imported.add(("." * node.level) + (node.module or ""))
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    assert not any("views" in name for name in imported)
    assert "django.http" not in imported
    # Importing the task loads no view module either (not even through what it imports).
    script = (
        "import sys, django; django.setup(); import ledger.tasks; "
        "print(sorted(m for m in sys.modules if m.startswith('ledger.views')))"
    )
    found = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"DJANGO_SETTINGS_MODULE": "core.settings", "DEBUG": "1", "PATH": ""},
    )
    assert found.stdout.strip() == "[]"


def test_the_progress_bar_moves_by_steps_up_to_the_rendered_mark(world):
    job = ReportJob.objects.create(user=world.committee, kind="ledger", language="zh-hans", progress=5)
    bar = tasks.ProgressBar(job)
    seen = []
    for done in (0.1, 0.12, 0.75, 1.0, 1.0):
        bar(done)
        seen.append(ReportJob.objects.get(pk=job.pk).progress)
    assert seen == [14, 14, 72, 95, 95]


def test_a_report_printed_in_parts_reports_its_progress_in_order(world, settings):
    populate(world, extra=4)
    settings.LEDGER_PDF_PART_ROWS = 3
    done = []
    rows = Item.objects.visible_to(world.committee)
    content = reports.ledger_report(rows, user=world.committee, progress=done.append)
    assert pdfs.text(content)
    parts = -(-rows.count() // 3)
    assert len(done) == 3 * (parts + 1)  # three stages per part, and the page numbers
    assert done == sorted(done)
    assert done[-1] == 1.0
