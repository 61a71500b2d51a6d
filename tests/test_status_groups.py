"""The status groups are defined once, on the model, and the modules that group states use them."""

from ledger import stats, workflow
from ledger.models import Item

S = Item.Status


def test_finished_and_active_split_every_state():
    finished, active = set(Item.FINISHED_STATUSES), set(Item.ACTIVE_STATUSES)
    assert finished.isdisjoint(active)
    assert finished | active == set(S)
    assert set(Item.DEADLINE_STATUSES) == active - {S.LONG_TERM}


def test_the_workflow_acts_on_the_active_states():
    # Editing, withdrawing and deciding extensions apply to every item not finished yet.
    for action in (workflow.Action.EDIT, workflow.Action.WITHDRAW, workflow.Action.DECIDE_EXTENSION):
        assert workflow.RULES[action].states == set(Item.ACTIVE_STATUSES)


def test_the_summary_counts_the_deadline_states_as_being_pushed_forward():
    counts = dict.fromkeys(S, 1)
    assert stats.Totals(by_status=counts).active == len(Item.DEADLINE_STATUSES)
    assert not hasattr(stats, "ACTIVE_STATUSES")  # no second definition beside the model's
