"""The three-way merge of an edit conflict (ledger.merge), on plain values and on records."""

import datetime

import pytest
from django.http import QueryDict

from ledger import forms, merge, workflow
from tests.factories import IssueFactory, make_item

BASE = {"measures": "旧措施", "department": "机运工区", "owner": 7, "deadline": datetime.date(2026, 12, 31)}


def outcomes(theirs, mine, base=BASE):
    return {field.name: field.outcome for field in merge.three_way(base, theirs, mine)}


def test_nobody_changed_anything():
    assert set(outcomes(BASE, BASE).values()) == {merge.UNCHANGED}


def test_a_field_only_they_changed_takes_their_value():
    theirs = {**BASE, "department": "通风区"}
    fields = {field.name: field for field in merge.three_way(BASE, theirs, BASE)}
    assert fields["department"].outcome == merge.THEIRS
    assert fields["department"].value == "通风区"
    assert fields["measures"].outcome == merge.UNCHANGED


def test_a_field_only_i_changed_keeps_my_value():
    mine = {**BASE, "measures": "新措施"}
    fields = {field.name: field for field in merge.three_way(BASE, BASE, mine)}
    assert fields["measures"].outcome == merge.MINE
    assert fields["measures"].value == "新措施"


def test_different_fields_changed_by_each_are_both_kept():
    theirs = {**BASE, "department": "通风区"}
    mine = {**BASE, "measures": "新措施"}
    merged = {field.name: field.value for field in merge.three_way(BASE, theirs, mine)}
    assert merged == {**BASE, "department": "通风区", "measures": "新措施"}
    assert outcomes(theirs, mine) == {
        "measures": merge.MINE,
        "department": merge.THEIRS,
        "owner": merge.UNCHANGED,
        "deadline": merge.UNCHANGED,
    }


def test_the_same_change_on_both_sides_is_no_conflict():
    theirs = {**BASE, "owner": 9}
    assert outcomes(theirs, dict(theirs))["owner"] == merge.SAME


def test_different_changes_of_one_field_are_contested():
    theirs = {**BASE, "deadline": datetime.date(2027, 1, 15)}
    mine = {**BASE, "deadline": datetime.date(2027, 2, 1)}
    (deadline,) = [field for field in merge.three_way(BASE, theirs, mine) if field.contested]
    assert (deadline.name, deadline.base, deadline.theirs, deadline.mine) == (
        "deadline",
        datetime.date(2026, 12, 31),
        datetime.date(2027, 1, 15),
        datetime.date(2027, 2, 1),
    )


def test_clearing_a_field_is_a_change():
    theirs = {**BASE, "department": ""}
    assert outcomes(theirs, BASE)["department"] == merge.THEIRS
    assert outcomes(theirs, {**BASE, "department": "调度室"})["department"] == merge.BOTH


def test_blank_none_line_ends_and_outer_spaces_are_no_change():
    mine = {**BASE, "measures": "旧措施\r\n"}
    assert outcomes({**BASE, "department": None}, mine) == dict.fromkeys(BASE, merge.UNCHANGED) | {
        "department": merge.THEIRS
    }
    assert merge.same("", None) and merge.same("a\r\nb ", "a\nb")
    assert not merge.same(0, None)


def test_without_the_opened_values_every_difference_is_contested():
    theirs = {**BASE, "department": "通风区"}
    mine = {**BASE, "measures": "新措施"}
    assert outcomes(theirs, mine, base=None) == {
        "measures": merge.BOTH,
        "department": merge.BOTH,
        "owner": merge.UNCHANGED,
        "deadline": merge.UNCHANGED,
    }


# On records: the opened values come from the history at the form's version -----------------


@pytest.fixture
def item(world):
    return make_item(
        world.committee, IssueFactory(organization=world.branch), owner=world.owner, leader=world.leader
    )


def edit_form(item, version, **typed):
    data = {
        "measures": item.measures,
        "leader": item.leader_id,
        "department": item.department,
        "owner": item.owner_id,
        "kind": item.kind,
        "deadline": item.deadline.isoformat(),
        "version": version,
        **typed,
    }
    form = forms.EditItemForm(data, instance=item, organization=item.organization)
    assert form.is_valid(), form.errors
    return form


def test_a_record_merge_reads_the_opened_values_from_the_history(world, item):
    opened = item.version
    stale = edit_form(item, opened, measures="新措施", owner=world.member.pk)
    now = workflow.edit_item(
        world.company_committee, item, expected_version=opened, department="通风区", owner=world.leader
    )
    record = merge.merge_form(stale, now)
    assert record.version == opened and record.changed_by == ["张建国"]
    by_field = {field.name: field for field in record.fields}
    assert by_field["department"].outcome == merge.THEIRS
    assert by_field["measures"].outcome == merge.MINE
    assert by_field["owner"].outcome == merge.BOTH
    assert record.contested == ["owner"]
    # Shown as people read them: labels of the form, people by name.
    assert [(row.label, row.base, row.theirs, row.mine, row.outcome) for row in record.rows] == [
        (
            "整改措施",
            "组织全员重新学习作业规程并闭卷考试",
            "组织全员重新学习作业规程并闭卷考试",
            "新措施",
            "mine",
        ),
        ("责任部门", "机运工区", "通风区", "机运工区", "theirs"),
        ("责任人", "王强", "赵志刚", "杨帆", "both"),
    ]


def test_the_merged_data_carries_their_values_the_current_version_and_the_choices(world, item):
    opened = item.version
    stale = edit_form(item, opened, measures="新措施", owner=world.member.pk)
    posted = QueryDict(mutable=True)
    posted.update({name: str(value) for name, value in stale.data.items()})
    posted["keep_owner"] = "mine"  # from an earlier conflict: not a choice for this one
    now = workflow.edit_item(
        world.company_committee, item, expected_version=opened, department="通风区", owner=world.leader
    )
    data, conflict = merge.merge_conflict(posted, workflow.EditConflict(now), [(stale, now, "")])
    assert data["department"] == "通风区" and data["measures"] == "新措施"
    assert data["owner"] == str(world.member.pk)  # contested: as typed until chosen
    assert (data["version"], data["merge_base"], data["merge_fields"]) == (now.version, opened, "owner")
    assert "keep_owner" not in data
    assert conflict["contested"] and conflict["records"][0].contested == ["owner"]
    assert posted["department"] == "机运工区"  # the POST itself is left alone

    shown = forms.EditItemForm(data, instance=now, organization=now.organization)
    merge.present(conflict, shown)
    assert not shown.errors  # asked, not reported missing
    assert conflict["records"][0].rows[-1].anchor == "id_keep_owner"
    assert [choice.name for choice in shown.merge_choices] == ["keep_owner"]
    labels = [str(label) for _value, label in shown.fields["keep_owner"].choices]
    assert labels == ["保留对方的修改：赵志刚", "采用我的修改（即上方填写的内容）"]


def test_a_form_with_a_choice_to_make_is_refused_until_it_is_made(world, item):
    data = {
        "measures": item.measures,
        "leader": item.leader_id,
        "department": "调度室",
        "owner": item.owner_id,
        "kind": item.kind,
        "deadline": item.deadline.isoformat(),
        "version": item.version,
        "merge_fields": "department",
        "merge_base": item.version,
    }
    workflow.edit_item(world.company_committee, item, expected_version=item.version, department="通风区")
    item.refresh_from_db()  # the form is shown over the version before that edit: theirs is 机运工区
    form = forms.EditItemForm(data, instance=item, organization=item.organization)
    assert not form.is_valid()
    assert form.errors == {"keep_department": ["请选择保留哪一个值。"]}

    form = forms.EditItemForm(
        {**data, "keep_department": "theirs"}, instance=item, organization=item.organization
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["department"] == "机运工区"  # the value at the version it carries

    form = forms.EditItemForm(
        {**data, "keep_department": "mine"}, instance=item, organization=item.organization
    )
    assert form.is_valid() and form.cleaned_data["department"] == "调度室"


def test_a_forged_version_or_field_list_is_an_error_not_a_crash(world, item):
    data = {
        "measures": item.measures,
        "kind": item.kind,
        "version": "abc",
        "merge_fields": "department,no_such_field,version",
        "keep_department": "theirs",
    }
    form = forms.EditItemForm(data, instance=item, organization=item.organization)
    assert form.contested == ["department"]
    assert not form.is_valid() and "version" in form.errors
