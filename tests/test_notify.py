"""`ledger.notify.notify`: the one writer of notifications tells each person once per key."""

import pytest

from ledger.models import Notification
from ledger.notify import notify
from tests.factories import IssueFactory, UserFactory, make_item


@pytest.fixture
def item(world):
    return make_item(
        world.committee, IssueFactory(organization=world.branch), owner=world.owner, leader=world.leader
    )


def test_each_person_is_told_once_per_key(world, item):
    first = notify(
        [world.owner, world.leader, world.owner],
        Notification.Kind.DUE_SOON,
        key="k1",
        item=item,
        params={"days": 7, "deadline": "2026-12-31"},
    )
    assert [n.recipient_id for n in first] == [world.owner.pk, world.leader.pk]
    again = notify([world.owner.pk, world.leader], Notification.Kind.DUE_SOON, key="k1", item=item)
    assert again == []
    other = notify([world.owner], Notification.Kind.DUE_SOON, key="k2", item=item)
    assert len(other) == 1
    assert Notification.objects.filter(recipient=world.owner).count() == 2
    stored = Notification.objects.get(recipient=world.leader)
    assert stored.organization_id == world.branch.pk
    assert stored.text() == f"事项 {item.reference} 还有 7 天到期（2026-12-31）。"


def test_the_actor_and_people_who_cannot_sign_in_are_not_told(world, item):
    placeholder = UserFactory(is_placeholder=True, is_active=False)
    gone = UserFactory(is_active=False)
    told = notify(
        [world.committee, world.owner, placeholder, gone, None],
        Notification.Kind.ASSIGNED,
        key="a1",
        item=item,
        skip=world.committee,
    )
    assert [n.recipient_id for n in told] == [world.owner.pk]


def test_a_missing_figure_falls_back_to_the_kind(world, item):
    (note,) = notify([world.owner], Notification.Kind.OVERDUE, key="o1", item=item, params={})
    note.refresh_from_db()
    assert note.text() == str(Notification.Kind.OVERDUE.label)
