"""Notifications on the workflow's events (`ledger.receivers`): who is told of an assignment, a
return, a closure and an extension decision; never the actor; once per event; imports tell nobody."""

import datetime

import pytest

from ledger import workflow
from ledger.models import ExtensionRequest, Notification
from ledger.receivers import on_event
from tests.factories import IssueFactory, UserFactory, make_item

K = Notification.Kind


def told(kind=None):
    notes = Notification.objects.order_by("pk")
    if kind:
        notes = notes.filter(kind=kind)
    return [(note.recipient.username, note.kind) for note in notes]


@pytest.fixture
def item(world, committed_events):
    with committed_events():
        return make_item(
            world.committee, IssueFactory(organization=world.branch), owner=world.owner, leader=world.leader
        )


def test_a_new_item_tells_its_owner_and_leader_not_the_committee_that_made_it(world, item):
    assert told() == [("owner", K.ASSIGNED), ("leader", K.ASSIGNED)]
    note = Notification.objects.get(recipient=world.owner)
    assert note.item == item and note.organization == world.branch
    assert note.text() == f"您已成为事项 {item.reference} 的责任人。"


def test_a_new_owner_or_co_owner_is_told_and_the_old_one_is_not(world, item, committed_events):
    Notification.objects.all().delete()
    with committed_events():
        workflow.edit_item(
            world.committee, item, expected_version=item.version, owner=world.member, co_owners=[world.owner]
        )
    assert sorted(told()) == [("member", K.ASSIGNED), ("owner", K.ASSIGNED)]


def test_an_edit_of_other_fields_tells_nobody(world, item, committed_events):
    Notification.objects.all().delete()
    with committed_events():
        workflow.edit_item(world.committee, item, expected_version=item.version, department="综采工区")
    assert told() == []


def test_a_return_tells_the_owner_with_the_reason(world, item, committed_events):
    item = workflow.start(world.owner, item)
    workflow.post_progress(world.owner, item, text="已完成", percent=100)
    item = workflow.submit(world.owner, item)
    with committed_events():
        workflow.return_item(world.committee, item, reason="佐证材料不全")
    [note] = Notification.objects.filter(kind=K.RETURNED)
    assert note.recipient == world.owner
    assert "佐证材料不全" in note.text()


def test_a_closure_tells_owner_co_owners_and_leader_but_not_the_closer(world, committed_events):
    with committed_events():
        item = make_item(
            world.committee,
            IssueFactory(organization=world.branch),
            owner=world.owner,
            leader=world.leader,
            co_owners=[world.member],
        )
    item = workflow.start(world.owner, item)
    workflow.post_progress(world.owner, item, text="已完成", percent=100)
    item = workflow.submit(world.owner, item)
    with committed_events():
        workflow.close(world.committee, item, note="同意销号")
    assert [n.recipient.username for n in Notification.objects.filter(kind=K.CLOSED).order_by("pk")] == [
        "owner",
        "member",
        "leader",
    ]


def test_an_extension_decision_tells_the_requester_in_their_language(world, item, committed_events):
    request = workflow.request_extension(
        world.owner, item, proposed_deadline=item.deadline + datetime.timedelta(days=30), reason="设备未到货"
    )
    with committed_events():
        workflow.decide_extension(world.committee, request, approve=False, note="理由不充分")
    [note] = Notification.objects.filter(kind=K.EXTENSION_DECIDED)
    assert note.recipient == world.owner and note.params["decision"] == ExtensionRequest.Status.REJECTED
    assert note.message == "理由不充分"
    from django.utils import translation

    with translation.override("en"):
        assert note.text() == f"The extension request of item {item.reference} was decided: Rejected."
    with translation.override("zh-hans"):
        assert "Rejected" not in note.text()


def test_an_event_delivered_again_tells_nobody_twice(world, committed_events):
    with committed_events() as got:
        make_item(
            world.committee, IssueFactory(organization=world.branch), owner=world.owner, leader=world.leader
        )
    before = Notification.objects.count()
    for event in got:
        on_event(event)
    assert Notification.objects.count() == before == 2


def test_the_actor_is_not_told_of_their_own_action(world, committed_events):
    with committed_events():
        make_item(world.committee, IssueFactory(organization=world.branch), owner=world.committee)
    assert told() == []


def test_an_import_tells_nobody(world, committed_events):
    with committed_events() as got:
        make_item(
            world.committee,
            IssueFactory(organization=world.branch),
            owner=world.owner,
            action=workflow.Action.IMPORT,
        )
    assert got and told() == []


def test_a_muted_item_tells_the_person_nothing(world, item, committed_events):
    from ledger import delivery

    delivery.set_muted(world.owner, item, True)
    item = workflow.start(world.owner, item)
    workflow.post_progress(world.owner, item, text="已完成", percent=100)
    item = workflow.submit(world.owner, item)
    with committed_events():
        workflow.return_item(world.committee, item, reason="再补充")
    assert not Notification.objects.filter(kind=K.RETURNED).exists()


def test_people_who_cannot_sign_in_are_not_told(world, committed_events):
    placeholder = UserFactory(is_placeholder=True, is_active=False)
    from tests.factories import MembershipFactory

    MembershipFactory(user=placeholder, organization=world.branch)
    with committed_events():
        make_item(world.committee, IssueFactory(organization=world.branch), owner=placeholder)
    assert told() == []
