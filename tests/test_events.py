"""Events and action ids: one event per record an action writes, after the commit only; the rows
one action writes share its id; nested actions join the outer one."""

import datetime
import logging

import pytest
from django.db import transaction

from core import audit, events
from ledger import receivers, workflow
from ledger.models import Attendance, Issue, Item
from tests.factories import IssueFactory, MeetingFactory, make_item


@pytest.fixture
def item(world):
    return make_item(
        world.committee, IssueFactory(organization=world.branch), owner=world.owner, leader=world.leader
    )


def test_an_action_emits_its_event_after_the_commit_only(world, item, committed_events):
    with committed_events() as got, transaction.atomic():
        workflow.start(world.owner, item)
        assert got == []  # not before the commit
    [event] = got
    row = Item.objects.get(pk=item.pk).history.latest()
    assert event == events.Event(
        action="start",
        model="ledger.item",
        record_id=item.pk,
        item_id=item.pk,
        actor_id=world.owner.pk,
        at=row.history_date,
        reason="",
        changed=("status",),
        action_id=row.history_action_id,
        created=False,
    )


def test_an_action_rolled_back_emits_nothing(world, item, committed_events):
    with committed_events() as got, pytest.raises(RuntimeError), transaction.atomic():
        workflow.start(world.owner, item)
        raise RuntimeError("the caller's transaction fails after the action")
    assert got == []
    assert Item.objects.get(pk=item.pk).status == Item.Status.OPEN


def test_a_refused_action_emits_nothing(world, item, committed_events):
    with committed_events() as got, pytest.raises(workflow.NotAllowed):
        workflow.close(world.owner, item, note="自己验收")
    assert got == []


def test_events_name_the_fields_the_action_changed(world, item, committed_events):
    with committed_events() as got:
        item = workflow.edit_item(
            world.committee,
            item,
            expected_version=item.version,
            department="调度室",
            deadline=item.deadline + datetime.timedelta(days=3),
            measures=item.measures,  # unchanged: not named
            reason="调整",
        )
        workflow.post_progress(world.owner, item, text="已组织学习", percent=30)
    edit, post_item, post_update = got
    assert (edit.action, edit.changed, edit.reason) == ("edit", ("department", "deadline"), "调整")
    assert (post_item.model, post_item.changed) == ("ledger.item", ("status", "progress"))
    assert (post_update.model, post_update.item_id, post_update.created) == (
        "ledger.progressupdate",
        item.pk,
        True,
    )
    assert {"item", "author", "text", "percent"} <= set(post_update.changed)
    assert post_item.action_id == post_update.action_id != edit.action_id


def test_a_record_refreshed_from_the_database_names_only_what_changes_after(world, committed_events):
    issue = IssueFactory(organization=world.branch)
    Issue.objects.filter(pk=issue.pk).update(description="已在别处修改")
    issue.refresh_from_db()
    issue.raised_by_name = "安全检查组"
    with committed_events() as got:
        workflow.save_issue(world.committee, issue, reason="补充提出人")
    [event] = got
    assert event.changed == ("raised_by_name",)


def test_a_failing_receiver_does_not_keep_the_others_from_their_event(world, item, caplog, committed_events):
    def broken(event):
        raise ValueError("the webhook is down")

    events.subscribe(broken)
    try:
        with caplog.at_level(logging.ERROR, logger="core.events"), committed_events() as got:
            workflow.start(world.owner, item)
    finally:
        events.unsubscribe(broken)
    assert [event.action for event in got] == ["start"]
    assert "the webhook is down" in caplog.text
    assert Item.objects.get(pk=item.pk).status == Item.Status.IN_PROGRESS


def test_nobody_listening_builds_no_event(world, item):
    # The notifications' receiver listens from start-up (`LedgerConfig.ready`): take it away to
    # see that the emitters build nothing when nobody listens.
    events.unsubscribe(receivers.on_event)
    try:
        assert not events.listening()
        workflow.start(world.owner, item)  # nothing to deliver, nothing kept
    finally:
        events.subscribe(receivers.on_event)


def test_nested_actions_join_the_outer_one_and_a_lone_save_is_its_own(world, item):
    with audit.action() as outer:
        item = workflow.start(world.owner, item)
        with audit.action() as inner:
            workflow.post_progress(world.owner, item, text="已组织学习", percent=30)
    assert inner == outer
    rows = list(Item.objects.get(pk=item.pk).history.order_by("history_id"))
    assert [row.history_action for row in rows] == ["create", "start", "post_progress"]
    assert rows[1].history_action_id == rows[2].history_action_id == outer
    assert rows[0].history_action_id not in (None, outer)
    # A save outside any action, as a fixture's: an id of its own.
    lone = IssueFactory(organization=world.branch)
    assert lone.history.get().history_action_id not in (None, outer, rows[0].history_action_id)


def test_each_workflow_call_is_an_action_of_its_own(world, item):
    item = workflow.start(world.owner, item)
    workflow.post_progress(world.owner, item, text="已组织学习", percent=30)
    ids = list(Item.objects.get(pk=item.pk).history.values_list("history_action_id", flat=True))
    assert len(set(ids)) == len(ids) == 3


def test_taking_a_person_off_an_attendance_list_is_on_record_with_its_event(world, committed_events):
    meeting = MeetingFactory(organization=world.branch)
    attendance = workflow.save_attendance(
        world.committee, Attendance(meeting=meeting, person=world.outsider, present=True)
    )
    with committed_events() as got:
        workflow.remove_attendance(world.committee, attendance, reason="误录，非本支部人员")
    assert not Attendance.objects.filter(pk=attendance.pk).exists()
    row = Attendance.history.filter(id=attendance.pk).latest()
    assert (row.history_type, row.history_action, row.history_change_reason, row.history_user) == (
        "-",
        "remove",
        "误录，非本支部人员",
        world.committee,
    )
    [event] = got
    assert (event.action, event.model, event.record_id, event.actor_id, event.action_id) == (
        "remove",
        "ledger.attendance",
        attendance.pk,
        world.committee.pk,
        row.history_action_id,
    )
