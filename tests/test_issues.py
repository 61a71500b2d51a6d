"""Issues that do not come from a meeting: logging several on one page, the scoped issue list
with its filters, and the issue page where items are created from an issue."""

import datetime

import pytest
from django.utils import timezone

from ledger.models import Issue, Item
from tests.factories import IssueFactory, MeetingFactory, category, make_item
from tests.pages import form_data, issue_rows_data


def batch_data(world, rows, **fields):
    today = timezone.localdate()
    data = {
        "organization": world.branch.pk,
        "raised_on": (today - datetime.timedelta(days=2)).isoformat(),
        **issue_rows_data(rows),
    }
    data.update(fields)
    return data


def issue_row(description, **extra):
    return {"category": category().pk, "source": Issue.Source.INSPECTION, "description": description, **extra}


# A row left as the page offers it: the source select always posts its initial choice.
BLANK_ROW = {"source": Issue.Source.INSPECTION}


def item_data(world, issue, **fields):
    today = timezone.localdate()
    return {
        "issue": issue.pk,
        "measures": "逐条对照巡察反馈整改",
        "leader": world.leader.pk,
        "department": "党支部",
        "owner": world.owner.pk,
        "kind": "by_deadline",
        "deadline": (today + datetime.timedelta(days=30)).isoformat(),
        **fields,
    }


@pytest.fixture
def inspection(world):
    return IssueFactory(
        organization=world.branch, source=Issue.Source.INSPECTION, description="巡察发现：台账记录不全"
    )


# Logging issues -------------------------------------------------------------------------------


def test_the_committee_logs_several_inspection_issues(client, world, today):
    client.force_login(world.committee)
    page = client.get("/ledger/issues/new/")
    assert page.status_code == 200
    assert page.context["formset"].forms[0]["source"].value() == Issue.Source.INSPECTION
    rows = [
        issue_row("巡察问题一"),
        issue_row("上级反馈问题", source=Issue.Source.SUPERIOR),
        issue_row("不要的", DELETE="on"),
        BLANK_ROW,
    ]
    response = client.post("/ledger/issues/new/", batch_data(world, rows))
    assert response.status_code == 302
    assert response["Location"] == f"/ledger/issues/?organization={world.branch.pk}"
    issues = Issue.objects.order_by("pk")
    assert [issue.description for issue in issues] == ["巡察问题一", "上级反馈问题"]
    assert {(issue.organization_id, issue.meeting_id) for issue in issues} == {(world.branch.pk, None)}
    assert {issue.raised_on for issue in issues} == {today - datetime.timedelta(days=2)}
    # Saved through the workflow: each has its one history row.
    assert [issue.history.get().history_action for issue in issues] == ["create", "create"]


def test_one_issue_leads_to_its_page(client, world):
    client.force_login(world.committee)
    response = client.post("/ledger/issues/new/", batch_data(world, [issue_row("巡察问题")]))
    issue = Issue.objects.get()
    assert response["Location"] == f"/ledger/issues/{issue.pk}/"
    page = client.get(response["Location"])
    assert "已保存 1 个问题。" in page.content.decode()


def test_errors_are_shown_per_row_and_nothing_typed_is_lost(client, world):
    client.force_login(world.committee)
    rows = [issue_row("问题一"), issue_row("", source=""), issue_row("问题三")]
    response = client.post("/ledger/issues/new/", batch_data(world, rows, raised_on=""))
    assert response.status_code == 400
    html = response.content.decode()
    assert "问题一" in html and "问题三" in html
    formset = response.context["formset"]
    assert formset.errors[1] and not formset.errors[0] and not formset.errors[2]
    assert "raised_on" in response.context["form"].errors
    assert Issue.objects.count() == 0


def test_an_empty_page_saves_nothing(client, world):
    client.force_login(world.committee)
    response = client.post("/ledger/issues/new/", batch_data(world, [BLANK_ROW, BLANK_ROW]))
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert Issue.objects.count() == 0


def test_only_organizations_the_user_manages_may_be_chosen(client, world):
    client.force_login(world.committee)
    response = client.post(
        "/ledger/issues/new/", batch_data(world, [issue_row("问题")], organization=world.sibling.pk)
    )
    assert response.status_code == 400
    assert "organization" in response.context["form"].errors
    assert Issue.objects.count() == 0


def test_read_only_roles_may_not_log_issues(client, world):
    for person in (world.leadership, world.owner):
        client.force_login(person)
        assert client.get("/ledger/issues/new/").status_code == 403
        assert client.post("/ledger/issues/new/", batch_data(world, [issue_row("问题")])).status_code == 403
    assert Issue.objects.count() == 0


# The list ------------------------------------------------------------------------------------


def test_the_list_is_scoped_and_shows_each_issues_items(client, world, inspection):
    item = make_item(world.committee, inspection, owner=world.owner)
    meeting = MeetingFactory(organization=world.branch, topic="专题组织生活会")
    from_meeting = IssueFactory(organization=world.branch, meeting=meeting, description="会上问题")
    client.force_login(world.leadership)
    response = client.get("/ledger/issues/")
    assert response.status_code == 200
    assert set(response.context["page"].object_list) == {inspection, from_meeting}
    html = response.content.decode()
    assert item.reference in html and "专题组织生活会" in html
    assert response.context["may_log"] is False
    client.force_login(world.outsider)
    assert list(client.get("/ledger/issues/").context["page"].object_list) == []


def test_the_list_filters_by_organization_category_and_source(client, world, inspection):
    other = IssueFactory(
        organization=world.company, source=Issue.Source.SELF_CHECK, category=category("党建")
    )
    client.force_login(world.company_committee)

    def listed(**query):
        return set(client.get("/ledger/issues/", query).context["page"].object_list)

    assert listed() == {inspection, other}
    assert listed(organization=world.branch.pk) == {inspection}
    assert listed(organization=world.company.pk) == {inspection, other}  # with the units below
    assert listed(source=Issue.Source.SELF_CHECK) == {other}
    assert listed(category=other.category_id) == {other}
    # A value outside the choices is a form error, not a crash.
    response = client.get("/ledger/issues/", {"source": "nonsense"})
    assert response.status_code == 200
    assert response.context["filterset"].form.errors


def test_the_list_reads_in_constant_queries(client, world, inspection, django_assert_num_queries):
    client.force_login(world.committee)

    def count():
        # session, user, memberships, organization tree; count of issues; the page of issues with
        # organization, category and meeting; their items with owners; organizations and
        # categories for the filter form; saved views, work queue count (menu), unread
        # notifications (the bell)
        with django_assert_num_queries(12):
            client.get("/ledger/issues/")

    count()
    for _ in range(3):
        make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    count()


# The issue page and creating items from it -------------------------------------------------


def test_the_issue_page_creates_an_item(client, world, inspection):
    client.force_login(world.committee)
    page = client.get(f"/ledger/issues/{inspection.pk}/")
    assert page.status_code == 200
    assert page.context["manages"] is True
    assert f'action="/ledger/issues/{inspection.pk}/items/"' in page.content.decode()
    response = client.post(f"/ledger/issues/{inspection.pk}/items/", item_data(world, inspection))
    assert response.status_code == 302
    assert response["Location"] == f"/ledger/issues/{inspection.pk}/"
    item = Item.objects.get()
    assert (item.issue, item.owner, item.leader, item.organization) == (
        inspection,
        world.owner,
        world.leader,
        world.branch,
    )
    assert item.history.get().history_action == "create"


def test_the_new_item_form_names_co_owners_too(client, world, inspection):
    client.force_login(world.committee)
    page = client.get(f"/ledger/issues/{inspection.pk}/").content.decode()
    assert 'name="co_owners"' in page
    response = client.post(
        f"/ledger/issues/{inspection.pk}/items/", item_data(world, inspection, co_owners=[world.member.pk])
    )
    assert response.status_code == 302
    item = Item.objects.get()
    assert list(item.co_owners.all()) == [world.member]
    assert item.co_owner_links.get().history.get().history_action == "create"
    # Someone who may not help on the branch's items is refused on the form, nothing stored.
    response = client.post(
        f"/ledger/issues/{inspection.pk}/items/", item_data(world, inspection, co_owners=[world.outsider.pk])
    )
    assert response.status_code == 400
    assert Item.objects.count() == 1
    assert item.reference in client.get(f"/ledger/issues/{inspection.pk}/").content.decode()


def test_a_bad_item_is_shown_with_what_was_typed(client, world, inspection):
    client.force_login(world.committee)
    response = client.post(
        f"/ledger/issues/{inspection.pk}/items/", item_data(world, inspection, deadline="")
    )
    assert response.status_code == 400
    assert "逐条对照巡察反馈整改" in response.content.decode()
    assert response.context["bound_issue"] == str(inspection.pk)
    assert Item.objects.count() == 0


def test_another_issue_cannot_be_slipped_in(client, world, inspection):
    elsewhere = IssueFactory(organization=world.branch)
    client.force_login(world.committee)
    response = client.post(f"/ledger/issues/{inspection.pk}/items/", item_data(world, elsewhere))
    assert response.status_code == 400
    assert Item.objects.count() == 0


def test_the_issue_page_is_scoped(client, world, inspection):
    client.force_login(world.outsider)
    assert client.get(f"/ledger/issues/{inspection.pk}/").status_code == 404
    assert (
        client.post(f"/ledger/issues/{inspection.pk}/items/", item_data(world, inspection)).status_code == 404
    )
    client.force_login(world.committee)
    assert client.get("/ledger/issues/999999/").status_code == 404


def test_read_only_roles_see_the_issue_but_may_not_create_items(client, world, inspection):
    client.force_login(world.leadership)
    page = client.get(f"/ledger/issues/{inspection.pk}/")
    assert page.status_code == 200
    assert page.context["manages"] is False
    assert f'action="/ledger/issues/{inspection.pk}/items/"' not in page.content.decode()
    response = client.post(f"/ledger/issues/{inspection.pk}/items/", item_data(world, inspection))
    assert response.status_code == 403
    assert Item.objects.count() == 0


def test_wrong_methods(client, world, inspection):
    client.force_login(world.committee)
    assert client.post("/ledger/issues/").status_code == 405
    assert client.post(f"/ledger/issues/{inspection.pk}/").status_code == 405
    assert client.put(f"/ledger/issues/{inspection.pk}/items/").status_code == 405
    assert client.put("/ledger/issues/new/").status_code == 405
    assert client.put(edit_url(inspection)).status_code == 405
    assert client.delete(edit_url(inspection)).status_code == 405


def test_the_issue_page_reads_in_constant_queries(client, world, inspection, django_assert_num_queries):
    client.force_login(world.committee)

    def count():
        # session, user, memberships, organization tree; the issue with organization, category
        # and meeting; its items with owners; organization tree and people for the new-item
        # form; saved views, work queue count (menu), unread notifications (the bell)
        with django_assert_num_queries(11):
            client.get(f"/ledger/issues/{inspection.pk}/")

    count()
    for _ in range(3):
        make_item(world.committee, inspection, owner=world.owner)
    count()


# Editing an issue ----------------------------------------------------------------------------


def edit_url(issue):
    return f"/ledger/issues/{issue.pk}/edit/"


def test_the_committee_corrects_an_issue_with_a_reason(client, world, inspection, today):
    client.force_login(world.committee)
    assert f'href="{edit_url(inspection)}"' in client.get(f"/ledger/issues/{inspection.pk}/").content.decode()
    page = client.get(edit_url(inspection))
    assert page.status_code == 200
    data = form_data(page)
    assert data["description"] == "巡察发现：台账记录不全" and data["version"] == 1
    data.update(
        description="巡察发现：台账记录不全，三个月未更新",
        raised_on=(today - datetime.timedelta(days=3)).isoformat(),
        reason="补充巡察反馈原文",
    )
    response = client.post(edit_url(inspection), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    assert response["Location"] == f"/ledger/issues/{inspection.pk}/"
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert "The issue was saved." in page.content.decode()
    inspection.refresh_from_db()
    assert inspection.description == "巡察发现：台账记录不全，三个月未更新"
    assert (inspection.raised_on, inspection.version) == (today - datetime.timedelta(days=3), 2)
    # On record: who, when, what and why.
    edited = inspection.history.latest()
    assert (edited.history_action, edited.history_user, edited.history_change_reason) == (
        "edit",
        world.committee,
        "补充巡察反馈原文",
    )
    assert sorted(edited.diff_against(edited.prev_record).changed_fields) == ["description", "raised_on"]


def test_two_stale_forms_the_second_is_refused_and_kept_as_typed(client, world, inspection):
    client.force_login(world.committee)
    alice = form_data(client.get(edit_url(inspection)))
    client.force_login(world.company_committee)
    bob = form_data(client.get(edit_url(inspection)))

    client.force_login(world.committee)
    alice.update(description="巡察发现：台账记录不全（李明核实）", reason="核实")
    assert client.post(edit_url(inspection), alice).status_code == 302

    client.force_login(world.company_committee)
    bob.update(source=Issue.Source.SUPERIOR, raised_by_name="集团巡察组", reason="来源写错")
    response = client.post(edit_url(inspection), bob, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    html = response.content.decode()
    assert 'id="edit-conflict"' in html
    assert (
        "Someone else changed this issue in the meantime (now version 2). "
        "Nothing was saved: review the changes and try again."
    ) in html
    (record,) = response.context["conflict"]["records"]
    assert [(row.label, row.base, row.theirs, row.outcome) for row in record.rows] == [
        ("Source", "Inspection", "Inspection", "mine"),
        ("Issue description", "巡察发现：台账记录不全", "巡察发现：台账记录不全（李明核实）", "theirs"),
        ("Raised by (name)", "—", "—", "mine"),
    ]
    form = response.context["form"]
    assert form["raised_by_name"].value() == "集团巡察组" and form["reason"].value() == "来源写错"
    assert "集团巡察组" in html  # what was typed is shown again
    assert int(form["version"].value()) == 2  # saving again applies it over the current version
    inspection.refresh_from_db()
    assert (inspection.source, inspection.raised_by_name, inspection.version) == (
        Issue.Source.INSPECTION,
        "",
        2,
    )

    # In Chinese, the page and the history's field names speak Chinese.
    response = client.post(edit_url(inspection), bob)
    assert response.status_code == 409
    assert response.context["conflict"]["records"][0].rows[1].label == "问题描述"
    assert "您打开时" in response.content.decode()

    response = client.post(edit_url(inspection), form_data(response))
    assert response.status_code == 302
    inspection.refresh_from_db()
    assert (inspection.source, inspection.raised_by_name, inspection.version) == (
        Issue.Source.SUPERIOR,
        "集团巡察组",
        3,
    )
    assert inspection.description == "巡察发现：台账记录不全（李明核实）"  # the first's change is kept
    # Both edits are on record.
    assert [
        (h.history_user, h.history_change_reason, h.version)
        for h in inspection.history.order_by("history_id")
    ][1:] == [(world.committee, "核实", 2), (world.company_committee, "来源写错", 3)]


def test_invalid_input_is_shown_again(client, world, inspection):
    client.force_login(world.committee)
    data = form_data(client.get(edit_url(inspection)))
    data.update(description="", raised_by_name="巡察组")
    response = client.post(edit_url(inspection), data)
    assert response.status_code == 400
    assert "description" in response.context["form"].errors
    assert "巡察组" in response.content.decode()
    inspection.refresh_from_db()
    assert inspection.version == 1


def test_an_issue_from_a_meeting_keeps_the_meetings_date(client, world, today):
    meeting = MeetingFactory(organization=world.branch)
    issue = IssueFactory(organization=world.branch, meeting=meeting, raised_on=meeting.held_on)
    client.force_login(world.committee)
    data = form_data(client.get(edit_url(issue)))
    assert "raised_on" not in data
    data.update(description="会上指出：学习流于形式", raised_on=today.isoformat())
    assert client.post(edit_url(issue), data).status_code == 302
    issue.refresh_from_db()
    assert (issue.description, issue.raised_on, issue.meeting) == (
        "会上指出：学习流于形式",
        meeting.held_on,
        meeting,
    )


def test_editing_is_for_the_committee_of_the_issue(client, world, inspection):
    client.force_login(world.outsider)
    assert client.get(edit_url(inspection)).status_code == 404
    assert client.post(edit_url(inspection), {"description": "改"}).status_code == 404
    for person in (world.leadership, world.member):
        client.force_login(person)
        assert client.get(f"/ledger/issues/{inspection.pk}/").status_code == 200
        assert edit_url(inspection) not in client.get(f"/ledger/issues/{inspection.pk}/").content.decode()
        assert client.get(edit_url(inspection)).status_code == 403
        assert client.post(edit_url(inspection), {"description": "改"}).status_code == 403
    client.force_login(world.company_committee)  # the committee above manages it too
    assert client.get(edit_url(inspection)).status_code == 200
    assert client.get("/ledger/issues/999999/edit/").status_code == 404
    inspection.refresh_from_db()
    assert inspection.version == 1


def test_the_navigation_and_the_meeting_list_link_to_issues(client, world):
    client.force_login(world.committee)
    html = client.get("/ledger/meetings/").content.decode()
    assert 'href="/ledger/issues/"' in html
    assert 'href="/ledger/issues/new/"' in html
    client.force_login(world.leadership)
    html = client.get("/ledger/meetings/").content.decode()
    assert 'href="/ledger/issues/new/"' not in html


def test_the_issue_list_is_named_a_list_and_the_meetings_count_their_issues(client, world):
    """问题清单 is the list of issues; 问题数 is a meeting's count of them."""
    client.force_login(world.committee)
    issues_page = client.get("/ledger/issues/").content.decode()
    assert '<h1 class="h3 mb-0">问题清单</h1>' in issues_page
    assert ">问题清单</a>" in issues_page  # the menu
    meetings_page = client.get("/ledger/meetings/").content.decode()
    assert '<th scope="col">问题数</th>' in meetings_page
