"""Writing many new records at once, for imports: the rows `bulk_create()` and simple-history's
`bulk_history_create()` write, at a fraction of their cost.

Django's bulk insert prepares every value of every row through its SQL compiler, and
simple-history first builds a historical model instance per row: for a 10,000-row ledger that
is most of an import's time. Here a record's values are read off it in one call, and only the
values that need it (dates and times) are prepared, once per distinct value. PostgreSQL gets
the rows through ``COPY … FROM STDIN`` (primary keys drawn from the table's sequence first);
other databases through ``INSERT … RETURNING`` and ``executemany()``.

Nothing here checks anything: callers validate the records first (see
`workflow.import_new_items`). No model signals are sent.
"""

import operator
from contextlib import contextmanager

from django.db import connection
from django.utils import timezone

_INTEGER_TYPES = {
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "PositiveSmallIntegerField",
}
# Values of these fields go to the database as they are: their preparation returns them unchanged.
_PLAIN_TYPES = {"CharField", "TextField", "SlugField", "EmailField", *_INTEGER_TYPES}
# Values of these fields repeat (one import time, a few hundred deadlines) and are hashable:
# each distinct one is prepared once.
_REPEATING_TYPES = {"DateField", "DateTimeField", "TimeField", "BooleanField", "DecimalField", "UUIDField"}


def _is_plain(field):
    if field.is_relation:
        return field.target_field.get_internal_type() in _INTEGER_TYPES
    return field.get_internal_type() in _PLAIN_TYPES


class _Values:
    """Reads the database values of `fields` off a record, as a list, followed by `constants`."""

    def __init__(self, fields, constants=()):
        attnames = [f.attname for f in fields]
        getter = operator.attrgetter(*attnames)
        self.get = getter if len(attnames) > 1 else lambda obj: (getter(obj),)
        self.constants = list(constants)
        self.prepared = [
            (position, field, {} if field.get_internal_type() in _REPEATING_TYPES else None)
            for position, field in enumerate(fields)
            if not _is_plain(field)
        ]

    def __call__(self, obj):
        row = [*self.get(obj), *self.constants]
        for position, field, cache in self.prepared:
            value = row[position]
            if value is None:
                continue
            if cache is None:
                row[position] = field.get_db_prep_save(value, connection)
            elif value in cache:
                row[position] = cache[value]
            else:
                row[position] = cache[value] = field.get_db_prep_save(value, connection)
        return row


def insert_records(model, objs, now=None):
    """`bulk_create(objs)` for new records without custom save logic; sets their primary keys.

    Fields with `auto_now` or `auto_now_add` are set to `now` (the current time by default).
    """
    if not objs:
        return
    meta = model._meta
    now = now or timezone.now()
    for field in meta.concrete_fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for obj in objs:
                setattr(obj, field.attname, now)
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    if connection.vendor == "postgresql":
        for obj, pk in zip(objs, _next_ids(meta.db_table, meta.pk.column, len(objs)), strict=True):
            obj.pk = pk
        values = _Values([meta.pk, *fields])
        _copy(meta.db_table, [meta.pk, *fields], (values(obj) for obj in objs))
    elif connection.features.can_return_rows_from_bulk_insert:
        _insert_returning(meta, fields, objs)
    else:
        model.objects.bulk_create(objs)
        return
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


def insert_history(model, objs, actor, action, reason, date, *, update=False):
    """The rows `bulk_history_create()` writes for `objs` (user, action, reason, date)."""
    history = model.history.model
    stamps = {
        "history_date": date,
        "history_user_id": actor.pk,
        "history_change_reason": reason or "",
        "history_type": "~" if update else "+",
        "history_action": action,
    }
    tracked = [f for f in history._meta.concrete_fields if f.attname not in stamps and not f.primary_key]
    known = {f.attname for f in history.tracked_fields}
    unknown = {f.attname for f in tracked} - known
    if unknown:
        raise TypeError(f"insert_history() cannot fill {sorted(unknown)} of {history.__name__}")
    if not objs:
        return
    stamp_fields = [history._meta.get_field(name) for name in stamps]
    constants = [f.get_db_prep_save(stamps[f.attname], connection) for f in stamp_fields]
    values = _Values(tracked, constants)
    rows = (values(obj) for obj in objs)
    columns = tracked + stamp_fields
    if connection.vendor == "postgresql":
        _copy(history._meta.db_table, columns, rows)
        return
    ops = connection.ops
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        ops.quote_name(history._meta.db_table),
        ", ".join(ops.quote_name(f.column) for f in columns),
        ", ".join(["%s"] * len(columns)),
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, list(rows))


@contextmanager
def _logged(cursor, sql):
    """Log a statement the way Django's debug cursor logs `execute()` (query counts see it)."""
    if hasattr(cursor, "debug_sql"):
        with cursor.debug_sql(sql):
            yield
    else:
        yield


def _next_ids(table, column, count):
    sql = "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)"
    with connection.cursor() as cursor:
        cursor.execute(sql, [table, column, count])
        return [pk for (pk,) in cursor.fetchall()]


def _copy(table, fields, rows):
    ops = connection.ops
    sql = "COPY {} ({}) FROM STDIN".format(
        ops.quote_name(table), ", ".join(ops.quote_name(f.column) for f in fields)
    )
    with (
        connection.cursor() as cursor,
        _logged(cursor, sql),
        connection.wrap_database_errors,
        cursor.cursor.copy(sql) as copy,
    ):
        for row in rows:
            copy.write_row(row)


def _insert_returning(meta, fields, objs):
    """Multi-row ``INSERT … RETURNING`` in batches; the keys come back in the rows' order, as
    Django's own bulk insert relies on."""
    ops = connection.ops
    head = "INSERT INTO {} ({}) VALUES ".format(
        ops.quote_name(meta.db_table), ", ".join(ops.quote_name(f.column) for f in fields)
    )
    tail = f" RETURNING {ops.quote_name(meta.pk.column)}"
    one = "({})".format(", ".join(["%s"] * len(fields)))
    size = max(ops.bulk_batch_size(fields, objs), 1)
    values = _Values(fields)
    with connection.cursor() as cursor:
        for start in range(0, len(objs), size):
            batch = objs[start : start + size]
            params = []
            for obj in batch:
                params.extend(values(obj))
            cursor.execute(head + ", ".join([one] * len(batch)) + tail, params)
            for obj, (pk,) in zip(batch, cursor.fetchall(), strict=True):
                obj.pk = pk
