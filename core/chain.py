"""The tamper-evident history: every history row is chained by hash to the previous row of the
same record.

Granularity: one chain per record (per history table and original primary key), plus a small
head table (`core.ChainHead`, one row per chain: its length and last hash).

- Concurrent writers. A row's previous hash is read from its chain's head under a row lock
  (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's transactions take the write lock at BEGIN,
  see ``core/settings.py``). The workflow already locks the record it changes, so the head lock
  adds no waiting of its own: two committees closing two items lock two different heads and
  never wait for each other. A per-organization or global chain would serialise every write of
  a committee (or of the product) on one row, and every bulk import behind it.
- A deleted row (or an edited one, or one inserted by SQL) breaks its chain: the next row's
  previous hash no longer matches, or the row's own hash no longer matches its content, or
  the chain no longer ends at its head. A whole chain deleted leaves its head behind; a head
  deleted leaves rows no head accounts for (PostgreSQL also refuses the DELETE, see below).
- What a printed head proves. A report prints the digest of the heads of the records it
  prints (`checkpoint()`): SHA-256 over their sorted (chain, length, hash). The heads it covers
  are stored with it (`core.ChainCheckpoint`), so `verify_history --at <digest>` recomputes each
  of those chains up to the printed length from the rows themselves: it passes only if no row
  the copy was printed from was changed, deleted or slipped in since. The paper holds the
  digest, so a forged checkpoint row does not help. The page for leadership also shows the
  digest of all heads (`global_digest()`): any write anywhere changes it.

The hash of a row is SHA-256 over the previous hash and a canonical serialisation of the row
(`payload()`): its columns by name, values as text independent of the database (times in UTC
with microseconds, dates ISO, decimals at the field's places, JSON with sorted keys, keys as
integers); empty values (null, "") are left out, so that adding a nullable or blank column to an
audited model keeps the old rows' hashes. A migration that adds a column with another default,
or drops one, re-chains (`rechain()`) inside the maintenance step below.

On PostgreSQL the history tables are append-only: triggers (migration core 0003) refuse any
UPDATE or DELETE of a history row, and any DELETE of a head, unless the transaction sets
``ledger.history_maintenance`` (`maintenance()`; by hand: ``BEGIN; SET LOCAL
ledger.history_maintenance = 'on'; …; COMMIT;``). On SQLite the chain alone detects changes.
"""

import datetime
import functools
import hashlib
import json
import operator
import uuid
from contextlib import contextmanager
from decimal import Decimal
from functools import cache

from django.apps import apps as global_apps
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.fields.files import FieldFile
from django.utils import timezone

# The columns a row's hash does not cover: its key (drawn by the database) and the chain's own.
UNHASHED = frozenset({"history_id", "history_hash", "history_prev_hash"})
MAINTENANCE_SETTING = "ledger.history_maintenance"
_INTEGER_KINDS = {
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


def is_chained(model):
    """True for a history model whose rows carry the chain's columns."""
    names = {f.attname for f in model._meta.concrete_fields}
    return {"history_hash", "history_prev_hash", "history_id"} <= names


def history_models(apps=global_apps):
    """The chained history models (of `apps`, a migration's registry or the project's)."""
    return [m for m in apps.get_models() if is_chained(m)]


def chain_label(model):
    """The name of a history model's chains in the head table (``ledger.historicalitem``)."""
    return model._meta.label_lower


def _kind(field):
    if field.is_relation:
        field = field.target_field
    kind = field.get_internal_type()
    return "IntegerField" if kind in _INTEGER_KINDS else kind


def _text_of_time(value):
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if value.tzinfo is not datetime.UTC:
        if value.utcoffset() is None:
            value = value.replace(tzinfo=datetime.UTC)
        value = value.astimezone(datetime.UTC)
    if value.year < 1000:
        # strftime's text, hashed since the chain began ("%Y" leaves such a year unpadded); the
        # f-string below gives the same text for every other year, at half the cost.
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}T"
        f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}Z"
    )


def _date_text(value):
    if isinstance(value, datetime.datetime):
        value = value.date()
    return value.isoformat() if not isinstance(value, str) else datetime.date.fromisoformat(value).isoformat()


def _time_text(value):
    return value.isoformat() if not isinstance(value, str) else value


def _decimal_encoder(places):
    quantum = Decimal(1).scaleb(-places) if places is not None else None

    def encode(value):
        value = Decimal(str(value)) if not isinstance(value, Decimal) else value
        if quantum is not None:
            value = value.quantize(quantum)
        return format(value, "f")

    return encode


def _float_text(value):
    return repr(float(value))


def _uuid_text(value):
    return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))


def _json_encoder(encoder):
    def encode(value):
        return json.loads(json.dumps(value, cls=encoder, sort_keys=True))

    return encode


def _text(value):
    if type(value) is str:
        return value
    if isinstance(value, FieldFile):
        return value.name or None
    return str(value)


def _encoder(kind, field):
    """The function that makes a column's value canonical (`_canonical`), chosen once per column."""
    if kind == "IntegerField":
        return int
    if kind == "DateTimeField":
        return _text_of_time
    if kind == "DateField":
        return _date_text
    if kind == "TimeField":
        return _time_text
    if kind == "DecimalField":
        return _decimal_encoder(field.decimal_places)
    if kind == "BooleanField":
        return bool
    if kind == "FloatField":
        return _float_text
    if kind == "UUIDField":
        return _uuid_text
    if kind == "JSONField":
        return _json_encoder(field.encoder)
    return _text


def _canonical(kind, field, value):
    """The value as the hash sees it: plain JSON, equal whatever database it was read from."""
    return _encoder(kind, field)(value)


@cache
def _columns(model):
    """(attname, kind, field) of the hashed columns of a history model, sorted by name."""
    fields = [f for f in model._meta.concrete_fields if f.attname not in UNHASHED]
    return tuple(sorted(((f.attname, _kind(f), f) for f in fields), key=lambda c: c[0]))


@cache
def _encoders(model):
    """(attname, encoder) of the hashed columns, in `_columns` order."""
    return tuple((attname, _encoder(kind, field)) for attname, kind, field in _columns(model))


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode


def payload(model, values):
    """The canonical text of a row: `values` maps attnames to values (Python or as read)."""
    row = []
    get = values.get
    for attname, encode in _encoders(model):
        value = get(attname)
        if value is None or value == "":
            continue
        value = encode(value)
        if value is not None:
            row.append([attname, value])
    return _dumps(row)


def link_hash(prev_hash, text):
    return hashlib.sha256(f"{prev_hash}\n{text}".encode()).hexdigest()


def row_hash(model, values, prev_hash):
    return link_hash(prev_hash, payload(model, values))


def hashed_attnames(model):
    return [attname for attname, _kind, _field in _columns(model)]


def _head_model():
    return global_apps.get_model("core", "ChainHead")


def _locked_heads(label, record_ids):
    """{record_id: (length, hash)} of the heads of these chains, locked until the transaction ends."""
    heads = _head_model().objects.filter(chain=label, record_id__in=sorted(set(record_ids)))
    if connection.in_atomic_block and connection.features.has_select_for_update:
        heads = heads.select_for_update()
    return {
        record_id: (length, hash_)
        for record_id, length, hash_ in heads.values_list("record_id", "length", "hash")
    }


def _save_heads(label, heads, at):
    """Write the heads `{record_id: (length, hash)}`: an upsert of plain rows (a statement per
    few hundred heads; no model instances: the seed and the import write hundreds of thousands)."""
    if not heads:
        return
    meta = _head_model()._meta
    quote = connection.ops.quote_name
    key = [quote(meta.get_field(name).column) for name in ("chain", "record_id")]
    moved = [quote(meta.get_field(name).column) for name in ("length", "hash", "updated")]
    updated = meta.get_field("updated").get_db_prep_save(at, connection)
    # SQLite takes 999 parameters a statement; PostgreSQL 65,535 (500 heads: 2,500).
    per_statement = min(500, (connection.features.max_query_params or 2500) // (len(key) + len(moved)))
    rows = sorted(heads.items())
    head_sql = f"INSERT INTO {quote(meta.db_table)} ({', '.join(key + moved)}) VALUES "
    tail_sql = f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET " + ", ".join(
        f"{column} = EXCLUDED.{column}" for column in moved
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            params = []
            for record_id, (length, hash_) in chunk:
                params.extend((label, record_id, length, hash_, updated))
            values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk))
            cursor.execute(head_sql + values + tail_sql, params)


def link(history_instance):
    """Chain a history row about to be saved (simple-history's pre-create signal): its previous
    hash from the head (locked), its own hash; the head is written after the row
    (`save_head`)."""
    model = type(history_instance)
    if not is_chained(model):
        return
    label = chain_label(model)
    record_id = history_instance.id
    length, prev = _locked_heads(label, [record_id]).get(record_id, (0, ""))
    values = {attname: getattr(history_instance, attname) for attname in hashed_attnames(model)}
    history_instance.history_prev_hash = prev
    history_instance.history_hash = row_hash(model, values, prev)
    history_instance._chain_head = (label, record_id, length + 1)


def save_head(history_instance):
    """Move the row's chain head to it (simple-history's post-create signal)."""
    head = getattr(history_instance, "_chain_head", None)
    if head is None:
        return
    label, record_id, length = head
    del history_instance._chain_head
    _save_heads(label, {record_id: (length, history_instance.history_hash)}, timezone.now())


def link_many(model, rows):
    """Chain bulk rows (`ledger.bulk.insert_history`): `rows` are dicts of attname → value of
    one history model, in write order. Returns [(prev_hash, hash)] in the same order and writes
    the heads (two statements whatever the number of rows)."""
    if not rows:
        return []
    label = chain_label(model)
    heads = _locked_heads(label, [row["id"] for row in rows])
    moved = {}
    links = []
    for row in rows:
        length, prev = moved.get(row["id"]) or heads.get(row["id"], (0, ""))
        new = row_hash(model, row, prev)
        moved[row["id"]] = (length + 1, new)
        links.append((prev, new))
    _save_heads(label, moved, timezone.now())
    return links


@contextmanager
def maintenance():
    """The deliberate maintenance step: inside it (one transaction), PostgreSQL's triggers let
    history rows and heads be updated and deleted. Nothing in the application uses it but
    `rechain()` and the tests that tamper on purpose."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, 'on', true)", [MAINTENANCE_SETTING])
        yield


def rechain(apps=global_apps, *, chunk=5000):
    """Chain every history row again, in order (per record, by key), and rewrite every head:
    the backfill of rows written before the chain existed. Runs inside `maintenance()`."""
    head = apps.get_model("core", "ChainHead")
    with maintenance():
        head.objects.all().delete()
        for model in history_models(apps):
            label = chain_label(model)
            attnames = hashed_attnames(model)
            heads = {}
            current, prev, length = None, "", 0
            batch = []
            rows = model._default_manager.order_by("id", "history_id").values("history_id", *attnames)
            for row in rows.iterator(chunk_size=chunk):
                if row["id"] != current:
                    if current is not None:
                        heads[current] = (length, prev)
                    current, prev, length = row["id"], "", 0
                new = row_hash(model, row, prev)
                batch.append(model(history_id=row["history_id"], history_prev_hash=prev, history_hash=new))
                prev, length = new, length + 1
                if len(batch) >= chunk:
                    model._default_manager.bulk_update(batch, ["history_prev_hash", "history_hash"])
                    batch = []
            if current is not None:
                heads[current] = (length, prev)
            if batch:
                model._default_manager.bulk_update(batch, ["history_prev_hash", "history_hash"])
            now = timezone.now()
            head.objects.bulk_create(
                [
                    head(chain=label, record_id=rid, length=n, hash=h, updated=now)
                    for rid, (n, h) in heads.items()
                ],
                batch_size=chunk,
            )


# Digests and checkpoints -------------------------------------------------------------------


def digest(heads):
    """SHA-256 over sorted (chain, record, length, hash) heads."""
    sha = hashlib.sha256()
    for chain, record_id, length, hash_ in sorted(heads):
        sha.update(f"{chain}:{record_id}:{length}:{hash_}\n".encode())
    return sha.hexdigest()


def global_digest():
    """The digest of every head: the current chain head of the whole history."""
    rows = (
        _head_model()
        .objects.order_by("chain", "record_id")
        .values_list("chain", "record_id", "length", "hash")
    )
    return digest(rows.iterator(chunk_size=10000)), _head_model().objects.count()


def short_code(value):
    """The first 16 hex digits of a digest, in groups of four: what a reader types in."""
    value = value.upper()[:16]
    return "-".join(value[i : i + 4] for i in range(0, 16, 4))


def normalise_code(text):
    return "".join(ch for ch in text.strip().lower() if ch in "0123456789abcdef")


def checkpoint(records, *, scope=""):
    """Record the checkpoint (`core.ChainCheckpoint`) of the heads of `records`, a list of
    (history model, record ids): what a printed report was generated from. Returns its digest."""
    head = _head_model()
    labels = {chain_label(model): set(ids) for model, ids in records}
    # One query (per 2,000 records: a big ledger stays under SQLite's limit of parameters).
    pairs = [(label, record_id) for label, ids in labels.items() for record_id in sorted(ids)]
    rows = []
    for start in range(0, len(pairs), 2000):
        by_label = {}
        for label, record_id in pairs[start : start + 2000]:
            by_label.setdefault(label, []).append(record_id)
        condition = functools.reduce(
            operator.or_, (Q(chain=label, record_id__in=ids) for label, ids in by_label.items())
        )
        rows.extend(head.objects.filter(condition).values_list("chain", "record_id", "length", "hash"))
    value = digest(rows)
    checkpoint_model = global_apps.get_model("core", "ChainCheckpoint")
    # One statement: a report printed again from the same heads finds its checkpoint there.
    checkpoint_model.objects.bulk_create(
        [checkpoint_model(digest=value, heads=[list(row) for row in sorted(rows)], scope=scope[:200])],
        ignore_conflicts=True,
    )
    return value


def qr_png(text):
    """A QR code of `text` as PNG bytes (segno, pure Python: drawn here, nothing fetched)."""
    import io

    import segno

    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=4, border=2)
    return buffer.getvalue()


# PostgreSQL: append-only history -----------------------------------------------------------

TRIGGER_FUNCTION = "history_append_only"
TRIGGER = "history_append_only"


def _function_sql():
    return f"""
CREATE OR REPLACE FUNCTION {TRIGGER_FUNCTION}() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('{MAINTENANCE_SETTING}', true), '') = 'on' THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'history is append-only: % of a row of % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'A deliberate maintenance step: SET LOCAL {MAINTENANCE_SETTING} = ''on'' in the transaction.';
END
$$ LANGUAGE plpgsql;
"""


def protected_tables(apps=global_apps):
    """(table, operations) the triggers guard: history rows against UPDATE and DELETE, heads
    against DELETE (they move forward by UPDATE)."""
    tables = [(m._meta.db_table, "UPDATE OR DELETE") for m in history_models(apps)]
    tables.append((apps.get_model("core", "ChainHead")._meta.db_table, "DELETE"))
    return tables


def install_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    schema_editor.execute(_function_sql(), params=None)
    for table, operations in protected_tables(apps):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {quote(table)}")
        schema_editor.execute(
            f"CREATE TRIGGER {TRIGGER} BEFORE {operations} ON {quote(table)} "
            f"FOR EACH ROW EXECUTE FUNCTION {TRIGGER_FUNCTION}()"
        )


def remove_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    for table, _operations in protected_tables(apps):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {quote(table)}")
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {TRIGGER_FUNCTION}()")


# Verification -------------------------------------------------------------------------------

# The kinds of break `verify()` reports.
CHANGED = "changed"  # a row's content no longer gives its hash
INSERTED = "inserted"  # a row no chain accounts for (no hash, or past its head, or no head)
DELETED = "deleted"  # a row is missing before this one, or after the last one the head names
CHAIN_DELETED = "chain_deleted"  # a head whose rows are all gone


def problem_labels():
    """The kinds of break, as the page names them."""
    from django.utils.translation import gettext

    return {
        CHANGED: gettext("changed"),
        INSERTED: gettext("inserted"),
        DELETED: gettext("deleted"),
        CHAIN_DELETED: gettext("whole chain deleted"),
    }


def _problem(kind, label, record_id, history_id, detail):
    return {"kind": kind, "chain": label, "record_id": record_id, "history_id": history_id, "detail": detail}


def _walk(model, rows):
    """Check one chain's rows (in key order) against their stored links: yields problems, then
    returns (length, last hash)."""
    label = chain_label(model)
    expected = ""
    length = 0
    for row in rows:
        length += 1
        stored, prev = row["history_hash"], row["history_prev_hash"]
        if not stored:
            yield _problem(INSERTED, label, row["id"], row["history_id"], "row without a hash")
        elif row_hash(model, row, prev) != stored:
            yield _problem(CHANGED, label, row["id"], row["history_id"], "content does not give its hash")
        elif prev != expected:
            yield _problem(
                DELETED if prev else INSERTED,
                label,
                row["id"],
                row["history_id"],
                "does not link to the row before it",
            )
        expected = stored or expected
    return length, expected


def _chains(model, record_ids=None, *, chunk=2000):
    """{record id: [rows in key order]} of a history model, read in chunks of records."""
    attnames = hashed_attnames(model)
    rows = model._default_manager.order_by("id", "history_id").values(
        "history_id", "history_hash", "history_prev_hash", *attnames
    )
    if record_ids is not None:
        ids = sorted(set(record_ids))
        for start in range(0, len(ids), chunk):
            yield from _grouped(rows.filter(id__in=ids[start : start + chunk]))
        return
    yield from _grouped(rows.iterator(chunk_size=chunk))


def _grouped(rows):
    current, group = None, []
    for row in rows:
        if row["id"] != current and group:
            yield current, group
            group = []
        current = row["id"]
        group.append(row)
    if group:
        yield current, group


def verify():
    """Walk every chain: [problems], rows checked, chains checked."""
    head = _head_model()
    problems, rows_checked, chains_checked = [], 0, 0
    for model in history_models():
        label = chain_label(model)
        heads = {
            rid: (n, h)
            for rid, n, h in head.objects.filter(chain=label).values_list("record_id", "length", "hash")
        }
        for record_id, rows in _chains(model):
            chains_checked += 1
            rows_checked += len(rows)
            walk = _walk(model, rows)
            found = len(problems)
            while True:
                try:
                    problems.append(next(walk))
                except StopIteration as end:
                    length, last = end.value
                    break
            known = heads.pop(record_id, None)
            last_id = rows[-1]["history_id"]
            if known is None:
                problems.append(
                    _problem(INSERTED, label, record_id, rows[0]["history_id"], "a chain without a head")
                )
            elif known[1] == last and len(problems) > found:
                pass  # the chain ends at its head: the breaks above account for its length
            elif known != (length, last):
                if length < known[0]:
                    kind, detail = DELETED, f"{known[0] - length} row(s) after this one missing"
                else:
                    kind, detail = INSERTED, "the chain goes past its head"
                problems.append(_problem(kind, label, record_id, last_id, detail))
        for record_id, (length, _hash) in heads.items():
            chains_checked += 1
            problems.append(_problem(CHAIN_DELETED, label, record_id, None, f"all {length} row(s) missing"))
    return problems, rows_checked, chains_checked


def find_checkpoint(code):
    """The checkpoint a printed digest or short code names (None when there is none or the
    code is ambiguous)."""
    value = normalise_code(code)
    if len(value) < 16:
        return None
    model = global_apps.get_model("core", "ChainCheckpoint")
    found = list(model.objects.filter(digest__startswith=value)[:2])
    return found[0] if len(found) == 1 else None


def verify_at(found):
    """Recompute, from the rows' content alone, each chain a checkpoint covers up to the length it
    was printed at: [problems], rows checked, chains checked."""
    problems, rows_checked = [], 0
    if digest(tuple(entry) for entry in found.heads) != found.digest:
        problems.append(
            _problem(
                CHANGED, "core.chaincheckpoint", found.pk, None, "the stored heads do not give the digest"
            )
        )
    by_label = {}
    for label, record_id, length, hash_ in found.heads:
        by_label.setdefault(label, {})[record_id] = (length, hash_)
    models_by_label = {chain_label(m): m for m in history_models()}
    for label, wanted in by_label.items():
        model = models_by_label.get(label)
        if model is None:
            problems.append(_problem(CHAIN_DELETED, label, None, None, "no such history table"))
            continue
        seen = set()
        for record_id, rows in _chains(model, wanted):
            seen.add(record_id)
            length, hash_ = wanted[record_id]
            computed = ""
            for row in rows[:length]:
                computed = row_hash(model, row, computed)
            rows_checked += min(length, len(rows))
            if len(rows) < length:
                problems.append(
                    _problem(DELETED, label, record_id, None, f"{length - len(rows)} printed row(s) missing")
                )
            elif computed != hash_:
                problems.append(
                    _problem(
                        CHANGED, label, record_id, None, "a printed row was changed, removed or slipped in"
                    )
                )
        for record_id in wanted.keys() - seen:
            problems.append(_problem(CHAIN_DELETED, label, record_id, None, "all printed rows missing"))
    return problems, rows_checked, len(found.heads)
