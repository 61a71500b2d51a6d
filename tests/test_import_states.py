"""Re-importing a ledger moves its items' states through the real transitions, or refuses the row."""

import io

import pytest
from django.urls import reverse

from ledger import workflow
from ledger.imports.reading import read_table
from ledger.imports.rows import prepare
from ledger.imports.storing import TAKE_FILE, Choices, ImportFailed, commit
from ledger.models import Item
from tests.factories import IssueFactory, make_item
from tests.sheet_files import ledger_rows, upload, xlsx_bytes

pytestmark = pytest.mark.usefixtures("english")

S = Item.Status


def ledger_file(status, owner="王强", progress="已组织学习"):
    rows = ledger_rows(owner=owner, count=1)
    rows[0] += ["整改进展", "整改状态"]
    rows[1] += [progress, status]
    return xlsx_bytes(rows)


def imported(world, content, name, actor=None, choices=None):
    actor = actor or world.committee
    preview = prepare(read_table(io.BytesIO(content), name), actor, world.branch)
    assert preview.is_valid, preview.problems or [row.errors for row in preview.rows]
    return commit(preview, actor, name, choices=choices)


def test_a_reimport_does_not_close_without_sign_off(world):
    """Finding 1: a committee member who owns an item in a branch with double review submits it,
    then re-imports the file saying 已销号. The close is refused as on the item's page."""
    world.branch.double_review = True
    world.branch.save()
    imported(world, ledger_file("整改中", owner="李明"), "v1.xlsx")
    item = Item.objects.get()
    assert item.owner == world.committee
    workflow.submit(world.committee, item, incomplete_confirmed=True)
    with pytest.raises(ImportFailed) as failed:
        imported(world, ledger_file("已销号", owner="李明"), "v2.xlsx")
    [message] = failed.value.errors[2]
    assert message.startswith(
        f"整改状态 K2: The file says “Closed”; here the item {item.reference} is “Awaiting verification”: "
    )
    item.refresh_from_db()
    assert item.status == S.SUBMITTED
    assert (item.verified_by, item.reviewed_by) == (None, None)


def test_the_refusal_shows_in_the_preview_of_the_web_import(client, world, import_dir):
    world.branch.double_review = True
    world.branch.save()
    imported(world, ledger_file("整改中", owner="李明"), "v1.xlsx")
    workflow.submit(world.committee, Item.objects.get(), incomplete_confirmed=True)
    client.force_login(world.committee)
    response = client.post(
        reverse("ledger:import"),
        {"file": upload(ledger_file("已销号", owner="李明")), "organization": world.branch.pk},
    )
    token = response.url.rstrip("/").rsplit("/", 1)[-1]
    refused = client.post(reverse("ledger:import_confirm", args=[token]))
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "Nothing was stored: these rows were refused." in page
    assert "The file says “Closed”" in page
    assert Item.objects.get().status == S.SUBMITTED


def test_another_committee_member_closes_a_submitted_item_by_reimport_with_a_note_naming_the_file(world):
    imported(world, ledger_file("整改中"), "v1.xlsx")
    item = Item.objects.get()
    workflow.submit(world.owner, item, incomplete_confirmed=True)
    result = imported(world, ledger_file("已销号"), "v2.xlsx")
    assert (result.updated, result.unchanged) == (1, 0)
    item.refresh_from_db()
    assert item.status == S.CLOSED
    assert item.verified_by == world.committee
    assert item.verification_note == "Imported from the file “v2.xlsx”"
    record = item.history.latest()
    assert (record.history_action, record.history_change_reason) == (
        workflow.Action.CLOSE,
        "Imported from the file “v2.xlsx”",
    )


def test_with_double_review_the_leader_reviews_first(world):
    world.branch.double_review = True
    world.branch.save()
    imported(world, ledger_file("整改中"), "v1.xlsx")
    workflow.submit(world.owner, Item.objects.get(), incomplete_confirmed=True)
    with pytest.raises(ImportFailed) as failed:
        imported(world, ledger_file("已销号"), "v2.xlsx")
    assert "You may not take the action “Review” on this item." in failed.value.errors[2][0]
    assert Item.objects.get().status == S.SUBMITTED


def test_an_item_in_progress_is_not_closed_by_a_file(world):
    """Closing needs the owner's submission first: a committee member's file cannot give it."""
    imported(world, ledger_file("整改中"), "v1.xlsx")
    with pytest.raises(ImportFailed) as failed:
        imported(world, ledger_file("已销号"), "v2.xlsx")
    assert "You may not take the action “Submit for verification” on this item." in failed.value.errors[2][0]
    item = Item.objects.get()
    assert item.status == S.IN_PROGRESS
    assert item.verified_by is None


def test_an_open_item_is_started_with_the_file_as_note(world):
    item = make_item(world.committee, IssueFactory(organization=world.branch, description="学习流于形式"))
    rows = [
        ["编号", "问题描述", "整改措施", "整改时限", "整改状态"],
        [item.reference, "学习流于形式", item.measures, item.deadline.isoformat(), "整改中"],
    ]
    imported(world, xlsx_bytes(rows), "v1.xlsx")
    item.refresh_from_db()
    assert item.status == S.IN_PROGRESS
    record = item.history.latest()
    assert (record.history_action, record.history_change_reason) == (
        workflow.Action.START,
        "Imported from the file “v1.xlsx”",
    )


def test_a_file_never_takes_an_item_back(world):
    imported(world, ledger_file("整改中"), "v1.xlsx")
    item = Item.objects.get()
    workflow.submit(world.owner, item, incomplete_confirmed=True)
    # Submitted in the product since the file was imported: the product's state is kept, and
    # the row is listed as a disagreement.
    result = imported(world, ledger_file("整改中"), "v1.xlsx")
    assert result.kept == 1
    [disagreement] = result.disagreements
    assert (disagreement.number, disagreement.reference) == (2, item.reference)
    assert ("整改状态", "In progress", "Awaiting verification") in disagreement.changes
    assert Item.objects.get().status == S.SUBMITTED
    # Taking the file's state is refused: a file never takes an item back.
    with pytest.raises(ImportFailed) as failed:
        imported(world, ledger_file("整改中"), "v1.xlsx", choices=Choices(rows={2: TAKE_FILE}))
    assert failed.value.errors[2] == [
        f"整改状态 K2: The file says “In progress”; here the item {item.reference} is “Awaiting verification”: "
        "An import cannot take an item from “Awaiting verification” to “In progress”."
    ]
    assert Item.objects.get().status == S.SUBMITTED


def test_a_withdrawal_in_the_file_is_a_withdrawal_with_the_file_as_reason(world):
    imported(world, ledger_file("整改中"), "v1.xlsx")
    imported(world, ledger_file("已撤销"), "v2.xlsx")
    item = Item.objects.get()
    assert item.status == S.WITHDRAWN
    record = item.history.latest()
    assert (record.history_action, record.history_change_reason) == (
        workflow.Action.WITHDRAW,
        "Imported from the file “v2.xlsx”",
    )


def test_set_imported_state_is_for_new_items_only(world):
    item = make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    workflow.start(world.owner, item)
    workflow.post_progress(world.owner, item, text="已组织学习", percent=50)
    workflow.submit(world.owner, item, incomplete_confirmed=True)
    with pytest.raises(workflow.InvalidTransition):
        workflow.set_imported_state(world.committee, item, status=S.CLOSED, reason="台账.xlsx")
    item.refresh_from_db()
    assert item.status == S.SUBMITTED


@pytest.mark.parametrize(
    ("current", "status", "steps"),
    [
        (S.OPEN, S.IN_PROGRESS, [workflow.Action.START]),
        (S.OPEN, S.SUBMITTED, [workflow.Action.START, workflow.Action.SUBMIT]),
        (S.IN_PROGRESS, S.CLOSED, [workflow.Action.SUBMIT, workflow.Action.CLOSE]),
        (S.SUBMITTED, S.CLOSED, [workflow.Action.CLOSE]),
        (S.REVIEWED, S.CLOSED, [workflow.Action.CLOSE]),
        (S.IN_PROGRESS, S.WITHDRAWN, [workflow.Action.WITHDRAW]),
        (S.CLOSED, S.CLOSED, []),
        (S.CLOSED, S.IN_PROGRESS, None),
        (S.CLOSED, S.WITHDRAWN, None),
        (S.SUBMITTED, S.OPEN, None),
        (S.IN_PROGRESS, S.LONG_TERM, None),
    ],
)
def test_the_ways_forward(world, current, status, steps):
    item = Item(organization=world.branch, status=current, kind=Item.Kind.BY_DEADLINE)
    assert workflow.imported_state_steps(world.committee, item, status) == steps
