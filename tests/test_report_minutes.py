"""Meeting minutes /ledger/meetings/<id>/minutes.pdf: facts, attendance, issues and their items."""

import pytest
from django.urls import reverse
from django.utils import timezone

from ledger.models import Attendance
from tests import pdfs
from tests.reportdata import populate


@pytest.fixture(autouse=True)
def strict_glyphs(settings):
    settings.LEDGER_PDF_STRICT_GLYPHS = True


@pytest.fixture
def meeting(world):
    ledger = populate(world)
    meeting = ledger.meeting
    meeting.place = "机运工区三楼会议室"
    meeting.host = world.committee
    meeting.save()
    Attendance.objects.create(meeting=meeting, person=world.committee)
    Attendance.objects.create(
        meeting=meeting,
        person=world.owner,
        present=False,
        absence_reason=Attendance.AbsenceReason.ON_SHIFT,
        absence_note="夜班",
        makeup_on=timezone.localdate(),
    )
    return meeting


def _url(meeting):
    return reverse("ledger:meeting_minutes", args=[meeting.pk])


def test_it_prints_the_minutes(client, world, meeting, django_assert_num_queries):
    client.force_login(world.committee)
    # session, user, memberships, organization tree, the meeting, attendance, issues, their items
    with django_assert_num_queries(8):
        response = client.get(_url(meeting))
    assert response.status_code == 200
    pages = pdfs.pages_text(response.content)
    text = pdfs.squeezed("".join(pages))
    for expected in (
        "机运党支部专题组织生活会",
        "机运工区三楼会议室",
        "王强",
        "夜班",
        "班前会安全讲评流于形式",
        "组织全员重新学习作业规程",
    ):
        assert expected in text
    assert pdfs.page_footer(1, len(pages)) in pdfs.squeezed(pages[0])


def test_items_outside_the_readers_scope_are_left_out(client, world, meeting):
    # The company's leadership sees everything; the branch committee of the sibling sees nothing.
    client.force_login(world.leadership)
    assert client.get(_url(meeting)).status_code == 200
    client.force_login(world.outsider)
    assert client.get(_url(meeting)).status_code == 404


def test_members_may_not_print_minutes(client, world, meeting):
    client.force_login(world.member)
    assert client.get(_url(meeting)).status_code == 403


def test_wrong_method(client, world, meeting):
    client.force_login(world.committee)
    assert client.post(_url(meeting)).status_code == 405
