"""The daily reminder run, day by day with time frozen: exactly who is told what on each day.

The item sits in the branch's first party group, which has a committee member of its own (组长),
so escalation climbs two levels: group → branch (李明) → company (张建国). Days are counted
as calendar days here (the company's light settings), to keep the dates readable; working days
are tested in tests/test_lights.py."""

import datetime
import re
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone, translation

from core.models import Membership, Organization
from ledger import workflow
from ledger.models import ExtensionRequest, Item, LightSettings, Notification, Urging
from tests.factories import IssueFactory, MembershipFactory, UserFactory, make_item

K = Notification.Kind


def at(day):
    """Travel to 09:00 local time on `day` ("2026-06-23")."""
    moment = datetime.datetime.combine(datetime.date.fromisoformat(day), datetime.time(9))
    return time_machine.travel(timezone.make_aware(moment), tick=False)


@pytest.fixture
def supervised(world):
    """The world with a group committee member and calendar-day counting."""
    group_lead = UserFactory(username="group_lead", full_name="孙组长")
    MembershipFactory(user=group_lead, organization=world.group, role=Membership.Role.COMMITTEE)
    LightSettings.objects.create(organization=world.company, day_count=LightSettings.DayCount.CALENDAR)
    return world


def new_item(world, *, on="2026-06-01", deadline="2026-06-30", percent=90, **fields):
    """An item of the group owned by 王强 with 杨帆 as co-owner, opened `on`, kept on pace."""
    with at(on):
        issue = IssueFactory(organization=world.branch, raised_on=datetime.date(2026, 5, 1))
        fields.setdefault("deadline", datetime.date.fromisoformat(deadline) if deadline else None)
        item = make_item(
            world.committee,
            issue,
            organization=world.group,
            owner=world.owner,
            leader=world.leader,
            co_owners=[world.member],
            **fields,
        )
        if percent is not None:
            workflow.start(world.owner, item)
            workflow.post_progress(
                world.owner, Item.objects.get(pk=item.pk), text="按计划推进", percent=percent
            )
        return Item.objects.get(pk=item.pk)


def run(day):
    """One run of the command on `day`: the notifications it created, as (kind, username)."""
    before = set(Notification.objects.values_list("pk", flat=True))
    out = StringIO()
    with at(day):
        call_command("send_reminders", stdout=out)
    new = Notification.objects.exclude(pk__in=before).select_related("recipient")
    return sorted((note.kind, note.recipient.username) for note in new)


def run_twice(day):
    """Runs twice on `day`; the second run must tell nobody anything."""
    first = run(day)
    assert run(day) == [], day
    return first


def test_a_deadline_approaching_and_passing_then_escalated_two_levels_up(supervised):
    world = supervised
    item = new_item(world)
    told = {
        day: run_twice(day)
        for day in (
            "2026-06-22",
            "2026-06-23",
            "2026-06-24",
            "2026-06-29",
            "2026-06-30",
            "2026-07-01",
            "2026-07-06",
            "2026-07-07",
            "2026-07-08",
            "2026-07-14",
            "2026-07-21",
            "2026-07-28",
        )
    }
    assert told == {
        "2026-06-22": [],
        # Seven days before the deadline, then one: the owner and the co-owner.
        "2026-06-23": [(K.DUE_SOON, "member"), (K.DUE_SOON, "owner")],
        "2026-06-24": [],
        "2026-06-29": [(K.DUE_SOON, "member"), (K.DUE_SOON, "owner")],
        "2026-06-30": [],  # due today, not overdue yet
        # Overdue: the workers, the responsible leader and the group's committee.
        "2026-07-01": [
            (K.OVERDUE, "group_lead"),
            (K.OVERDUE, "leader"),
            (K.OVERDUE, "member"),
            (K.OVERDUE, "owner"),
        ],
        "2026-07-06": [],
        # Seven days overdue: one level up (the branch); fourteen: two levels (the company).
        "2026-07-07": [(K.ESCALATED, "branch_secretary")],
        "2026-07-08": [],
        "2026-07-14": [(K.ESCALATED, "secretary")],
        "2026-07-21": [],  # no committee above the company
        "2026-07-28": [],
    }
    escalated = Notification.objects.get(kind=K.ESCALATED, recipient__username="secretary")
    assert escalated.item == item
    assert escalated.params == {"days": 14, "organization": "机运党支部第一党小组"}
    assert "14" in escalated.text()


def test_a_run_after_missed_days_catches_up_once(supervised):
    world = supervised
    new_item(world)
    # Nobody ran it for a month: one reminder of the deadline, the last one, then nothing new.
    assert run("2026-06-29") == [(K.DUE_SOON, "member"), (K.DUE_SOON, "owner")]
    # Nor for two weeks after the deadline: overdue and both levels of escalation, once each.
    assert run("2026-07-15") == [
        (K.ESCALATED, "branch_secretary"),
        (K.ESCALATED, "secretary"),
        (K.OVERDUE, "group_lead"),
        (K.OVERDUE, "leader"),
        (K.OVERDUE, "member"),
        (K.OVERDUE, "owner"),
    ]
    assert run("2026-07-16") == []
    assert run("2026-07-22") == []


def test_an_item_behind_pace_turns_red_and_its_people_are_told_once(supervised):
    world = supervised
    # Opened 1 June, due 30 June (29 days), nothing done: behind by more than 30 points on 10 June.
    item = new_item(world, percent=None)
    assert run("2026-06-09") == []
    assert run_twice("2026-06-10") == [
        (K.RED, "group_lead"),
        (K.RED, "leader"),
        (K.RED, "member"),
        (K.RED, "owner"),
    ]
    red = Notification.objects.filter(kind=K.RED).first()
    assert red.params == {"points": 31}
    assert red.text() == f"事项{item.reference}亮红灯：进度落后 31 个百分点。"
    assert run("2026-06-11") == []


def test_an_approved_extension_turns_red_to_green_and_cancels_the_escalation(supervised):
    world = supervised
    item = new_item(world)
    assert [kind for kind, _who in run("2026-07-01")] == [K.OVERDUE] * 4
    assert run("2026-07-07") == [(K.ESCALATED, "branch_secretary")]
    with at("2026-07-07"):
        workflow.request_extension(
            world.owner, item, proposed_deadline=datetime.date(2026, 8, 31), reason="设备到货推迟"
        )
    with at("2026-07-08"):
        extension = ExtensionRequest.objects.get(item=item)
        workflow.decide_extension(world.committee, extension, approve=True, note="同意")
        item.refresh_from_db()
        assert item.light().colour == "green"
    # Nothing further: no second escalation, no overdue; reminders re-armed for the new deadline.
    told = [run(day) for day in ("2026-07-08", "2026-07-14", "2026-07-21", "2026-08-23")]
    assert told == [[], [], [], []]
    assert run("2026-08-24") == [(K.DUE_SOON, "member"), (K.DUE_SOON, "owner")]


def test_an_item_awaiting_verification_reminds_the_committee_and_nothing_after_its_closure(supervised):
    world = supervised
    item = new_item(world, percent=100)
    with at("2026-06-20"):
        workflow.submit(world.owner, Item.objects.get(pk=item.pk), note="已完成")
    assert run("2026-06-22") == []
    # Three days waiting: the group's committee.
    assert run_twice("2026-06-23") == [(K.AWAITING_VERIFICATION, "group_lead")]
    with at("2026-06-24"):
        workflow.close(world.committee, Item.objects.get(pk=item.pk), note="验收合格")
    # Closed: nothing more, neither the deadline nor the escalation.
    assert [run(day) for day in ("2026-06-29", "2026-07-01", "2026-07-14")] == [[], [], []]
    assert Item.objects.get(pk=item.pk).light().colour == "blue"


def test_double_review_reminds_the_leader_of_an_item_awaiting_review(supervised):
    world = supervised
    Organization.objects.filter(pk=world.branch.pk).update(double_review=True)
    item = new_item(world, percent=100)
    with at("2026-06-20"):
        workflow.submit(world.owner, Item.objects.get(pk=item.pk), note="已完成")
    assert run("2026-06-22") == []
    assert run_twice("2026-06-23") == [(K.AWAITING_REVIEW, "leader")]


def test_a_pending_extension_request_reminds_the_committee(supervised):
    world = supervised
    item = new_item(world, deadline="2026-09-30")
    with at("2026-06-10"):
        workflow.request_extension(
            world.owner, item, proposed_deadline=datetime.date(2026, 10, 31), reason="等待审批"
        )
    assert run("2026-06-12") == []
    assert run_twice("2026-06-13") == [(K.EXTENSION_PENDING, "group_lead")]


def test_a_long_term_item_whose_review_date_came(supervised):
    world = supervised
    new_item(world, kind="long_term", deadline=None, next_review_on=datetime.date(2026, 6, 20), percent=10)
    assert run("2026-06-19") == []
    assert run_twice("2026-06-20") == [(K.REVIEW_DUE, "group_lead")]
    assert run("2026-06-27") == []


def test_the_command_prints_counts_per_kind_and_takes_a_date(supervised):
    world = supervised
    new_item(world)
    out = StringIO()
    with at("2026-06-01"), translation.override("en"):
        call_command("send_reminders", "--date", "2026-07-01", stdout=out)
    lines = out.getvalue().splitlines()
    assert "Overdue: 4" in lines
    assert "4 notification(s) created." in lines
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("send_reminders", "--date", "tomorrow", stdout=StringIO())


def test_the_run_ends_by_sending_each_person_one_digest_once(supervised, mailoutbox):
    world = supervised
    world.owner.email = "owner@example.com"
    world.owner.save()
    new_item(world)
    out = StringIO()
    with at("2026-06-01"):
        call_command("send_reminders", "--date", "2026-07-01", stdout=out)
    # The owner is the one told with an address: one digest, naming the overdue item.
    assert [message.to for message in mailoutbox] == [["owner@example.com"]]
    assert "逾期" in mailoutbox[0].body
    assert "1 个邮件摘要已发送" in out.getvalue()
    with at("2026-06-01"):
        call_command("send_reminders", "--date", "2026-07-01", stdout=StringIO())
    assert len(mailoutbox) == 1


# --- an urging or supervision notice left unanswered past its reply-by date -------------------


def urged(world, item, *, on="2026-06-02", reply_by="2026-06-10", level=Urging.Level.URGING):
    with at(on):
        return workflow.urge(
            world.committee,
            Item.objects.get(pk=item.pk),
            message="请说明进展",
            reply_by=datetime.date.fromisoformat(reply_by),
            level=level,
        )


def test_an_unanswered_urging_tells_the_owner_co_owners_and_issuer_once_after_reply_by(supervised):
    world = supervised
    item = new_item(world)
    urging = urged(world, item)
    assert run_twice("2026-06-09") == []
    assert run_twice("2026-06-10") == []  # the reply-by day itself is still in time
    assert run_twice("2026-06-11") == [
        (K.REPLY_OVERDUE, world.committee.username),
        (K.REPLY_OVERDUE, world.member.username),
        (K.REPLY_OVERDUE, world.owner.username),
    ]
    assert run("2026-06-20") == []
    note = Notification.objects.get(kind=K.REPLY_OVERDUE, recipient=world.owner)
    assert note.key == f"reply_overdue:{urging.pk}"
    with translation.override("en"):
        assert (
            note.text() == f"The reply to the urging notice on item {item.reference} was due on 2026-06-10."
        )
    with translation.override("zh-hans"):
        assert "2026-06-10" in note.text() and item.reference in note.text()
        assert "催办" in note.text()


def test_each_notice_is_its_own_reminder_and_names_its_level(supervised):
    world = supervised
    item = new_item(world)
    urged(world, item, reply_by="2026-06-05")
    notice = urged(world, item, on="2026-06-06", reply_by="2026-06-12", level=Urging.Level.NOTICE)
    assert len(run("2026-06-06")) == 3
    assert len(run("2026-06-13")) == 3
    note = Notification.objects.get(key=f"reply_overdue:{notice.pk}", recipient=world.owner)
    with translation.override("en"):
        assert "supervision notice" in note.text()


def test_a_reply_before_the_date_means_nothing_is_sent(supervised):
    world = supervised
    item = new_item(world)
    urging = urged(world, item)
    with at("2026-06-08"):
        workflow.reply_to_urging(world.owner, urging, reply="已完成整改方案")
    assert run("2026-06-11") == []
    assert not Notification.objects.filter(kind=K.REPLY_OVERDUE).exists()


def test_a_closed_item_is_not_reminded_of_its_urging(supervised):
    world = supervised
    item = new_item(world)
    urged(world, item)
    with at("2026-06-09"):
        workflow.withdraw(world.committee, Item.objects.get(pk=item.pk), reason="重复立项")
    assert run("2026-06-11") == []


def test_the_summary_speaks_one_language_the_active_one(supervised):
    """Chinese by default (the kinds by their Chinese labels), English on request: no codes,
    no label of one language inside sentences of the other."""
    world = supervised
    new_item(world)
    chinese, english = StringIO(), StringIO()
    with at("2026-06-01"):
        call_command("send_reminders", "--date", "2026-07-01", stdout=chinese)
    assert "逾期：4" in chinese.getvalue().splitlines()
    assert "共创建 4 条通知。" in chinese.getvalue().splitlines()
    assert not re.search("[A-Za-z]", chinese.getvalue())
    Notification.objects.all().delete()
    with at("2026-06-01"), translation.override("en"):
        call_command("send_reminders", "--date", "2026-07-01", stdout=english)
    assert "Overdue: 4" in english.getvalue().splitlines()
    assert not re.search(r"[\u4e00-\u9fff]", english.getvalue())
