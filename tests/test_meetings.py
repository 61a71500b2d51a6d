"""Meetings: the list, logging a meeting with its issues on one page, attendance, creating items
from issues, and the people search."""

import datetime

import pytest
from django.utils import timezone

from ledger.models import Attendance, Issue, Item, Meeting
from tests.factories import IssueFactory, MeetingFactory, category

TODAY = timezone.localdate()


def meeting_data(world, rows, **fields):
    data = {
        "organization": world.branch.pk,
        "meeting_type": Meeting.Type.ORGANIZATION_LIFE,
        "topic": "2026年度专题组织生活会",
        "held_on": (TODAY - datetime.timedelta(days=1)).isoformat(),
        "place": "机运工区会议室",
        "notes": "",
        "issues-TOTAL_FORMS": len(rows),
        "issues-INITIAL_FORMS": 0,
        "issues-MIN_NUM_FORMS": 0,
        "issues-MAX_NUM_FORMS": 1000,
    }
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"issues-{index}-{name}"] = value
    data.update(fields)
    return data


def issue_row(description, **extra):
    return {"category": category().pk, "source": Issue.Source.CRITICISM, "description": description, **extra}


@pytest.fixture
def meeting(world):
    meeting = MeetingFactory(organization=world.branch)
    IssueFactory(organization=world.branch, meeting=meeting, description="学习流于形式")
    IssueFactory(organization=world.branch, meeting=meeting, description="台账记录不全")
    return meeting


def test_the_committee_logs_a_meeting_with_three_issues(client, world):
    client.force_login(world.committee)
    assert client.get("/ledger/meetings/new/").status_code == 200
    rows = [
        issue_row("问题一"),
        issue_row("问题二"),
        issue_row("问题三"),
        issue_row("不要的", DELETE="on"),
        {},
    ]
    response = client.post("/ledger/meetings/new/", meeting_data(world, rows))
    assert response.status_code == 302
    meeting = Meeting.objects.get()
    assert response["Location"] == f"/ledger/meetings/{meeting.pk}/"
    assert sorted(meeting.issues.values_list("description", flat=True)) == ["问题一", "问题三", "问题二"]
    assert {issue.organization_id for issue in meeting.issues.all()} == {world.branch.pk}
    assert meeting.history.get().history_action == "create"


def test_errors_are_shown_per_row_and_nothing_typed_is_lost(client, world):
    client.force_login(world.committee)
    rows = [issue_row("问题一"), issue_row("", source=""), issue_row("问题三")]
    response = client.post("/ledger/meetings/new/", meeting_data(world, rows, topic=""))
    assert response.status_code == 400
    html = response.content.decode()
    assert "问题一" in html and "问题三" in html
    assert response.context["formset"].errors[1]
    assert not response.context["formset"].errors[0]
    assert Meeting.objects.count() == 0


def test_the_committee_edits_a_meeting_and_adds_an_issue(client, world, meeting):
    client.force_login(world.committee)
    assert client.get(f"/ledger/meetings/{meeting.pk}/edit/").status_code == 200
    existing = list(meeting.issues.order_by("pk"))
    data = meeting_data(world, [], topic="改了题目")
    data["issues-TOTAL_FORMS"] = 3
    data["issues-INITIAL_FORMS"] = 2
    for index, issue in enumerate(existing):
        for name, value in issue_row(issue.description, id=issue.pk, meeting=meeting.pk).items():
            data[f"issues-{index}-{name}"] = value
    for name, value in issue_row("新增问题", meeting=meeting.pk).items():
        data[f"issues-2-{name}"] = value
    response = client.post(f"/ledger/meetings/{meeting.pk}/edit/", data)
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.topic == "改了题目"
    assert meeting.issues.count() == 3


def test_the_list_and_the_page_are_scoped(client, world, meeting):
    client.force_login(world.leadership)
    assert meeting in client.get("/ledger/meetings/").context["page"].object_list
    response = client.get(f"/ledger/meetings/{meeting.pk}/")
    assert response.status_code == 200
    assert "学习流于形式" in response.content.decode()
    assert response.context["manages"] is False
    client.force_login(world.outsider)
    assert list(client.get("/ledger/meetings/").context["page"].object_list) == []
    assert client.get(f"/ledger/meetings/{meeting.pk}/").status_code == 404
    assert client.get(f"/ledger/meetings/{meeting.pk}/edit/").status_code == 404
    assert client.post(f"/ledger/meetings/{meeting.pk}/attendance/").status_code == 404
    assert client.post(f"/ledger/meetings/{meeting.pk}/items/").status_code == 404


def test_read_only_roles_may_not_log_or_change(client, world, meeting):
    client.force_login(world.leadership)
    assert client.get("/ledger/meetings/new/").status_code == 403
    assert client.get(f"/ledger/meetings/{meeting.pk}/edit/").status_code == 403
    assert client.post(f"/ledger/meetings/{meeting.pk}/attendance/").status_code == 403
    assert client.post(f"/ledger/meetings/{meeting.pk}/items/").status_code == 403


def test_wrong_methods(client, world, meeting):
    client.force_login(world.committee)
    assert client.post("/ledger/meetings/").status_code == 405
    assert client.post(f"/ledger/meetings/{meeting.pk}/").status_code == 405
    assert client.get(f"/ledger/meetings/{meeting.pk}/attendance/").status_code == 405
    assert client.get(f"/ledger/meetings/{meeting.pk}/items/").status_code == 405
    assert client.post("/ledger/people/").status_code == 405


def test_attendance_absence_and_later_make_up_study(client, world, meeting):
    client.force_login(world.committee)
    url = f"/ledger/meetings/{meeting.pk}/attendance/"
    assert client.post(url, {"person": world.member.pk, "present": "on"}).status_code == 302
    assert client.post(url, {"person": world.owner.pk}).status_code == 400  # absent needs a reason
    data = {"person": world.owner.pk, "absence_reason": "on_shift", "absence_note": "夜班"}
    assert client.post(url, data).status_code == 302
    page = client.get(f"/ledger/meetings/{meeting.pk}/")
    assert page.context["participation"] == 50
    data["makeup_on"] = TODAY.isoformat()
    assert client.post(url, data).status_code == 302
    absence = Attendance.objects.get(meeting=meeting, person=world.owner)
    assert absence.makeup_on == TODAY
    assert absence.history.count() == 2


def test_an_issue_becomes_an_item(client, world, meeting):
    issue = meeting.issues.order_by("pk").first()
    client.force_login(world.committee)
    data = {
        "issue": issue.pk,
        "measures": "每月检查学习记录",
        "leader": world.leader.pk,
        "department": "党支部",
        "owner": world.owner.pk,
        "kind": "by_deadline",
        "deadline": (TODAY + datetime.timedelta(days=30)).isoformat(),
    }
    response = client.post(f"/ledger/meetings/{meeting.pk}/items/", data)
    assert response.status_code == 302
    item = Item.objects.get()
    assert (item.issue, item.owner, item.leader) == (issue, world.owner, world.leader)
    assert item.history.get().history_action == "create"
    # Without a deadline the model refuses, and the form shows it on that issue with what was typed.
    data["deadline"] = ""
    response = client.post(f"/ledger/meetings/{meeting.pk}/items/", data)
    assert response.status_code == 400
    assert "每月检查学习记录" in response.content.decode()
    assert Item.objects.count() == 1


def test_people_search_is_scoped(client, world):
    client.force_login(world.committee)
    response = client.get("/ledger/people/", {"org": world.branch.pk, "q": "王"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "王强" in html and "杨帆" not in html
    assert client.get("/ledger/people/", {"org": world.sibling.pk, "q": "王"}).status_code == 404
    assert client.get("/ledger/people/", {"org": "x"}).status_code == 404


def test_the_meeting_page_reads_in_constant_queries(client, world, meeting, django_assert_num_queries):
    client.force_login(world.committee)

    def count():
        # session, user, memberships, organization tree; the meeting; attendance with people;
        # organization tree and people for the attendance form, then for the new-item form;
        # issues with categories; their items with owners; saved views (menu)
        with django_assert_num_queries(13):
            client.get(f"/ledger/meetings/{meeting.pk}/")

    count()
    for _ in range(3):
        IssueFactory(organization=world.branch, meeting=meeting)
    count()
