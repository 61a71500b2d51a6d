"""Figures for the dashboard and the summaries: counts, rates, breakdowns, trend, participation."""

import datetime

import pytest
import time_machine
from django.utils import timezone, translation

from ledger import stats, workflow
from ledger.models import Attendance, Item, Meeting
from tests.factories import IssueFactory, MeetingFactory, category, make_item

S = Item.Status
TODAY = datetime.date(2026, 11, 24)  # a Tuesday


def _item(world, cat="安全", organization=None, **fields):
    organization = organization or world.branch
    issue = IssueFactory(organization=organization, category=category(cat))
    fields.setdefault("owner", world.owner)
    fields.setdefault("leader", world.leader)
    return make_item(world.committee if organization != world.sibling else world.outsider, issue, **fields)


def _finish(world, item, outcome=Item.Outcome.COMPLETED, actor=None):
    actor = actor or world.committee
    workflow.post_progress(world.owner, item, text="已完成", percent=100)
    item = workflow.submit(world.owner, item)
    return workflow.close(
        actor,
        item,
        note="同意销号",
        outcome=outcome,
        next_review_on=timezone.localdate() + datetime.timedelta(days=30)
        if outcome == Item.Outcome.STAGE_COMPLETED
        else None,
    )


@pytest.fixture
def ledger(world):
    """Six items of the branch and one of the sibling branch.

    安全: closed, long-term, in progress (overdue), open (due this week); 党建: closed, withdrawn.
    """
    today = timezone.localdate()
    _finish(world, _item(world, "安全"))
    _finish(world, _item(world, "安全"), outcome=Item.Outcome.STAGE_COMPLETED)
    # Created and started ten days ago with a deadline that has passed since.
    with time_machine.travel(timezone.now() - datetime.timedelta(days=10)):
        late = _item(world, "安全", deadline=today - datetime.timedelta(days=1))
        workflow.start(world.owner, late)
    _item(world, "安全", deadline=stats.end_of_week(today))
    _finish(world, _item(world, "党建"))
    workflow.withdraw(world.committee, _item(world, "党建"), reason="重复")
    _item(world, "廉政", organization=world.sibling, owner=None)  # the branch's owner cannot own it
    return world


def test_totals_by_status(ledger, django_assert_num_queries):
    items = Item.objects.visible_to(ledger.committee)
    with django_assert_num_queries(1):  # the counts grouped by status
        totals = stats.totals(items)
    assert totals.total == 6
    assert (totals.closed, totals.active, totals.long_term, totals.withdrawn) == (2, 2, 1, 1)
    # Withdrawn items do not count: 2 closed out of 5 that apply.
    assert totals.completion_rate == 40.0
    assert [count for _s, _l, count in totals.rows()] == [1, 1, 0, 0, 1, 2, 1]


def test_completion_rate_of_an_empty_ledger_is_zero():
    assert stats.completion_rate(0, 0) == 0.0
    assert stats.Totals().completion_rate == 0.0


def test_overdue_and_due_this_week(ledger, django_assert_num_queries):
    items = Item.objects.visible_to(ledger.committee)
    with django_assert_num_queries(2):  # one count each
        assert stats.overdue_count(items) == 1
        assert stats.due_this_week(items) == 1


def test_end_of_week_is_sunday():
    assert stats.end_of_week(TODAY) == datetime.date(2026, 11, 29)
    assert stats.end_of_week(datetime.date(2026, 11, 29)) == datetime.date(2026, 11, 29)


def test_breakdowns_leave_out_withdrawn_items_and_scope_stays(ledger, django_assert_num_queries):
    items = Item.objects.visible_to(ledger.committee)
    with django_assert_num_queries(2):  # one grouped query per breakdown
        organizations = stats.by_organization(items)
        categories = stats.by_category(items)
    assert [(row.label, row.total, row.closed) for row in organizations] == [("机运党支部", 5, 2)]
    assert [
        (row.label, row.total, row.closed, row.active, row.long_term, row.overdue) for row in categories
    ] == [
        ("党建", 1, 1, 0, 0, 0),
        ("安全", 4, 1, 2, 1, 1),
    ]
    # The company's committee sees the sibling branch too.
    everything = stats.by_organization(Item.objects.visible_to(ledger.company_committee))
    assert {row.label for row in everything} == {"机运党支部", "通修党支部"}


def test_category_labels_follow_the_language(ledger):
    items = Item.objects.visible_to(ledger.committee)
    with translation.override("en"):
        labels = [row.label for row in stats.by_category(items)]
    assert labels == ["Party building", "Safety"]


def test_monthly_trend_counts_opened_and_closed(ledger, django_assert_num_queries):
    items = Item.objects.visible_to(ledger.committee)
    with django_assert_num_queries(1):  # opened and closed per month, one scan
        points = stats.monthly_trend(items, months=6)
    assert len(points) == 6
    assert points[-1].month == timezone.localdate().replace(day=1)
    assert sum(p.opened for p in points) == 6
    assert points[-1].closed == 2


def test_participation_per_branch(world, django_assert_num_queries):
    meeting = MeetingFactory(organization=world.branch, held_on=TODAY)
    other = MeetingFactory(organization=world.sibling, held_on=TODAY)
    old = MeetingFactory(organization=world.branch, held_on=TODAY - datetime.timedelta(days=400))
    for person, present in ((world.owner, True), (world.member, False), (world.committee, True)):
        Attendance.objects.create(
            meeting=meeting,
            person=person,
            present=present,
            absence_reason="" if present else Attendance.AbsenceReason.ON_SHIFT,
            makeup_on=None if present else TODAY,
        )
    Attendance.objects.create(meeting=other, person=world.outsider)
    Attendance.objects.create(meeting=old, person=world.owner, present=False, absence_reason="leave")
    meetings = Meeting.objects.visible_to(world.committee)
    with django_assert_num_queries(1):  # attendance grouped by organization
        rows = stats.participation(meetings, TODAY - datetime.timedelta(days=30), TODAY)
    assert [(r.organization, r.meetings, r.expected, r.present, r.made_up) for r in rows] == [
        ("机运党支部", 1, 3, 2, 1)
    ]
    assert rows[0].rate == 66.7


def test_headline_in_english(ledger):
    items = Item.objects.visible_to(ledger.committee)
    with translation.override("en"):
        summary = stats.summary(items)
        text = summary.headline
    assert text.startswith(
        "5 items in all: 2 completed, 2 being pushed forward, 1 long-term; completion rate 40%"
    )
    assert "Party building 1 items (1 completed)" in text
    assert "Safety 4 items (1 completed)" in text


def test_headline_goes_through_the_catalogue(ledger):
    # The sentence is translatable: in Chinese it reads "共 5 项，已完成 2 项、正在推进 2 项、…".
    items = Item.objects.visible_to(ledger.committee)
    with translation.override("zh-hans"):
        expected = str(stats.HEADLINE).format(total=5, closed=2, active=2, long_term=1, rate="40")
        assert stats.summary(items).headline.startswith(expected)
        assert "党建" in stats.summary(items).headline


def test_summary_runs_a_constant_number_of_queries(ledger, django_assert_num_queries):
    items = Item.objects.visible_to(ledger.committee)
    for _n in range(3):
        _item(ledger, "作风")
    # by organization and status (totals, overdue, due this week, by organization); by category
    with django_assert_num_queries(2):
        summary = stats.summary(items)
    assert summary.totals.total == 9
    assert summary.overdue == 1


def test_the_one_scan_summary_gives_the_figures_of_the_separate_queries(ledger):
    # The summary groups the items once by organization and status; each figure must be what
    # its own query gives (the leadership summary prints them too). Two organizations, every
    # state, a withdrawn item, an overdue one and one due this week, in two scopes (the
    # committee's, the sibling branch's) and over all items.
    _item(ledger, "作风", organization=ledger.sibling, owner=None, deadline=timezone.localdate())
    for user in (ledger.committee, ledger.outsider):
        items = Item.objects.visible_to(user)
        summary = stats.summary(items)
        assert summary.totals.by_status == stats.totals(items).by_status
        assert summary.overdue == stats.overdue_count(items)
        assert summary.due_this_week == stats.due_this_week(items)
        assert summary.organizations == stats.by_organization(items)
        assert summary.categories == stats.by_category(items)
    assert [row.label for row in stats.summary(Item.objects.all()).organizations] == [
        row.label for row in stats.by_organization(Item.objects.all())
    ]


def test_the_one_scan_trend_gives_the_figures_of_the_separate_counts(ledger):
    items = Item.objects.visible_to(ledger.committee)
    points = stats.monthly_trend(items, months=6)
    first = points[0].month
    for point in points:
        following = (point.month + datetime.timedelta(days=32)).replace(day=1)
        assert point.opened == items.filter(opened_on__gte=point.month, opened_on__lt=following).count()
        assert point.closed == sum(
            1
            for item in items.filter(status=S.CLOSED)
            if item.verified_at
            and first <= timezone.localtime(item.verified_at).date().replace(day=1) == point.month
        )
