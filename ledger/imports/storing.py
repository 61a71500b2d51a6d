"""Storing an import: every row of the file, or none.

`commit()` reads the file once more and stores all rows or none (one transaction), checking
each row as it goes. New rows are created `BATCH_ROWS` at a time by `workflow.import_new_items`
(a constant number of queries a batch); a row that was imported before (recognised by its
reference number, else by `ImportedRow.key`) updates its item instead of creating a second one,
one by one through `workflow.save_issue` / `edit_item` / `post_progress` and the real state
transitions. Every history row names the file.
"""

import contextlib
import uuid
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from core.audit import save_with_history
from core.models import Membership
from core.permissions import children_map, subtree_ids

from .. import bulk, workflow
from ..models import ImportedRow, Issue, Item, ProgressUpdate
from .rows import MAX_ERROR_ROWS, NO_ROWS, Placeholder, row_messages
from .vocabulary import FIELDS

# An import stores its rows this many at a time, so that its memory does not grow with the file.
BATCH_ROWS = 2000


class ImportFailed(Exception):
    """Some rows could not be stored, so none was; `errors` maps row numbers to messages (the
    first `MAX_ERROR_ROWS` rows), `more` counts the refused rows left out."""

    def __init__(self, errors, more=0):
        super().__init__(errors)
        self.errors = errors
        self.more = max(more, 0)


@dataclass
class Result:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    people_created: int = 0


ITEM_FIELDS = ("measures", "leader", "department", "owner", "kind", "deadline", "next_review_on")
ISSUE_FIELDS = ("description", "category", "source", "raised_on")


def commit(preview, actor, source_name, dry_run=False):
    """Store every row of the file, or none. Returns a `Result`; raises `ImportFailed`.

    The rows are read from the file again and checked as they are stored, `BATCH_ROWS` at a
    time, in one transaction: after a refusal the rows are still stored (and all rolled back at
    the end), so that every refusal, the workflow's included, can be listed. With `dry_run` everything is done and
    then rolled back, so the workflow's own checks run too.
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
                actor, preview.organization, reason, source_name, result, preview.lookups.eligibility
            )
            batch, count = [], 0
            for row in preview.parse():
                count += 1
                if row.errors:
                    errors[row.number] = row_messages(row)
                else:
                    # Stored even after a refusal (and rolled back with the rest), so that
                    # the workflow's refusals further down are listed too.
                    batch.append(row)
                    if len(batch) == BATCH_ROWS:
                        store.store(batch, errors)
                        batch = []
            if batch:
                store.store(batch, errors)
            if not count:
                errors[0] = [str(NO_ROWS)]
            if errors:
                refused = sorted(errors.items())
                raise ImportFailed(dict(refused[:MAX_ERROR_ROWS]), more=len(refused) - MAX_ERROR_ROWS)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return result


@contextlib.contextmanager
def _row_errors(errors, number):
    """Record a refused row's messages under its number instead of stopping the import."""
    try:
        yield
    except (workflow.ActionRefused, ValidationError) as error:
        errors[number] = _error_messages(error)


def _error_messages(error):
    if isinstance(error, workflow.ActionRefused):
        return [str(error.message)]
    return _validation_messages(error)


class _DryRun(Exception):
    pass


def _validation_messages(error):
    if hasattr(error, "error_dict"):
        return [
            "{}: {}".format(FIELDS.get(name, name) if name != "__all__" else "", message).lstrip(": ")
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    return list(error.messages)


def _differs(record, name, value):
    """Whether `record`'s field `name` holds something else than `value`; a related record is
    compared by its key, not loaded (one query a row otherwise)."""
    model_field = record._meta.get_field(name)
    if model_field.is_relation:
        return getattr(record, model_field.attname) != (value.pk if value is not None else None)
    return getattr(record, name) != value


class _Store:
    """Writes the rows of one import a batch at a time, recognising rows imported before.

    What it keeps from batch to batch is small: the ids of the issues it created (by digest)
    and the placeholders it made; everything else is looked up for each batch.
    """

    def __init__(self, actor, organization, reason, source_name, result, eligibility):
        self.actor = actor
        # Who may own and lead the items, read with the rows' people (`Lookups`).
        self.eligibility = eligibility
        self.reason = reason
        self.source_name = source_name[:200]
        self.result = result
        self.organization = organization
        self.org_ids = subtree_ids([organization.pk], children_map())
        self.issue_ids = {}  # signature → id of an issue this import created
        self.make_issue = bulk.Maker(Issue)
        self.placeholders = {}

    def store(self, rows, errors):
        """Store a batch of rows: new items together, updates one by one (they are few), each
        in a savepoint so that all their errors can be listed. Refusals go into `errors`."""
        self.load(rows)
        later = []
        for row in rows:
            with _row_errors(errors, row.number):
                queued = self.queue(row)
                if queued is None:
                    later.append(row)
                elif not queued:
                    with transaction.atomic():
                        self.update_row(row)
        try:
            self.create_queued()
        except workflow.ImportRefused as refused:
            for number, error in refused.errors.items():
                errors[number] = _error_messages(error)
        else:
            # Rows repeating a row created above update the item it became.
            for row in later:
                with _row_errors(errors, row.number), transaction.atomic():
                    self.update_row(row)

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
        self.by_key = {
            (imported.organization_id, imported.key): imported
            for imported in ImportedRow.objects.filter(
                organization__in=self.org_ids, key__in={row.key for row in rows}
            ).select_related("item__issue")
        }
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
        org = values["organization"]
        key = row.key
        item = self.by_reference.get((org.pk, values.get("reference")))
        imported = self.by_key.get((org.pk, key))
        if item is None and imported is not None:
            item = imported.item
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
                fields={
                    name: values.get(name) or ("" if name == "department" else None) for name in ITEM_FIELDS
                },
                progress=values.get("progress") or "",
                percent=values.get("percent", 0),
                status=values.get("status") or "",
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
        for imported in imported_rows:
            self.by_key[(imported.organization_id, imported.key)] = imported
        for signature, issue in self.new_issues.items():
            self.issue_ids[signature] = issue.pk
        self.result.created += len(items)

    def new_issue(self, signature, values):
        """One issue per distinct description among the new rows of an import, unsaved until
        its first item is created."""
        if signature not in self.new_issues:
            self.new_issues[signature] = self.make_issue(
                organization=values["organization"], **{name: values[name] for name in ISSUE_FIELDS}
            )
        return self.new_issues[signature]

    def update_row(self, row):
        """Update the item a row was imported as before (or became earlier in this import)."""
        values, org, key, item, imported = self._match(row)
        item, changed = self.update(item, values)
        item, progressed = self.after(item, values)
        # A later row naming the same item (a repeat in the file) meets it as saved now, at its
        # new version, not as it was loaded.
        self.by_reference[(item.organization_id, item.reference)] = item
        if imported is not None and imported.item_id == item.pk:
            imported.item = item
        if changed or progressed:
            self.result.updated += 1
        else:
            self.result.unchanged += 1
        if imported is not None and imported.item_id == item.pk and imported.source_name == self.source_name:
            return
        imported = imported if imported is not None and imported.item_id == item.pk else None
        imported = imported or ImportedRow.objects.filter(item=item).first()
        if imported is None:
            imported = ImportedRow(item=item, organization=org, key=key)
        imported.source_name = self.source_name
        imported.save()
        self.by_key[(org.pk, key)] = imported

    def placeholder(self, name):
        """The placeholder person for a name that matched no account (made once per import):
        inactive, and a member of the organization imported into, which makes it eligible as
        owner or leader there and below (`core.permissions.eligible_people`), and found by name
        when the file is imported again."""
        if name not in self.placeholders:
            user = get_user_model()(
                username="imported-" + uuid.uuid4().hex[:12],
                full_name=name,
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
            self.placeholders[name] = user
            self.result.people_created += 1
        return self.placeholders[name]

    def update(self, item, values):
        """Change what the file gives and the item does not say yet; keep the rest."""
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
        names = {"measures"} | ({"leader", "owner", "department", "next_review_on"} & given)
        if given & {"kind", "deadline"}:
            names |= {"kind", "deadline"}
            if values["kind"] == Item.Kind.LONG_TERM and not item.next_review_on:
                names.add("next_review_on")
        changes = {name: values.get(name) or ("" if name == "department" else None) for name in names}
        changes = {name: value for name, value in changes.items() if _differs(item, name, value)}
        if changes:
            item = workflow.edit_item(
                self.actor,
                item,
                expected_version=item.version,
                reason=self.reason,
                eligibility=self.eligibility,
                **changes,
            )
        return item, bool(issue_changes or changes)

    def after(self, item, values):
        """Progress text and state, when the file gives them and they differ: (the item as
        saved, whether it changed)."""
        changed = False
        text = values.get("progress")
        if text:
            latest = ProgressUpdate.objects.filter(item=item).order_by("-created_at", "-pk").first()
            if latest is None or latest.text != text:
                percent = values.get("percent", item.progress)
                # The update holds the item as the workflow saved it (new state and version).
                item = workflow.post_progress(
                    self.actor, item, text=text, percent=percent, reason=self.reason
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
