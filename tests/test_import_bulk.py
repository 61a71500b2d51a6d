"""The bulk path of imports: `workflow.import_new_items` and the importer's use of it."""

import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ledger import workflow
from ledger.imports import storing
from ledger.imports.reading import open_table, read_table
from ledger.imports.rows import prepare, row_key
from ledger.imports.storing import ImportFailed, commit
from ledger.models import ImportedRow, Issue, Item, ProgressUpdate
from tests.factories import IssueFactory, category, make_item
from tests.sheet_files import ledger_rows, xlsx_bytes

pytestmark = pytest.mark.usefixtures("english")

REASON = "Imported from the file “台账.xlsx”"


def preview_of(world, rows, actor=None):
    table = read_table(io.BytesIO(xlsx_bytes(rows)), "台账.xlsx")
    return prepare(table, actor or world.committee, world.branch)


def rows_with_progress_and_state(count, tag=""):
    """A ledger of `count` rows: every third with progress text, every other one closed."""
    rows = ledger_rows(count=count)
    rows[0] += ["整改进展", "整改状态"]
    for number, row in enumerate(rows[1:], start=1):
        row[1], row[4] = tag + row[1], tag + row[4]
        row += ["已组织学习" if number % 3 == 0 else None, "已销号" if number % 2 == 0 else "整改中"]
    return rows


def new_item(world, key, organization=None, **fields):
    organization = organization or world.branch
    issue = Issue(
        organization=organization,
        category=category(),
        source=Issue.Source.OTHER,
        description=f"问题（{key}）",
        raised_on=datetime.date(2027, 1, 5),
    )
    values = {
        "measures": f"措施（{key}）",
        "kind": Item.Kind.BY_DEADLINE,
        "deadline": datetime.date(2027, 3, 1),
    }
    values.update(fields)
    return workflow.NewItem(key=key, issue=issue, organization=organization, fields=values)


def history_of(record):
    return [
        (h.history_action, h.history_change_reason, h.history_user_id, h.status, h.progress, h.version)
        for h in record.history.order_by("history_date", "history_id")
    ]


def test_every_created_record_gets_its_history_rows_naming_user_action_and_file(world):
    result = commit(preview_of(world, rows_with_progress_and_state(3)), world.committee, "台账.xlsx")
    assert result.created == 3
    first, second, third = Item.objects.filter(organization=world.branch).order_by("sequence")
    user = world.committee.pk
    S, A = Item.Status, workflow.Action
    # One history row each: the import created the item in the state the file gives (row 1:
    # in progress; row 2: closed; row 3: started by its progress text).
    assert history_of(first) == [(A.IMPORT, REASON, user, S.IN_PROGRESS, 0, 1)]
    assert history_of(second) == [(A.IMPORT, REASON, user, S.CLOSED, 100, 1)]
    assert history_of(third) == [(A.IMPORT, REASON, user, S.IN_PROGRESS, 0, 1)]
    assert [item.history.get().history_type for item in (first, second, third)] == ["+"] * 3
    assert (second.outcome, second.progress) == (Item.Outcome.COMPLETED, 100)
    for number, item in enumerate((first, second, third), start=1):
        issue_history = item.issue.history.get()
        assert (issue_history.history_action, issue_history.history_change_reason) == (A.CREATE, REASON)
        assert issue_history.history_user == world.committee
        assert item.imported_row.source_name == "台账.xlsx"
        # The file numbers its rows (序号): each is recognised by its number next time.
        key = row_key({"serial": str(number), "description": item.issue.description})
        assert item.imported_row.key == key and key.startswith(f"s:{number}:0:")
    update = third.updates.get()
    assert (update.text, update.percent, update.author) == ("已组织学习", 0, world.committee)
    update_history = update.history.get()
    assert (update_history.history_action, update_history.history_user) == (A.POST_PROGRESS, world.committee)
    assert ProgressUpdate.history.count() == ProgressUpdate.objects.count() == 1


def test_the_bulk_path_stores_what_the_workflow_one_by_one_stores(world):
    """The same rows through the per-row workflow calls and through the bulk path: the same
    records, and one history row where the per-row path writes one per call."""
    S = Item.Status
    cases = [
        ({}, "", None, ""),
        ({}, "已组织学习", 40, S.CLOSED),
        (
            {"kind": Item.Kind.LONG_TERM, "deadline": None, "next_review_on": datetime.date(2027, 4, 1)},
            "开展",
            10,
            "",
        ),
        (
            {"kind": Item.Kind.LONG_TERM, "deadline": None, "next_review_on": datetime.date(2027, 4, 1)},
            "",
            None,
            S.LONG_TERM,
        ),
        ({"owner": world.owner, "leader": world.leader}, "", None, S.WITHDRAWN),
    ]
    one_by_one = []
    for number, (fields, progress, percent, status) in enumerate(cases):
        row = new_item(world, f"a{number}", **fields)
        issue = workflow.save_issue(world.committee, row.issue, reason=REASON)
        item = workflow.create_item(
            world.committee, issue, action=workflow.Action.IMPORT, reason=REASON, **row.fields
        )
        if progress:
            item = workflow.post_progress(
                world.committee, item, text=progress, percent=percent, reason=REASON
            ).item
        if status:
            item = workflow.set_imported_state(world.committee, item, status=status, reason=REASON)
        one_by_one.append(item)
    rows = []
    for number, (fields, progress, percent, status) in enumerate(cases):
        row = new_item(world, f"b{number}", **fields)
        row.progress, row.percent, row.status = progress, percent, status
        rows.append(row)
    bulk = workflow.import_new_items(world.committee, rows, reason=REASON)

    def stored(item):
        item = Item.objects.get(pk=item.pk)
        fields = ("status", "progress", "outcome", "kind", "deadline", "original_deadline")
        fields += ("next_review_on", "owner_id", "leader_id", "year")
        texts = [(u.text, u.percent) for u in item.updates.all()]
        last = item.history.order_by("history_id").last()
        return [getattr(item, name) for name in fields], [getattr(last, name) for name in fields], texts

    assert [stored(item) for item in bulk] == [stored(item) for item in one_by_one]
    assert [item.sequence for item in bulk] == [6, 7, 8, 9, 10]
    for item in bulk:
        assert [
            (h.history_action, h.history_change_reason, h.history_type, h.version)
            for h in Item.objects.get(pk=item.pk).history.all()
        ] == [(workflow.Action.IMPORT, REASON, "+", 1)]


def test_numbering_continues_after_the_organizations_items(world):
    issue = IssueFactory(organization=world.branch, raised_on=datetime.date(2027, 1, 2))
    for _ in range(2):
        make_item(world.committee, issue, deadline=datetime.date(2027, 3, 1))
    other_year = IssueFactory(organization=world.branch, raised_on=datetime.date(2026, 5, 2))
    make_item(world.committee, other_year)
    rows = [new_item(world, 1), new_item(world, 2), new_item(world, 3, organization=world.group)]
    items = workflow.import_new_items(world.committee, rows, reason=REASON)
    assert [item.reference for item in items] == ["机运-2027-003", "机运-2027-004", "机运一组-2027-001"]
    assert [Item.objects.get(pk=item.pk).sequence for item in items] == [3, 4, 1]


def test_an_organization_outside_the_scope_is_refused_and_nothing_is_stored(world):
    rows = [new_item(world, 1), new_item(world, 2, organization=world.sibling)]
    with pytest.raises(workflow.ImportRefused) as refused:
        workflow.import_new_items(world.committee, rows, reason=REASON)
    assert list(refused.value.errors) == [2]
    assert isinstance(refused.value.errors[2], workflow.NotAllowed)
    assert str(refused.value.errors[2].message) == "You may not change the records of 通修党支部."
    assert (Issue.objects.count(), Item.objects.count(), Item.history.count()) == (0, 0, 0)


def test_a_bad_row_refuses_the_whole_batch(world):
    rows = [new_item(world, 1), new_item(world, 2, deadline=None), new_item(world, 3)]
    rows[2].status = Item.Status.LONG_TERM  # a by-deadline item cannot be long-term
    with pytest.raises(workflow.ImportRefused) as refused:
        workflow.import_new_items(world.committee, rows, reason=REASON)
    assert refused.value.errors[2].message_dict == {
        "deadline": ["Set a deadline, or make the item long-term."]
    }
    assert refused.value.errors[3].message_dict == {
        "status": ["Only a long-term item can be in the long-term state."]
    }
    assert (Issue.objects.count(), Item.objects.count(), Issue.history.count()) == (0, 0, 0)


def test_an_import_with_a_refused_row_stores_nothing(world):
    rows = ledger_rows(count=3)
    rows[0].append("整改状态")
    rows[1].append("整改中")
    rows[2].append("长期坚持")  # with a dated deadline: the workflow refuses it
    rows[3].append("整改中")
    with pytest.raises(ImportFailed) as failed:
        commit(preview_of(world, rows), world.committee, "台账.xlsx")
    # The message names the file's heading and the cell.
    assert failed.value.errors == {3: ["整改状态 J3: Only a long-term item can be in the long-term state."]}
    assert (Issue.objects.count(), Item.objects.count(), ImportedRow.objects.count()) == (0, 0, 0)
    assert (Item.history.count(), Issue.history.count()) == (0, 0)


def test_a_row_repeating_the_texts_of_another_is_an_item_of_its_own(world):
    """The same problem and measure for another department is another item (issue 11): rows
    are not recognised by their texts alone."""
    rows = ledger_rows(count=2)
    rows.append(list(rows[1]))
    rows[3][6] = "调度室"  # the repeat names another department
    result = commit(preview_of(world, rows), world.committee, "台账.xlsx")
    assert (result.created, result.updated) == (3, 0)
    assert sorted(Item.objects.filter(measures=rows[1][4]).values_list("department", flat=True)) == [
        "机运工区",
        "调度室",
    ]
    assert Item.objects.count() == ImportedRow.objects.count() == 3
    # Imported again, each row meets its own item.
    again = commit(preview_of(world, rows), world.committee, "台账.xlsx")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def queries_to_import(world, count):
    preview = preview_of(world, rows_with_progress_and_state(count, tag=f"{count}-"))
    with CaptureQueriesContext(connection) as queries:
        commit(preview, world.committee, f"{count}.xlsx")
    assert Item.objects.filter(imported_row__source_name=f"{count}.xlsx").count() == count
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_rows(world, django_assert_num_queries):
    # Below SQLite's batch size (999 parameters a statement: about 30 historical items), so
    # that both databases run one INSERT a table.
    # The tree's first import has no rows imported before to look up: one query less.
    first = queries_to_import(world, 4)
    assert queries_to_import(world, 8) == queries_to_import(world, 24) == first + 1
    preview = preview_of(world, rows_with_progress_and_state(24, tag="again-"))
    # savepoint; the organization tree; whether the tree has imported rows; the batch's rows
    # imported before; savepoint; lock the
    # organization; last sequences; issues, their history; items, their history; progress
    # updates, their history; release; imported rows; and before each of the four tables of
    # records, their new keys; the items imported earlier from the same file (missing rows);
    # for each of the three history inserts, its chain heads read locked and written (6).
    with django_assert_num_queries(27):
        commit(preview, world.committee, "again.xlsx")


def test_a_long_file_is_stored_in_batches_with_the_same_records(world, monkeypatch):
    monkeypatch.setattr(storing, "BATCH_ROWS", 4)
    rows = ledger_rows(count=10)
    rows[7][1] = rows[2][1]  # row 7 (second batch) describes the issue of row 2 (first batch)
    rows.append(list(rows[3]))  # row 11 (third batch) repeats row 3 (first batch)…
    rows[11][6] = "调度室"  # …with another department: an item of its own, of the same issue
    result = commit(preview_of(world, rows), world.committee, "台账.xlsx")
    assert (result.created, result.updated, result.unchanged) == (11, 0, 0)
    assert Item.objects.count() == ImportedRow.objects.count() == 11
    assert Issue.objects.count() == Issue.history.count() == 9
    second, seventh = (
        Item.objects.get(measures=f"组织全员重新学习作业规程（{number}）") for number in (2, 7)
    )
    assert second.issue_id == seventh.issue_id
    third = Item.objects.filter(measures="组织全员重新学习作业规程（3）")
    assert sorted(third.values_list("department", flat=True)) == ["机运工区", "调度室"]
    assert len({item.issue_id for item in third}) == 1
    assert [item.sequence for item in Item.objects.order_by("pk")] == list(range(1, 12))


def test_every_refusal_is_listed_whatever_its_batch(world, monkeypatch):
    monkeypatch.setattr(storing, "BATCH_ROWS", 2)
    rows = ledger_rows(count=6)
    rows[0].append("整改状态")
    for row in rows[1:]:
        row.append("整改中")
    rows[2][8] = "下月底"  # row 3: refused while reading
    rows[6][9] = "长期坚持"  # row 7 (third batch): refused by the workflow when stored
    preview = prepare(
        open_table(io.BytesIO(xlsx_bytes(rows)), "台账.xlsx"),
        world.committee,
        world.branch,
        scan=False,
    )
    with pytest.raises(ImportFailed) as failed:
        commit(preview, world.committee, "台账.xlsx")
    assert failed.value.errors == {
        3: [
            "整改时限 (I3): Date not understood; write it as 2026-11-30, 2026年11月底, 长期坚持 or 立行立改."
        ],
        7: ["整改状态 J7: Only a long-term item can be in the long-term state."],
    }
    assert failed.value.more == 0
    assert not Item.objects.exists()


def test_the_refused_rows_listed_are_capped(world, monkeypatch):
    monkeypatch.setattr(storing, "MAX_ERROR_ROWS", 2)
    rows = ledger_rows(count=5)
    for row in rows[1:]:
        row[8] = "下月底"
    with pytest.raises(ImportFailed) as failed:
        commit(
            prepare(
                open_table(io.BytesIO(xlsx_bytes(rows)), "台账.xlsx"),
                world.committee,
                world.branch,
                scan=False,
            ),
            world.committee,
            "台账.xlsx",
        )
    assert list(failed.value.errors) == [2, 3]
    assert failed.value.more == 3


@pytest.mark.parametrize("batch_rows", [1, 2, 3, 2000])
def test_the_batch_size_does_not_change_what_is_stored(world, monkeypatch, batch_rows):
    """A row repeated three times in the file (each copy with another department) makes an
    item of each copy, wherever the batches end; imported again, each copy meets its own."""
    monkeypatch.setattr(storing, "BATCH_ROWS", batch_rows)
    rows = ledger_rows(count=2)
    for department in ("调度室", "安监处", "机电科"):
        rows.append(list(rows[1]))
        rows[-1][6] = department
    result = commit(preview_of(world, rows), world.committee, "台账.xlsx")
    assert (result.created, result.updated, result.unchanged) == (5, 0, 0)
    items = Item.objects.filter(measures="组织全员重新学习作业规程（1）").order_by("sequence")
    assert [item.department for item in items] == ["机运工区", "调度室", "安监处", "机电科"]
    assert len({item.issue_id for item in items}) == 1
    rows[3][6] = "综合办"  # the second copy's department changes in v2
    again = commit(preview_of(world, rows), world.committee, "台账.xlsx")
    assert (again.created, again.updated, again.unchanged) == (0, 1, 4)
    assert [item.department for item in items.all()] == ["机运工区", "综合办", "安监处", "机电科"]


def test_a_value_refused_once_is_refused_on_every_row(world):
    """Values that passed their checks are not checked again; refused ones always are."""
    too_long = "机" * 101  # a department holds at most 100 characters
    rows = [new_item(world, number, department=too_long) for number in (1, 2)]
    rows.append(new_item(world, 3, department="机运工区"))
    rows.append(new_item(world, 4, department="机运工区"))
    with pytest.raises(workflow.ImportRefused) as refused:
        workflow.import_new_items(world.committee, rows, reason=REASON)
    assert sorted(refused.value.errors) == [1, 2]
    for number in (1, 2):
        assert list(refused.value.errors[number].message_dict) == ["department"]
    assert not Item.objects.exists()


def queries_to_reimport(world, count):
    """Queries to import again `count` rows whose progress text and owner changed."""
    rows = ledger_rows(count=count)
    rows[0].append("整改进展")
    for row in rows[1:]:
        row[1], row[4] = f"re{count}-{row[1]}", f"re{count}-{row[4]}"
        row.append("已组织学习")
    # Files of their own, so that the other call's items are not rows missing from this one.
    commit(preview_of(world, rows), world.committee, f"v1-{count}.xlsx")
    for row in rows[1:]:
        row[7] = "杨帆"  # another owner
        row[9] = "已组织考试"
    with CaptureQueriesContext(connection) as queries:
        commit(preview_of(world, rows), world.committee, f"v2-{count}.xlsx")
    return len(queries)


def test_a_reimported_row_costs_a_fixed_number_of_queries(world):
    """Rows that change an item go one by one through the workflow: a fixed number of queries
    each, whatever the file's length. The people and the issue's category are compared by
    their keys, never loaded (they once cost a query each per row)."""
    # Per row: four savepoints and their releases (8); the item locked, updated and given a
    # history row by the edit and again by the post (6); the edit's full_clean: the leader and
    # the owner, the issue and the organization exist, the reference and the sequence are
    # unique, the check constraint, the issue loaded (8); a person loaded for the rules (1); the
    # last progress text, the new update and its history row (3); the imported row's file (1);
    # the item's co-owners, compared with the file's (1); for each of the three history rows,
    # its chain head read locked and written (6).
    per_row = (queries_to_reimport(world, 6) - queries_to_reimport(world, 3)) / 3
    assert per_row == 34
