"""The tamper-evident history (`core.chain`): every history row chained by hash per record,
`verify_history` finding rows changed, deleted or inserted by SQL, `--at` a printed head, the
PostgreSQL triggers, the page for leadership and the head printed on the PDFs."""

import datetime
import io
import re
import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction
from django.urls import reverse
from django.utils import translation

from core import chain
from core.models import ChainCheckpoint, ChainHead, ChainVerification
from ledger import workflow
from ledger.imports.reading import read_table
from ledger.imports.rows import prepare
from ledger.imports.storing import commit
from ledger.models import Item, ProgressUpdate
from tests import pdfs
from tests.factories import IssueFactory, make_item
from tests.sheet_files import ledger_rows, xlsx_bytes

ITEM_TABLE = Item.history.model._meta.db_table
PAGE = reverse("history_chain")


def verify(*args):
    """Run verify_history: (exit code, output)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_history", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return exit_.code, out.getvalue() + err.getvalue()
    return 0, out.getvalue() + err.getvalue()


def tamper(sql, params=()):
    """Raw SQL on the history, behind the application's back: on PostgreSQL inside the
    documented maintenance step (the triggers refuse it otherwise)."""
    with chain.maintenance(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def item_rows(item):
    return list(Item.history.filter(id=item.pk).order_by("history_id").values_list("history_id", flat=True))


@pytest.fixture
def worked(world):
    """An item created (the bulk path), edited, worked on and submitted (simple-history's path)."""
    item = make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    workflow.post_progress(world.owner, item, text="已组织学习", percent=40)
    item.refresh_from_db()
    workflow.post_progress(world.owner, item, text="已全部完成", percent=100)
    item.refresh_from_db()
    workflow.submit(world.owner, item)
    item.refresh_from_db()
    return item


def test_every_row_is_chained_and_verifies(worked):
    rows = list(Item.history.filter(id=worked.pk).order_by("history_id"))
    assert len(rows) >= 4
    assert rows[0].history_prev_hash == ""
    for before, after in zip(rows, rows[1:], strict=False):
        assert after.history_prev_hash == before.history_hash
    head = ChainHead.objects.get(chain="ledger.historicalitem", record_id=worked.pk)
    assert (head.length, head.hash) == (len(rows), rows[-1].history_hash)
    code, output = verify()
    assert code == 0, output
    assert "intact" in output
    run = ChainVerification.objects.get()
    assert run.ok and run.rows_checked >= len(rows) and run.problem_count == 0


def test_an_edited_row_is_found(worked):
    rows = item_rows(worked)
    tamper(f"UPDATE {ITEM_TABLE} SET measures = %s WHERE history_id = %s", ["改过的措施", rows[1]])
    code, output = verify()
    assert code == 1
    assert f"changed: ledger.historicalitem record {worked.pk} row {rows[1]}" in output
    assert f"first broken link: ledger.historicalitem record {worked.pk} row {rows[1]}" in output
    run = ChainVerification.objects.get()
    assert not run.ok and run.problems[0]["kind"] == chain.CHANGED


def test_a_deleted_row_is_found(worked):
    rows = item_rows(worked)
    tamper(f"DELETE FROM {ITEM_TABLE} WHERE history_id = %s", [rows[1]])
    code, output = verify()
    assert code == 1
    assert f"deleted: ledger.historicalitem record {worked.pk} row {rows[2]}" in output


def test_the_last_row_deleted_is_found(worked):
    rows = item_rows(worked)
    tamper(f"DELETE FROM {ITEM_TABLE} WHERE history_id = %s", [rows[-1]])
    code, output = verify()
    assert code == 1
    assert "1 row(s) after this one missing" in output


def test_a_whole_chain_deleted_is_found(worked):
    tamper(f"DELETE FROM {ITEM_TABLE} WHERE id = %s", [worked.pk])
    code, output = verify()
    assert code == 1
    assert f"chain_deleted: ledger.historicalitem record {worked.pk}" in output


def test_an_inserted_row_is_found(worked):
    rows = item_rows(worked)
    columns = [f.column for f in Item.history.model._meta.concrete_fields if f.column != "history_id"]
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    # A copy of an old row slipped in, hashes and all: it links to nothing after it.
    tamper(
        f"INSERT INTO {ITEM_TABLE} ({names}) SELECT {names} FROM {ITEM_TABLE} WHERE history_id = %s",
        [rows[0]],
    )
    code, output = verify()
    assert code == 1
    assert f"ledger.historicalitem record {worked.pk}" in output


def test_a_row_without_a_hash_is_an_insertion(worked):
    rows = item_rows(worked)
    tamper(f"UPDATE {ITEM_TABLE} SET history_hash = '' WHERE history_id = %s", [rows[-1]])
    code, output = verify()
    assert code == 1
    assert f"inserted: ledger.historicalitem record {worked.pk} row {rows[-1]}: row without a hash" in output


def test_postgresql_refuses_changes_sqlite_leaves_them_to_the_chain(worked):
    rows = item_rows(worked)
    statements = [
        (f"UPDATE {ITEM_TABLE} SET measures = 'x' WHERE history_id = %s", [rows[0]]),
        (f"DELETE FROM {ITEM_TABLE} WHERE history_id = %s", [rows[0]]),
        (f"DELETE FROM {ChainHead._meta.db_table} WHERE record_id = %s", [worked.pk]),
    ]
    for sql, params in statements:
        if connection.vendor == "postgresql":
            with (
                pytest.raises(DatabaseError, match="append-only"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(sql, params)
        else:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, params)
    if connection.vendor == "postgresql":
        assert item_rows(worked) == rows
        assert verify()[0] == 0
    else:
        assert verify()[0] == 1


def test_every_history_table_is_chained_and_protected(db):
    models = chain.history_models()
    labels = {model._meta.label_lower for model in models}
    assert {"ledger.historicalitem", "ledger.historicalprogressupdate", "core.historicaluser"} <= labels
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname = %s", [chain.TRIGGER]
            )
            protected = {name.strip('"') for (name,) in cursor.fetchall()}
        assert {table for table, _ops in chain.protected_tables()} <= protected


def test_bulk_imports_chain_their_rows(world):
    rows = ledger_rows(count=5)
    with translation.override("en"):
        table = read_table(io.BytesIO(xlsx_bytes(rows)), "台账.xlsx")
        preview = prepare(table, world.committee, world.branch)
        commit(preview, world.committee, "台账.xlsx")
    items = list(Item.objects.all())
    assert len(items) == 5
    for item in items:
        (row,) = Item.history.filter(id=item.pk)
        assert row.history_prev_hash == "" and len(row.history_hash) == 64
        assert (
            ChainHead.objects.get(chain="ledger.historicalitem", record_id=item.pk).hash == row.history_hash
        )
    # Then edited one by one (simple-history's path) the chains go on from the bulk rows.
    item = items[0]
    workflow.edit_item(
        world.committee, item, expected_version=item.version, reason="改部门", department="机电科"
    )
    assert verify()[0] == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_writes_keep_valid_chains(world):
    items = [
        make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
        for _ in range(2)
    ]
    errors = []

    def work(item, n):
        try:
            for step in range(3):
                for attempt in range(20):
                    try:
                        fresh = Item.objects.get(pk=item.pk)
                        workflow.post_progress(
                            world.owner, fresh, text=f"第{n}组第{step}次", percent=10 * step
                        )
                        break
                    except Exception as error:  # a stale version or a busy database: retry
                        if attempt == 19:
                            raise error
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(items[n % 2], n)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert ProgressUpdate.objects.count() == 12
    code, output = verify()
    assert code == 0, output
    for item in items:
        head = ChainHead.objects.get(chain="ledger.historicalitem", record_id=item.pk)
        assert head.length == Item.history.filter(id=item.pk).count()


def test_a_printed_head_verifies_until_a_printed_row_is_changed(client, world, worked):
    client.force_login(world.committee)
    response = client.get(reverse("ledger:report_pdf"))
    assert response.status_code == 200
    text = pdfs.squeezed(pdfs.text(response.content))
    assert "历史链头" in text
    code = re.search(r"历史链头：([0-9A-F]{4}(?:-[0-9A-F]{4}){3})", text).group(1)
    checkpoint = ChainCheckpoint.objects.get()
    assert chain.short_code(checkpoint.digest) == code
    assert [row[:2] for row in checkpoint.heads] == [["ledger.historicalitem", worked.pk]]
    assert verify("--at", code)[0] == 0
    # Later work on the item does not touch what was printed.
    workflow.edit_item(
        world.committee, worked, expected_version=worked.version, reason="改部门", department="机电科"
    )
    assert verify("--at", code)[0] == 0
    # A printed row changed afterwards, with its chain and head forged to match: the whole-chain
    # walk sees nothing, the printed head does.
    first = item_rows(worked)[0]
    tamper(f"UPDATE {ITEM_TABLE} SET department = %s WHERE history_id = %s", ["别的部门", first])
    chain.rechain()
    assert verify()[0] == 0
    status, output = verify("--at", code)
    assert status == 1
    assert f"changed: ledger.historicalitem record {worked.pk}" in output
    assert ChainVerification.objects.order_by("-started").first().at == checkpoint.digest


def test_an_unknown_printed_head_fails(db):
    with pytest.raises(Exception, match="No printed chain head"):
        call_command("verify_history", "--at", "0000-0000-0000-0000", stdout=io.StringIO())


def test_the_dossier_prints_its_head(client, world, worked):
    client.force_login(world.committee)
    response = client.get(reverse("ledger:item_dossier", args=[worked.pk]))
    assert response.status_code == 200
    text = pdfs.squeezed(pdfs.text(response.content))
    checkpoint = ChainCheckpoint.objects.get()
    assert chain.short_code(checkpoint.digest) in text
    chains = {row[0] for row in checkpoint.heads}
    assert chains == {"ledger.historicalitem", "ledger.historicalprogressupdate"}


@pytest.mark.parametrize(
    "who, status", [("member", 403), ("owner", 403), ("committee", 403), ("outsider", 403)]
)
def test_the_page_is_refused_to_others(client, world, who, status):
    client.force_login(getattr(world, who))
    assert client.get(PAGE).status_code == status
    assert 'id="nav-history-chain"' not in client.get(reverse("dashboard")).content.decode()


def test_anonymous_is_sent_to_log_in(client):
    assert client.get(PAGE).status_code == 302


def test_leadership_and_superusers_see_the_head_and_last_run(client, world, worked, django_user_model):
    verify()
    tamper(f"UPDATE {ITEM_TABLE} SET measures = 'x' WHERE history_id = %s", [item_rows(worked)[0]])
    verify()
    admin = django_user_model.objects.create_superuser("root", password="pass-for-tests")
    for person in (world.leadership, admin):
        client.force_login(person)  # (a login writes a history row of the person: a new head)
        head, _chains = chain.global_digest()
        page = client.get(PAGE).content.decode()
        assert chain.short_code(head) in page and head in page
        assert "已断链" in page and "被修改" in page
        assert 'id="nav-history-chain"' in client.get(reverse("dashboard")).content.decode()


def test_the_canonical_text_is_the_same_from_python_and_from_the_database(worked):
    model = Item.history.model
    row = model.objects.filter(id=worked.pk).order_by("-history_id").values().first()
    python = {
        f.attname: getattr(model.objects.get(history_id=row["history_id"]), f.attname)
        for f in model._meta.concrete_fields
    }
    assert chain.payload(model, row) == chain.payload(model, python)


def test_canonical_values():
    model = Item.history.model
    field = Item._meta.get_field("deadline")
    assert chain._canonical("DateField", field, datetime.date(2026, 1, 2)) == "2026-01-02"
    aware = datetime.datetime(2026, 1, 2, 8, 0, 0, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    assert chain._canonical("DateTimeField", None, aware) == "2026-01-02T00:00:00.000005Z"
    decimal = type("F", (), {"decimal_places": 2})()
    assert chain._canonical("DecimalField", decimal, Decimal("1.5")) == chain._canonical(
        "DecimalField", decimal, "1.50"
    )
    assert chain._canonical("JSONField", type("F", (), {"encoder": None})(), {"b": 1, "a": (1, 2)}) == {
        "a": [1, 2],
        "b": 1,
    }
    # Empty values are left out: a new nullable column keeps the old rows' hashes.
    assert chain.payload(model, {"measures": "x", "deadline": None}) == chain.payload(
        model, {"measures": "x"}
    )


@pytest.mark.parametrize(
    "value",
    [
        datetime.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=datetime.UTC),
        datetime.datetime(
            2026, 12, 31, 23, 59, 59, 999999, tzinfo=datetime.timezone(datetime.timedelta(hours=8))
        ),
        datetime.datetime(2026, 1, 2, 3, 4, 5),  # naive: read as UTC
        datetime.datetime(999, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),  # the year unpadded, as ever
        "2026-01-02T03:04:05.000006+08:00",
    ],
)
def test_times_hash_as_the_chain_first_wrote_them(value):
    """The fast text of a time is the text the chain has hashed since it began (strftime)."""
    as_time = datetime.datetime.fromisoformat(value) if isinstance(value, str) else value
    if as_time.utcoffset() is None:
        as_time = as_time.replace(tzinfo=datetime.UTC)
    expected = as_time.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert chain._canonical("DateTimeField", None, value) == expected


@pytest.mark.django_db(transaction=True)
def test_heads_are_written_and_moved_in_statements_of_a_few_hundred():
    """`_save_heads` writes new heads and moves existing ones, more of them than one statement holds."""
    at = datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC)
    with transaction.atomic():
        chain._save_heads("test.chain", {rid: (1, f"{rid:064x}") for rid in range(1, 1201)}, at)
    later = at + datetime.timedelta(days=1)
    with transaction.atomic():
        chain._save_heads("test.chain", {rid: (2, f"{rid + 1:064x}") for rid in range(600, 1301)}, later)
    heads = {h.record_id: h for h in ChainHead.objects.filter(chain="test.chain")}
    assert len(heads) == 1300
    assert (heads[1].length, heads[1].hash, heads[1].updated) == (1, f"{1:064x}", at)
    assert (heads[600].length, heads[600].hash, heads[600].updated) == (2, f"{601:064x}", later)
    assert (heads[1300].length, heads[1300].hash) == (2, f"{1301:064x}")
