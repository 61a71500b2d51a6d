"""Backup and restore of the whole ledger (`manage.py backup_ledger` / `restore_ledger`).

A backup is one zip file:

- ``manifest.json``: the format, when it was written, the database it came from, the latest
  applied migration of each app and the number of rows of each model;
- ``data.jsonl``: every row of the apps ``core`` and ``ledger`` (the history tables, the chain's
  heads, checkpoints and verifications included) and the groups, one JSON object a line (Django's
  ``jsonl`` serialisation), each with its primary key and every column as stored;
- ``media/…``: every file under MEDIA_ROOT (evidence, Word templates, generated reports).

Keys are kept as they are: a history row's hash covers its columns (foreign keys as integers),
so a restored row must be the same row. Only references to Django's own tables (permissions,
content types), whose keys a fresh migration may number differently, are written by natural key.

A restore goes into an empty, migrated database of the same migrations (it refuses any other),
in one transaction: nothing is loaded unless everything is. On PostgreSQL the sequences are set
past the loaded keys afterwards. The history is only inserted, so the append-only triggers
(`core.chain`) have nothing to refuse.
"""

import datetime
import io
import json
import shutil
import zipfile
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers import jsonl
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext as _

FORMAT = "ledger-backup/1"
MANIFEST = "manifest.json"
DATA = "data.jsonl"
MEDIA = "media/"
APPS = ("core", "ledger")
# Rows the migrations themselves write into an empty database (ledger 0001: the categories);
# a restore replaces them with the backup's.
SEEDED = frozenset({"ledger.category"})
# Apps whose keys a fresh migration draws again: referenced by natural key.
NATURAL_APPS = frozenset({"auth", "contenttypes"})


class BackupError(Exception):
    """A backup that cannot be read or a database it cannot go into (the message says why)."""


def backed_up_models():
    """The models a backup holds, in a stable order: the groups, then every concrete model of
    our apps (history models included)."""
    models = [apps.get_model("auth", "Group")]
    for label in APPS:
        models.extend(
            model
            for model in apps.get_app_config(label).get_models()
            if model._meta.managed and not model._meta.proxy
        )
    return models


class _Serializer(jsonl.Serializer):
    """Django's jsonl serialisation, with natural keys only for Django's own tables."""

    def _natural(self, field):
        self.use_natural_foreign_keys = field.remote_field.model._meta.app_label in NATURAL_APPS

    def _value_from_field(self, obj, field):
        # Times in full: the JSON encoder would cut them to milliseconds, and the hash covers
        # the microseconds.
        value = field.value_from_object(obj)
        if isinstance(value, (datetime.datetime, datetime.time)):
            return value.isoformat()
        return super()._value_from_field(obj, field)

    def handle_fk_field(self, obj, field):
        self._natural(field)
        super().handle_fk_field(obj, field)

    def handle_m2m_field(self, obj, field):
        self._natural(field)
        super().handle_m2m_field(obj, field)


def _migrations():
    """{app: [applied migration names, sorted]} of our apps and auth."""
    applied = MigrationRecorder(connection).applied_migrations()
    names = {}
    for app, name in applied:
        if app in (*APPS, "auth", "contenttypes"):
            names.setdefault(app, []).append(name)
    return {app: sorted(found) for app, found in sorted(names.items())}


def _media_files():
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return []
    return sorted(path for path in root.rglob("*") if path.is_file())


def write_backup(target):
    """Write the backup of the whole ledger to `target` (a path or a binary file). Returns the
    manifest. Reads in one transaction (on PostgreSQL a consistent snapshot: REPEATABLE READ)."""
    counts = {}
    # A transaction of its own (not one a caller opened, whose first query ran already).
    snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic():
        if snapshot:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            with archive.open(DATA, "w", force_zip64=True) as raw:
                stream = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
                serializer = _Serializer()
                for model in backed_up_models():
                    rows = model._base_manager.order_by("pk")
                    counts[model._meta.label_lower] = rows.count()
                    serializer.serialize(rows.iterator(chunk_size=2000), stream=stream)
                stream.flush()
                stream.detach()
            root = Path(settings.MEDIA_ROOT)
            files = []
            for path in _media_files():
                name = path.relative_to(root).as_posix()
                archive.write(path, MEDIA + name)
                files.append(name)
            manifest = {
                "format": FORMAT,
                "written": timezone.now().isoformat(),
                "vendor": connection.vendor,
                "migrations": _migrations(),
                "counts": counts,
                "media": len(files),
            }
            archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True))
    return manifest


def read_manifest(archive):
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except (KeyError, ValueError):
        raise BackupError(_("This file is not a backup of the ledger (it has no manifest).")) from None
    if manifest.get("format") != FORMAT:
        raise BackupError(
            _("This backup has the format “{found}”; this version reads “{expected}”.").format(
                found=manifest.get("format"), expected=FORMAT
            )
        )
    return manifest


def non_empty_models():
    """Labels of the models that hold rows of their own (beyond what the migrations write)."""
    return [
        model._meta.label_lower
        for model in backed_up_models()
        if model._meta.label_lower not in SEEDED and model._base_manager.exists()
    ]


def _open(source):
    try:
        return zipfile.ZipFile(source)
    except (OSError, zipfile.BadZipFile) as error:
        raise BackupError(_("The backup cannot be read: {error}").format(error=error)) from None


def _media_target(name):
    """The path under MEDIA_ROOT of a file in the backup; refuses names leaving it."""
    relative = PurePosixPath(name[len(MEDIA) :])
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise BackupError(_("The backup holds a file outside the media folder: {name}").format(name=name))
    return Path(settings.MEDIA_ROOT).joinpath(*relative.parts)


def restore_backup(source):
    """Load the backup `source` (a path or a binary file) into this empty, migrated database and
    its files under MEDIA_ROOT. Returns (manifest, {model label: rows loaded}). Raises
    `BackupError` (nothing loaded) when the database is not empty or not migrated alike."""
    with _open(source) as archive:
        manifest = read_manifest(archive)
        if manifest["migrations"] != _migrations():
            raise BackupError(
                _(
                    "The backup was written by another version of the ledger (other migrations); "
                    "restore it with that version, or migrate this database to the same migrations."
                )
            )
        members = [name for name in archive.namelist() if name.startswith(MEDIA) and not name.endswith("/")]
        targets = {name: _media_target(name) for name in members}
        models = backed_up_models()
        loaded = {}
        with transaction.atomic():
            occupied = non_empty_models()
            if occupied:
                raise BackupError(
                    _(
                        "The database is not empty ({models} hold rows): a backup is restored only "
                        "into a newly migrated database. Nothing was changed."
                    ).format(models=", ".join(occupied[:5]) + ("…" if len(occupied) > 5 else ""))
                )
            # By SQL: a delete through the ORM would write history rows for them.
            with connection.cursor() as cursor:
                for label in sorted(SEEDED):
                    table = connection.ops.quote_name(apps.get_model(label)._meta.db_table)
                    cursor.execute(f"DELETE FROM {table}")
            with connection.constraint_checks_disabled(), archive.open(DATA) as raw:
                stream = io.TextIOWrapper(raw, encoding="utf-8")
                # INSERT only (the tables are empty): no UPDATE tried first.
                for restored in serializers.deserialize("jsonl", stream):
                    restored.save(force_insert=True)
                    label = restored.object._meta.label_lower
                    loaded[label] = loaded.get(label, 0) + 1
            connection.check_constraints(table_names=[model._meta.db_table for model in models])
            if manifest["counts"] != {
                model._meta.label_lower: loaded.get(model._meta.label_lower, 0) for model in models
            }:
                raise BackupError(
                    _("The backup is incomplete: its rows do not match its manifest. Nothing was loaded.")
                )
            statements = connection.ops.sequence_reset_sql(no_style(), models)
            if statements:
                with connection.cursor() as cursor:
                    for statement in statements:
                        cursor.execute(statement)
            for name, path in targets.items():
                path.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(name) as source_file, path.open("wb") as target_file:
                    shutil.copyfileobj(source_file, target_file)
    return manifest, loaded


def describe(manifest):
    """One line on a backup: when written, rows and files."""
    written = datetime.datetime.fromisoformat(manifest["written"])
    return _("{rows} rows of {models} models and {files} files, written {written}").format(
        rows=sum(manifest["counts"].values()),
        models=len(manifest["counts"]),
        files=manifest["media"],
        written=timezone.localtime(written).strftime("%Y-%m-%d %H:%M"),
    )
