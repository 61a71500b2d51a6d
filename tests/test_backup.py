"""Backup and restore (`backup_ledger` / `restore_ledger`): the demo data round-trips through a
backup file into an emptied database with equal rows, an intact history chain, a printed head
that still verifies and equal evidence bytes; a database that holds data is refused."""

import importlib
import json
import zipfile

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.management.color import no_style
from django.db import DatabaseError, connection, transaction
from django.utils import translation

from core import backup, chain
from core.models import ChainHead, User
from ledger import workflow
from ledger.models import Category, Evidence, Item

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _snapshot():
    """Every row of every backed-up model, by model, in key order (m2m as key lists)."""
    rows = {}
    for model in backup.backed_up_models():
        values = list(model._base_manager.order_by("pk").values())
        for field in model._meta.many_to_many:
            for row in values:
                row[field.name] = sorted(
                    model._base_manager.get(pk=row[model._meta.pk.attname])
                    .__getattribute__(field.name)
                    .values_list("pk", flat=True)
                )
        rows[model._meta.label_lower] = values
    return rows


def _empty_the_database():
    """What a newly migrated database holds: no rows of ours but the categories the migrations
    write. TRUNCATE on PostgreSQL (the history's triggers guard rows, not the table)."""
    tables = {"auth_group", "auth_group_permissions"}
    for label in backup.APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            tables.add(model._meta.db_table)
    statements = connection.ops.sql_flush(
        no_style(), sorted(tables), reset_sequences=True, allow_cascade=True
    )
    if connection.vendor == "postgresql":
        # The test's transaction holds deferred key checks, which TRUNCATE will not leave pending.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    connection.ops.execute_sql_flush(statements)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    initial = importlib.import_module("ledger.migrations.0001_initial")
    # As the migration writes them: no history rows.
    Category.objects.bulk_create(
        Category(name=name, name_en=name_en, sort_order=order * 10, is_default=is_default)
        for order, (name, name_en, is_default) in enumerate(initial.CATEGORIES, start=1)
    )
    assert not User.objects.exists() and not ChainHead.objects.exists()


@pytest.fixture
def demo(db, media):
    call_command("seed_demo", verbosity=0)
    item = Item.objects.filter(status=Item.Status.IN_PROGRESS).select_related("owner").first()
    evidence = workflow.attach_evidence(item.owner, item, SimpleUploadedFile("现场照片.png", PNG))
    printed = chain.checkpoint([(Item.history.model, [item.pk])], scope="test")
    return evidence, printed


def test_the_demo_round_trips_with_its_history_chain_and_files(demo, media, tmp_path, capsys):
    evidence, printed = demo
    before = _snapshot()
    path = tmp_path / "ledger.zip"
    call_command("backup_ledger", str(path))
    stored = media / evidence.file.name
    assert stored.read_bytes() == PNG

    _empty_the_database()
    stored.unlink()
    call_command("restore_ledger", str(path))

    after = _snapshot()
    assert {label: len(rows) for label, rows in after.items()} == {
        label: len(rows) for label, rows in before.items()
    }
    assert before["core.user"] and before["ledger.historicalitem"] and before["core.chainhead"]
    for label in before:
        assert after[label] == before[label], label
    assert Evidence.objects.get(pk=evidence.pk).file.read() == PNG
    capsys.readouterr()
    call_command("verify_history")
    call_command("verify_history", "--at", chain.short_code(printed))
    assert "intact" in capsys.readouterr().out
    # The sequences moved past the loaded keys: new rows (and their history rows) get new keys.
    category = Category.objects.create(name="新的类别", name_en="New", sort_order=999)
    assert category.pk > max(row["id"] for row in before["ledger.category"])
    item = Item.objects.select_related("owner").get(pk=evidence.item_id)
    again = workflow.attach_evidence(item.owner, item, SimpleUploadedFile("第二张.png", PNG))
    assert again.pk > evidence.pk
    assert again.history.get().history_id > max(
        row["history_id"] for row in before["ledger.historicalevidence"]
    )
    call_command("verify_history")


def test_a_database_holding_data_is_refused_and_keeps_it(demo, tmp_path):
    path = tmp_path / "ledger.zip"
    call_command("backup_ledger", str(path))
    Evidence.objects.filter(pk=demo[0].pk).update(original_name="改过的名字.png")
    before = _snapshot()
    with translation.override("zh-hans"), pytest.raises(CommandError, match="数据库不是空的"):
        call_command("restore_ledger", str(path))
    with translation.override("en"), pytest.raises(CommandError, match="The database is not empty"):
        call_command("restore_ledger", str(path))
    assert _snapshot() == before


def test_a_restore_that_fails_half_way_loads_nothing(demo, tmp_path):
    path = tmp_path / "ledger.zip"
    call_command("backup_ledger", str(path))
    # A backup whose manifest promises another row than its data holds.
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(broken, "w") as target:
        manifest = json.loads(source.read(backup.MANIFEST))
        manifest["counts"]["ledger.item"] += 1
        target.writestr(backup.MANIFEST, json.dumps(manifest))
        target.writestr(backup.DATA, source.read(backup.DATA))
    _empty_the_database()
    with translation.override("en"), pytest.raises(CommandError, match="incomplete"):
        call_command("restore_ledger", str(broken))
    assert not User.objects.exists() and not ChainHead.objects.exists() and not Item.objects.exists()
    assert Category.objects.count() == 5


def test_another_version_or_another_file_is_refused(db, tmp_path):
    path = tmp_path / "ledger.zip"
    call_command("backup_ledger", str(path))
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(other, "w") as target:
        manifest = json.loads(source.read(backup.MANIFEST))
        manifest["migrations"]["ledger"].append("9999_from_the_future")
        target.writestr(backup.MANIFEST, json.dumps(manifest))
        target.writestr(backup.DATA, source.read(backup.DATA))
    with translation.override("en"):
        with pytest.raises(CommandError, match="other migrations"):
            call_command("restore_ledger", str(other))
        not_a_backup = tmp_path / "notes.zip"
        with zipfile.ZipFile(not_a_backup, "w") as archive:
            archive.writestr("notes.txt", "hello")
        with pytest.raises(CommandError, match="not a backup"):
            call_command("restore_ledger", str(not_a_backup))
        (tmp_path / "plain.txt").write_text("hello")
        with pytest.raises(CommandError, match="cannot be read"):
            call_command("restore_ledger", str(tmp_path / "plain.txt"))
        with pytest.raises(CommandError, match="exists"):
            call_command("backup_ledger", str(path))
    call_command("backup_ledger", str(path), "--force")


def test_a_file_name_leaving_the_media_folder_is_refused(db, tmp_path):
    path = tmp_path / "ledger.zip"
    call_command("backup_ledger", str(path))
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("media/../../escaped.txt", "x")
    with translation.override("en"), pytest.raises(CommandError, match="outside the media folder"):
        call_command("restore_ledger", str(path))
    assert not (tmp_path / "escaped.txt").exists()


def test_the_keyword_index_function_works_under_the_empty_search_path_of_pg_restore(db):
    """pg_restore builds the indexes with an empty search_path: the item function must find the
    function it calls (ledger 0015) or the restore stops at CREATE INDEX item_keyword_bigrams."""
    if connection.vendor != "postgresql":
        # Other databases have no such function (their search is the plain LIKE).
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT ledger_item_bigrams('整改', NULL, NULL)")
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        (schema,) = cursor.fetchone()
        cursor.execute("SET LOCAL search_path = ''")
        name = connection.ops.quote_name(schema)
        cursor.execute(f"SELECT {name}.ledger_item_bigrams('整改', NULL, '矿')")
        (grams,) = cursor.fetchone()
    assert "整改" in grams and " 矿" in grams
