"""The leadership summary /ledger/summary.pdf: the sentence leaders quote, totals, charts,
breakdowns, the overdue list and the items closed in the period."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation

from ledger import stats, workflow
from ledger.models import Attendance
from tests import pdfs
from tests.reportdata import SIBLING_TEXT, populate

URL = reverse("ledger:summary_pdf")


@pytest.fixture(autouse=True)
def strict_glyphs(settings):
    settings.LEDGER_PDF_STRICT_GLYPHS = True


def test_it_prints_the_summary_with_charts(client, world, django_assert_num_queries):
    ledger = populate(world)
    Attendance.objects.create(meeting=ledger.meeting, person=world.owner)
    Attendance.objects.create(
        meeting=ledger.meeting, person=world.member, present=False, absence_reason="leave"
    )
    client.force_login(world.committee)
    # session, user, memberships, organization tree; the count (background or not); the
    # summary's two (by organization and status, by category); overdue items, closed items,
    # the trend; meeting participation; the top organizations; the supervision figures
    # (urgings, warning talks, accountability, re-checks)
    with django_assert_num_queries(16):
        response = client.get(URL)
    assert response.status_code == 200
    pages = pdfs.pages_text(response.content)
    text = pdfs.squeezed("".join(pages))
    with translation.override("zh-hans"):
        sentence = str(stats.HEADLINE).format(total=4, closed=1, active=3, long_term=0, rate="25")
    assert pdfs.squeezed(sentence) in text
    assert "逾期未完成的整改措施" in text  # the overdue list
    assert "已销号的整改措施" in text  # closed in the period
    assert "机运党支部" in text  # breakdown and chart label
    assert SIBLING_TEXT not in text
    assert "通修党支部" not in text
    assert "50.0%" in text  # participation: one of two present
    assert pdfs.page_footer(1, len(pages)) in pdfs.squeezed(pages[0])


def test_english_summary(client, world):
    populate(world)
    client.force_login(world.committee)
    text = pdfs.text(client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content)
    assert (
        "4 items in all: 1 completed, 3 being pushed forward, 0 long-term; completion rate 25%"
        in " ".join(text.split())
    )


def test_members_may_not(client, world):
    client.force_login(world.member)
    assert client.get(URL).status_code == 403


def test_wrong_method(client, world):
    client.force_login(world.committee)
    assert client.post(URL).status_code == 405


def test_as_of_rebuilds_the_figures_as_they_stood(client, world):
    with time_machine.travel(timezone.now() - datetime.timedelta(days=10)):
        ledger = populate(world)
    # Since then, one more item was closed and one withdrawn.
    workflow.post_progress(world.owner, ledger.open, text="完成", percent=100)
    workflow.close(world.committee, workflow.submit(world.owner, ledger.open), note="后来销号")
    workflow.withdraw(world.committee, ledger.hostile, reason="重复")
    client.force_login(world.committee)
    as_of = (timezone.localdate() - datetime.timedelta(days=5)).isoformat()
    with translation.override("en"):
        past = " ".join(
            pdfs.text(client.get(URL, {"as_of": as_of}, HTTP_ACCEPT_LANGUAGE="en").content).split()
        )
        now = " ".join(pdfs.text(client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content).split())
    assert "4 items in all: 1 completed, 3 being pushed forward" in past
    assert "3 items in all: 2 completed, 1 being pushed forward" in now
    assert "后来销号" not in past
    assert "后来销号" in now
