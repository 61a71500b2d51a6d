"""Optimistic locking: an edit based on an old version is refused and overwrites nothing."""

import threading

import pytest
from django.db import connection, transaction

from ledger import workflow
from ledger.models import Category, Item
from tests.factories import IssueFactory, MeetingFactory, make_item


def test_a_stale_edit_is_refused_and_changes_nothing(world):
    item = make_item(world.committee, IssueFactory(organization=world.branch), department="机运工区")
    loaded_by_alice = Item.objects.get(pk=item.pk)
    loaded_by_bob = Item.objects.get(pk=item.pk)

    workflow.edit_item(
        world.committee, loaded_by_alice, expected_version=loaded_by_alice.version, department="调度室"
    )
    with pytest.raises(workflow.EditConflict) as conflict:
        workflow.edit_item(
            world.company_committee,
            loaded_by_bob,
            expected_version=loaded_by_bob.version,
            department="安全科",
        )

    assert conflict.value.current.department == "调度室"
    assert conflict.value.current.version == 2
    item.refresh_from_db()
    assert (item.department, item.version) == ("调度室", 2)
    assert item.history.count() == 2


def test_every_workflow_action_checks_the_version(world):
    item = make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    stale = item.version
    workflow.edit_item(world.committee, item, expected_version=stale, department="调度室")
    with pytest.raises(workflow.EditConflict):
        workflow.start(world.owner, item, expected_version=stale)
    with pytest.raises(workflow.EditConflict):
        workflow.withdraw(world.committee, item, reason="不再适用", expected_version=stale)
    item.refresh_from_db()
    assert item.status == Item.Status.OPEN


def race(model, pk, first_save, second_save):
    """Two real database connections (one per thread) save the same record.

    The first holds the row lock of `model` `pk` while it saves; the second starts meanwhile
    and runs into the lock. Returns each save's outcome: "saved", or the exception it raised.
    """
    first_holds_lock = threading.Event()
    second_started = threading.Event()
    outcome = {}

    def first():
        try:
            with transaction.atomic():
                model.objects.select_for_update().get(pk=pk)
                first_holds_lock.set()
                # Let the second connection run into the lock before this save commits.
                second_started.wait(timeout=10)
                threading.Event().wait(0.5)
                first_save()
            outcome["first"] = "saved"
        except Exception as error:  # reported to the main thread
            outcome["first"] = error
        finally:
            connection.close()

    def second():
        first_holds_lock.wait(timeout=10)
        second_started.set()
        try:
            second_save()
            outcome["second"] = "saved"
        except Exception as error:  # EditConflict expected
            outcome["second"] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcome


@pytest.mark.django_db(transaction=True)
def test_two_connections_editing_at_once_never_lose_an_update(world):
    """Two connections edit the same version of an item: the second waits for the first's row
    lock and must then be refused, instead of reading the old version and overwriting."""
    # A transactional test may start from an empty database: no categories from the migrations.
    safety = Category.objects.get_or_create(name="安全")[0]
    item = make_item(
        world.committee, IssueFactory(organization=world.branch, category=safety), department="机运工区"
    )
    version = item.version
    outcome = race(
        Item,
        item.pk,
        lambda: workflow.edit_item(world.committee, item, expected_version=version, department="调度室"),
        lambda: workflow.edit_item(
            world.company_committee, item, expected_version=version, department="安全科"
        ),
    )

    assert outcome["first"] == "saved"
    assert isinstance(outcome["second"], workflow.EditConflict), outcome["second"]
    assert outcome["second"].current.department == "调度室"
    item.refresh_from_db()
    assert (item.department, item.version) == ("调度室", version + 1)
    assert [h.department for h in item.history.order_by("history_id")] == ["机运工区", "调度室"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["issue", "meeting"])
def test_two_connections_saving_an_issue_or_a_meeting_at_once_never_lose_an_update(world, kind):
    """As above for the records the committee keeps: the second save, from the same version,
    waits for the first's row lock and is then refused."""
    if kind == "issue":
        # A transactional test starts from an empty database: no categories from the migrations.
        record = IssueFactory(organization=world.branch, category=Category.objects.create(name="安全"))
        save, name = workflow.save_issue, "description"
    else:
        record, save, name = MeetingFactory(organization=world.branch), workflow.save_meeting, "topic"
    model = type(record)

    def saving(user, text):
        def save_it():
            mine = model.objects.get(pk=record.pk)
            setattr(mine, name, text)
            save(user, mine, expected_version=1)

        return save_it

    outcome = race(
        model, record.pk, saving(world.committee, "李明改的"), saving(world.company_committee, "张建国改的")
    )

    assert outcome["first"] == "saved"
    assert isinstance(outcome["second"], workflow.EditConflict), outcome["second"]
    stored = model.objects.get(pk=record.pk)
    assert (getattr(stored, name), stored.version) == ("李明改的", 2)
