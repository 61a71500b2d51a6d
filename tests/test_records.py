"""Meeting and issue records complete: host and recorder, who raised an issue and whom it
concerns, and moving a meeting to another organization with its issues."""

import datetime

import pytest
from django.utils import timezone

from ledger.models import Attendance, Issue, ItemCoOwner, Meeting
from tests.factories import IssueFactory, MeetingFactory, category, make_item
from tests.pages import form_data, issue_rows_data
from tests.pdfs import text as pdf_text


def today():
    return timezone.localdate()


@pytest.fixture
def meeting(world):
    meeting = MeetingFactory(organization=world.branch)
    IssueFactory(organization=world.branch, meeting=meeting, description="学习流于形式")
    return meeting


def edit_page(client, meeting):
    page = client.get(f"/ledger/meetings/{meeting.pk}/edit/")
    assert page.status_code == 200
    return page, form_data(page)


def test_the_meeting_form_names_host_and_recorder_and_the_minutes_print_them(client, world):
    client.force_login(world.committee)
    page = client.get("/ledger/meetings/new/")
    html = page.content.decode()
    assert 'name="host"' in html and 'name="recorder"' in html
    data = {
        "organization": world.branch.pk,
        "meeting_type": Meeting.Type.ORGANIZATION_LIFE,
        "topic": "专题组织生活会",
        "held_on": (today() - datetime.timedelta(days=1)).isoformat(),
        "host": world.committee.pk,
        "recorder": world.member.pk,
        **issue_rows_data([]),
    }
    response = client.post("/ledger/meetings/new/", data)
    assert response.status_code == 302
    meeting = Meeting.objects.get()
    assert (meeting.host, meeting.recorder) == (world.committee, world.member)
    detail = client.get(f"/ledger/meetings/{meeting.pk}/").content.decode()
    assert "李明" in detail and "杨帆" in detail

    minutes = client.get(f"/ledger/meetings/{meeting.pk}/minutes.pdf")
    text = pdf_text(minutes.content)
    assert "李明" in text and "杨帆" in text


def test_only_people_of_managed_organizations_may_host(client, world):
    client.force_login(world.committee)
    _, data = edit_page(client, MeetingFactory(organization=world.branch))
    data["host"] = world.outsider.pk
    response = client.post(f"/ledger/meetings/{Meeting.objects.get().pk}/edit/", data)
    assert response.status_code == 400
    assert response.context["form"].errors["host"]


def test_an_issue_row_names_who_raised_it_and_whom_it_concerns(client, world, meeting):
    client.force_login(world.committee)
    _, data = edit_page(client, meeting)
    issue = meeting.issues.get()
    data.update({"issues-0-raised_by": world.member.pk, "issues-0-concerns": world.owner.pk})
    response = client.post(f"/ledger/meetings/{meeting.pk}/edit/", data)
    assert response.status_code == 302
    issue.refresh_from_db()
    assert (issue.raised_by, issue.concerns) == (world.member, world.owner)


def test_the_issue_edit_page_edits_every_field_the_minutes_print(client, world):
    issue = IssueFactory(organization=world.branch, source=Issue.Source.INSPECTION)
    client.force_login(world.committee)
    page = client.get(f"/ledger/issues/{issue.pk}/edit/")
    form = page.context["form"]
    assert {"raised_by", "raised_by_name", "concerns"} <= set(form.fields)
    # The help text names only fields that are on the form.
    assert "both" not in str(form.fields["raised_by_name"].help_text)
    data = form_data(page)
    data.update(raised_by=world.member.pk, concerns=world.leader.pk, reason="补全")
    assert client.post(f"/ledger/issues/{issue.pk}/edit/", data).status_code == 302
    issue.refresh_from_db()
    assert (issue.raised_by, issue.concerns) == (world.member, world.leader)
    assert issue.history.latest().history_change_reason == "补全"


def test_loose_issues_name_people_too(client, world):
    client.force_login(world.committee)
    data = {
        "organization": world.branch.pk,
        "raised_on": today().isoformat(),
        **issue_rows_data(
            [
                {
                    "category": category().pk,
                    "source": Issue.Source.INSPECTION,
                    "description": "巡察发现",
                    "concerns": world.owner.pk,
                }
            ]
        ),
    }
    assert client.post("/ledger/issues/new/", data).status_code == 302
    assert Issue.objects.get().concerns == world.owner


# Moving a meeting ------------------------------------------------------------------------------


def test_moving_a_meeting_takes_its_issues_along(client, world, meeting):
    client.force_login(world.company_committee)
    _, data = edit_page(client, meeting)
    data.update(organization=world.sibling.pk, reason="录错了支部")
    response = client.post(f"/ledger/meetings/{meeting.pk}/edit/", data)
    assert response.status_code == 302
    meeting.refresh_from_db()
    issue = meeting.issues.get()
    assert (meeting.organization, issue.organization, issue.version) == (world.sibling, world.sibling, 2)
    moved = issue.history.latest()
    assert (moved.history_action, moved.history_user, moved.history_change_reason) == (
        "edit",
        world.company_committee,
        "录错了支部",
    )


def test_moving_a_meeting_with_items_is_refused_with_a_visible_message(client, world, meeting):
    make_item(world.committee, meeting.issues.get())
    client.force_login(world.company_committee)
    _, data = edit_page(client, meeting)
    data.update(organization=world.sibling.pk)
    response = client.post(f"/ledger/meetings/{meeting.pk}/edit/", data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "cannot move to another organization" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.organization == world.branch
    assert meeting.issues.get().organization == world.branch


def test_moving_needs_the_right_on_both_organizations(client, world, meeting):
    client.force_login(world.committee)
    _, data = edit_page(client, meeting)
    data.update(organization=world.sibling.pk)
    response = client.post(f"/ledger/meetings/{meeting.pk}/edit/", data)
    # The sibling is not among the organizations the branch's committee may choose.
    assert response.status_code == 400
    assert response.context["form"].errors["organization"]
    meeting.refresh_from_db()
    assert meeting.organization == world.branch


def test_errors_of_hidden_fields_are_shown(client, world, meeting):
    client.force_login(world.committee)
    _, data = edit_page(client, meeting)
    data["issues-0-version"] = "not a number"
    response = client.post(f"/ledger/meetings/{meeting.pk}/edit/", data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "Enter a whole number." in response.content.decode()


# The attendance list ---------------------------------------------------------------------------


def roster_data(response):
    """What the meeting page's attendance list posts back as rendered."""
    roster = response.context["roster"]
    data = {}
    for form in [roster.management_form, *roster.forms]:
        for field in form:
            value = field.value()
            if value in (None, "", False):
                continue
            if value is True:
                value = "on"
            elif isinstance(value, datetime.date):
                value = value.isoformat()
            data[field.html_name] = value
    return data


def roster_index(data, person):
    total = int(data["roster-TOTAL_FORMS"])
    return next(i for i in range(total) if str(data[f"roster-{i}-person"]) == str(person.pk))


def mark_absent(data, person, reason, note=""):
    index = roster_index(data, person)
    data.pop(f"roster-{index}-present", None)
    data[f"roster-{index}-absence_reason"] = reason
    data[f"roster-{index}-absence_note"] = note


def roster_url(meeting):
    return f"/ledger/meetings/{meeting.pk}/roster/"


def test_the_list_offers_the_organizations_members_present_by_default(client, world, meeting):
    client.force_login(world.committee)
    page = client.get(f"/ledger/meetings/{meeting.pk}/")
    roster = page.context["roster"]
    assert {str(form.attendee) for form in roster.forms} == {"李明", "王强", "杨帆"}
    assert all(form["present"].value() for form in roster.forms)
    assert not Attendance.objects.exists()


def test_two_absent_are_marked_with_reasons_in_one_submit(client, world, meeting):
    client.force_login(world.committee)
    data = roster_data(client.get(f"/ledger/meetings/{meeting.pk}/"))
    mark_absent(data, world.owner, Attendance.AbsenceReason.ON_SHIFT)
    mark_absent(data, world.member, Attendance.AbsenceReason.ON_BUSINESS, "集团培训")
    response = client.post(roster_url(meeting), data)
    assert response.status_code == 302
    assert response["Location"] == f"/ledger/meetings/{meeting.pk}/#attendance"
    rows = {a.person: a for a in meeting.attendances.all()}
    assert rows[world.committee].present
    assert (rows[world.owner].present, rows[world.owner].absence_reason) == (False, "on_shift")
    assert (rows[world.member].absence_reason, rows[world.member].absence_note) == ("on_business", "集团培训")
    assert {a.history.get().history_user for a in rows.values()} == {world.committee}
    page = client.get(f"/ledger/meetings/{meeting.pk}/").content.decode()
    assert "33.3%" in page and "公出/出差" in page


def test_a_reason_alone_marks_the_person_absent_and_an_absence_needs_one(client, world, meeting):
    client.force_login(world.committee)
    data = roster_data(client.get(f"/ledger/meetings/{meeting.pk}/"))
    data[f"roster-{roster_index(data, world.owner)}-absence_reason"] = Attendance.AbsenceReason.LEAVE
    data.pop(f"roster-{roster_index(data, world.member)}-present")
    response = client.post(roster_url(meeting), data)
    assert response.status_code == 400
    form = response.context["roster"].forms[roster_index(data, world.member)]
    assert form.errors["absence_reason"]
    assert not Attendance.objects.exists()
    data[f"roster-{roster_index(data, world.member)}-present"] = "on"
    assert client.post(roster_url(meeting), data).status_code == 302
    assert not Attendance.objects.get(person=world.owner).present


def test_a_wrongly_listed_person_is_removed_on_record(client, world, meeting):
    client.force_login(world.committee)
    assert client.post(roster_url(meeting), roster_data(client.get(f"/ledger/meetings/{meeting.pk}/")))
    data = roster_data(client.get(f"/ledger/meetings/{meeting.pk}/"))
    data[f"roster-{roster_index(data, world.member)}-remove"] = "on"
    assert client.post(roster_url(meeting), data).status_code == 302
    assert not Attendance.objects.filter(person=world.member).exists()
    removed = Attendance.history.get(person=world.member, history_type="-")
    assert (removed.history_action, removed.history_user) == ("remove", world.committee)
    # Not offered again: the list was corrected on purpose.
    page = client.get(f"/ledger/meetings/{meeting.pk}/")
    assert {str(form.attendee) for form in page.context["roster"].forms} == {"李明", "王强"}
    assert "100.0%" in page.content.decode()  # two present of two expected


def test_a_stale_list_is_refused_and_shown_again_as_typed(client, world, meeting):
    client.force_login(world.committee)
    assert client.post(roster_url(meeting), roster_data(client.get(f"/ledger/meetings/{meeting.pk}/")))
    alice = roster_data(client.get(f"/ledger/meetings/{meeting.pk}/"))
    client.force_login(world.company_committee)
    bob = roster_data(client.get(f"/ledger/meetings/{meeting.pk}/"))

    client.force_login(world.committee)
    mark_absent(alice, world.owner, Attendance.AbsenceReason.ON_SHIFT)
    assert client.post(roster_url(meeting), alice).status_code == 302

    client.force_login(world.company_committee)
    mark_absent(bob, world.member, Attendance.AbsenceReason.LEAVE)
    response = client.post(roster_url(meeting), bob, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    html = response.content.decode()
    assert "Recorded meanwhile by someone else: 王强 · On shift underground." in html
    # Nothing of the stale list was saved; the page holds what was typed.
    assert Attendance.objects.get(person=world.member).present
    again = roster_data(response)
    assert again[f"roster-{roster_index(again, world.member)}-absence_reason"] == "leave"
    # Saving again applies what was typed, over the current rows.
    assert client.post(roster_url(meeting), again).status_code == 302
    assert not Attendance.objects.get(person=world.member).present
    owner_row = Attendance.objects.get(person=world.owner)
    assert owner_row.present and owner_row.version == 3  # Bob's page had him present


def test_the_list_is_for_the_committee(client, world, meeting):
    client.force_login(world.outsider)
    assert client.post(roster_url(meeting), {}).status_code == 404
    client.force_login(world.leadership)
    assert client.post(roster_url(meeting), {}).status_code == 403
    page = client.get(f"/ledger/meetings/{meeting.pk}/")
    assert "roster" not in page.context
    client.force_login(world.committee)
    response = client.get(roster_url(meeting))
    assert (response.status_code, response["Location"]) == (302, f"/ledger/meetings/{meeting.pk}/")


def test_the_rate_is_computed_once_for_page_minutes_and_dashboard(client, world, meeting):
    client.force_login(world.company_committee)
    data = roster_data(client.get(f"/ledger/meetings/{meeting.pk}/"))
    mark_absent(data, world.owner, Attendance.AbsenceReason.ON_SHIFT)
    assert client.post(roster_url(meeting), data).status_code == 302
    assert "66.7%" in client.get(f"/ledger/meetings/{meeting.pk}/").content.decode()
    assert "66.7%" in pdf_text(client.get(f"/ledger/meetings/{meeting.pk}/minutes.pdf").content)
    [row] = client.get("/").context["participation"]
    assert (row.present, row.expected, row.rate) == (2, 3, 66.7)


# Dates with sense checks ----------------------------------------------------------------------


def test_a_meeting_after_today_is_refused(client, world):
    client.force_login(world.committee)
    data = {
        "organization": world.branch.pk,
        "meeting_type": Meeting.Type.ORGANIZATION_LIFE,
        "topic": "专题组织生活会",
        "held_on": (today() + datetime.timedelta(days=365)).isoformat(),
        **issue_rows_data([]),
    }
    response = client.post("/ledger/meetings/new/", data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.context["form"].errors["held_on"] == [
        "A meeting cannot be logged before it was held: the date is after today."
    ]
    assert not Meeting.objects.exists()
    data["held_on"] = today().isoformat()
    assert client.post("/ledger/meetings/new/", data).status_code == 302


def item_post(world, issue, **fields):
    return {
        "issue": issue.pk,
        "measures": "逐条对照整改",
        "owner": world.owner.pk,
        "kind": "by_deadline",
        "deadline": (today() + datetime.timedelta(days=30)).isoformat(),
        **fields,
    }


def test_a_deadline_before_the_issue_was_raised_is_refused(client, world):
    issue = IssueFactory(organization=world.branch, raised_on=today() - datetime.timedelta(days=10))
    client.force_login(world.committee)
    early = (today() - datetime.timedelta(days=200)).isoformat()
    response = client.post(
        f"/ledger/issues/{issue.pk}/items/",
        item_post(world, issue, deadline=early, confirm_past_deadline="on"),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "The deadline cannot be before the issue was raised" in response.content.decode()
    assert not issue.items.exists()


def test_a_past_deadline_is_taken_once_confirmed_and_what_was_typed_stays(client, world):
    issue = IssueFactory(organization=world.branch, raised_on=today() - datetime.timedelta(days=30))
    client.force_login(world.committee)
    past = (today() - datetime.timedelta(days=3)).isoformat()
    data = item_post(world, issue, deadline=past, measures="补签学习记录")
    response = client.post(f"/ledger/issues/{issue.pk}/items/", data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    html = response.content.decode()
    assert "This deadline is already past" in html and 'name="confirm_past_deadline"' in html
    assert "补签学习记录" in html and f'value="{past}"' in html
    assert not issue.items.exists()
    data["confirm_past_deadline"] = "on"
    assert client.post(f"/ledger/issues/{issue.pk}/items/", data).status_code == 302
    item = issue.items.get()
    assert item.is_overdue() and item.original_deadline is None


def test_correcting_a_deadline_is_not_an_extension(client, world):
    issue = IssueFactory(organization=world.branch)
    item = make_item(world.committee, issue)
    assert item.original_deadline is None
    from ledger import workflow

    corrected = workflow.edit_item(
        world.committee,
        item,
        expected_version=item.version,
        reason="时限录错",
        deadline=item.deadline + datetime.timedelta(days=1),
    )
    assert corrected.original_deadline is None and not corrected.deadline_was_extended
    client.force_login(world.committee)
    assert "（原定" not in client.get(f"/ledger/items/{item.pk}/dossier.pdf").content.decode("latin-1")
    dossier = pdf_text(client.get(f"/ledger/items/{item.pk}/dossier.pdf").content)
    assert "原定" not in dossier
    page = client.get(f"/ledger/items/{item.pk}/").content.decode()
    assert "原定" not in page
    # A committee decision recorded as a deadline change does keep the original deadline.
    decided = workflow.edit_item(
        world.committee,
        corrected,
        expected_version=corrected.version,
        reason="党委会研究同意顺延",
        deadline_decision=True,
        deadline=corrected.deadline + datetime.timedelta(days=30),
    )
    assert decided.original_deadline == corrected.deadline and decided.deadline_was_extended
    assert "原定" in pdf_text(client.get(f"/ledger/items/{item.pk}/dossier.pdf").content)


def test_the_edit_form_records_a_committee_decision_to_move_the_deadline(client, world):
    item = make_item(world.committee, IssueFactory(organization=world.branch))
    client.force_login(world.committee)
    first = item.deadline
    data = {
        "version": item.version,
        "measures": item.measures,
        "department": item.department,
        "kind": item.kind,
        "deadline": (first + datetime.timedelta(days=30)).isoformat(),
        "reason": "党委会研究同意顺延",
        "deadline_decision": "on",
    }
    assert client.post(f"/ledger/items/{item.pk}/edit/", data).status_code == 302
    item.refresh_from_db()
    assert item.original_deadline == first and item.deadline_was_extended
    assert "（原定" in client.get(f"/ledger/items/{item.pk}/").content.decode()


def test_an_approved_extension_makes_the_original_deadline(client, world):
    from ledger import workflow

    item = make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    first = item.deadline
    request = workflow.request_extension(
        world.owner, item, proposed_deadline=first + datetime.timedelta(days=20), reason="配件未到"
    )
    workflow.decide_extension(world.committee, request, approve=True, note="同意")
    item.refresh_from_db()
    assert item.original_deadline == first
    client.force_login(world.committee)
    assert "原定" in client.get(f"/ledger/items/{item.pk}/").content.decode()


# Quick entry and copying ----------------------------------------------------------------------


def quick_rows(rows):
    data = {"items-TOTAL_FORMS": len(rows), "items-INITIAL_FORMS": 0}
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"items-{index}-{name}"] = value
    return data


def quick_row(world, measures, **fields):
    return {
        "measures": measures,
        "owner": world.owner.pk,
        "department": "机运工区",
        "kind": "by_deadline",
        "deadline": (today() + datetime.timedelta(days=30)).isoformat(),
        **fields,
    }


def test_several_items_are_created_from_the_issue_page_in_one_submit(client, world):
    issue = IssueFactory(organization=world.branch)
    client.force_login(world.committee)
    page = client.get(f"/ledger/issues/{issue.pk}/")
    assert len(page.context["quick"].forms) == 3
    rows = [quick_row(world, "措施一"), quick_row(world, "措施二"), {"kind": "by_deadline"}]
    response = client.post(f"/ledger/issues/{issue.pk}/items/several/", quick_rows(rows))
    assert response.status_code == 302
    items = list(issue.items.order_by("sequence"))
    assert [(item.measures, item.reference) for item in items] == [
        ("措施一", f"机运-{issue.raised_on.year}-001"),
        ("措施二", f"机运-{issue.raised_on.year}-002"),
    ]
    assert all(item.history.get().history_action == "create" for item in items)


def test_quick_entry_names_co_owners_through_the_workflows_rule(client, world):
    issue = IssueFactory(organization=world.branch)
    client.force_login(world.committee)
    page = client.get(f"/ledger/issues/{issue.pk}/").content.decode()
    assert 'name="items-0-co_owners"' in page
    url = f"/ledger/issues/{issue.pk}/items/several/"
    # The owner named as a co-owner too: the workflow refuses the row, none is created, the
    # row keeps what was typed.
    rows = [
        quick_row(world, "措施一", co_owners=[world.member.pk, world.leader.pk]),
        quick_row(world, "措施二", co_owners=[world.owner.pk]),
    ]
    response = client.post(url, quick_rows(rows), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert not issue.items.exists()
    quick = response.context["quick"]
    assert quick.forms[1].errors["co_owners"] == ["The owner is not also a co-owner: 王强."]
    assert quick.forms[0]["co_owners"].value() == [str(world.member.pk), str(world.leader.pk)]
    # An outsider is not among the choices.
    rows[1]["co_owners"] = [world.outsider.pk]
    response = client.post(url, quick_rows(rows), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.context["quick"].forms[1].errors["co_owners"]
    rows[1]["co_owners"] = []
    assert client.post(url, quick_rows(rows)).status_code == 302
    first, second = issue.items.order_by("sequence")
    assert first.co_owner_people == [world.member, world.leader]
    assert second.co_owner_people == []
    assert ItemCoOwner.history.filter(item_id=first.pk, history_user=world.committee).count() == 2


def test_one_bad_row_creates_none_and_keeps_every_row(client, world):
    issue = IssueFactory(organization=world.branch)
    client.force_login(world.committee)
    past = (today() - datetime.timedelta(days=2)).isoformat()
    rows = [quick_row(world, "措施一"), quick_row(world, "措施二", deadline=past), quick_row(world, "")]
    response = client.post(
        f"/ledger/issues/{issue.pk}/items/several/", quick_rows(rows), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert not issue.items.exists()
    html = response.content.decode()
    assert "措施一" in html and "措施二" in html
    quick = response.context["quick"]
    assert quick.forms[2].errors["measures"]
    # Fix the empty row, confirm the past deadline: all three are created.
    rows[2]["measures"] = "措施三"
    rows[1]["confirm_past_deadline"] = "on"
    response = client.post(f"/ledger/issues/{issue.pk}/items/several/", quick_rows(rows))
    assert response.status_code == 302
    assert issue.items.count() == 3


def test_a_past_deadline_in_quick_entry_asks_for_confirmation(client, world):
    issue = IssueFactory(organization=world.branch)
    client.force_login(world.committee)
    past = (today() - datetime.timedelta(days=2)).isoformat()
    rows = [quick_row(world, "措施一", deadline=past)]
    response = client.post(
        f"/ledger/issues/{issue.pk}/items/several/", quick_rows(rows), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert response.context["quick"].forms[0].asks_confirmation
    assert 'name="items-0-confirm_past_deadline"' in response.content.decode()


def test_quick_entry_is_for_the_committee(client, world):
    issue = IssueFactory(organization=world.branch)
    url = f"/ledger/issues/{issue.pk}/items/several/"
    client.force_login(world.outsider)
    assert client.post(url, quick_rows([quick_row(world, "x")])).status_code == 404
    client.force_login(world.leadership)
    assert client.post(url, quick_rows([quick_row(world, "x")])).status_code == 403
    assert "quick" not in client.get(f"/ledger/issues/{issue.pk}/").context
    client.force_login(world.committee)
    response = client.get(url)
    assert (response.status_code, response["Location"]) == (302, f"/ledger/issues/{issue.pk}/")
    assert not issue.items.exists()


def test_an_item_is_copied_as_the_start_of_another(client, world):
    issue = IssueFactory(organization=world.branch)
    source = make_item(
        world.committee,
        issue,
        owner=world.owner,
        leader=world.leader,
        measures="重新学习作业规程",
        department="机运工区",
    )
    client.force_login(world.committee)
    detail = client.get(f"/ledger/items/{source.pk}/").content.decode()
    link = f"/ledger/issues/{issue.pk}/?copy={source.pk}"
    assert link in detail
    page = client.get(link)
    form = page.context["item_form"]
    assert (form["measures"].value(), form["owner"].value(), form["leader"].value()) == (
        "重新学习作业规程",
        world.owner.pk,
        world.leader.pk,
    )
    assert form["deadline"].value() is None
    assert "<details open>" in page.content.decode()
    assert issue.items.count() == 1  # nothing is saved by opening the copy
    # Leadership sees the item but is offered no copy; an invisible item copies nothing.
    client.force_login(world.leadership)
    assert link not in client.get(f"/ledger/items/{source.pk}/").content.decode()
    client.force_login(world.outsider)
    other = IssueFactory(organization=world.sibling)
    page = client.get(f"/ledger/issues/{other.pk}/?copy={source.pk}")
    assert page.context["item_form"]["measures"].value() is None


def test_the_issue_edit_page_finds_people_by_name(client, world):
    issue = IssueFactory(organization=world.branch)
    client.force_login(world.committee)
    html = client.get(f"/ledger/issues/{issue.pk}/edit/").content.decode()
    assert html.count(f'hx-get="/ledger/people/?org={world.branch.pk}"') == 2
    assert 'hx-target="#id_raised_by"' in html and 'hx-target="#id_concerns"' in html
    options = client.get("/ledger/people/", {"org": world.branch.pk, "q": "杨"}).content.decode()
    assert f'value="{world.member.pk}"' in options and "王强" not in options
