"""The item keyword index's function names the schema of the function it calls.

`pg_dump` / `pg_restore` run with an empty search_path (PostgreSQL's safe default since 10.3):
`ledger_item_bigrams` called `ledger_bigrams` unqualified, so restoring a dump failed at
``CREATE INDEX item_keyword_bigrams`` ("function ledger_bigrams(text) does not exist"). The call
now names the schema the function lives in; the body is the same SQL, so the existing index
stays valid (and the function is still inlined).
"""

from django.db import migrations

BODY = """
    CREATE OR REPLACE FUNCTION ledger_item_bigrams(reference text, measures text, department text)
    RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT {prefix}ledger_bigrams(
            coalesce(reference, '') || ' ' || coalesce(measures, '') || ' ' || coalesce(department, '')
        )
    $$
"""


def _schema(schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE p.proname = 'ledger_bigrams' AND n.nspname = ANY(current_schemas(false))"
        )
        return cursor.fetchone()[0]


def qualified(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        prefix = schema_editor.quote_name(_schema(schema_editor)) + "."
        schema_editor.execute(BODY.format(prefix=prefix))


def unqualified(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BODY.format(prefix=""))


class Migration(migrations.Migration):
    dependencies = [("ledger", "0014_report_heartbeat")]

    operations = [migrations.RunPython(qualified, unqualified)]
