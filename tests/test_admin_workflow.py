"""The admin does not go around the workflow: the records the workflow owns are read-only there
(history included), and administrators correct them on the ledger's screens, through the
workflow, with a version bump and a history row naming the action and the reason."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ledger import workflow
from ledger.models import (
    Attendance,
    Evidence,
    ExtensionRequest,
    Issue,
    Item,
    Meeting,
    ProgressUpdate,
)
from tests.factories import IssueFactory, MeetingFactory, UserFactory, category, make_item
from tests.pages import form_data

WORKFLOW_OWNED = [Meeting, Attendance, Issue, Item, ProgressUpdate, Evidence, ExtensionRequest]


@pytest.fixture
def root(db):
    return UserFactory(username="root", full_name="系统管理员", is_superuser=True, is_staff=True)


@pytest.fixture
def admin_client(client, root):
    client.force_login(root)
    return client


@pytest.fixture
def records(world, settings, tmp_path):
    """One record of every workflow-owned model, written through the workflow."""
    meeting = MeetingFactory(organization=world.branch)
    issue = IssueFactory(organization=world.branch, meeting=meeting, raised_on=meeting.held_on)
    attendance = workflow.save_attendance(world.committee, Attendance(meeting=meeting, person=world.member))
    item = make_item(world.committee, issue, owner=world.owner)
    update = workflow.post_progress(world.owner, item, text="已开始", percent=10)
    extension = workflow.request_extension(
        world.owner,
        item,
        proposed_deadline=item.deadline.replace(year=item.deadline.year + 1),
        reason="等设备",
    )
    settings.MEDIA_ROOT = tmp_path
    photo = SimpleUploadedFile("现场照片.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png")
    evidence = workflow.attach_evidence(world.owner, item, photo, update=update)
    return {
        Meeting: meeting,
        Attendance: attendance,
        Issue: issue,
        Item: item,
        ProgressUpdate: update,
        Evidence: evidence,
        ExtensionRequest: extension,
    }


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def changed(record):
    """The record as stored now, and how many history rows it has."""
    fresh = type(record).objects.get(pk=record.pk)
    return fresh, fresh.history.count()


# What an administrator would post on each change form (the form as the admin used to offer it).
def meeting_post(meeting):
    return {
        "organization": meeting.organization_id,
        "meeting_type": meeting.meeting_type,
        "topic": "管理员改的题目",
        "held_on": meeting.held_on.isoformat(),
        "place": "",
        "notes": "",
        "attendances-TOTAL_FORMS": 0,
        "attendances-INITIAL_FORMS": 0,
        "attendances-MIN_NUM_FORMS": 0,
        "attendances-MAX_NUM_FORMS": 1000,
    }


def issue_post(issue):
    return {
        "organization": issue.organization_id,
        "meeting": issue.meeting_id,
        "category": issue.category_id,
        "source": issue.source,
        "description": "管理员改的问题",
        "raised_on": issue.raised_on.isoformat(),
    }


def attendance_post(attendance):
    return {"meeting": attendance.meeting_id, "person": attendance.person_id, "absence_reason": "leave"}


CHANGES = {
    Meeting: (meeting_post, lambda meeting: meeting.topic),
    Issue: (issue_post, lambda issue: issue.description),
    Attendance: (attendance_post, lambda attendance: attendance.present),
}


@pytest.mark.parametrize("model", list(CHANGES), ids=lambda m: m.__name__)
def test_an_admin_change_form_no_longer_writes_around_the_workflow(admin_client, records, model):
    record = records[model]
    post, value = CHANGES[model]
    before, history = changed(record)
    response = admin_client.post(admin_url(model, "change", record.pk), post(record))
    assert response.status_code == 403
    after, history_after = changed(record)
    assert value(after) == value(before)
    assert (getattr(after, "version", None), history_after) == (getattr(before, "version", None), history)


@pytest.mark.parametrize("model", WORKFLOW_OWNED, ids=lambda m: m.__name__)
def test_workflow_records_are_read_only_in_the_admin_but_their_history_stays(admin_client, records, model):
    record = records[model]
    assert admin_client.get(admin_url(model, "add")).status_code == 403
    assert admin_client.post(admin_url(model, "delete", record.pk), {"post": "yes"}).status_code == 403
    page = admin_client.get(admin_url(model, "change", record.pk))
    assert page.status_code == 200  # shown, read-only
    assert 'name="_save"' not in page.content.decode()
    assert 'class="viewsitelink"' in page.content.decode()  # to the screen where it is corrected
    # simple-history's history view and the page of one historical row still open.
    assert admin_client.get(admin_url(model, "history", record.pk)).status_code == 200
    latest = record.history.latest("history_date", "history_id")
    assert (
        admin_client.get(admin_url(model, "simple_history", record.pk, latest.history_id)).status_code == 200
    )


@pytest.mark.parametrize("model", [Meeting, Issue, Item], ids=lambda m: m.__name__)
def test_a_historical_row_cannot_be_posted_back(admin_client, records, world, model):
    """simple-history's page of a historical row saves what is posted to it ("revert") with only
    the right to view checked: refused, so that an old value never comes back unrecorded."""
    record = records[model]
    first = record.history.earliest("history_date", "history_id")
    if model is Item:
        record.refresh_from_db()
        workflow.edit_item(world.committee, record, expected_version=record.version, measures="改过的措施")
    before, history = changed(record)
    data = {
        Meeting: meeting_post,
        Issue: issue_post,
        Item: lambda item: {
            "issue": item.issue_id,
            "organization": item.organization_id,
            "measures": "旧措施回来了",
            "department": item.department,
            "kind": item.kind,
            "deadline": item.deadline.isoformat(),
        },
    }[model](record)
    response = admin_client.post(admin_url(model, "simple_history", record.pk, first.history_id), data)
    assert response.status_code == 403
    after, history_after = changed(record)
    assert (after.version, history_after) == (before.version, history)


def test_an_administrator_corrects_an_issue_on_its_own_page(admin_client, records, root):
    """The admin is read-only, so the ledger's screens must let a superuser fix records."""
    issue = records[Issue]
    url = f"/ledger/issues/{issue.pk}/edit/"
    data = form_data(admin_client.get(url))
    data.update(description="管理员更正的问题描述", category=category("作风").pk, reason="错别字")
    assert admin_client.post(url, data).status_code == 302
    issue.refresh_from_db()
    assert (issue.description, issue.version) == ("管理员更正的问题描述", 2)
    record = issue.history.latest()
    assert (record.history_action, record.history_user, record.history_change_reason) == (
        "edit",
        root,
        "错别字",
    )


def test_an_administrator_corrects_a_meeting_and_an_attendance_on_the_meeting_page(
    admin_client, records, root, world
):
    meeting = records[Meeting]
    data = form_data(admin_client.get(f"/ledger/meetings/{meeting.pk}/edit/"))
    data.update(topic="管理员更正的题目", reason="题目写错了")
    assert admin_client.post(f"/ledger/meetings/{meeting.pk}/edit/", data).status_code == 302
    meeting.refresh_from_db()
    assert (meeting.topic, meeting.version) == ("管理员更正的题目", 2)
    assert meeting.history.latest().history_change_reason == "题目写错了"
    attendance = {"person": world.owner.pk, "absence_reason": "on_shift", "absence_note": "夜班"}
    assert admin_client.post(f"/ledger/meetings/{meeting.pk}/attendance/", attendance).status_code == 302
    recorded = Attendance.objects.get(meeting=meeting, person=world.owner)
    assert (recorded.history.get().history_action, recorded.history.get().history_user) == ("create", root)


def test_an_administrator_edits_an_item_through_the_workflow(admin_client, records, root):
    item = Item.objects.get(pk=records[Item].pk)
    page = admin_client.get(f"/ledger/items/{item.pk}/")
    assert page.status_code == 200
    assert workflow.Action.EDIT in workflow.allowed_actions(root, item)
    data = {
        "version": item.version,
        "measures": "管理员更正的措施",
        "department": item.department,
        "owner": item.owner_id,
        "kind": item.kind,
        "deadline": item.deadline.isoformat(),
        "reason": "措施写错了",
    }
    assert admin_client.post(f"/ledger/items/{item.pk}/edit/", data).status_code == 302
    item.refresh_from_db()
    assert item.measures == "管理员更正的措施"
    record = item.history.latest()
    assert (record.history_action, record.history_user, record.history_change_reason) == (
        "edit",
        root,
        "措施写错了",
    )


@pytest.mark.parametrize(
    ("model", "screen"),
    [
        (Meeting, lambda r: f"/ledger/meetings/{r[Meeting].pk}/"),
        (Attendance, lambda r: f"/ledger/meetings/{r[Meeting].pk}/"),
        (Issue, lambda r: f"/ledger/issues/{r[Issue].pk}/"),
        (Item, lambda r: f"/ledger/items/{r[Item].pk}/"),
        (ProgressUpdate, lambda r: f"/ledger/items/{r[Item].pk}/"),
        (Evidence, lambda r: f"/ledger/items/{r[Item].pk}/"),
        (ExtensionRequest, lambda r: f"/ledger/items/{r[Item].pk}/"),
    ],
    ids=lambda value: getattr(value, "__name__", "page"),
)
def test_the_admin_page_links_to_the_screen_where_the_record_is_corrected(
    admin_client, records, model, screen
):
    link = admin_client.get(admin_url(model, "change", records[model].pk)).context["absolute_url"]
    assert link == screen(records)
    assert admin_client.get(link).status_code == 200


def test_the_admin_close_button_reads_close_not_sign_off(admin_client, records):
    """The ledger's 销号 (close an item) has its own context, so the admin's "Close" stays 关闭."""
    html = admin_client.get(admin_url(Meeting, "change", records[Meeting].pk)).content.decode()
    assert 'class="closelink">关闭</a>' in html
    assert str(workflow.Action.CLOSE.label) == "销号"
