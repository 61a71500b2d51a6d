"""No code but the workflow (and its bulk helper) writes the workflow's records: a scan of the
sources for saves, updates, creations and deletions of items, issues, meetings, attendance,
progress updates, evidence and extension requests.

What Python cannot tell from the source (the type of `x` in `x.save()`) is listed by hand
below, each with what it saves; a new write needs either the workflow or a line here saying
why it is not one of the workflow's records.
"""

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
SCANNED = ("core", "ledger")
# The writer itself, its bulk helper and the audit plumbing they share (the hash chain of the
# history included: its heads, checkpoints and the backfill).
WRITERS = {"ledger/workflow.py", "ledger/bulk.py", "core/audit.py", "core/chain.py"}
OWNED = {
    "Item",
    "Issue",
    "Meeting",
    "Attendance",
    "ProgressUpdate",
    "Evidence",
    "ExtensionRequest",
    # Supervision (issue 13)
    "Urging",
    "WarningTalk",
    "Accountability",
    "RecheckBatch",
    "Recheck",
    # Reference data a committee keeps (its traffic-light thresholds)
    "LightSettings",
    # The Word documents (issue 14): an organization's templates, the public version's marks
    "WordTemplate",
    "Withheld",
}
# Related managers that lead to the workflow's records (`item.updates.create(...)`).
OWNED_MANAGERS = {
    "accountabilities",
    "rechecks",
    "urgings",
    "warning_talks",
    "attendances",
    "evidence",
    "extension_requests",
    "issues",
    "items",
    "led_items",
    "meetings",
    "owned_items",
    "updates",
}
QUERYSET_WRITES = {
    "create",
    "bulk_create",
    "bulk_update",
    "get_or_create",
    "update_or_create",
    "update",
    "delete",
}
HISTORY_HELPERS = {"bulk_create_with_history", "bulk_update_with_history"}
# The workflow's bulk helper (`ledger.bulk`) writes rows of any model, history rows too: a call
# outside the writers is a write, unless listed below.
BULK_WRITES = {"insert_records", "insert_history"}

# (file, the call as written): what it saves, none of it the workflow's.
NOT_THE_WORKFLOWS = {
    ("ledger/views/saved_views.py", "view.save()"): "a saved view of the list",
    ("ledger/views/saved_views.py", "view.delete()"): "a saved view of the list",
    ("core/views.py", "token.delete()"): "a person's API token, revoked",
    (
        "ledger/tasks.py",
        "self.job.save(update_fields=['progress', 'heartbeat_at'])",
    ): "a background report job",
    (
        "ledger/tasks.py",
        "job.save(update_fields=['status', 'progress', 'heartbeat_at'])",
    ): "a background report job",
    ("ledger/tasks.py", "job.save(update_fields=['status', 'error', 'finished_at'])"): "a report job",
    ("ledger/tasks.py", "job.file.save(filename, ContentFile(content), save=False)"): "a report's file",
    (
        "ledger/tasks.py",
        "job.save(update_fields=['file', 'filename', 'status', 'progress', 'finished_at'])",
    ): "a report job",
    ("ledger/management/commands/prune_report_jobs.py", "job.file.delete(save=False)"): "a report's file",
    ("ledger/management/commands/prune_report_jobs.py", "job.delete()"): "an old report job",
    ("ledger/imports/storing.py", "imported.save()"): "where an imported row came from (ImportedRow)",
    ("ledger/imports/storing.py", "imported.save(update_fields=['key'])"): "an imported row's key renewed",
    ("ledger/demo.py", "user.save()"): "a demo person",
    ("core/security.py", "user.save(update_fields=['last_login'])"): "a person's last login",
    (
        "ledger/imports/storing.py",
        "bulk.insert_records(ImportedRow, imported_rows)",
    ): "where imported rows came from (ImportedRow)",
    # Seeding, not a path of the product: the synthetic ledger's records and the history of their
    # past (many people's actions at past times) go in directly; tests/test_seed_demo.py checks
    # that the history tells what the records hold.
    ("ledger/demo.py", "bulk.insert_records(Issue, issues, keep_times=True)"): "synthetic issues",
    ("ledger/demo.py", "bulk.insert_records(Item, self.items, keep_times=True)"): "synthetic items",
    (
        "ledger/demo.py",
        "bulk.insert_records(ProgressUpdate, self.updates, keep_times=True)",
    ): "their progress updates",
    (
        "ledger/demo.py",
        "bulk.insert_records(ExtensionRequest, self.extensions, keep_times=True)",
    ): "their extension requests",
    (
        "ledger/demo.py",
        "bulk.insert_records(self.history[model], [self._row(model, *row) for row in rows], keep_times=True)",
    ): "the history rows of all these",
    ("ledger/exporter.py", "workbook.save(buffer)"): "an exported spreadsheet",
    # A restore (`restore_ledger`) puts back every row of a backup as it was stored, history rows
    # and chain heads included, into an empty database: no action, the rows are the past ones.
    (
        "core/backup.py",
        "restored.save(force_insert=True)",
    ): "a backup's rows, restored into an empty database",
    # Delivery keeps its own state, none of it a ledger record: a group robot (its cursor and
    # its failures), a person's muted items.
    (
        "ledger/delivery.py",
        "webhook.save(update_fields=['attempts', 'next_try_at', 'last_error'])",
    ): "a robot",
    (
        "ledger/delivery.py",
        "webhook.save(update_fields=['sent_up_to', 'attempts', 'next_try_at', 'last_error', 'last_sent_at'])",
    ): "a group robot's cursor",
    ("ledger/delivery.py", "MutedItem.objects.filter(person=person, item=item).delete()"): "an unmuted item",
    ("ledger/views/notifications.py", "webhook.save()"): "a new group robot",
    ("ledger/views/notifications.py", "webhook.delete()"): "a group robot removed",
    ("ledger/views/notifications.py", "form.save()"): "a group robot edited",
    ("ledger/management/commands/bench_import.py", "workbook.save(path)"): "a generated spreadsheet",
    ("ledger/reports.py", "image.convert('RGB').save(buffer, 'JPEG', quality=75)"): "a photo for a PDF",
    ("ledger/docx_layout.py", "builder().save(path)"): "a default Word template, built from code",
    ("ledger/word.py", "document.save(buffer)"): "a generated Word document",
    ("ledger/management/commands/bench_docx.py", "document.save(buffer)"): "the benchmark's floor",
}


def _chain_names(node):
    """The names along `a.b.c(…).d`: ["a", "b", "c", "d"]."""
    names = []
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Name):
            names.append(node.id)
            return names[::-1]
        else:
            return names[::-1]


def _builds_only(call):
    """`form.save(commit=False)` builds the record and writes nothing: the workflow saves it."""
    return any(
        keyword.arg == "commit" and isinstance(keyword.value, ast.Constant) and keyword.value.value is False
        for keyword in call.keywords
    )


def writes_outside_the_workflow():
    found = []
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative in WRITERS or "/migrations/" in relative:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                if isinstance(func, ast.Name) and func.id in HISTORY_HELPERS:
                    found.append((relative, node.lineno, ast.unparse(node)))
                    continue
                if not isinstance(func, ast.Attribute):
                    continue
                receiver = _chain_names(func.value)
                call = ast.unparse(node)
                owned = receiver[:1] and receiver[0] in OWNED and {"objects", "history"} & set(receiver)
                owned_queryset = bool(owned or set(receiver) & OWNED_MANAGERS)
                writes_owned = func.attr in QUERYSET_WRITES and owned_queryset
                saves = func.attr in ("save", "delete") and not _builds_only(node)
                bulk_writes = func.attr in BULK_WRITES and receiver == ["bulk"]
                if writes_owned or ((saves or bulk_writes) and (relative, call) not in NOT_THE_WORKFLOWS):
                    found.append((relative, node.lineno, call))
    return found


def test_only_the_workflow_writes_its_records():
    assert writes_outside_the_workflow() == []


def test_every_exception_listed_is_still_there():
    """A line listed above that the code no longer has is removed from the list, so that the
    list stays what the code does."""
    calls = set()
    for relative, _call in NOT_THE_WORKFLOWS:
        tree = ast.parse((ROOT / relative).read_text(encoding="utf-8"))
        calls |= {(relative, ast.unparse(node)) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    assert set(NOT_THE_WORKFLOWS) <= calls


def test_the_scan_finds_a_write_around_the_workflow(tmp_path, monkeypatch):
    """The scan itself: the writes it exists to find are found."""
    sources = tmp_path / "ledger"
    sources.mkdir()
    (sources / "views.py").write_text(
        "def sneak(item, issue, meeting):\n"
        "    item.save()\n"
        "    Item.objects.filter(pk=1).update(status='closed')\n"
        "    issue.items.create(measures='x')\n"
        "    Attendance.objects.create(meeting=meeting)\n"
        "    bulk_create_with_history([], Item)\n"
        "    context.update(a=1)\n"
        "    form.save(commit=False)\n"
        "    Organization.objects.create(name='x')\n"
        "    bulk.insert_records(Item, items)\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert [line for _file, line, _call in writes_outside_the_workflow()] == [2, 3, 4, 5, 6, 10]
