"""The audit history of an item, read back with field diffs, users and reasons."""

import datetime
import io
import uuid

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from core import chain
from ledger import workflow
from ledger.history import item_timeline
from ledger.imports.reading import read_table
from ledger.imports.rows import prepare
from ledger.imports.storing import commit
from ledger.models import Issue, Item, ProgressUpdate
from tests.factories import IssueFactory, category, make_item
from tests.sheet_files import ledger_rows, xlsx_bytes

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
REASON = "从文件“台账.xlsx”导入"


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
    item = workflow.submit(world.owner, item, incomplete_confirmed=True)
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
    # A progress post (the update, its file and the item's new progress) is one entry; so is an
    # extension decision (the request's decision and the item's new deadline).
    assert summary == [
        ("Item", "Created", "李明"),
        ("Item", "Edit", "李明"),
        ("Item", "Start work", "王强"),
        ("Progress update", "Post progress", "王强"),
        ("Extension request", "Request extension", "王强"),
        ("Extension request", "Decide extension", "李明"),
        ("Item", "Submit for verification", "王强"),
        ("Item", "Return", "李明"),
        ("Progress update", "Post progress", "王强"),
        ("Item", "Submit for verification", "王强"),
        ("Item", "Close", "张建国"),
    ]
    first_post, second_post = entries[3], entries[8]
    assert [(d.label, d.value) for d in first_post.details] == [
        ("progress", "已组织全员学习"),
        ("percent done", "60"),
        ("evidence", "签到表.png"),
    ]
    assert [(c.label, c.old, c.new) for c in first_post.changes] == [("progress (%)", "0", "60")]
    assert first_post.reason == "已组织全员学习"
    assert [(d.label, d.value) for d in second_post.details] == [
        ("progress", "补充成绩单"),
        ("percent done", "100"),
    ]
    assert [(c.label, c.old, c.new) for c in second_post.changes] == [("progress (%)", "60", "100")]


def test_diffs_show_people_states_and_dates_readably(world, story):
    with translation.override("en"):
        entries = item_timeline(story)
    reassigned = entries[1]
    assert reassigned.reason == "调整责任人"
    assert [(c.label, c.old, c.new) for c in reassigned.changes] == [("owner", "杨帆", "王强")]

    returned = entries[7]
    assert returned.reason == "缺少考试成绩单"
    assert [(c.label, c.old, c.new) for c in returned.changes] == [
        ("status", "Awaiting verification", "In progress")
    ]

    extended = entries[5]
    assert [(c.label, c.old, c.new) for c in extended.changes] == [
        ("deadline", "Dec. 4, 2026", "Jan. 3, 2027")
    ]

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
    extended = {c.field: c for c in entries[5].changes}["deadline"]
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
    # 9 historical tables, a few columns each, to order and pair the rows (item, progress,
    # evidence, extension requests, co-owners, urgings, warning talks, accountability,
    # re-checks) + the whole rows of the entries, one query per kind the story holds (item,
    # progress, evidence, extension requests), their users through select_related + users +
    # issue names + organization names.
    with django_assert_num_queries(16):
        item_timeline(story)


# One entry per action: a progress post ------------------------------------------------------


def history_page(client, item, **headers):
    """The history page's entries, and the HTML of each entry as rendered."""
    response = client.get(f"/ledger/items/{item.pk}/history/", **headers)
    assert response.status_code == 200
    html = response.content.decode()
    rendered = [part.split("</li>")[0] for part in html.split('<li class="history-entry">')[1:]]
    # The page shows the newest entry first: oldest first here, as the timeline tells the story.
    return response.context["entries"][::-1], rendered[::-1]


def summary(entries):
    return [(e.record, e.action, e.user, e.reason) for e in entries]


def details(entry):
    return [(d.label, d.value) for d in entry.details]


def changes(entry):
    return [(c.label, c.old, c.new) for c in entry.changes]


@pytest.fixture
def posted(client, world):
    """An open item on which the owner posted 40% with a photo from the item page."""
    item = make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    client.force_login(world.owner)
    response = client.post(
        f"/ledger/items/{item.pk}/progress/",
        {
            "version": item.version,
            "text": "已更换防护罩",
            "percent": 40,
            "files": SimpleUploadedFile("现场照片.png", PNG, "image/png"),
        },
    )
    assert response.status_code == 302
    return item


def test_a_progress_post_is_one_entry_on_the_history_page(client, world, posted):
    entries, rendered = history_page(client, posted)
    assert len(entries) == len(rendered) == 2
    assert summary(entries) == [
        ("整改事项", "创建", "李明", ""),
        ("整改进展", "填报进展", "王强", "已更换防护罩"),
    ]
    post = entries[1]
    assert details(post) == [("整改进展", "已更换防护罩"), ("完成百分比", "40"), ("佐证材料", "现场照片.png")]
    assert changes(post) == [("状态", "待整改", "整改中"), ("进度（%）", "0", "40")]
    # The update, its file and the item's row were written by one post: one action id for all.
    update = posted.updates.get()
    assert post.when == posted.history.latest().history_date
    assert (
        update.history.get().history_action_id
        == update.evidence.get().history.get().history_action_id
        == posted.history.latest().history_action_id
    )
    for text in ("填报进展", "王强", "已更换防护罩", "完成百分比", "现场照片.png", "待整改", "整改中", "40"):
        assert text in rendered[1]
    assert "填报进展" not in rendered[0]


def test_the_progress_post_entry_in_english(client, world, posted):
    entries, rendered = history_page(client, posted, HTTP_ACCEPT_LANGUAGE="en")
    assert len(entries) == len(rendered) == 2
    assert summary(entries)[1] == ("Progress update", "Post progress", "王强", "已更换防护罩")
    post = entries[1]
    assert details(post) == [
        ("progress", "已更换防护罩"),
        ("percent done", "40"),
        ("evidence", "现场照片.png"),
    ]
    assert changes(post) == [("status", "Open", "In progress"), ("progress (%)", "0", "40")]
    for text in ("Post progress", "Progress update", "Percent done", "Open", "In progress", "现场照片.png"):
        assert text in rendered[1]


def test_posts_by_different_people_each_keep_their_text(client, world, posted):
    item = Item.objects.get(pk=posted.pk)
    workflow.post_progress(world.committee, item, text="支部督导检查", percent=40)
    item.refresh_from_db()
    workflow.post_progress(world.owner, item, text="全部完成", percent=100)
    entries, rendered = history_page(client, posted, HTTP_ACCEPT_LANGUAGE="en")
    assert len(entries) == len(rendered) == 4
    posts = entries[1:]
    assert [(e.user, details(e)[0][1], details(e)[1][1]) for e in posts] == [
        ("王强", "已更换防护罩", "40"),
        ("李明", "支部督导检查", "40"),
        ("王强", "全部完成", "100"),
    ]
    assert changes(posts[1]) == []  # 40% again: nothing else changed on the item
    assert changes(posts[2]) == [("progress (%)", "40", "100")]


def test_a_file_attached_later_to_an_update_is_an_entry_of_its_own(client, world, posted):
    update = posted.updates.get()
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=5)):
        workflow.attach_evidence(
            world.owner, posted, SimpleUploadedFile("补充照片.png", PNG, "image/png"), update=update
        )
    entries, _rendered = history_page(client, posted, HTTP_ACCEPT_LANGUAGE="en")
    assert [(e.record, e.action) for e in entries] == [
        ("Item", "Created"),
        ("Progress update", "Post progress"),
        ("Evidence", "Attach evidence"),
    ]
    assert details(entries[1])[-1] == ("evidence", "现场照片.png")
    assert {c.field: c.new for c in entries[2].changes}["original_name"] == "补充照片.png"


def bulk_imported(world, status=""):
    """An item the bulk import created, with its progress text (half done)."""
    issue = Issue(
        organization=world.branch,
        category=category(),
        source=Issue.Source.INSPECTION,
        description="巡察发现：台账记录不全",
        raised_on=datetime.date(2027, 1, 5),
    )
    row = workflow.NewItem(
        key=1,
        issue=issue,
        organization=world.branch,
        fields={
            "measures": "逐条补齐台账",
            "kind": Item.Kind.BY_DEADLINE,
            "deadline": datetime.date(2027, 3, 1),
        },
        progress="已补齐一半",
        percent=50,
        status=status,
    )
    [item] = workflow.import_new_items(world.committee, [row], reason=REASON)
    return item


def test_an_imported_item_is_one_entry_with_its_progress_text(client, world):
    """The bulk import creates the item as the file describes it, with its progress text: one
    entry saying so."""
    item = bulk_imported(world, status=Item.Status.CLOSED)
    client.force_login(world.committee)
    entries, rendered = history_page(client, item)
    assert len(entries) == len(rendered) == 1
    assert summary(entries) == [("整改事项", "导入", "李明", REASON)]
    assert details(entries[0]) == [("整改进展", "已补齐一半"), ("完成百分比", "50")]
    assert ("状态", "—", "已销号") in changes(entries[0])
    assert ("验收结论", "—", "已完成") in changes(entries[0])
    assert "已补齐一半" in rendered[0]

    entries, _rendered = history_page(client, item, HTTP_ACCEPT_LANGUAGE="en")
    assert [(e.record, e.action) for e in entries] == [("Item", "Imported")]
    assert details(entries[0]) == [("progress", "已补齐一半"), ("percent done", "50")]


def test_rows_are_grouped_by_action_not_by_time(client, world):
    """Two actions at the very same instant stay two entries; the rows of one action are one
    entry whatever their times."""
    at = datetime.datetime(2027, 1, 10, 8, 0, tzinfo=datetime.timezone.utc)
    with time_machine.travel(at, tick=False):
        item = make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
        workflow.post_progress(world.owner, item, text="已更换防护罩", percent=40)
        workflow.post_progress(world.committee, item, text="支部督导检查", percent=40)
    update = item.updates.order_by("pk").first()
    with chain.maintenance():  # (history is append-only on PostgreSQL but for this step)
        update.history.update(history_date=at + datetime.timedelta(minutes=3))
    client.force_login(world.committee)
    entries, _rendered = history_page(client, item, HTTP_ACCEPT_LANGUAGE="en")
    assert [(e.record, e.action, e.user) for e in entries] == [
        ("Item", "Created", "李明"),
        ("Progress update", "Post progress", "王强"),
        ("Progress update", "Post progress", "李明"),
    ]
    assert [details(e)[0][1] for e in entries[1:]] == ["已更换防护罩", "支部督导检查"]


def test_rows_without_an_action_id_are_entries_of_their_own(client, world, posted):
    """Rows written before action ids existed are not paired by anything."""
    with chain.maintenance():  # (history is append-only on PostgreSQL but for this step)
        ProgressUpdate.history.update(history_action_id=None)
    entries, _rendered = history_page(client, posted, HTTP_ACCEPT_LANGUAGE="en")
    assert [(e.record, e.action) for e in entries] == [
        ("Item", "Created"),
        ("Item", "Post progress"),
        ("Progress update", "Post progress"),
        ("Evidence", "Attach evidence"),
    ]


def test_a_reimported_file_posts_progress_as_one_entry(client, world):
    """A file imported again with new progress text: the per-row path, naming the file."""

    def imported(progress):
        rows = ledger_rows(count=1)
        rows[0] += ["整改进展", "完成进度"]
        rows[1] += [progress, 30 if progress == "已组织学习" else 80]
        with translation.override("en"):
            table = read_table(io.BytesIO(xlsx_bytes(rows)), "台账.xlsx")
            preview = prepare(table, world.committee, world.branch)
            commit(preview, world.committee, "台账.xlsx")

    imported("已组织学习")
    imported("已组织考试")
    item = Item.objects.get()
    client.force_login(world.committee)
    entries, rendered = history_page(client, item, HTTP_ACCEPT_LANGUAGE="en")
    assert len(entries) == len(rendered) == 2
    assert [(e.record, e.action, e.user) for e in entries] == [
        ("Item", "Imported", "李明"),
        ("Progress update", "Post progress", "李明"),
    ]
    assert [details(e) for e in entries] == [
        [("progress", "已组织学习"), ("percent done", "30")],
        [("progress", "已组织考试"), ("percent done", "80")],
    ]
    assert changes(entries[1]) == [("progress (%)", "30", "80")]
    assert all(entry.reason == "Imported from the file “台账.xlsx”" for entry in entries)


# One entry per action: an extension decision ---------------------------------------------------


@pytest.fixture
def requested(client, world):
    """An item due on 1 March 2027 whose owner asked, from the item page, to move it to 15 April."""
    item = make_item(
        world.committee,
        IssueFactory(organization=world.branch),
        owner=world.owner,
        deadline=datetime.date(2027, 3, 1),
    )
    client.force_login(world.owner)
    response = client.post(
        f"/ledger/items/{item.pk}/extension/", {"proposed_deadline": "2027-04-15", "reason": "配件未到"}
    )
    assert response.status_code == 302
    return item


def decide(client, world, item, *, approve, note):
    client.force_login(world.committee)
    response = client.post(
        f"/ledger/items/{item.pk}/extension/decide/",
        {"extension": item.extension_requests.get().pk, "approve": "1" if approve else "0", "note": note},
    )
    assert response.status_code == 302


def test_an_approved_extension_is_one_entry_with_the_new_deadline(client, world, requested):
    decide(client, world, requested, approve=True, note="同意延期")
    entries, rendered = history_page(client, requested)
    assert len(entries) == len(rendered) == 3
    assert summary(entries) == [
        ("整改事项", "创建", "李明", ""),
        ("延期申请", "申请延期", "王强", "配件未到"),
        ("延期申请", "审批延期", "李明", "同意延期"),
    ]
    decision = entries[2]
    assert details(decision) == [
        ("审批结果", "已批准"),
        ("申请延期至", "2027年4月15日"),
        ("审批意见", "同意延期"),
    ]
    assert changes(decision) == [("整改时限", "2027年3月1日", "2027年4月15日")]
    # The request's decision and the item's new deadline were written by one decision: one
    # action id.
    item = Item.objects.get(pk=requested.pk)
    decided = item.extension_requests.get().history.latest("history_date", "history_id")
    assert decided.history_action_id == item.history.latest().history_action_id
    assert decision.when == item.history.latest().history_date
    for text in ("审批延期", "李明", "已批准", "审批意见", "同意延期", "整改时限", "2027年4月15日"):
        assert text in rendered[2]
    assert "审批延期" not in rendered[1]


def test_the_approved_extension_entry_in_english(client, world, requested):
    decide(client, world, requested, approve=True, note="同意延期")
    entries, rendered = history_page(client, requested, HTTP_ACCEPT_LANGUAGE="en")
    assert len(entries) == len(rendered) == 3
    assert summary(entries)[2] == ("Extension request", "Decide extension", "李明", "同意延期")
    decision = entries[2]
    assert details(decision) == [
        ("decision", "Approved"),
        ("proposed deadline", "April 15, 2027"),
        ("decision note", "同意延期"),
    ]
    assert changes(decision) == [("deadline", "March 1, 2027", "April 15, 2027")]
    for text in (
        "Decide extension",
        "Approved",
        "Decision note",
        "Deadline",
        "March 1, 2027",
        "April 15, 2027",
    ):
        assert text in rendered[2]


def test_a_rejected_extension_is_one_entry_and_changes_no_deadline(client, world, requested):
    decide(client, world, requested, approve=False, note="时限内可以完成")
    entries, rendered = history_page(client, requested)
    assert len(entries) == len(rendered) == 3
    assert summary(entries)[2] == ("延期申请", "审批延期", "李明", "时限内可以完成")
    decision = entries[2]
    assert details(decision) == [
        ("审批结果", "未批准"),
        ("申请延期至", "2027年4月15日"),
        ("审批意见", "时限内可以完成"),
    ]
    assert changes(decision) == []  # the item kept its deadline; the request's diff is the details
    assert "未批准" in rendered[2] and "history-changes" not in rendered[2]
    assert Item.objects.get(pk=requested.pk).history.count() == 1  # created; nothing since

    entries, rendered = history_page(client, requested, HTTP_ACCEPT_LANGUAGE="en")
    assert summary(entries)[2] == ("Extension request", "Decide extension", "李明", "时限内可以完成")
    assert details(entries[2]) == [
        ("decision", "Rejected"),
        ("proposed deadline", "April 15, 2027"),
        ("decision note", "时限内可以完成"),
    ]
    assert changes(entries[2]) == []
    assert "Rejected" in rendered[2] and "Decision note" in rendered[2]


def test_an_approval_without_a_note_lists_no_note(client, world, requested):
    decide(client, world, requested, approve=True, note="")
    entries, _rendered = history_page(client, requested, HTTP_ACCEPT_LANGUAGE="en")
    assert summary(entries)[2] == ("Extension request", "Decide extension", "李明", "")
    assert details(entries[2]) == [("decision", "Approved"), ("proposed deadline", "April 15, 2027")]
    assert changes(entries[2]) == [("deadline", "March 1, 2027", "April 15, 2027")]


def test_decisions_are_paired_by_action_not_by_time(client, world, requested):
    """An approval whose two rows carry different times is still one entry; rows of another
    action are not taken into it."""
    decide(client, world, requested, approve=True, note="同意延期")
    request = requested.extension_requests.get()
    with chain.maintenance():  # (history is append-only on PostgreSQL but for this step)
        request.history.filter(history_action="decide_extension").update(
            decided_at=request.decided_at + datetime.timedelta(seconds=7),
            history_date=request.decided_at + datetime.timedelta(seconds=7),
        )
    entries, _rendered = history_page(client, requested, HTTP_ACCEPT_LANGUAGE="en")
    assert [(e.record, e.action) for e in entries] == [
        ("Item", "Created"),
        ("Extension request", "Request extension"),
        ("Extension request", "Decide extension"),
    ]
    assert changes(entries[2]) == [("deadline", "March 1, 2027", "April 15, 2027")]

    # The same rows, the request's decision recorded as another action: two entries.
    with chain.maintenance():
        request.history.filter(history_action="decide_extension").update(history_action_id=uuid.uuid4())
    entries, _rendered = history_page(client, requested, HTTP_ACCEPT_LANGUAGE="en")
    assert [(e.record, e.action) for e in entries] == [
        ("Item", "Created"),
        ("Extension request", "Request extension"),
        ("Item", "Decide extension"),
        ("Extension request", "Decide extension"),
    ]
    assert changes(entries[2]) == [("deadline", "March 1, 2027", "April 15, 2027")]
    assert details(entries[3])[0] == ("decision", "Approved")
