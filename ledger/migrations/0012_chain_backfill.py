"""Chain the history rows written before the chain existed (`core.chain.rechain`) and, on
PostgreSQL, make the history tables append-only (see `core.chain` and the README's
"Tamper-evident history")."""

from django.db import migrations

from core import chain


def backfill(apps, schema_editor):
    chain.rechain(apps)


def protect(apps, schema_editor):
    chain.install_triggers(apps, schema_editor)


def unprotect(apps, schema_editor):
    chain.remove_triggers(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_chain_hashes"),
        ("ledger", "0011_chain_hashes_word"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunPython(protect, unprotect),
    ]
