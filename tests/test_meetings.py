"""Meetings: the list, logging a meeting with its issues on one page, attendance, creating items
from issues, and the people search."""

import datetime

import pytest
from django.utils import timezone

from ledger.models import Attendance, Issue, Item, Meeting
from tests.factories import IssueFactory, MeetingFactory, category
from tests.pages import form_data, issue_rows_data


def meeting_data(world, rows, **fields):
    today = timezone.localdate()
    data = {
        "organization": world.branch.pk,
        "meeting_type": Meeting.Type.ORGANIZATION_LIFE,
        "topic": "2026年度专题组织生活会",
        "held_on": (today - datetime.timedelta(days=1)).isoformat(),
        "place": "机运工区会议室",
        "notes": "",
        **issue_rows_data(rows),
    }
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


def edit_page(client, meeting):
    """The meeting's edit page as loaded now, and what it posts back unchanged."""
    page = client.get(f"/ledger/meetings/{meeting.pk}/edit/")
    assert page.status_code == 200
    return form_data(page)


def row(data, issue):
    """The prefix of the issue's row in the posted data of the meeting's edit page."""
    index = next(i for i in range(int(data["issues-INITIAL_FORMS"])) if data[f"issues-{i}-id"] == issue.pk)
    return f"issues-{index}-"


def test_the_committee_edits_a_meeting_and_adds_an_issue(client, world, meeting):
    client.force_login(world.committee)
    data = edit_page(client, meeting)
    assert data["version"] == 1 and data["issues-0-version"] == data["issues-1-version"] == 1
    data.update({"topic": "改了题目", "reason": "题目写错了", "issues-2-description": "新增问题"})
    data.update({"issues-2-category": category().pk, "issues-2-source": Issue.Source.CRITICISM})
    response = client.post(f"/ledger/meetings/{meeting.pk}/edit/", data)
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.topic, meeting.version) == ("改了题目", 2)
    assert meeting.issues.count() == 3
    # The meeting's edit is on record with who, why and what; the untouched issues are not saved.
    edited = meeting.history.latest()
    assert (edited.history_action, edited.history_user, edited.history_change_reason) == (
        "edit",
        world.committee,
        "题目写错了",
    )
    assert edited.diff_against(edited.prev_record).changed_fields == ["topic"]
    new = meeting.issues.get(description="新增问题")
    assert (new.history.get().history_action, new.history.get().history_change_reason) == (
        "create",
        "题目写错了",
    )
    assert [issue.version for issue in meeting.issues.exclude(pk=new.pk)] == [1, 1]


def test_two_people_editing_a_meeting_never_overwrite_each_other(client, world, meeting):
    """Both load the page; the first saves; the second is refused and sees what they typed."""
    first_issue, second_issue = meeting.issues.order_by("pk")
    client.force_login(world.committee)
    alice = edit_page(client, meeting)
    client.force_login(world.company_committee)
    bob = edit_page(client, meeting)
    first, second = row(bob, first_issue), row(bob, second_issue)

    client.force_login(world.committee)
    alice.update({"topic": "李明改的题目", first + "description": "学习流于形式（李明补充）"})
    assert client.post(f"/ledger/meetings/{meeting.pk}/edit/", alice).status_code == 302

    client.force_login(world.company_committee)
    bob.update({"place": "张建国填的会议室", second + "description": "台账记录不全（张建国补充）"})
    response = client.post(f"/ledger/meetings/{meeting.pk}/edit/", bob, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    html = response.content.decode()
    assert 'id="edit-conflict"' in html
    assert "Someone else changed this meeting in the meantime (now version 2)." in html
    assert "张建国填的会议室" in html and "台账记录不全（张建国补充）" in html  # kept as typed
    meeting_merge = response.context["conflict"]["records"][0]
    assert [(row.label, row.base, row.theirs, row.outcome) for row in meeting_merge.rows] == [
        ("Topic", "专题组织生活会", "李明改的题目", "theirs"),
        ("Place", "—", "—", "mine"),
    ]
    # The issue the first person changed says so on its row; the other row has no error.
    rows = {form.instance.pk: form for form in response.context["formset"].forms}
    assert rows[first_issue.pk].non_field_errors() == [
        "Someone else changed this issue in the meantime (now version 2). "
        "Nothing was saved: review the changes and try again."
    ]
    assert not rows[second_issue.pk].non_field_errors()
    # Nothing of the second save was stored.
    meeting.refresh_from_db()
    second_issue.refresh_from_db()
    assert (meeting.topic, meeting.place, meeting.version) == ("李明改的题目", "", 2)
    assert (second_issue.description, second_issue.version) == ("台账记录不全", 1)

    # The page came back over the current versions: saving it again applies it, knowingly.
    again = form_data(response)
    versions = (again["version"], again[first + "version"], again[second + "version"])
    assert [int(version) for version in versions] == [2, 2, 1]
    assert client.post(f"/ledger/meetings/{meeting.pk}/edit/", again).status_code == 302
    meeting.refresh_from_db()
    second_issue.refresh_from_db()
    assert (meeting.place, meeting.version) == ("张建国填的会议室", 3)
    assert (second_issue.description, second_issue.version) == ("台账记录不全（张建国补充）", 2)
    edits = meeting.history.order_by("history_id")[1:]  # after the factory's creation
    assert [(h.history_action, h.history_user, h.version) for h in edits] == [
        ("edit", world.committee, 2),
        ("edit", world.company_committee, 3),
    ]


def test_an_issue_edited_on_its_own_page_conflicts_on_the_meeting_page(client, world, meeting):
    issue = meeting.issues.order_by("pk").first()
    client.force_login(world.committee)
    stale = edit_page(client, meeting)
    edit = form_data(client.get(f"/ledger/issues/{issue.pk}/edit/"))
    edit["description"] = "学习流于形式，记录造假"
    assert client.post(f"/ledger/issues/{issue.pk}/edit/", edit).status_code == 302

    stale["topic"] = "改了题目"  # the issue's row still holds its old description
    response = client.post(f"/ledger/meetings/{meeting.pk}/edit/", stale, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    assert "Someone else changed this issue in the meantime (now version 2)." in response.content.decode()
    # The meeting itself did not change: only the issue's row is merged.
    issue.refresh_from_db()
    assert [record.label for record in response.context["conflict"]["records"]] == [row_label(stale, issue)]
    rows = {form.instance.pk: form for form in response.context["formset"].forms}
    assert rows[issue.pk].non_field_errors()
    meeting.refresh_from_db()
    issue.refresh_from_db()
    assert (meeting.topic, meeting.version) == ("专题组织生活会", 1)  # nothing saved, not even the meeting
    assert (issue.description, issue.version) == ("学习流于形式，记录造假", 2)


def row_label(data, issue):
    number = int(row(data, issue).split("-")[1]) + 1
    return f"Issue {number}: {issue.description}"


def test_an_old_form_without_versions_is_refused(client, world, meeting):
    client.force_login(world.committee)
    data = edit_page(client, meeting)
    del data["version"]
    response = client.post(f"/ledger/meetings/{meeting.pk}/edit/", data)
    assert response.status_code == 400
    assert "version" in response.context["form"].errors


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
    assert client.post(f"/ledger/meetings/{meeting.pk}/edit/").status_code == 404
    assert client.post(f"/ledger/meetings/{meeting.pk}/attendance/").status_code == 404
    assert client.post(f"/ledger/meetings/{meeting.pk}/items/").status_code == 404


def test_read_only_roles_may_not_log_or_change(client, world, meeting):
    client.force_login(world.leadership)
    assert client.get("/ledger/meetings/new/").status_code == 403
    assert client.get(f"/ledger/meetings/{meeting.pk}/edit/").status_code == 403
    assert client.post(f"/ledger/meetings/{meeting.pk}/edit/").status_code == 403
    assert client.post(f"/ledger/meetings/{meeting.pk}/attendance/").status_code == 403
    assert client.post(f"/ledger/meetings/{meeting.pk}/items/").status_code == 403


def test_wrong_methods(client, world, meeting):
    client.force_login(world.committee)
    assert client.post("/ledger/meetings/").status_code == 405
    assert client.post(f"/ledger/meetings/{meeting.pk}/").status_code == 405
    assert client.put(f"/ledger/meetings/{meeting.pk}/attendance/").status_code == 405
    assert client.put(f"/ledger/meetings/{meeting.pk}/items/").status_code == 405
    assert client.post("/ledger/people/").status_code == 405
    assert client.put(f"/ledger/meetings/{meeting.pk}/edit/").status_code == 405


def test_attendance_absence_and_later_make_up_study(client, world, meeting, today):
    client.force_login(world.committee)
    url = f"/ledger/meetings/{meeting.pk}/attendance/"
    assert client.post(url, {"person": world.member.pk, "present": "on"}).status_code == 302
    assert client.post(url, {"person": world.owner.pk}).status_code == 400  # absent needs a reason
    data = {"person": world.owner.pk, "absence_reason": "on_shift", "absence_note": "夜班"}
    assert client.post(url, data).status_code == 302
    page = client.get(f"/ledger/meetings/{meeting.pk}/")
    assert page.context["participation"] == 50
    data["makeup_on"] = today.isoformat()
    assert client.post(url, data).status_code == 302
    absence = Attendance.objects.get(meeting=meeting, person=world.owner)
    assert absence.makeup_on == today
    assert absence.history.count() == 2


def test_an_issue_becomes_an_item(client, world, meeting, today):
    issue = meeting.issues.order_by("pk").first()
    client.force_login(world.committee)
    data = {
        "issue": issue.pk,
        "measures": "每月检查学习记录",
        "leader": world.leader.pk,
        "department": "党支部",
        "owner": world.owner.pk,
        "kind": "by_deadline",
        "deadline": (today + datetime.timedelta(days=30)).isoformat(),
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
        # the people expected (attendance list); organization tree and people for the attendance
        # form, then for the new-item form; issues with categories; their items with owners;
        # saved views, work queue count (menu), unread notifications (the bell)
        with django_assert_num_queries(16):
            client.get(f"/ledger/meetings/{meeting.pk}/")

    count()
    for _ in range(3):
        IssueFactory(organization=world.branch, meeting=meeting)
    count()
