"""The keyword indexes' bigrams (`0002_lists_indexes`), worked out in one pass over the text.

The first function took the bigrams with `substr(upper(t), i, 2)` for every position: each call
upper-cases the whole text again and walks its characters from the start (UTF-8), so a text of
n characters cost n² steps, and each row a SQL statement of its own (generate_series, a sorted
DISTINCT). Indexing an import's items cost more than inserting them (5,000 items: 0.3 s of
0.5 s; a 3,600-character text, 0.2 s). This one splits the upper-cased text into its characters
once and pairs neighbours: the same bigrams (repeats included, in text order: a GIN index and
the `@>` of `ledger.search` read the array as a set, so the existing indexes stay valid), in
a third of the time for a ledger's texts and linear in their length.
"""

from django.db import migrations

LINEAR = """
    CREATE OR REPLACE FUNCTION ledger_bigrams(t text) RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
    DECLARE
        characters text[] := regexp_split_to_array(upper(t), '');
        bigrams text[] := '{}';
    BEGIN
        -- As substr(upper(t), i, 2) for i from 1 to length(t) - 1, without walking the text
        -- from its start for each i (a character past the end is '', as substr gives it).
        FOR i IN 1 .. length(t) - 1 LOOP
            bigrams := bigrams || (coalesce(characters[i], '') || coalesce(characters[i + 1], ''));
        END LOOP;
        RETURN bigrams;
    END
    $$
"""
FIRST = """
    CREATE OR REPLACE FUNCTION ledger_bigrams(t text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT coalesce(array_agg(DISTINCT substr(upper(t), i, 2)), '{}')
        FROM generate_series(1, length(t) - 1) AS i
    $$
"""


def linear(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(LINEAR)


def first(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FIRST)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0012_chain_backfill")]

    operations = [migrations.RunPython(linear, first)]
