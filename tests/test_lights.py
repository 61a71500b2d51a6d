"""The traffic light (亮灯): one definition, two forms. A table of crafted items, each lit by one
rule, is judged in Python (`item.light(today)`) and in SQL (`Judge.annotate`, `Judge.filter`),
on whichever database the suite runs on; the two must agree, and give the expected reason."""

import datetime

import pytest
import time_machine
from django.utils import timezone, translation

from core.models import Organization
from ledger import lights
from ledger.models import Item, LightSettings
from tests.factories import IssueFactory, make_item

# A Monday. 19 June 2026 is the Dragon Boat Festival (a statutory holiday): seven working days
# from today end on Thursday 25 June, seven calendar days on Monday 22 June.
TODAY = datetime.date(2026, 6, 15)
S = Item.Status


def day(offset):
    return TODAY + datetime.timedelta(days=offset)


@pytest.fixture
def frozen():
    with time_machine.travel(
        datetime.datetime(2026, 6, 15, 9, 0, tzinfo=timezone.get_current_timezone()), tick=False
    ):
        yield


def craft(
    world,
    *,
    organization=None,
    status=S.IN_PROGRESS,
    opened=-80,
    deadline=20,
    review=None,
    progress=0,
    updated=0,
    kind="by_deadline",
):
    """An item in the given state: made through the workflow, then placed in the state directly
    (a test's shortcut: the workflow's steps are tested elsewhere)."""
    organization = organization or world.branch
    issue = IssueFactory(organization=world.company, raised_on=day(-200))
    fields = {"deadline": day(deadline)} if kind != "long_term" else {"next_review_on": day(review)}
    item = make_item(world.company_committee, issue, organization=organization, kind=kind, **fields)
    Item.objects.filter(pk=item.pk).update(
        status=status,
        opened_on=day(opened),
        progress=progress,
        next_review_on=day(review) if review is not None else None,
        updated_at=timezone.now() - datetime.timedelta(days=updated),
    )
    return Item.objects.get(pk=item.pk)


# (name, craft arguments, expected code, expected reason in Chinese)
TABLE = [
    ("overdue", {"deadline": -5}, "red_overdue", "逾期 5 天"),
    # 80 of 100 days gone: the pace says 80 %.
    ("far behind", {"progress": 45}, "red_lag", "进度落后 35 个百分点"),
    ("just red", {"progress": 49}, "red_lag", "进度落后 31 个百分点"),
    ("just not red", {"progress": 50}, "yellow_lag", "进度落后 30 个百分点"),
    ("just yellow", {"progress": 70}, "yellow_lag", "进度落后 10 个百分点"),
    ("just on pace", {"progress": 71}, "green", "正常推进"),
    ("due today", {"deadline": 0, "progress": 100}, "yellow_due", "今天到期"),
    ("due in 7 calendar days", {"deadline": 7, "progress": 100}, "yellow_due", "7 天后到期"),
    ("due on the 7th working day", {"deadline": 10, "progress": 100}, "yellow_due", "10 天后到期"),
    ("due after 7 working days", {"deadline": 11, "progress": 100}, "green", "正常推进"),
    (
        "not updated for 31 days",
        {"opened": -60, "deadline": 300, "progress": 20, "updated": 31},
        "yellow_stale",
        "31 天未更新",
    ),
    (
        "updated 30 days ago",
        {"opened": -60, "deadline": 300, "progress": 20, "updated": 30},
        "green",
        "正常推进",
    ),
    ("open, not started, early", {"status": S.OPEN, "opened": -5, "deadline": 95}, "green", "正常推进"),
    (
        "open, not started, late",
        {"status": S.OPEN, "opened": -50, "deadline": 50},
        "red_lag",
        "进度落后 50 个百分点",
    ),
    # Awaiting verification: the owner says it is done; only the deadline counts.
    ("submitted behind pace", {"status": S.SUBMITTED, "progress": 10}, "green", "正常推进"),
    ("submitted after the deadline", {"status": S.SUBMITTED, "deadline": -1}, "red_overdue", "逾期 1 天"),
    ("reviewed, due soon", {"status": S.REVIEWED, "deadline": 3}, "yellow_due", "3 天后到期"),
    (
        "long-term, review passed",
        {"kind": "long_term", "status": S.LONG_TERM, "review": -3},
        "red_overdue",
        "复查逾期 3 天",
    ),
    (
        "long-term, review near",
        {"kind": "long_term", "status": S.LONG_TERM, "review": 2},
        "yellow_due",
        "2 天后复查",
    ),
    (
        "long-term, never updated",
        {"kind": "long_term", "status": S.LONG_TERM, "review": 60, "updated": 90},
        "green",
        "正常推进",
    ),
    ("closed late", {"status": S.CLOSED, "deadline": -30}, "blue", "已销号"),
    ("withdrawn", {"status": S.WITHDRAWN, "deadline": -30}, None, ""),
]


def _sql_codes(items):
    annotated = lights.Judge(TODAY).annotate(Item.objects.filter(pk__in=[item.pk for item in items]))
    return {item.pk: (item.light_code or None) for item in annotated}


@pytest.mark.usefixtures("frozen")
def test_every_rule_agrees_in_python_and_in_sql(world):
    items = {name: craft(world, **args) for name, args, _code, _reason in TABLE}
    sql = _sql_codes(items.values())
    with translation.override("zh-hans"):
        for name, _args, code, reason in TABLE:
            item = items[name]
            light = item.light(TODAY)
            assert (name, light.code) == (name, code)
            assert (name, sql[item.pk]) == (name, code)
            assert (name, str(light.reason)) == (name, reason)
    for colour in lights.COLOURS:
        expected = {items[name].pk for name, _a, code, _r in TABLE if code and code.startswith(colour)}
        filtered = lights.Judge(TODAY).filter(Item.objects.all(), colour)
        assert set(filtered.values_list("pk", flat=True)) == expected, colour


@pytest.mark.usefixtures("frozen")
def test_an_item_without_a_deadline_is_judged_by_its_updates(world):
    fresh = craft(world, status=S.OPEN)
    stale = craft(world, status=S.OPEN, updated=40)
    Item.objects.filter(pk__in=[fresh.pk, stale.pk]).update(deadline=None)
    fresh.refresh_from_db()
    stale.refresh_from_db()
    assert (fresh.light(TODAY).code, stale.light(TODAY).code) == ("green", "yellow_stale")
    assert _sql_codes([fresh, stale]) == {fresh.pk: "green", stale.pk: "yellow_stale"}


@pytest.mark.usefixtures("frozen")
def test_thresholds_are_inherited_down_the_tree_and_agree_in_sql(world):
    LightSettings.objects.create(organization=world.branch, red_lag=20)
    LightSettings.objects.create(organization=world.sibling, day_count=LightSettings.DayCount.CALENDAR)
    # 80 % expected, 55 % done: 25 points behind.
    in_group = craft(world, organization=world.group, progress=55)
    in_sibling = craft(world, organization=world.sibling, progress=55)
    # Due Wednesday 24 June: within seven working days, beyond seven calendar days.
    due_group = craft(world, organization=world.group, deadline=9, progress=100)
    due_sibling = craft(world, organization=world.sibling, deadline=9, progress=100)
    due_company = craft(world, organization=world.company, deadline=9, progress=100)
    expected = {
        in_group.pk: "red_lag",
        in_sibling.pk: "yellow_lag",
        due_group.pk: "yellow_due",
        due_sibling.pk: "green",
        due_company.pk: "yellow_due",
    }
    items = [in_group, in_sibling, due_group, due_sibling, due_company]
    assert {item.pk: item.light(TODAY).code for item in items} == expected
    assert _sql_codes(items) == expected


def test_working_days_follow_the_statutory_calendar_and_fall_back_to_weekdays():
    # National Day 2026: 1-7 October off, Saturday 10 October a swapped workday.
    assert lights.working_days_after(datetime.date(2026, 9, 30), 1) == datetime.date(2026, 10, 8)
    assert lights.working_days_after(datetime.date(2026, 10, 9), 1) == datetime.date(2026, 10, 10)
    # Beyond the package's data (2026 is its last year here): Monday to Friday.
    assert lights.working_days_after(datetime.date(2026, 12, 31), 1) == datetime.date(2027, 1, 1)
    assert lights.working_days_after(datetime.date(2027, 1, 1), 1) == datetime.date(2027, 1, 4)
    assert lights.working_days_after(datetime.date(2026, 12, 30), 3) == datetime.date(2027, 1, 4)


@pytest.mark.usefixtures("frozen")
def test_the_light_sort_puts_the_most_urgent_first(world):
    green = craft(world, progress=90)
    red = craft(world, deadline=-1)
    blue = craft(world, status=S.CLOSED)
    yellow = craft(world, deadline=2, progress=100)
    ordered = lights.Judge(TODAY).annotate(Item.objects.all()).order_by("light_rank", "pk")
    assert list(ordered.values_list("pk", flat=True)) == [red.pk, yellow.pk, green.pk, blue.pk]


def test_settings_refuse_a_yellow_threshold_above_the_red_one(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        LightSettings(organization=world.branch, red_lag=20, yellow_lag=25).full_clean()
    assert "yellow_lag" in refused.value.message_dict
    assert Organization.objects.count() == 4
