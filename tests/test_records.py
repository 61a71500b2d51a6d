"""Meeting and issue records complete: host and recorder, who raised an issue and whom it
concerns, and moving a meeting to another organization with its issues."""

import datetime

import pytest
from django.utils import timezone

from ledger.models import Issue, Meeting
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
