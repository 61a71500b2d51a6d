"""Writing new records at once, for the workflow (every new item, imports, the demo seed): the
rows `bulk_create()` and simple-history's `bulk_history_create()` write, at a fraction of their
cost. The history rows carry the open action's id and emit one event each after the commit
(`core.audit`, `core.events`), as a single save does.

Django's bulk insert prepares every value of every row through its SQL compiler, and
simple-history first builds a historical model instance per row: for a 10,000-row ledger that
is most of an import's time. Here a record's values are read off it in one call, and only the
values that need it (dates and times) are prepared, once per distinct value. PostgreSQL gets
the rows through ``COPY … FROM STDIN``, SQLite through one ``executemany()``; new records'
primary keys are drawn first, so that no statement needs ``RETURNING``.

Nothing here checks anything: callers validate the records first (see
`workflow.import_new_items`). Of the workflow's records, only the workflow writes here (the
importer inserts its own bookkeeping, `ImportedRow`). No model signals are sent.
"""

import datetime
import functools
import operator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection, connections
from django.db.models import NOT_PROVIDED, signals
from django.db.models.base import ModelState
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from core import audit, chain, events

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
        # Read from the instance's `__dict__`, where the model keeps a loaded value: through the
        # attribute, each foreign key's id goes through its descriptor (a Python call per
        # value, a data descriptor cannot be bypassed). A field not loaded (deferred) is read
        # through the attribute, which loads it.
        by_key = operator.itemgetter(*attnames)
        by_attribute = operator.attrgetter(*attnames)
        single = len(attnames) == 1

        def get(obj):
            try:
                values = by_key(obj.__dict__)
            except KeyError:
                values = by_attribute(obj)
            return (values,) if single else values

        self.get = get
        self.constants = list(constants)
        # The connection itself, not the `django.db.connection` proxy: a value's preparation
        # reads it several times, and through the proxy that is most of the preparation's cost.
        self.connection = connections[connection.alias]
        self.prepared = [
            (
                position,
                self._preparation(field),
                {} if field.get_internal_type() in _REPEATING_TYPES else None,
            )
            for position, field in enumerate(fields)
            if not _is_plain(field)
        ]

    @staticmethod
    def getter(attnames):
        """A function reading `attnames` off a record, as a tuple."""
        getter = operator.attrgetter(*attnames)
        return getter if len(attnames) > 1 else lambda obj: (getter(obj),)

    def _preparation(self, field):
        """The function preparing a value of `field` for the database."""
        if field.get_internal_type() == "DateTimeField" and settings.USE_TZ:
            # An aware time needs no preparation but the backend's (the field's own checks for
            # a naive time and warns): the history's times are all distinct, none is cached.
            adapt = self.connection.ops.adapt_datetimefield_value
            if self.connection.vendor == "sqlite":
                # SQLite's adaptation without its layers (the seed writes a million times): the
                # time in the connection's zone, naive, as text.
                zone = self.connection.timezone

                def prepare(value):
                    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
                        return str(value.astimezone(zone).replace(tzinfo=None))
                    return field.get_db_prep_save(value, self.connection)

                return prepare

            def prepare(value):
                if isinstance(value, datetime.datetime) and value.tzinfo is not None:
                    return adapt(value)
                return field.get_db_prep_save(value, self.connection)

            return prepare
        return functools.partial(field.get_db_prep_save, connection=self.connection)

    def __call__(self, obj):
        row = [*self.get(obj), *self.constants]
        for position, prepare, cache in self.prepared:
            value = row[position]
            if value is None:
                continue
            if cache is None:
                row[position] = prepare(value)
            elif value in cache:
                row[position] = cache[value]
            else:
                row[position] = cache[value] = prepare(value)
        return row


class Maker:
    """Makes new, unsaved instances of `model`: `Maker(Item)(measures=…, issue=…)` is
    `Item(measures=…, issue=…)` at a fraction of its cost.

    Django's constructor looks every field up among the keyword arguments, sets each value
    through the field's descriptor and each related object through its own (asking the
    database router). Here the values (the other fields at their defaults, related objects by
    their keys) go straight into the instance's `__dict__` under the fields' attribute names,
    where the constructor puts them too, and a related object is kept as the field's cached
    value, as its descriptor keeps it. No `pre_init`/`post_init` signal is sent: none is
    connected for the models imports create (a model with an image field would need them).
    """

    def __init__(self, model):
        if signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
            raise TypeError(
                f"{model.__name__} has pre_init or post_init receivers: make it with {model.__name__}()"
            )
        self.model = model
        fields = model._meta.concrete_fields
        if any(f.db_default is not NOT_PROVIDED for f in fields):
            raise TypeError(f"{model.__name__} has database defaults: make it with {model.__name__}()")
        self.attname = {f.name: f.attname for f in fields} | {f.attname: f.attname for f in fields}
        self.defaults = {f.attname: f.get_default() for f in fields}
        # A callable default (a new dict, the time now) is called for each instance.
        self.callable_defaults = [f for f in fields if f.has_default() and callable(f.default)]
        self.relations = {f.name: f for f in fields if f.is_relation}

    def __call__(self, **values):
        data = self.defaults.copy()
        for field in self.callable_defaults:
            if field.name not in values and field.attname not in values:
                data[field.attname] = field.get_default()
        related = self.relations
        cached = {}
        for name, value in values.items():
            if name in related and value is not None:
                data[related[name].attname] = value.pk
                cached[related[name].cache_name] = value
            else:
                data[self.attname[name]] = value
        obj = self.model.__new__(self.model)
        obj.__dict__ = data
        obj._state = ModelState()
        if cached:
            obj._state.fields_cache.update(cached)
        return obj


def insert_records(model, objs, now=None, *, keep_times=False):
    """`bulk_create(objs)` for new records without custom save logic; sets their primary keys.

    Fields with `auto_now` or `auto_now_add` are set to `now` (the current time by default),
    unless `keep_times` (the demo seed, which writes records made in the past with their times).
    The keys are drawn first (PostgreSQL: from the table's sequence; SQLite: above the largest
    key the table ever had, which the write lock its transactions take keeps ours), so that the
    rows go in as plain data, without ``RETURNING``.
    """
    if not objs:
        return
    meta = model._meta
    now = now or timezone.now()
    for field in () if keep_times else meta.concrete_fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for obj in objs:
                setattr(obj, field.attname, now)
    if connection.vendor not in ("postgresql", "sqlite"):
        model.objects.bulk_create(objs)
        return
    for obj, pk in zip(objs, _next_ids(meta, len(objs)), strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
    if chain.is_chained(model):
        # History rows written directly (the demo seed): chained in the order of their keys.
        attnames = chain.hashed_attnames(model)
        row_of = _Values.getter(attnames)
        rows = [dict(zip(attnames, row_of(obj), strict=True)) for obj in objs]
        for obj, (prev, new) in zip(objs, chain.link_many(model, rows), strict=True):
            obj.history_prev_hash, obj.history_hash = prev, new
    fields = [meta.pk, *(f for f in meta.concrete_fields if not f.primary_key)]
    values = _Values(fields)
    _write(meta.db_table, fields, (values(obj) for obj in objs))


def insert_history(model, objs, actor, action, reason, date, *, update=False):
    """The rows `bulk_history_create()` writes for `objs` (user, action, reason, date), under
    the open action's id (`core.audit.action`); emits one event per record after the
    transaction commits, as `core.audit.save_with_history` does for one."""
    history = model.history.model
    action_id = audit.current_action_id()
    stamps = {
        "history_date": date,
        "history_user_id": actor.pk,
        "history_change_reason": reason or "",
        "history_type": "~" if update else "+",
        "history_action": action,
        "history_action_id": action_id,
    }
    links = [history._meta.get_field("history_prev_hash"), history._meta.get_field("history_hash")]
    tracked = [
        f
        for f in history._meta.concrete_fields
        if f.attname not in stamps and not f.primary_key and f not in links
    ]
    known = {f.attname for f in history.tracked_fields}
    unknown = {f.attname for f in tracked} - known
    if unknown:
        raise TypeError(f"insert_history() cannot fill {sorted(unknown)} of {history.__name__}")
    if not objs:
        return
    stamp_fields = [history._meta.get_field(name) for name in stamps]
    constants = [f.get_db_prep_save(stamps[f.attname], connection) for f in stamp_fields]
    values = _Values(tracked, constants)
    # The rows' hash chains (`core.chain`): each row linked to its record's head, read locked.
    attnames = [f.attname for f in tracked]
    row_of = _Values.getter(attnames)
    chained = chain.link_many(
        history, [{**dict(zip(attnames, row_of(obj), strict=True)), **stamps} for obj in objs]
    )
    _write(
        history._meta.db_table,
        tracked + stamp_fields + links,
        ([*values(obj), *pair] for obj, pair in zip(objs, chained, strict=True)),
    )
    if events.listening():
        label = model._meta.label_lower
        events.emit(
            audit.make_event(
                obj,
                model_label=label,
                actor_id=actor.pk,
                action=action,
                reason=reason,
                at=date,
                changed=audit.changed_fields(obj, not update),
                action_id=action_id,
                created=not update,
            )
            for obj in objs
        )


def _next_ids(meta, count):
    """`count` new primary keys for the table of `meta`."""
    table, column = meta.db_table, meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, column, count],
            )
            return [pk for (pk,) in cursor.fetchall()]
        # AUTOINCREMENT: above the largest key ever given (kept in sqlite_sequence) and the
        # largest one there is. Only safe under the write lock a transaction takes (BEGIN
        # IMMEDIATE, see core/settings.py): no other writer can take the same keys meanwhile.
        if not connection.in_atomic_block:
            raise TransactionManagementError("Keys are drawn for new records inside a transaction only.")
        ops = connection.ops
        cursor.execute(
            "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "
            f"COALESCE((SELECT MAX({ops.quote_name(column)}) FROM {ops.quote_name(table)}), 0))",
            [table],
        )
        (last,) = cursor.fetchone()
        return range(last + 1, last + 1 + count)


@contextmanager
def _logged(cursor, sql):
    """Log a statement the way Django's debug cursor logs `execute()` (query counts see it)."""
    if hasattr(cursor, "debug_sql"):
        with cursor.debug_sql(sql):
            yield
    else:
        yield


def _write(table, fields, rows):
    """Insert `rows` (values in the order of `fields`): ``COPY`` on PostgreSQL, else one
    ``executemany()``."""
    ops = connection.ops
    columns = ", ".join(ops.quote_name(f.column) for f in fields)
    if connection.vendor == "postgresql":
        sql = f"COPY {ops.quote_name(table)} ({columns}) FROM STDIN"
        with (
            connection.cursor() as cursor,
            _logged(cursor, sql),
            connection.wrap_database_errors,
            cursor.cursor.copy(sql) as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        ops.quote_name(table), columns, ", ".join(["%s"] * len(fields))
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, list(rows))
