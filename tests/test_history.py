"""The audit history of an item, read back with field diffs, users and reasons."""

import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from ledger import workflow
from ledger.history import item_timeline
from tests.factories import IssueFactory, make_item

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def story(world):
    """An item created, reassigned, worked on with evidence, extended, returned and closed."""
    with time_machine.travel(datetime.datetime(2026, 11, 24, 9, 0, tzinfo=datetime.timezone.utc)):
        return _story(world, timezone.localdate())


def _story(world, today):
    item = make_item(
        world.committee,
        IssueFactory(organization=world.branch),
        owner=world.member,
        leader=world.leader,
        deadline=today + datetime.timedelta(days=10),
    )
    item = workflow.edit_item(
        world.committee, item, expected_version=item.version, owner=world.owner, reason="调整责任人"
    )
    item = workflow.start(world.owner, item)
    workflow.post_progress(
        world.owner,
        item,
        text="已组织全员学习",
        percent=60,
        files=[SimpleUploadedFile("签到表.png", PNG, "image/png")],
    )
    request = workflow.request_extension(
        world.owner, item, proposed_deadline=today + datetime.timedelta(days=40), reason="配件未到"
    )
    workflow.decide_extension(world.committee, request, approve=True, note="同意延期")
    item.refresh_from_db()
    item = workflow.submit(world.owner, item)
    item = workflow.return_item(world.committee, item, reason="缺少考试成绩单")
    workflow.post_progress(world.owner, item, text="补充成绩单", percent=100)
    item.refresh_from_db()
    item = workflow.submit(world.owner, item)
    item = workflow.close(world.company_committee, item, note="验收合格，同意销号")
    return item


def test_the_timeline_tells_the_whole_story_in_order(world, story):
    with translation.override("en"):
        entries = item_timeline(story)
    summary = [(e.record, e.action, e.user) for e in entries]
    assert summary == [
        ("Item", "Created", "李明"),
        ("Item", "Edit", "李明"),
        ("Item", "Start work", "王强"),
        ("Progress update", "Post progress", "王强"),
        ("Evidence", "Attach evidence", "王强"),
        ("Item", "Post progress", "王强"),
        ("Extension request", "Request extension", "王强"),
        ("Extension request", "Decide extension", "李明"),
        ("Item", "Decide extension", "李明"),
        ("Item", "Submit for verification", "王强"),
        ("Item", "Return", "李明"),
        ("Progress update", "Post progress", "王强"),
        ("Item", "Post progress", "王强"),
        ("Item", "Submit for verification", "王强"),
        ("Item", "Close", "张建国"),
    ]


def test_diffs_show_people_states_and_dates_readably(world, story):
    with translation.override("en"):
        entries = item_timeline(story)
    reassigned = entries[1]
    assert reassigned.reason == "调整责任人"
    assert [(c.label, c.old, c.new) for c in reassigned.changes] == [("owner", "杨帆", "王强")]

    returned = entries[10]
    assert returned.reason == "缺少考试成绩单"
    assert [(c.label, c.old, c.new) for c in returned.changes] == [
        ("status", "Awaiting verification", "In progress")
    ]

    extended = entries[8]
    deadline_change = {c.field: c for c in extended.changes}["deadline"]
    assert (deadline_change.old, deadline_change.new) == ("Dec. 4, 2026", "Jan. 3, 2027")

    closed = entries[-1]
    assert closed.reason == "验收合格，同意销号"
    changed = {c.field: (c.old, c.new) for c in closed.changes}
    assert changed["status"] == ("Awaiting verification", "Closed")
    assert "progress" not in changed  # it was already 100 from the last progress update
    assert changed["verified_by"] == ("—", "张建国")
    assert changed["outcome"] == ("—", "Completed")


def test_the_timeline_speaks_chinese_by_default(world, story):
    entries = item_timeline(story)
    closed = entries[-1]
    assert {c.field: c.new for c in closed.changes}["status"] == "已销号"
    assert closed.action == "销号"
    extended = {c.field: c for c in entries[8].changes}["deadline"]
    assert (extended.old, extended.new) == ("2026年12月4日", "2027年1月3日")


def test_creation_lists_the_values_set(world, story):
    with translation.override("en"):
        created = item_timeline(story)[0]
    values = {c.field: c.new for c in created.changes}
    assert values["owner"] == "杨帆"
    assert values["leader"] == "赵志刚"
    assert values["status"] == "Open"
    assert values["measures"] == "组织全员重新学习作业规程并闭卷考试"
    assert "version" not in values


def test_reading_the_timeline_takes_a_fixed_number_of_queries(world, story, django_assert_num_queries):
    # 4 historical tables (item, progress, evidence, extension requests) + users + issue names
    # + organization names. Users come with their rows through select_related.
    with django_assert_num_queries(7):
        item_timeline(story)
