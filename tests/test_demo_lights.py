"""The demo's lights (seed_demo without --items): each item's light follows from its situation
as the table below says, Python and SQL agree on every item, and every colour is on show."""

import datetime
import zoneinfo
from collections import Counter
from contextlib import nullcontext
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from ledger import lights
from ledger.models import ExtensionRequest, Item

S = Item.Status


# The demo loaded today, and on the eve of the National Day holiday (seven working days then
# stretch over more than two calendar weeks: "on schedule" must still be green).
DAYS = {
    "today": None,
    "eve of a holiday": datetime.datetime(2026, 9, 30, 10, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")),
}


@pytest.fixture(params=DAYS, ids=list(DAYS))
def demo(request, db):
    moment = DAYS[request.param]
    with time_machine.travel(moment) if moment else nullcontext():
        call_command("seed_demo", "--password", "pw-for-tests", stdout=StringIO())
        yield


def situation(item, today, refused):
    """The demo's situations, as a reader of the ledger names them."""
    if item.status == S.WITHDRAWN:
        return "withdrawn"
    if item.status == S.CLOSED:
        return "closed"
    if item.is_overdue(today):
        return "overdue"
    if item.pk in refused:
        return "extension refused, due in 5 days"
    return "on schedule"


# The demo's items open today with 10 to 60 days to go, so none lags its pace yet.
EXPECTED = {
    "withdrawn": None,
    "closed": lights.BLUE_CLOSED,
    "overdue": lights.RED_OVERDUE,
    "extension refused, due in 5 days": lights.YELLOW_DUE,
    "on schedule": lights.GREEN_ON_TRACK,
}


def test_every_demo_item_is_lit_as_its_situation_says(demo):
    today = timezone.localdate()
    refused = set(
        ExtensionRequest.objects.filter(status=ExtensionRequest.Status.REJECTED).values_list(
            "item_id", flat=True
        )
    )
    judge = lights.Judge(today)
    items = list(judge.annotate(Item.objects.all()))
    seen = Counter()
    for item in items:
        expected = EXPECTED[situation(item, today, refused)]
        # In Python (`Judge.code` never reads the annotation) …
        assert (item.reference, judge.code(item)) == (item.reference, expected)
        # … and in SQL (the annotation; "" is SQL's withdrawn)
        assert (item.reference, item.light_code or None) == (item.reference, expected)
        seen[item.light(today).colour] += 1
    assert set(seen) == {*lights.COLOURS, None}
    assert all(seen[colour] >= 1 for colour in lights.COLOURS)
