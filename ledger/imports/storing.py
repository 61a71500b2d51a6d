"""Storing an import: every row of the file, or none.

`commit()` reads the file once more and stores all rows or none (one transaction), checking
each row as it goes. New rows are created `BATCH_ROWS` at a time by `workflow.import_new_items`
(a constant number of queries a batch); a row that was imported before (recognised by its
reference number, else by `ImportedRow.key`: see `rows.row_key`) updates its item instead of
creating a second one, one by one through `workflow.save_issue` / `edit_item` / `post_progress`
and the real state transitions. Every history row names the file.

The preview runs the same `commit()` with `dry_run` (everything is stored, then rolled back), so
that it refuses exactly what the confirmation would, and learns what the confirmation decides:

- rows where the file and the product disagree because the product moved on since the file was
  last imported (`Disagreement`): by default the product's state wins, the user may choose the
  file's per row (`Choices.rows`);
- items imported earlier from the same source and absent from this file (`Missing`): left
  alone by default, kept (no longer tied to the file) or withdrawn, as the user chooses.
"""

import contextlib
import uuid
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.utils.text import capfirst
from django.utils.translation import gettext

from core.audit import save_with_history
from core.models import Membership
from core.permissions import children_map, eligible_memberships, subtree_ids

from .. import bulk, workflow
from ..models import ImportedRow, Issue, Item, ProgressUpdate
from .rows import (
    MAX_ERROR_ROWS,
    NO_ROWS,
    Placeholder,
    legacy_row_key,
    row_identity,
    row_key,
    row_messages,
)
from .vocabulary import FIELDS, show_value

# An import stores its rows this many at a time, so that its memory does not grow with the file.
BATCH_ROWS = 2000

# A row where the product moved on: who wins.
KEEP_PRODUCT, TAKE_FILE = "product", "file"
# An item of the same source missing from the file: what happens to it.
LEAVE, KEEP, WITHDRAW = "leave", "keep", "withdraw"


class ImportFailed(Exception):
    """Some rows could not be stored, so none was; `errors` maps row numbers to messages (the
    first `MAX_ERROR_ROWS` rows), `more` counts the refused rows left out; `result` is what the
    rows that could be stored would have done (for the preview's lists)."""

    def __init__(self, errors, more=0, result=None):
        super().__init__(errors)
        self.errors = errors
        self.more = max(more, 0)
        self.result = result


@dataclass
class Disagreement:
    """A row whose item was changed in the product since the file was last imported, and where
    the file says something else: `changes` are (heading, the file's value, the product's)."""

    number: int
    reference: str
    item_id: int
    changes: list
    choice: str = KEEP_PRODUCT

    @property
    def field_name(self):
        return f"row_{self.number}"


@dataclass
class Missing:
    """An item imported earlier from the same source (`source_name`) that the file lacks."""

    item_id: int
    reference: str
    measures: str
    status: str
    source_name: str
    choice: str = LEAVE

    @property
    def field_name(self):
        return f"missing_{self.item_id}"


@dataclass
class Choices:
    """The user's decisions in the preview: {row number: KEEP_PRODUCT | TAKE_FILE},
    {item id: LEAVE | KEEP | WITHDRAW}, and the reason for withdrawing."""

    rows: dict = field(default_factory=dict)
    missing: dict = field(default_factory=dict)
    withdraw_reason: str = ""

    @classmethod
    def from_data(cls, data):
        rows, missing = {}, {}
        for key, value in data.items():
            if key.startswith("row_") and key[4:].isdigit() and value in (KEEP_PRODUCT, TAKE_FILE):
                rows[int(key[4:])] = value
            elif key.startswith("missing_") and key[8:].isdigit() and value in (LEAVE, KEEP, WITHDRAW):
                missing[int(key[8:])] = value
        return cls(rows=rows, missing=missing, withdraw_reason=(data.get("withdraw_reason") or "").strip())


@dataclass
class Result:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0  # rows where the product's newer state was kept
    withdrawn: int = 0  # missing items withdrawn
    people_created: int = 0
    disagreements: list = field(default_factory=list)
    missing: list = field(default_factory=list)


# A row gives the item's fields that a committee member edits (the workflow's list).
ITEM_FIELDS = workflow.ITEM_EDITABLE_FIELDS
ISSUE_FIELDS = ("description", "category", "source", "raised_on")
# The item's fields a file's row may change, besides its measures (always given).
UPDATED_FIELDS = ("leader", "owner", "department", "next_review_on", "closure_criteria", "remarks")


class Identities:
    """Gives each row its import key (`rows.row_key`) with its ordinal, in file order: the
    position of the row among the rows of its 序号 (or among identical rows)."""

    def __init__(self):
        self.seen = Counter()

    def assign(self, row):
        identity = row_identity(row.values)
        ordinal = 0
        if identity is not None:
            ordinal = self.seen[identity]
            self.seen[identity] += 1
        row.__dict__["key"] = row_key(row.values, ordinal)
        return row


def commit(preview, actor, source_name, dry_run=False, *, meeting=None, choices=None):
    """Store every row of the file, or none. Returns a `Result`; raises `ImportFailed`.

    The rows are read from the file again and checked as they are stored, `BATCH_ROWS` at a
    time, in one transaction: after a refusal the rows are still stored (and all rolled back at
    the end), so that every refusal, the workflow's included, can be listed. With `dry_run`
    everything is done and then rolled back, so the workflow's own checks run too: the preview
    runs exactly what the confirmation runs. The new issues are attached to `meeting` (one of
    the organization's) when given; `choices` are the user's decisions (`Choices`).
    """
    if not preview.is_valid:
        raise ImportFailed(
            {row.number: row_messages(row) for row in preview.rows if row.errors}
            or {0: [str(p) for p in preview.problems]}
        )
    reason = gettext("Imported from the file “{name}”").format(name=source_name)
    result = Result()
    errors = {}
    try:
        with transaction.atomic():
            store = _Store(
                actor,
                preview,
                reason,
                source_name,
                result,
                meeting=meeting,
                choices=choices or Choices(),
            )
            identities = Identities()
            batch, count = [], 0
            for row in preview.parse():
                count += 1
                if row.errors:
                    errors[row.number] = row_messages(row)
                else:
                    # Stored even after a refusal (and rolled back with the rest), so that
                    # the workflow's refusals further down are listed too.
                    batch.append(identities.assign(row))
                    if len(batch) == BATCH_ROWS:
                        store.store(batch, errors)
                        batch = []
            if batch:
                store.store(batch, errors)
            if not count:
                errors[0] = [str(NO_ROWS)]
            store.missing_rows(errors)
            if errors:
                refused = sorted(errors.items())
                raise ImportFailed(
                    dict(refused[:MAX_ERROR_ROWS]), more=len(refused) - MAX_ERROR_ROWS, result=result
                )
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return result


class _DryRun(Exception):
    pass


class _Where:
    """Names a row's cells as the user knows them: the file's heading and the cell's address
    (``整改时限 F7``), and the item's reference when there is one."""

    def __init__(self, columns):
        self.columns = {column.field: column for column in columns if column.field}

    def cell(self, row, name):
        if hasattr(row, "heading") and hasattr(row, "cell"):
            try:
                heading, address = row.heading(name), row.cell(name)
            except (KeyError, LookupError):
                heading, address = None, None
            if heading or address:
                return "{} {}".format(heading or FIELDS.get(name, name), address or "").strip()
        column = self.columns.get(name)
        if column is None:
            return _field_label(name)
        return f"{column.heading or column.field_label} {column.letter}{row.number}"

    def heading(self, row, name):
        """The file's own heading of the field's column (else the field's name)."""
        if hasattr(row, "heading"):
            try:
                heading = row.heading(name)
            except (KeyError, LookupError):
                heading = None
            if heading:
                return heading
        column = self.columns.get(name)
        return (column.heading if column is not None else "") or _field_label(name)

    def messages(self, row, error, reference=None):
        """The messages of a refusal, each naming the cell (and the item, if any)."""
        prefix = gettext("Item {reference}: ").format(reference=reference) if reference else ""
        if reference and reference in str(error):
            prefix = ""  # the message names the item already
        if isinstance(error, workflow.ActionRefused):
            return [prefix + str(error.message)]
        if hasattr(error, "error_dict"):
            lines = []
            for name, messages in error.message_dict.items():
                where = self.cell(row, name) if name != "__all__" else ""
                for message in messages:
                    lines.append(f"{prefix}{where}: {message}" if where else prefix + message)
            return lines
        return [prefix + message for message in error.messages]


def _field_label(name):
    """A field's name as the pages say it: the importer's, else the item's own (协办人)."""
    if not name or name in FIELDS:
        return str(FIELDS.get(name, ""))
    try:
        return str(capfirst(Item._meta.get_field(name).verbose_name))
    except FieldDoesNotExist:
        return name


def _differs(record, name, value):
    """Whether `record`'s field `name` holds something else than `value`; a related record is
    compared by its key, not loaded (one query a row otherwise)."""
    model_field = record._meta.get_field(name)
    if model_field.is_relation:
        return getattr(record, model_field.attname) != (value.pk if value is not None else None)
    return getattr(record, name) != value


def _blank(name, value):
    if value:
        return value
    return "" if name in ("department", "closure_criteria", "remarks") else None


class _Store:
    """Writes the rows of one import a batch at a time, recognising rows imported before.

    What it keeps from batch to batch is small: the ids of the issues it created (by digest),
    the placeholders it made or found, the ids of the items the file matched and the sources
    they came from; everything else is looked up for each batch.
    """

    def __init__(self, actor, preview, reason, source_name, result, *, meeting, choices):
        organization = preview.organization
        self.actor = actor
        # Who may own and lead the items, read with the rows' people (`Lookups`).
        self.eligibility = preview.lookups.eligibility
        self.reason = reason
        self.source_name = source_name[:200]
        self.result = result
        self.organization = organization
        self.meeting = meeting
        self.choices = choices
        self.where = _Where(preview.columns)
        self.org_ids = subtree_ids([organization.pk], children_map())
        self.issue_ids = {}  # signature → id of an issue this import created
        self.make_issue = bulk.Maker(Issue)
        self.placeholders = None  # normalised name → placeholder, read at the first one
        self.matched = set()  # ids of the items the file's rows matched
        self.sources = {self.source_name}  # files the matched items were imported from before
        # The first import into a tree has no rows to recognise: no batch looks them up (their
        # thousands of keys cost more than the rest of the lookups), until this import's own.
        self.imported_before = ImportedRow.objects.filter(organization__in=self.org_ids).exists()
        self.any_imported = self.imported_before

    def store(self, rows, errors):
        """Store a batch of rows: new items together, updates one by one (they are few), each
        in a savepoint so that all their errors can be listed. Refusals go into `errors`."""
        self.load(rows)
        later = []
        for row in rows:
            with self.row_errors(errors, row):
                queued = self.queue(row)
                if queued is None:
                    later.append(row)
                elif not queued:
                    with transaction.atomic():
                        self.update_row(row)
        try:
            self.create_queued()
        except workflow.ImportRefused as refused:
            by_number = {row.number: row for row in rows}
            for number, error in refused.errors.items():
                errors[number] = self.where.messages(by_number[number], error)
        else:
            # Rows repeating a row created above update the item it became.
            for row in later:
                with self.row_errors(errors, row), transaction.atomic():
                    self.update_row(row)

    @contextlib.contextmanager
    def row_errors(self, errors, row):
        """Record a refused row's messages under its number instead of stopping the import."""
        self.current_reference = None
        try:
            yield
        except (workflow.ActionRefused, ValidationError) as error:
            errors[row.number] = self.where.messages(row, error, self.current_reference)

    def load(self, rows):
        """What the batch's rows were imported as before (by reference number, else by import
        key), and the issues earlier batches created for them."""
        references = {row.values["reference"] for row in rows if row.values.get("reference")}
        self.by_reference = {}
        if references:
            self.by_reference = {
                (item.organization_id, item.reference): item
                for item in Item.objects.filter(
                    organization__in=self.org_ids, reference__in=references
                ).select_related("organization", "issue")
            }
        self.by_key = {}
        self.by_item = {}
        keys = set()  # none: the query is not sent
        if self.imported_before:
            keys = {row.key for row in rows}
            # Rows imported before the keys named their 序号 and ordinal (see `_match`).
            keys |= {legacy_row_key(row.values) for row in rows if not row.values.get("reference")}
        elif self.any_imported:
            # Only this import's own rows to recognise: of those, only a row naming a reference
            # number can repeat a row of an earlier batch; the others' keys are unique within
            # the file (their ordinals, `Identities`), so looking them up would find nothing.
            keys = {row.key for row in rows if row.values.get("reference")}
        imported_rows = ImportedRow.objects.filter(
            organization__in=self.org_ids, key__in=keys
        ).select_related("item__issue", "item__organization")
        if self.by_reference:
            imported_rows = imported_rows | ImportedRow.objects.filter(
                item__in=[item.pk for item in self.by_reference.values()]
            ).select_related("item__issue", "item__organization")
        for imported in imported_rows:
            self.by_key[(imported.organization_id, imported.key)] = imported
            self.by_item[imported.item_id] = imported
        self.new_issues = {}
        wanted = {}  # id → signature of the issues earlier batches created for these rows
        for row in rows:
            if row.issue_signature in self.issue_ids:
                wanted[self.issue_ids[row.issue_signature]] = row.issue_signature
        if wanted:
            for issue in Issue.objects.filter(pk__in=wanted):
                self.new_issues[wanted[issue.pk]] = issue
        self.queued = []
        self.queued_keys = set()
        self.queued_order = []  # the import key of each queued row

    def _match(self, row):
        """(values, organization, key, item or None, imported row or None) of a file's row."""
        values = dict(row.values)
        values["given"] = row.given
        for name in ("leader", "owner"):
            if isinstance(values.get(name), Placeholder):
                values[name] = self.placeholder(values[name].name)
        if values.get("co_owners"):
            values["co_owners"] = [
                self.placeholder(person.name) if isinstance(person, Placeholder) else person
                for person in values["co_owners"]
            ]
        org = values["organization"]
        key = row.key
        item = self.by_reference.get((org.pk, values.get("reference")))
        imported = self.by_key.get((org.pk, key))
        if item is None and imported is not None:
            item = imported.item
        if item is None and not values.get("reference"):
            legacy = self.by_key.get((org.pk, legacy_row_key(values)))
            if legacy is not None and legacy.item_id not in self.matched:
                # Imported under the old key: this row (the first of its texts) is that item;
                # `update_row` gives the imported row its new key.
                imported, item = legacy, legacy.item
        if item is not None:
            imported = self.by_item.get(
                item.pk, imported if imported and imported.item_id == item.pk else None
            )
        return values, org, key, item, imported

    def queue(self, row):
        """Queue a row that makes a new item: True; False for a row that updates an item; None
        for a row repeating a queued one, which updates the item that one becomes."""
        values, org, key, item, _imported = self._match(row)
        if item is not None:
            return False
        if (org.pk, key) in self.queued_keys:
            return None
        self.queued_keys.add((org.pk, key))
        self.queued_order.append(key)
        self.queued.append(
            workflow.NewItem(
                key=row.number,
                issue=self.new_issue(row.issue_signature, values),
                organization=org,
                fields={name: _blank(name, values.get(name)) for name in ITEM_FIELDS},
                progress=values.get("progress") or "",
                percent=values.get("percent"),
                status=values.get("status") or "",
                co_owners=tuple(values.get("co_owners") or ()),
                completed_on=values.get("completed_on"),
                original_deadline=values.get("original_deadline"),
            )
        )
        return True

    def create_queued(self):
        """Create the queued items in bulk, with the rows that remember where they came from."""
        items = workflow.import_new_items(
            self.actor, self.queued, reason=self.reason, eligibility=self.eligibility
        )
        new_imported_row = bulk.Maker(ImportedRow)
        imported_rows = [
            new_imported_row(item=item, organization=item.organization, key=key, source_name=self.source_name)
            for item, key in zip(items, self.queued_order, strict=True)
        ]
        bulk.insert_records(ImportedRow, imported_rows)
        self.any_imported = self.any_imported or bool(imported_rows)
        for imported in imported_rows:
            self.by_key[(imported.organization_id, imported.key)] = imported
            self.by_item[imported.item_id] = imported
            self.matched.add(imported.item_id)
        for signature, issue in self.new_issues.items():
            self.issue_ids[signature] = issue.pk
        self.result.created += len(items)

    def new_issue(self, signature, values):
        """One issue per distinct description among the new rows of an import, unsaved until
        its first item is created; attached to the chosen meeting."""
        if signature not in self.new_issues:
            self.new_issues[signature] = self.make_issue(
                organization=values["organization"],
                meeting=self.meeting,
                **{name: values[name] for name in ISSUE_FIELDS},
            )
        return self.new_issues[signature]

    # Rows imported before ----------------------------------------------------------------

    def update_row(self, row):
        """Update the item a row was imported as before (or became earlier in this import).

        Where the product changed the item since the file last imported it and the file says
        something else (`conflicts`), the product's state is kept unless the user chose the
        file's for this row: the file's other changes are still taken."""
        values, org, key, item, imported = self._match(row)
        self.current_reference = item.reference
        first_time = item.pk not in self.matched
        self.matched.add(item.pk)
        if imported is not None:
            self.sources.add(imported.source_name)
        kept = set()
        if first_time:
            conflicts = self.conflicts(row, item, imported, values)
            if conflicts:
                disagreement = Disagreement(
                    number=row.number,
                    reference=item.reference,
                    item_id=item.pk,
                    changes=[change for _name, change in conflicts],
                    choice=self.choices.rows.get(row.number, KEEP_PRODUCT),
                )
                self.result.disagreements.append(disagreement)
                if disagreement.choice == KEEP_PRODUCT:
                    self.result.kept += 1
                    kept = {name for name, _change in conflicts}
                    if "status" in kept and item.status in Item.FINISHED_STATUSES:
                        # Closed or withdrawn here: nothing of the file's row applies to it.
                        return
        if kept:
            values = {name: value for name, value in values.items() if name not in kept}
            values["given"] = values["given"] - kept
        item, changed = self.update(row, item, values)
        item, progressed = self.after(item, values)
        # A later row naming the same item (a repeat in the file) meets it as saved now, at its
        # new version, not as it was loaded.
        self.by_reference[(item.organization_id, item.reference)] = item
        if imported is not None:
            imported.item = item
        if not kept:
            if changed or progressed:
                self.result.updated += 1
            else:
                self.result.unchanged += 1
        if imported is not None and ":" not in imported.key and (org.pk, key) not in self.by_key:
            # A key of before `row_key` named the 序号 and the ordinal (a digest, no prefix): the
            # row's own from now on, without touching the import's stamp.
            self.by_key.pop((imported.organization_id, imported.key), None)
            imported.key = key
            imported.save(update_fields=["key"])
            self.by_key[(imported.organization_id, key)] = imported
        if kept or (
            imported is not None and imported.source_name == self.source_name and not (changed or progressed)
        ):
            # A kept disagreement leaves the import's stamp as it was: the next import meets
            # the item as changed here again.
            return
        if imported is None:
            imported = ImportedRow(item=item, organization=item.organization, key=key)
            if ImportedRow.objects.filter(organization=item.organization, key=key).exists():
                # The key names another item (a 序号 reused by another ledger of the
                # organization): this item is recognised by its reference number.
                imported.key = row_key({"reference": item.reference})
        imported.source_name = self.source_name
        imported.save()
        self.by_key[(imported.organization_id, imported.key)] = imported
        self.by_item[item.pk] = imported

    def conflicts(self, row, item, imported, values):
        """[(field name, (heading, the file's value, the product's))] where the product changed
        the item since the file last imported it (its history as of that import tells what
        was) and the file says something else; a state the file gives is in conflict only
        when no forward way leads there (a file never takes an item back)."""
        if imported is None or item.updated_at <= imported.imported_at:
            return []
        base = item.history.filter(history_date__lte=imported.imported_at).order_by("-history_date").first()
        if base is None:
            return []
        given = values["given"]
        found = []
        for name in ("measures", *UPDATED_FIELDS, "kind", "deadline"):
            if name != "measures" and name not in given:
                continue
            value = _blank(name, values.get(name))
            attname = item._meta.get_field(name).attname
            if getattr(base, attname) != getattr(item, attname) and _differs(item, name, value):
                shown = (
                    self.where.heading(row, name),
                    show_value(name, values.get(name)),
                    show_value(name, getattr(item, name)),
                )
                found.append((name, shown))
        status = values.get("status")
        if (
            status
            and status != item.status
            and base.status != item.status
            and workflow.imported_state_steps(self.actor, item, status) is None
        ):
            found.append(
                (
                    "status",
                    (
                        self.where.heading(row, "status"),
                        show_value("status", status),
                        item.get_status_display(),
                    ),
                )
            )
        return found

    def update(self, row, item, values):
        """Change what the file gives; keep the rest."""
        given = values["given"]
        issue = item.issue
        issue_changes = {
            name: values[name]
            for name in ISSUE_FIELDS
            if name in given and _differs(issue, name, values[name])
        }
        if issue_changes:
            for name, value in issue_changes.items():
                setattr(issue, name, value)
            workflow.save_issue(self.actor, issue, reason=self.reason)
        names = {"measures"} | (set(UPDATED_FIELDS) & given)
        if given & {"kind", "deadline"}:
            names |= {"kind", "deadline"}
            if values["kind"] == Item.Kind.LONG_TERM and not item.next_review_on:
                names.add("next_review_on")
        # A field whose product's value is kept (`update_row`) is not in `values`.
        changes = {name: _blank(name, values.get(name)) for name in names if name in values}
        changes = {name: value for name, value in changes.items() if _differs(item, name, value)}
        co_owners = None
        if "co_owners" in values and [p.pk for p in values["co_owners"] or ()] != workflow.co_owner_ids(item):
            co_owners = list(values["co_owners"] or ())
        if changes or co_owners is not None:
            try:
                item = workflow.edit_item(
                    self.actor,
                    item,
                    expected_version=item.version,
                    reason=self.reason,
                    eligibility=self.eligibility,
                    co_owners=co_owners,
                    **changes,
                )
            except workflow.InvalidTransition as refused:
                # Name what the file changes on a finished item, and where.
                raise ValidationError(
                    {
                        name: gettext("The file changes this cell, but {refusal}").format(
                            refusal=refused.message
                        )
                        for name in changes or {"co_owners": None}
                    }
                ) from None
        dates = {
            name: values[name]
            for name in workflow.IMPORTED_DATE_FIELDS
            if values.get(name) and getattr(item, name) != values[name]
        }
        if dates:
            item = workflow.record_imported_dates(self.actor, item, reason=self.reason, **dates)
        return item, bool(issue_changes or changes or co_owners is not None or dates)

    def after(self, item, values):
        """Progress text, percent and state, when the file gives them and they differ: (the
        item as saved, whether it changed)."""
        changed = False
        text = values.get("progress")
        percent = values.get("percent")
        if text:
            latest = ProgressUpdate.objects.filter(item=item).order_by("-created_at", "-pk").first()
            if latest is None or latest.text != text:
                # The update holds the item as the workflow saved it (new state and version).
                item = workflow.post_progress(
                    self.actor,
                    item,
                    text=text,
                    percent=item.progress if percent is None else percent,
                    reason=self.reason,
                ).item
                changed = True
        elif percent is not None and percent != item.progress and item.status not in Item.FINISHED_STATUSES:
            # A percent without a text is recorded as a progress update saying so.
            item = workflow.post_progress(
                self.actor,
                item,
                text=gettext("Progress {percent}% as the file “{name}” gives it.").format(
                    percent=percent, name=self.source_name
                ),
                percent=percent,
                reason=self.reason,
            ).item
            changed = True
        status = values.get("status")
        if status and status != item.status:
            # The item exists: its state moves through the real transitions, or the row is refused.
            try:
                moved = workflow.advance_imported_item(self.actor, item, status=status, reason=self.reason)
            except workflow.ActionRefused as refused:
                raise ValidationError(
                    {
                        "status": gettext(
                            "The file says “{status}”; here the item {reference} is “{current}”: {refusal}"
                        ).format(
                            status=Item.Status(status).label,
                            reference=item.reference,
                            current=item.get_status_display(),
                            refusal=refused.message,
                        )
                    }
                ) from None
            changed = changed or moved.version != item.version
            item = moved
        return item, changed

    # Rows missing from the file --------------------------------------------------------------

    def missing_rows(self, errors):
        """The active items imported earlier from the sources this file matched (its own name
        and the names its rows were imported under before) that the file lacks; and what the
        user chose for each."""
        # Mostly every row matched: the keys alone are read for them (building the matched
        # rows and their items was a quarter of a fresh import's time), the missing ones in full.
        keys = (
            ImportedRow.objects.filter(organization__in=self.org_ids, source_name__in=self.sources)
            .exclude(item__status__in=Item.FINISHED_STATUSES)
            .values_list("pk", "item_id")
        )
        missing_ids = [pk for pk, item_id in keys if item_id not in self.matched]
        candidates = []
        for start in range(0, len(missing_ids), BATCH_ROWS):
            chunk = missing_ids[start : start + BATCH_ROWS]
            candidates.extend(ImportedRow.objects.filter(pk__in=chunk).select_related("item"))
        candidates.sort(key=lambda imported: (imported.item.reference, imported.pk))
        for imported in candidates:
            item = imported.item
            missing = Missing(
                item_id=item.pk,
                reference=item.reference,
                measures=item.measures,
                status=item.get_status_display(),
                source_name=imported.source_name,
                choice=self.choices.missing.get(item.pk, LEAVE),
            )
            self.result.missing.append(missing)
            if missing.choice == KEEP:
                # Kept in the ledger, no longer a row of the file: not listed again.
                imported.source_name = ""
                imported.save()
            elif missing.choice == WITHDRAW:
                reason = self.choices.withdraw_reason or gettext(
                    "No longer in the ledger file “{name}”."
                ).format(name=self.source_name)
                try:
                    with transaction.atomic():
                        workflow.withdraw(self.actor, item, reason=reason)
                except (workflow.ActionRefused, ValidationError) as error:
                    errors.setdefault(0, []).extend(
                        f"{item.reference}: {message}" for message in _messages(error)
                    )
                else:
                    self.result.withdrawn += 1

    # People ------------------------------------------------------------------------------

    def placeholder(self, name):
        """The placeholder person for a name that matched no account: the one made for that
        name (blanks ignored) in the organization's tree by an earlier import, else a new one,
        inactive and a member of the organization imported into, which makes it eligible as
        owner or leader there and below (`core.permissions.eligible_people`)."""
        if self.placeholders is None:
            self.placeholders = {}
            memberships = eligible_memberships(self.organization).filter(user__is_placeholder=True)
            for membership in memberships.select_related("user").order_by("user_id"):
                self.placeholders.setdefault(_person_key(membership.user.full_name), membership.user)
                self.eligibility.add(membership.user_id, membership.organization_id)
        key = _person_key(name)
        if key not in self.placeholders:
            user = get_user_model()(
                username="imported-" + uuid.uuid4().hex[:12],
                full_name=name.strip(),
                is_active=False,
                is_placeholder=True,
            )
            user.set_unusable_password()
            save_with_history(user, user=self.actor, action=workflow.Action.IMPORT, reason=self.reason)
            save_with_history(
                Membership(user=user, organization=self.organization, role=Membership.Role.MEMBER),
                user=self.actor,
                action=workflow.Action.IMPORT,
                reason=self.reason,
            )
            self.eligibility.add(user.pk, self.organization.pk)
            self.placeholders[key] = user
            self.result.people_created += 1
        return self.placeholders[key]


def _person_key(name):
    """A name as people are matched: without its blanks (alignment blanks, line breaks)."""
    return "".join(str(name).split())


def _messages(error):
    if isinstance(error, workflow.ActionRefused):
        return [str(error.message)]
    return list(error.messages)
