"""One writer: every path that changes the ledger goes through the workflow.

One table, one row per write path (the web views, a new import, a re-import, the bulk batch).
The synthetic demo ledger (`seed_demo --items`) is seeding, not a path of the product: it writes
a past of many people's actions directly (tests/test_only_the_workflow_writes.py lists it;
tests/test_seed_demo.py checks that its history tells what its records hold). Each path is run by someone allowed to, then by someone who is not; the test
asserts what the workflow promises for every record a path writes:

- the rules applied: the refused actor writes nothing and emits nothing;
- exactly one history row per record per action, naming the user, the action, the reason and
  the action id;
- the version bumped (items, issues, meetings): 1 on creation, the previous row's + 1 after;
- exactly one event (`core.events`) per record and action, after the commit, saying the same.

To add a path (the admin, the bulk change, the API), add a `WritePath` to `PATHS`.
"""

import datetime
import io
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from core.models import ApiToken
from ledger import workflow
from ledger.imports.reading import read_table
from ledger.imports.rows import prepare
from ledger.imports.storing import ImportFailed, commit
from ledger.models import (
    Accountability,
    Attendance,
    Evidence,
    ExtensionRequest,
    Issue,
    Item,
    ItemCoOwner,
    LightSettings,
    Meeting,
    ProgressUpdate,
    Recheck,
    RecheckBatch,
    Urging,
    WarningTalk,
    Withheld,
    WordTemplate,
)
from ledger.word import default_template
from tests.factories import IssueFactory, MeetingFactory, category, make_item
from tests.pages import issue_rows_data
from tests.sheet_files import ledger_rows, xlsx_bytes

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
WORKFLOW_MODELS = (
    Item,
    Issue,
    Meeting,
    Attendance,
    ProgressUpdate,
    Evidence,
    ExtensionRequest,
    ItemCoOwner,
    Urging,
    WarningTalk,
    Accountability,
    RecheckBatch,
    Recheck,
    LightSettings,
    WordTemplate,
    Withheld,
)
S = Item.Status


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(autouse=True)
def uploads(import_dir):
    return import_dir


# Setting the scene: what each path starts from -----------------------------------------------


def an_item(world, status="open", **fields):
    """An item of the branch, owned by the owner, brought to `status` through the workflow."""
    item = make_item(
        world.committee,
        IssueFactory(organization=world.branch),
        owner=world.owner,
        leader=world.leader,
        **fields,
    )
    if status == "open":
        return item
    workflow.post_progress(world.owner, item, text="已完成一半", percent=50)
    if status == "in_progress":
        return Item.objects.get(pk=item.pk)
    item = workflow.submit(world.owner, Item.objects.get(pk=item.pk), incomplete_confirmed=True)
    if status == "submitted":
        return item
    return workflow.close(world.committee, item, note="验收合格")


def with_extension(world):
    item = an_item(world, "in_progress")
    workflow.request_extension(
        world.owner, item, proposed_deadline=item.deadline + datetime.timedelta(days=20), reason="配件未到"
    )
    return item


def a_meeting(world):
    meeting = MeetingFactory(organization=world.branch)
    IssueFactory(organization=world.branch, meeting=meeting, description="学习流于形式")
    return meeting


def imported_file(world):
    """The branch's ledger imported once, through the importer: what a re-import meets."""
    commit_file(world.committee, world.branch, ledger_rows(count=2))
    return world.branch


def commit_file(actor, organization, rows, name="台账.xlsx"):
    with translation.override("en"):
        table = read_table(io.BytesIO(xlsx_bytes(rows)), name)
        preview = prepare(table, actor, organization)
        if not preview.is_valid:
            raise workflow.NotAllowed(str(preview.problems or preview.rows[:3]))
        commit(preview, actor, name)


# The REST API's paths (`ledger.api`): a token of the actor, JSON or multipart.


def api_call(client, actor, method, url, data, *, multipart=False, **headers):
    _token, secret = ApiToken.issue(actor, "one writer")
    call = getattr(client, method)
    kwargs = {} if multipart else {"content_type": "application/json", "data": json.dumps(data)}
    if multipart:
        kwargs["data"] = data
    return call(url, HTTP_AUTHORIZATION=f"Bearer {secret}", **kwargs, **headers)


def api_item_action(verb, data=lambda item, world: {}, *, multipart=False):
    def run(client, actor, world, item):
        url = f"/api/v1/items/{item.pk}/{verb}/"
        return api_call(client, actor, "post", url, data(item, world), multipart=multipart)

    return run


def api_edit(client, actor, world, item):
    return api_call(
        client,
        actor,
        "patch",
        f"/api/v1/items/{item.pk}/",
        {"department": "调度室", "reason": "调整"},
        HTTP_IF_MATCH=f'"{item.version}"',
    )


def api_decide(client, actor, world, item):
    extension = item.extension_requests.get()
    return api_call(
        client, actor, "post", f"/api/v1/extension-requests/{extension.pk}/approve/", {"note": "同意延期"}
    )


# The paths -----------------------------------------------------------------------------------


def post(client, actor, url, data):
    client.force_login(actor)
    return client.post(url, data)


def item_url(item, verb):
    return f"/ledger/items/{item.pk}/{verb}/"


def edit_data(item, **changes):
    return {
        "measures": item.measures,
        "leader": item.leader_id or "",
        "department": item.department,
        "owner": item.owner_id or "",
        "kind": item.kind,
        "deadline": item.deadline.isoformat() if item.deadline else "",
        "next_review_on": "",
        "closure_criteria": item.closure_criteria,
        "version": item.version,
        **changes,
    }


def web_create_item(client, actor, world, meeting):
    issue = meeting.issues.get()
    data = {
        "issue": issue.pk,
        "measures": "每月检查学习记录",
        "leader": world.leader.pk,
        "department": "党支部",
        "owner": world.owner.pk,
        "kind": "by_deadline",
        "deadline": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
    }
    return post(client, actor, f"/ledger/meetings/{meeting.pk}/items/", data)


def web_log_meeting(client, actor, world, _scene):
    rows = [
        {"category": category().pk, "source": Issue.Source.CRITICISM, "description": "问题一"},
        {"category": category().pk, "source": Issue.Source.TALK, "description": "问题二"},
    ]
    data = {
        "organization": world.branch.pk,
        "meeting_type": Meeting.Type.ORGANIZATION_LIFE,
        "topic": "2026年度专题组织生活会",
        "held_on": (timezone.localdate() - datetime.timedelta(days=1)).isoformat(),
        "place": "机运工区会议室",
        "notes": "",
        **issue_rows_data(rows),
    }
    return post(client, actor, "/ledger/meetings/new/", data)


def web_edit_issue(client, actor, _world, meeting):
    issue = meeting.issues.get()
    data = {
        "category": issue.category_id,
        "source": issue.source,
        "description": "学习流于形式，笔记空泛",
        "raised_on": issue.raised_on.isoformat(),
        "version": issue.version,
        "reason": "补充问题表述",
    }
    return post(client, actor, f"/ledger/issues/{issue.pk}/edit/", data)


def web_attendance(client, actor, world, meeting):
    return post(
        client,
        actor,
        f"/ledger/meetings/{meeting.pk}/attendance/",
        {"person": world.member.pk, "present": "on"},
    )


def no_data(item, world):
    return {}


def web_item_action(verb, data=no_data):
    def run(client, actor, world, item):
        return post(client, actor, item_url(item, verb), {"version": item.version, **data(item, world)})

    run.__name__ = f"web_{verb}"
    return run


def item_data(item, world):
    """The edit form of `item` as shown, with the branch member as its co-owner."""
    return {
        "measures": item.measures,
        "department": item.department,
        "owner": item.owner_id,
        "leader": item.leader_id,
        "kind": item.kind,
        "deadline": item.deadline.isoformat(),
        "co_owners": [world.member.pk],
        "reason": "增加协办人",
    }


def co_owned_item(world):
    item = an_item(world)
    return workflow.edit_item(world.committee, item, expected_version=item.version, co_owners=[world.member])


def two_items(world):
    return [an_item(world), an_item(world)]


def web_bulk_change(client, actor, _world, items):
    data = {"items": [item.pk for item in items], "department": "调度室", "reason": "统一调整"}
    return post(client, actor, "/ledger/bulk/", data)


def web_decide(client, actor, _world, item):
    extension = item.extension_requests.get()
    data = {"extension": extension.pk, "approve": "1", "note": "同意延期"}
    return post(client, actor, item_url(item, "extension/decide"), data)


def reimport(client, actor, world, organization):
    rows = ledger_rows(count=2)
    rows[0] += ["整改进展", "完成进度"]
    rows[1] += ["已组织学习", 30]
    rows[2] += ["", ""]
    rows[1][6] = "调度室"  # a new department for the first row's item
    commit_file(actor, organization, rows, name="台账（二）.xlsx")


def import_new(client, actor, world, _scene):
    rows = ledger_rows(count=3)
    rows[0] += ["整改进展", "完成进度"]
    rows[1] += ["已组织学习", 30]
    rows[2] += ["", ""]
    rows[3] += ["", ""]
    commit_file(actor, world.branch, rows)


def bulk_batch(client, actor, world, _scene):
    issue = Issue(
        organization=world.branch,
        category=category(),
        source=Issue.Source.INSPECTION,
        description="巡察发现：台账记录不全",
        raised_on=datetime.date(2027, 1, 5),
    )
    rows = [
        workflow.NewItem(
            key=number,
            issue=issue,
            organization=world.branch,
            fields={
                "measures": f"逐条补齐台账（{number}）",
                "kind": "by_deadline",
                "deadline": datetime.date(2027, 3, 1),
            },
            progress="已补齐一半" if number == 1 else "",
            percent=50,
            status=S.CLOSED if number == 2 else "",
        )
        for number in (1, 2)
    ]
    workflow.import_new_items(actor, rows, reason="从文件“台账.xlsx”导入")


def urged_item(world):
    item = an_item(world)
    workflow.urge(world.committee, item, message="请说明进度", reply_by=timezone.localdate())
    return item


def web_reply(client, actor, _world, item):
    urging = item.urgings.get()
    data = {"reply": "已更换闸瓦", "version": urging.version}
    return post(client, actor, f"/ledger/items/{item.pk}/urgings/{urging.pk}/reply/", data)


def web_talk(client, actor, world, item):
    data = {
        "person": world.owner.pk,
        "talked_on": timezone.localdate().isoformat(),
        "talked_by": world.committee.pk,
        "outcome": "限期整改",
    }
    return post(client, actor, item_url(item, "talk"), data)


def web_accountability(client, actor, world, item):
    data = {"kind": "admonishment", "decided_on": timezone.localdate().isoformat(), "decision": "诫勉谈话"}
    return post(client, actor, item_url(item, "accountability"), data)


def web_draw(client, actor, world, _items):
    today = timezone.localdate()
    data = {
        "organization": world.branch.pk,
        "period_start": (today - datetime.timedelta(days=30)).isoformat(),
        "period_end": today.isoformat(),
        "one_in": 10,
        "checker": world.member.pk,
        "due_on": (today + datetime.timedelta(days=10)).isoformat(),
        "seed": 7,
    }
    return post(client, actor, "/ledger/rechecks/", data)


def drawn_recheck(world):
    an_item(world, "closed")
    today = timezone.localdate()
    batch = workflow.draw_recheck(
        world.committee,
        world.branch,
        period_start=today,
        period_end=today,
        due_on=today,
        checker=world.member,
        seed=1,
    )
    return batch.rechecks.get()


def web_relapse(client, actor, _world, recheck):
    data = {
        "result": "relapsed",
        "note": "制动闸瓦再次磨损",
        "deadline": (timezone.localdate() + datetime.timedelta(days=20)).isoformat(),
        "version": recheck.version,
    }
    return post(client, actor, f"/ledger/rechecks/items/{recheck.pk}/", data)


def web_assign(client, actor, world, recheck):
    data = {"checker": world.owner.pk, "version": recheck.version}
    return post(client, actor, f"/ledger/rechecks/items/{recheck.pk}/checker/", data)


def web_person_talk(client, actor, world, _scene):
    data = {
        "organization": world.branch.pk,
        "person": world.member.pk,
        "talked_on": timezone.localdate().isoformat(),
        "talked_by": world.committee.pk,
        "outcome": "提醒谈话",
    }
    return post(client, actor, "/ledger/talks/", data)


def web_light_settings(client, actor, world, _scene):
    data = {"red_lag": 20, "yellow_lag": "", "due_soon_days": 5, "stale_days": "", "day_count": ""}
    data.update(reason="按公司要求收紧", revision=0)
    return post(client, actor, f"/ledger/organizations/{world.branch.pk}/lights/", data)


def web_upload_word_template(client, actor, world, _scene):
    upload = SimpleUploadedFile("机运报告模板.docx", default_template("report").read_bytes())
    data = {"kind": "report", "file": upload, "reason": "换上支部信头"}
    return post(client, actor, f"/ledger/organizations/{world.branch.pk}/word-templates/", data)


def web_withhold(client, actor, _world, item):
    return post(client, actor, item_url(item, "withhold"), {"field": "measures", "reason": "privacy"})


def a_withheld_item(world):
    item = an_item(world)
    workflow.withhold(world.committee, item, field="measures", reason="privacy")
    return item


def web_disclose(client, actor, _world, item):
    data = {"field": "measures", "disclose": "on", "note": "经审核可以公开"}
    return post(client, actor, item_url(item, "withhold"), data)


@dataclass(frozen=True)
class WritePath:
    name: str
    scene: Callable  # world → what `run` works on
    run: Callable  # (client, actor, world, scene) → the response, if any
    actor: str  # the World attribute of someone allowed to
    refused: str | None  # … of someone not allowed to (None: nobody to refuse)
    records: dict  # {model: number of records written (or a function counting them after)}
    reason: str | None = None  # the reason on every row written (None: not the same on all)
    status: int = 302  # the allowed actor's response, for web paths
    versions: dict = field(default_factory=dict)  # {model: the version the records end at}


IMPORT_REASON_EN = "Imported from the file “{}”"

PATHS = [
    WritePath(
        "web: log a meeting with its issues",
        lambda w: None,
        web_log_meeting,
        "committee",
        "leadership",
        {Meeting: 1, Issue: 2},
    ),
    WritePath(
        "web: edit an issue",
        a_meeting,
        web_edit_issue,
        "committee",
        "outsider",
        {Issue: 1},
        "补充问题表述",
        versions={Issue: 2},
    ),
    WritePath("web: record attendance", a_meeting, web_attendance, "committee", "owner", {Attendance: 1}),
    WritePath(
        "web: create an item from an issue",
        a_meeting,
        web_create_item,
        "committee",
        "owner",
        {Item: 1},
        "",
        versions={Item: 1},
    ),
    WritePath(
        "web: edit an item",
        an_item,
        lambda c, a, w, item: post(
            c, a, item_url(item, "edit"), edit_data(item, department="调度室", reason="调整")
        ),
        "committee",
        "owner",
        {Item: 1},
        "调整",
        versions={Item: 2},
    ),
    WritePath(
        "web: edit an item's co-owners",
        an_item,
        web_item_action("edit", item_data),
        "committee",
        "owner",
        {Item: 1, ItemCoOwner: 1},
        "增加协办人",
        versions={Item: 2},
    ),
    WritePath(
        "web: a co-owner posts progress",
        co_owned_item,
        web_item_action("progress", lambda item, world: {"text": "协助完成", "percent": 20}),
        "member",
        "outsider",
        {Item: 1, ProgressUpdate: 1},
        versions={Item: 3},
    ),
    WritePath(
        "web: start", an_item, web_item_action("start"), "owner", "member", {Item: 1}, "", versions={Item: 2}
    ),
    WritePath(
        "web: post progress with a photo",
        an_item,
        web_item_action(
            "progress",
            lambda item, world: {
                "text": "已更换防护罩",
                "percent": 40,
                "files": SimpleUploadedFile("现场照片.png", PNG, "image/png"),
            },
        ),
        "owner",
        "outsider",
        {Item: 1, ProgressUpdate: 1, Evidence: 1},
        versions={Item: 2},
    ),
    WritePath(
        "web: attach evidence",
        an_item,
        web_item_action(
            "evidence", lambda item, world: {"file": SimpleUploadedFile("a.png", PNG, "image/png")}
        ),
        "owner",
        "member",
        {Evidence: 1},
        "",
    ),
    WritePath(
        "web: submit",
        lambda w: an_item(w, "in_progress"),
        web_item_action("submit", lambda item, world: {"note": "已完成", "incomplete_confirmed": "on"}),
        "owner",
        "committee",
        {Item: 1},
        "已完成",
        versions={Item: 3},
    ),
    WritePath(
        "web: return",
        lambda w: an_item(w, "submitted"),
        web_item_action("return", lambda item, world: {"reason": "缺少照片"}),
        "committee",
        "owner",
        {Item: 1},
        "缺少照片",
        versions={Item: 4},
    ),
    WritePath(
        "web: close",
        lambda w: an_item(w, "submitted"),
        web_item_action("close", lambda item, world: {"note": "验收合格", "outcome": "completed"}),
        "committee",
        "owner",
        {Item: 1},
        "验收合格",
        versions={Item: 4},
    ),
    WritePath(
        "web: reopen",
        lambda w: an_item(w, "closed"),
        web_item_action("reopen", lambda item, world: {"reason": "问题反弹"}),
        "committee",
        "owner",
        {Item: 1},
        "问题反弹",
        versions={Item: 5},
    ),
    WritePath(
        "web: withdraw",
        an_item,
        web_item_action("withdraw", lambda item, world: {"reason": "重复"}),
        "committee",
        "owner",
        {Item: 1},
        "重复",
        versions={Item: 2},
    ),
    WritePath(
        "web: request an extension",
        lambda w: an_item(w, "in_progress"),
        web_item_action(
            "extension",
            lambda item, world: {
                "proposed_deadline": (item.deadline + datetime.timedelta(days=20)).isoformat(),
                "reason": "配件未到",
            },
        ),
        "owner",
        "committee",
        {ExtensionRequest: 1},
        "配件未到",
    ),
    WritePath(
        "web: approve an extension",
        with_extension,
        web_decide,
        "committee",
        "owner",
        {Item: 1, ExtensionRequest: 1},
        "同意延期",
        versions={Item: 3},
    ),
    WritePath(
        "api: edit an item (PATCH with If-Match)",
        an_item,
        api_edit,
        "committee",
        "owner",
        {Item: 1},
        "调整",
        status=200,
        versions={Item: 2},
    ),
    WritePath(
        "api: start", an_item, api_item_action("start"), "owner", "member", {Item: 1}, "", 200, {Item: 2}
    ),
    WritePath(
        "api: post progress with a photo",
        an_item,
        api_item_action(
            "progress",
            lambda item, world: {
                "text": "已更换防护罩",
                "percent": 40,
                "files": SimpleUploadedFile("现场照片.png", PNG, "image/png"),
            },
            multipart=True,
        ),
        "owner",
        "outsider",
        {Item: 1, ProgressUpdate: 1, Evidence: 1},
        "已更换防护罩",
        201,
        {Item: 2},
    ),
    WritePath(
        "api: close",
        lambda w: an_item(w, "submitted"),
        api_item_action("close", lambda item, world: {"note": "验收合格"}),
        "committee",
        "owner",
        {Item: 1},
        "验收合格",
        200,
        {Item: 4},
    ),
    WritePath(
        "api: request an extension",
        lambda w: an_item(w, "in_progress"),
        api_item_action(
            "extension-requests",
            lambda item, world: {
                "proposed_deadline": (item.deadline + datetime.timedelta(days=20)).isoformat(),
                "reason": "配件未到",
            },
        ),
        "owner",
        "member",
        {ExtensionRequest: 1},
        "配件未到",
        201,
    ),
    WritePath(
        "api: approve an extension",
        with_extension,
        api_decide,
        "committee",
        "owner",
        {Item: 1, ExtensionRequest: 1},
        "同意延期",
        200,
        {Item: 3},
    ),
    WritePath(
        "import: new items",
        lambda w: None,
        import_new,
        "committee",
        "outsider",
        {Issue: 3, Item: 3, ProgressUpdate: 1},
        status=None,
        versions={Item: 1},
    ),
    WritePath(
        "import: a file imported again",
        imported_file,
        reimport,
        "committee",
        "outsider",
        {Item: 2, ProgressUpdate: 1},
        status=None,
    ),
    WritePath(
        "bulk: a batch of new items",
        lambda w: None,
        bulk_batch,
        "committee",
        "outsider",
        {Issue: 1, Item: 2, ProgressUpdate: 1},
        "从文件“台账.xlsx”导入",
        status=None,
        versions={Item: 1},
    ),
    WritePath(
        "web: urge an item",
        an_item,
        web_item_action(
            "urge",
            lambda item, world: {
                "level": "notice",
                "message": "请于期限前反馈",
                "reply_by": timezone.localdate().isoformat(),
            },
        ),
        "committee",
        "member",
        {Urging: 1},
        "请于期限前反馈",
        versions={Urging: 1},
    ),
    WritePath(
        "web: the owner replies to an urging",
        urged_item,
        web_reply,
        "owner",
        "committee",
        {Urging: 1},
        "已更换闸瓦",
        versions={Urging: 2},
    ),
    WritePath(
        "web: record a warning talk", an_item, web_talk, "committee", "member", {WarningTalk: 1}, "限期整改"
    ),
    WritePath(
        "web: record accountability",
        an_item,
        web_accountability,
        "committee",
        "owner",
        {Accountability: 1},
        "诫勉谈话",
    ),
    WritePath(
        "web: draw a re-check",
        lambda w: [an_item(w, "closed")],
        web_draw,
        "committee",
        "outsider",
        {RecheckBatch: 1, Recheck: 1},
    ),
    WritePath(
        "web: a re-check finds a relapse",
        drawn_recheck,
        web_relapse,
        "member",
        "owner",
        {Recheck: 1, Item: 1},
        versions={Recheck: 2, Item: 1},
    ),
    WritePath(
        "web: give a re-check to another checker",
        drawn_recheck,
        web_assign,
        "committee",
        "member",
        {Recheck: 1},
        "",
        versions={Recheck: 2},
    ),
    WritePath(
        "web: a warning talk with a person",
        lambda w: None,
        web_person_talk,
        "committee",
        "member",
        {WarningTalk: 1},
    ),
    WritePath(
        "web: an organization's traffic-light thresholds",
        lambda w: None,
        web_light_settings,
        "committee",
        "member",
        {LightSettings: 1},
        "按公司要求收紧",
    ),
    WritePath(
        "web: upload an organization's Word template",
        lambda w: None,
        web_upload_word_template,
        "committee",
        "member",
        {WordTemplate: 1},
        "换上支部信头",
    ),
    WritePath(
        "web: mark an item's measures not for publication",
        an_item,
        web_withhold,
        "committee",
        "owner",
        {Withheld: 1},
    ),
    WritePath(
        "web: take the not-for-publication mark off",
        a_withheld_item,
        web_disclose,
        "committee",
        "owner",
        {Withheld: 1},
        "经审核可以公开",
    ),
    WritePath(
        "web: bulk change of two items",
        two_items,
        web_bulk_change,
        "committee",
        "owner",
        {Item: 2},
        "统一调整",
        versions={Item: 2},
    ),
]


# What every path must do ---------------------------------------------------------------------


def marks():
    return {
        model: model.history.order_by("-history_id").values_list("history_id", flat=True).first() or 0
        for model in WORKFLOW_MODELS
    }


def written_since(before):
    return [
        (model, row)
        for model in WORKFLOW_MODELS
        for row in model.history.filter(history_id__gt=before[model]).order_by("history_id")
    ]


def actor_of(world, name):
    if name == "superuser":
        from core.models import User

        return User.objects.filter(is_superuser=True).order_by("pk").first()
    return getattr(world, name)


@pytest.fixture(params=PATHS, ids=lambda path: path.name)
def path(request):
    return request.param


def test_an_allowed_actor_writes_one_row_and_one_event_per_record(client, world, path, committed_events):
    scene = path.scene(world)
    actor = actor_of(world, path.actor)
    before = marks()
    with committed_events() as events:
        response = path.run(client, actor, world, scene)
    if path.status is not None:
        assert response.status_code == path.status, response.content.decode()[:2000]
    rows = written_since(before)
    # The records the path writes, each once per action.
    expected = {model: count() if callable(count) else count for model, count in path.records.items()}
    assert Counter(model for model, _row in rows) == Counter({m: n for m, n in expected.items() if n})
    assert len({(model, row.id, row.history_action_id) for model, row in rows}) == len(rows)
    for model, row in rows:
        assert row.history_user_id == actor.pk, (model, row)
        assert row.history_action in workflow.Action.values, (model, row)
        assert row.history_action_id is not None, (model, row)
        if path.reason is not None:
            assert row.history_change_reason == path.reason, (model, row)
        if hasattr(row, "version"):
            previous = (
                model.history.filter(id=row.id, history_id__lt=row.history_id).order_by("-history_id").first()
            )
            assert row.version == (previous.version + 1 if previous else 1), (model, row)
    for model, version in path.versions.items():
        assert {row.version for written, row in rows if written is model} == {version}
    # One event per row, after the commit, telling what the row tells.
    assert sorted(
        (e.model, e.record_id, e.action_id, e.action, e.actor_id, e.reason, e.at, e.created) for e in events
    ) == sorted(
        (
            model._meta.label_lower,
            row.id,
            row.history_action_id,
            row.history_action,
            row.history_user_id,
            row.history_change_reason,
            row.history_date,
            row.history_type == "+",
        )
        for model, row in rows
    )
    item_of = {
        (model._meta.label_lower, row.id): row.id if model is Item else getattr(row, "item_id", None)
        for model, row in rows
    }
    assert {(e.model, e.record_id): e.item_id for e in events} == item_of


@pytest.mark.parametrize("path", [p for p in PATHS if p.refused], ids=lambda path: path.name)
def test_a_refused_actor_writes_nothing_and_emits_nothing(client, world, path, committed_events):
    actor = actor_of(world, path.refused)
    scene = path.scene(world)
    before = marks()
    with committed_events() as events:
        try:
            response = path.run(client, actor, world, scene)
        except (workflow.ActionRefused, workflow.ImportRefused, ImportFailed):
            response = None
    if path.status is not None:
        assert response.status_code in (302, 400, 403, 404), response.status_code
    assert written_since(before) == []
    assert events == []
