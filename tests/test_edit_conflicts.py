"""Edit conflicts merged per field, through the pages: the item's edit form, the issue's edit
page and the meeting page with its issue rows. Two committee members open the same record; the
first saves; the second's save comes back merged, and saving it keeps both changes."""

import datetime
from types import SimpleNamespace

import pytest

from core import chain
from ledger.models import Issue, Item, Meeting
from tests.factories import IssueFactory, MeetingFactory, make_item
from tests.pages import form_data


def shown_form_data(form):
    """What a form on the page posts back as rendered."""
    return form_data(SimpleNamespace(context={"form": form}))


# Items -----------------------------------------------------------------------------------------


@pytest.fixture
def item(world):
    return make_item(
        world.committee, IssueFactory(organization=world.branch), owner=world.owner, leader=world.leader
    )


def item_url(item, verb=""):
    return f"/ledger/items/{item.pk}/" + (f"{verb}/" if verb else "")


def edit_form(response):
    return next(entry["form"] for entry in response.context["action_forms"] if entry["action"] == "edit")


def opened_item(client, user, item):
    """The item page's edit form as `user` loads it now, as it would post back."""
    client.force_login(user)
    return shown_form_data(edit_form(client.get(item_url(item), {"open": "edit"})))


def test_a_colleagues_change_is_kept_when_i_change_another_field(client, world, item):
    mine = opened_item(client, world.company_committee, item)
    theirs = opened_item(client, world.committee, item)
    theirs.update(department="通风区", reason="调整部门")
    assert client.post(item_url(item, "edit"), theirs).status_code == 302

    client.force_login(world.company_committee)
    mine.update(measures="增加每周一次现场抽查", reason="补充措施")
    response = client.post(item_url(item, "edit"), mine)
    assert response.status_code == 409
    (record,) = response.context["conflict"]["records"]
    assert [(row.label, row.base, row.theirs, row.mine, row.outcome) for row in record.rows] == [
        (
            "整改措施",
            "组织全员重新学习作业规程并闭卷考试",
            "组织全员重新学习作业规程并闭卷考试",
            "增加每周一次现场抽查",
            "mine",
        ),
        ("责任部门", "机运工区", "通风区", "机运工区", "theirs"),
    ]
    assert record.changed_by == ["李明"]
    html = response.content.decode()
    assert 'id="edit-conflict"' in html and "期间保存者：李明。" in html
    item.refresh_from_db()
    assert (item.measures, item.department, item.version) == (
        "组织全员重新学习作业规程并闭卷考试",
        "通风区",
        2,
    )
    # The page shows the item as stored, beside the form that holds the merge.
    shown = response.context["item"]
    assert (shown.measures, shown.department) == ("组织全员重新学习作业规程并闭卷考试", "通风区")

    # The form shown holds their department, my measures, the current version: nothing to choose.
    form = edit_form(response)
    assert form["department"].value() == "通风区"
    assert form["measures"].value() == "增加每周一次现场抽查"
    assert int(form["version"].value()) == 2 and form.merge_choices == []
    response = client.post(item_url(item, "edit"), shown_form_data(form))
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.measures, item.department, item.version) == ("增加每周一次现场抽查", "通风区", 3)
    edits = [
        (h.history_user, h.history_change_reason, h.version) for h in item.history.order_by("history_id")
    ]
    assert edits[1:] == [(world.committee, "调整部门", 2), (world.company_committee, "补充措施", 3)]


def test_a_field_both_changed_must_be_chosen(client, world, item):
    mine = opened_item(client, world.company_committee, item)
    theirs = opened_item(client, world.committee, item)
    theirs.update(department="通风区")
    assert client.post(item_url(item, "edit"), theirs).status_code == 302

    client.force_login(world.company_committee)
    mine.update(department="调度室", closure_criteria="抽查合格")
    response = client.post(item_url(item, "edit"), mine, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    (record,) = response.context["conflict"]["records"]
    contested = [row for row in record.rows if row.outcome == "both"]
    assert [(row.base, row.theirs, row.mine) for row in contested] == [("机运工区", "通风区", "调度室")]
    html = response.content.decode()
    assert 'href="#edit-keep_department"' in html and 'id="edit-keep_department"' in html
    assert "Keep theirs: 通风区" in html and "Take mine (as typed above)" in html
    form = edit_form(response)
    assert not form.errors  # asked, not an error yet
    assert form["department"].value() == "调度室"

    # Saving without choosing is refused, and nothing is saved.
    again = shown_form_data(form)
    assert again["merge_fields"] == "department"
    response = client.post(item_url(item, "edit"), again, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert edit_form(response).errors == {"keep_department": ["Choose which value to keep."]}
    # The merge is shown again beside the choice, not only the error.
    (record,) = response.context["conflict"]["records"]
    assert [row.name for row in record.rows if row.outcome == "both"] == ["department"]
    item.refresh_from_db()
    assert (item.department, item.closure_criteria, item.version) == ("通风区", "", 2)

    # Keeping theirs saves their department and my other change.
    response = client.post(item_url(item, "edit"), {**again, "keep_department": "theirs"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.department, item.closure_criteria, item.version) == ("通风区", "抽查合格", 3)


def test_taking_mine_saves_what_i_typed(client, world, item):
    mine = opened_item(client, world.company_committee, item)
    theirs = opened_item(client, world.committee, item)
    theirs.update(deadline=(item.deadline + datetime.timedelta(days=10)).isoformat())
    assert client.post(item_url(item, "edit"), theirs).status_code == 302

    client.force_login(world.company_committee)
    later = item.deadline + datetime.timedelta(days=20)
    mine.update(deadline=later.isoformat())
    response = client.post(item_url(item, "edit"), mine)
    assert response.status_code == 409
    again = {**shown_form_data(edit_form(response)), "keep_deadline": "mine"}
    assert client.post(item_url(item, "edit"), again).status_code == 302
    item.refresh_from_db()
    assert item.deadline == later


def test_the_same_change_on_both_sides_needs_no_choice(client, world, item):
    mine = opened_item(client, world.company_committee, item)
    theirs = opened_item(client, world.committee, item)
    theirs.update(owner=world.member.pk)
    assert client.post(item_url(item, "edit"), theirs).status_code == 302

    client.force_login(world.company_committee)
    mine.update(owner=world.member.pk, measures="新措施")
    response = client.post(item_url(item, "edit"), mine)
    assert response.status_code == 409
    (record,) = response.context["conflict"]["records"]
    assert [(row.label, row.outcome) for row in record.rows] == [("整改措施", "mine"), ("责任人", "same")]
    assert client.post(item_url(item, "edit"), shown_form_data(edit_form(response))).status_code == 302
    item.refresh_from_db()
    assert (item.owner, item.measures) == (world.member, "新措施")


def test_a_progress_post_meanwhile_leaves_every_typed_field_mine(client, world, item):
    """Another action bumps the version without touching what the form edits."""
    mine = opened_item(client, world.committee, item)
    client.force_login(world.owner)
    assert client.post(item_url(item, "progress"), {"text": "已开始", "percent": 20}).status_code == 302

    client.force_login(world.committee)
    response = client.post(item_url(item, "edit"), {**mine, "department": "调度室"})
    assert response.status_code == 409
    (record,) = response.context["conflict"]["records"]
    assert [(row.label, row.outcome) for row in record.rows] == [("责任部门", "mine")]
    assert record.changed_by == ["王强"]
    assert client.post(item_url(item, "edit"), shown_form_data(edit_form(response))).status_code == 302
    item.refresh_from_db()
    assert (item.department, item.progress, item.status) == ("调度室", 20, Item.Status.IN_PROGRESS)


def test_a_stale_action_form_on_the_item_page_comes_back_as_typed(client, world, item):
    """Not an edit: nothing to merge; the form as typed over the current version, and why."""
    stale = item.version
    client.force_login(world.committee)
    assert (
        client.post(
            item_url(item, "edit"), {**opened_item(client, world.committee, item), "department": "调度室"}
        ).status_code
        == 302
    )
    client.force_login(world.owner)
    response = client.post(
        item_url(item, "start"), {"version": stale, "note": "今天开工"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 409
    form = next(entry["form"] for entry in response.context["action_forms"] if entry["action"] == "start")
    assert form["note"].value() == "今天开工" and int(form["version"].value()) == 2
    assert form.non_field_errors() == [
        "Someone else changed this item in the meantime (now version 2). "
        "Nothing was saved: review the changes and try again."
    ]
    assert client.post(item_url(item, "start"), shown_form_data(form)).status_code == 302
    item.refresh_from_db()
    assert item.status == Item.Status.IN_PROGRESS


def test_a_form_version_without_history_asks_for_every_difference(client, world, item):
    """An unknown opened version (no history row at it): nothing is guessed."""
    mine = opened_item(client, world.committee, item)
    with chain.maintenance():  # history is append-only on PostgreSQL but for this step
        item.history.all().delete()
    client.force_login(world.company_committee)
    response = client.post(item_url(item, "edit"), {**mine, "department": "调度室", "version": 99})
    assert response.status_code == 409
    (record,) = response.context["conflict"]["records"]
    assert [(row.label, row.base, row.outcome) for row in record.rows] == [("责任部门", "?", "both")]


# Issues ----------------------------------------------------------------------------------------


@pytest.fixture
def inspection(world):
    return IssueFactory(
        organization=world.branch, source=Issue.Source.INSPECTION, description="巡察发现：台账记录不全"
    )


def issue_url(issue):
    return f"/ledger/issues/{issue.pk}/edit/"


def opened_issue(client, user, issue):
    client.force_login(user)
    return form_data(client.get(issue_url(issue)))


def test_an_issue_keeps_both_changes_and_asks_for_the_one_both_made(client, world, inspection):
    mine = opened_issue(client, world.company_committee, inspection)
    theirs = opened_issue(client, world.committee, inspection)
    theirs.update(description="巡察发现：台账记录不全（李明核实）", raised_by_name="巡察组")
    assert client.post(issue_url(inspection), theirs).status_code == 302

    client.force_login(world.company_committee)
    mine.update(source=Issue.Source.SUPERIOR, raised_by_name="集团巡察组", reason="来源写错")
    response = client.post(issue_url(inspection), mine)
    assert response.status_code == 409
    (record,) = response.context["conflict"]["records"]
    assert [(row.label, row.theirs, row.mine, row.outcome) for row in record.rows] == [
        ("问题来源", "巡视巡察", "上级反馈", "mine"),
        ("问题描述", "巡察发现：台账记录不全（李明核实）", "巡察发现：台账记录不全", "theirs"),
        ("提出人（姓名）", "巡察组", "集团巡察组", "both"),
    ]
    form = response.context["form"]
    assert form["description"].value() == "巡察发现：台账记录不全（李明核实）"
    assert form["source"].value() == Issue.Source.SUPERIOR and form["reason"].value() == "来源写错"
    assert "保留对方的修改：巡察组" in response.content.decode()

    again = form_data(response)
    refused = client.post(issue_url(inspection), again)
    assert refused.status_code == 400
    assert list(refused.context["form"].errors) == ["keep_raised_by_name"]
    assert client.post(issue_url(inspection), {**again, "keep_raised_by_name": "mine"}).status_code == 302
    inspection.refresh_from_db()
    assert (inspection.description, inspection.source, inspection.raised_by_name, inspection.version) == (
        "巡察发现：台账记录不全（李明核实）",
        Issue.Source.SUPERIOR,
        "集团巡察组",
        3,
    )


# Meetings and their issue rows --------------------------------------------------------------


@pytest.fixture
def meeting(world):
    meeting = MeetingFactory(organization=world.branch)
    IssueFactory(organization=world.branch, meeting=meeting, description="学习流于形式")
    IssueFactory(organization=world.branch, meeting=meeting, description="台账记录不全")
    return meeting


def meeting_url(meeting):
    return f"/ledger/meetings/{meeting.pk}/edit/"


def opened_meeting(client, user, meeting):
    client.force_login(user)
    return form_data(client.get(meeting_url(meeting)))


def row_prefix(data, issue):
    index = next(i for i in range(int(data["issues-INITIAL_FORMS"])) if data[f"issues-{i}-id"] == issue.pk)
    return f"issues-{index}-"


def test_a_meeting_and_its_issue_rows_keep_both_peoples_changes(client, world, meeting):
    first, second = meeting.issues.order_by("pk")
    mine = opened_meeting(client, world.company_committee, meeting)
    theirs = opened_meeting(client, world.committee, meeting)
    theirs.update(
        {"topic": "李明改的题目", row_prefix(theirs, first) + "description": "学习流于形式（李明补充）"}
    )
    assert client.post(meeting_url(meeting), theirs).status_code == 302

    client.force_login(world.company_committee)
    mine.update(
        {"place": "张建国填的会议室", row_prefix(mine, second) + "description": "台账记录不全（张建国补充）"}
    )
    response = client.post(meeting_url(meeting), mine, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    records = response.context["conflict"]["records"]
    # The meeting and the first issue changed meanwhile; the second issue did not.
    number = int(row_prefix(mine, first).split("-")[1]) + 1  # the row's place on the page
    assert [record.label for record in records] == ["Meeting", f"Issue {number}: 学习流于形式（李明补充）"]
    assert [(row.label, row.outcome) for row in records[0].rows] == [("Topic", "theirs"), ("Place", "mine")]
    assert [(row.label, row.outcome) for row in records[1].rows] == [("Issue description", "theirs")]
    rows = {form.instance.pk: form for form in response.context["formset"].forms}
    assert rows[first.pk].non_field_errors() and not rows[second.pk].non_field_errors()
    assert rows[first.pk]["description"].value() == "学习流于形式（李明补充）"
    assert response.context["form"]["topic"].value() == "李明改的题目"

    # Saving the page as shown keeps everything both typed: nothing of the first save is undone.
    assert client.post(meeting_url(meeting), form_data(response)).status_code == 302
    meeting.refresh_from_db()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (meeting.topic, meeting.place, meeting.version) == ("李明改的题目", "张建国填的会议室", 3)
    assert (first.description, first.version) == ("学习流于形式（李明补充）", 2)  # not saved again
    assert (second.description, second.version) == ("台账记录不全（张建国补充）", 2)


def test_an_issue_row_both_changed_is_chosen_on_its_row(client, world, meeting):
    first = meeting.issues.order_by("pk").first()
    mine = opened_meeting(client, world.committee, meeting)
    client.force_login(world.company_committee)
    on_its_page = form_data(client.get(issue_url(first)))
    assert (
        client.post(issue_url(first), {**on_its_page, "description": "学习流于形式，记录造假"}).status_code
        == 302
    )

    client.force_login(world.committee)
    prefix = row_prefix(mine, first)
    mine.update({prefix + "description": "学习流于形式，走过场"})
    response = client.post(meeting_url(meeting), mine)
    assert response.status_code == 409
    (record,) = response.context["conflict"]["records"]
    number = int(prefix.split("-")[1]) + 1
    assert (record.label, [row.outcome for row in record.rows]) == (
        f"问题{number}：学习流于形式，记录造假",
        ["both"],
    )
    html = response.content.decode()
    assert f'id="id_{prefix}keep_description"' in html and "保留对方的修改：学习流于形式，记录造假" in html

    again = form_data(response)
    refused = client.post(meeting_url(meeting), again)
    assert refused.status_code == 400
    assert Meeting.objects.get().version == 1
    again = form_data(refused)  # the page as it came back, the choice still asked
    assert again[prefix + "merge_fields"] == "description"
    again[prefix + "keep_description"] = "theirs"
    assert client.post(meeting_url(meeting), again).status_code == 302
    first.refresh_from_db()
    assert (first.description, first.version) == ("学习流于形式，记录造假", 2)
