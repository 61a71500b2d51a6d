"""The POST views of the workflow's actions: each through the public surface, with its history
row; wrong method, outsider, read-only role; refusals as messages; the edit conflict."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ledger import workflow
from ledger.models import ExtensionRequest, Item
from tests.factories import IssueFactory, make_item

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
S = Item.Status


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def item(world):
    return make_item(
        world.committee, IssueFactory(organization=world.branch), owner=world.owner, leader=world.leader
    )


def in_progress(world, item):
    workflow.post_progress(world.owner, item, text="已完成一半", percent=50)
    item.refresh_from_db()
    return item


def submitted(world, item):
    return workflow.submit(world.owner, in_progress(world, item), incomplete_confirmed=True)


def post(client, user, item, verb, data=None, **extra):
    client.force_login(user)
    return client.post(f"/ledger/items/{item.pk}/{verb}/", data or {}, **extra)


def last_history(item):
    return item.history.order_by("-history_id").first()


def test_the_owner_starts_the_item(client, world, item):
    response = post(client, world.owner, item, "start", {"version": item.version})
    assert response.status_code == 302
    assert response["Location"] == f"/ledger/items/{item.pk}/"
    item.refresh_from_db()
    assert item.status == S.IN_PROGRESS
    assert last_history(item).history_action == "start"


def test_the_owner_posts_progress_with_a_photo(client, world, item):
    photo = SimpleUploadedFile("现场照片.png", PNG, "image/png")
    response = post(
        client, world.owner, item, "progress", {"text": "更换灯具12盏", "percent": 60, "files": photo}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.progress == 60 and item.status == S.IN_PROGRESS
    assert item.evidence.get().original_name == "现场照片.png"
    assert last_history(item).history_action == "post_progress"


def test_bad_progress_is_shown_with_what_was_typed(client, world, item):
    response = post(client, world.owner, item, "progress", {"text": "更换灯具12盏", "percent": 140})
    assert response.status_code == 400
    html = response.content.decode()
    assert "更换灯具12盏" in html
    assert "is-invalid" in html
    assert item.history.count() == 1


def test_a_bad_file_is_refused_with_a_message_on_the_field(client, world, item):
    fake = SimpleUploadedFile("报告.pdf", b"MZ not a pdf", "application/pdf")
    response = post(client, world.owner, item, "progress", {"text": "上传报告", "percent": 10, "files": fake})
    assert response.status_code == 400
    assert response.context["action_forms"][1]["form"].errors["files"]


def test_the_owner_attaches_evidence(client, world, item):
    response = post(
        client, world.owner, item, "evidence", {"file": SimpleUploadedFile("a.png", PNG, "image/png")}
    )
    assert response.status_code == 302
    assert item.evidence.count() == 1


def test_submit_is_refused_before_any_progress_update_with_a_message(client, world, item):
    workflow.start(world.owner, item)
    client.force_login(world.owner)
    page = client.get(f"/ledger/items/{item.pk}/")
    assert "submit" not in [entry["action"] for entry in page.context["action_forms"]]  # not offered
    # A page loaded before (or a forged post) is refused by the workflow, with its message.
    response = post(
        client,
        world.owner,
        item,
        "submit",
        {"note": "已完成"},
        follow=True,
        headers={"accept-language": "en"},
    )
    assert response.status_code == 200
    assert "Post at least one progress update before submitting." in response.content.decode()
    item.refresh_from_db()
    assert item.status == S.IN_PROGRESS


def test_submit_needs_a_completion_note(client, world, item):
    workflow.post_progress(world.owner, item, text="全部完成", percent=100)
    response = post(client, world.owner, item, "submit", {"note": "  "})
    assert response.status_code == 400
    assert response.context["summary"]["form"].errors["note"]
    item.refresh_from_db()
    assert item.status == S.IN_PROGRESS


def test_submit_below_100_percent_needs_a_confirmation(client, world, item):
    item = in_progress(world, item)  # 50 %
    client.force_login(world.owner)
    page = client.get(f"/ledger/items/{item.pk}/", {"open": "submit"})
    form = next(entry["form"] for entry in page.context["action_forms"] if entry["action"] == "submit")
    assert "50%" in str(form["incomplete_confirmed"].label)
    response = post(client, world.owner, item, "submit", {"note": "已基本完成", "version": item.version})
    assert response.status_code == 400
    assert "请确认" in response.context["summary"]["form"].errors["incomplete_confirmed"][0]
    item.refresh_from_db()
    assert item.status == S.IN_PROGRESS
    data = {
        "note": "已基本完成",
        "version": item.version,
        "incomplete_confirmed": "on",
        "next": "/ledger/mine/",
    }
    response = post(client, world.owner, item, "submit", data)
    assert response["Location"] == "/ledger/mine/"
    item.refresh_from_db()
    assert item.status == S.SUBMITTED
    assert last_history(item).history_action == "submit"
    assert last_history(item).history_change_reason == "已基本完成"


def test_submit_at_100_percent_asks_no_confirmation(client, world, item):
    workflow.post_progress(world.owner, item, text="全部完成", percent=100)
    client.force_login(world.owner)
    page = client.get(f"/ledger/items/{item.pk}/", {"open": "submit"})
    form = next(entry["form"] for entry in page.context["action_forms"] if entry["action"] == "submit")
    assert "incomplete_confirmed" not in form.fields
    item.refresh_from_db()
    response = post(client, world.owner, item, "submit", {"note": "全部完成", "version": item.version})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == S.SUBMITTED


def test_the_leader_reviews_under_double_review(client, world, item):
    world.branch.double_review = True
    world.branch.save()
    item = submitted(world, item)
    response = post(client, world.leader, item, "review", {"note": "属实"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == S.REVIEWED and item.reviewed_by == world.leader


def test_a_group_item_under_a_double_review_branch_is_reviewed_before_closing(client, world):
    world.branch.double_review = True
    world.branch.save()
    item = make_item(
        world.committee,
        IssueFactory(organization=world.branch),
        organization=world.group,
        owner=world.owner,
        leader=world.leader,
    )
    item = submitted(world, item)
    client.force_login(world.committee)
    page = client.get(f"/ledger/items/{item.pk}/")
    assert "close" not in [entry["action"] for entry in page.context["action_forms"]]
    closing = {"note": "验收合格", "outcome": "completed"}
    response = post(client, world.committee, item, "close", closing, follow=True)
    assert "该事项须经责任领导复核后方可销号。" in response.content.decode()
    item.refresh_from_db()
    assert item.status == S.SUBMITTED

    client.force_login(world.leader)
    page = client.get(f"/ledger/items/{item.pk}/")
    assert [entry["action"] for entry in page.context["action_forms"]] == ["review", "return"]
    assert post(client, world.leader, item, "review", {"note": "属实"}).status_code == 302
    assert post(client, world.committee, item, "close", closing).status_code == 302
    item.refresh_from_db()
    assert (item.status, item.reviewed_by) == (S.CLOSED, world.leader)


def test_the_committee_returns_with_a_reason(client, world, item):
    item = submitted(world, item)
    assert post(client, world.committee, item, "return", {"reason": ""}).status_code == 400
    response = post(client, world.committee, item, "return", {"reason": "缺少照片"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == S.IN_PROGRESS
    assert last_history(item).history_change_reason == "缺少照片"


def test_the_committee_closes_with_note_and_outcome(client, world, item):
    item = submitted(world, item)
    response = post(
        client,
        world.committee,
        item,
        "close",
        {"note": "验收合格", "outcome": "completed", "version": item.version},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == S.CLOSED and item.verification_note == "验收合格"
    assert last_history(item).history_action == "close"


def test_the_committee_reopens_and_withdraws(client, world, item):
    item = workflow.close(world.committee, submitted(world, item), note="合格")
    assert post(client, world.committee, item, "reopen", {"reason": "问题反弹"}).status_code == 302
    item.refresh_from_db()
    assert item.status == S.IN_PROGRESS
    assert post(client, world.committee, item, "withdraw", {"reason": "重复"}).status_code == 302
    item.refresh_from_db()
    assert item.status == S.WITHDRAWN
    assert last_history(item).history_action == "withdraw"


def test_extension_requested_and_approved(client, world, item):
    later = item.deadline + datetime.timedelta(days=20)
    response = post(
        client, world.owner, item, "extension", {"proposed_deadline": later.isoformat(), "reason": "配件未到"}
    )
    assert response.status_code == 302
    extension = ExtensionRequest.objects.get(item=item)
    client.force_login(world.committee)
    page = client.get(f"/ledger/items/{item.pk}/").content.decode()
    assert f'action="/ledger/items/{item.pk}/extension/decide/"' in page
    response = post(
        client, world.committee, item, "extension/decide", {"extension": extension.pk, "approve": "1"}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.deadline == later


def test_extension_rejected_needs_a_note(client, world, item):
    extension = workflow.request_extension(
        world.owner, item, proposed_deadline=item.deadline + datetime.timedelta(days=5), reason="人手不足"
    )
    data = {"extension": extension.pk, "approve": "0"}
    response = post(
        client, world.committee, item, "extension/decide", data, headers={"accept-language": "en"}
    )
    assert response.status_code == 302
    page = client.get(response["Location"], headers={"accept-language": "en"}).content.decode()
    assert "Give the reason for rejecting the request." in page
    extension.refresh_from_db()
    assert extension.status == ExtensionRequest.Status.PENDING
    data["note"] = "人手可以调配"
    assert post(client, world.committee, item, "extension/decide", data).status_code == 302
    extension.refresh_from_db()
    assert extension.status == ExtensionRequest.Status.REJECTED


def edit_data(item, **changes):
    data = {
        "measures": item.measures,
        "leader": item.leader_id or "",
        "department": item.department,
        "owner": item.owner_id or "",
        "kind": item.kind,
        "deadline": item.deadline.isoformat() if item.deadline else "",
        "next_review_on": "",
        "closure_criteria": item.closure_criteria,
        "version": item.version,
        "reason": "",
    }
    data.update(changes)
    return data


def test_the_committee_edits(client, world, item):
    response = post(
        client, world.committee, item, "edit", edit_data(item, department="调度室", reason="调整")
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.department == "调度室"
    assert last_history(item).history_action == "edit"


def test_an_edit_conflict_keeps_what_was_typed_and_shows_what_changed(client, world, item):
    stale = edit_data(item, measures="我的新措施")
    workflow.edit_item(world.company_committee, item, expected_version=item.version, department="通风区")
    response = post(client, world.committee, item, "edit", stale)
    assert response.status_code == 409
    html = response.content.decode()
    assert 'id="edit-conflict"' in html
    assert "我的新措施" in html  # kept
    assert "通风区" in html and "机运工区" in html  # what changed: now and then
    item.refresh_from_db()
    assert item.measures != "我的新措施"
    form = next(entry["form"] for entry in response.context["action_forms"] if entry["action"] == "edit")
    assert form["version"].value() == item.version  # saving again applies over the current version
    response = post(
        client, world.committee, item, "edit", {**stale, "version": item.version, "department": "通风区"}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.measures == "我的新措施"


VERBS = [
    "edit",
    "start",
    "progress",
    "evidence",
    "submit",
    "extension",
    "extension/decide",
    "review",
    "return",
    "close",
    "reopen",
    "withdraw",
]


@pytest.mark.parametrize("verb", VERBS)
def test_a_get_on_an_action_address_shows_the_item_page(client, world, item, verb):
    # A reload, a language switch or a login's redirect lands on the action's address.
    client.force_login(world.committee)
    response = client.get(f"/ledger/items/{item.pk}/{verb}/")
    assert response.status_code == 302
    assert response["Location"] == f"/ledger/items/{item.pk}/"
    # Also for a role that may not take the action: the item page says what it may do.
    client.force_login(world.leadership)
    assert client.get(f"/ledger/items/{item.pk}/{verb}/", follow=True).status_code == 200


@pytest.mark.parametrize("verb", VERBS)
def test_a_get_on_an_action_address_hides_the_item_from_outsiders(client, world, item, verb):
    client.force_login(world.outsider)
    assert client.get(f"/ledger/items/{item.pk}/{verb}/").status_code == 404


def test_switching_language_after_an_error_shows_the_item_page_in_that_language(client, world, item):
    response = post(client, world.owner, item, "progress", {"text": "", "percent": 10})
    assert response.status_code == 400
    html = response.content.decode()
    # The switch sends the item page as `next`, not the action's address.
    assert f'name="next" value="/ledger/items/{item.pk}/"' in html
    response = client.post("/i18n/setlang/", {"language": "en", "next": f"/ledger/items/{item.pk}/progress/"})
    response = client.get(response["Location"], follow=True)
    assert response.redirect_chain == [(f"/ledger/items/{item.pk}/", 302)]
    assert '<html lang="en">' in response.content.decode()


@pytest.mark.parametrize("verb", VERBS)
def test_actions_refuse_other_methods(client, world, item, verb):
    client.force_login(world.committee)
    assert client.put(f"/ledger/items/{item.pk}/{verb}/").status_code == 405


@pytest.mark.parametrize("verb", VERBS)
def test_actions_hide_the_item_from_outsiders(client, world, item, verb):
    assert post(client, world.outsider, item, verb).status_code == 404


@pytest.mark.parametrize("verb", VERBS)
def test_actions_refuse_read_only_roles(client, world, item, verb):
    assert post(client, world.leadership, item, verb).status_code == 403
    item.refresh_from_db()
    assert item.history.count() == 1


def test_an_owner_cannot_close_even_with_a_committee_seat(client, world, item):
    # The owner sits on the committee too: may act as committee, but not verify their own item.
    from core.models import Membership

    Membership.objects.create(user=world.owner, organization=world.branch, role=Membership.Role.COMMITTEE)
    item = submitted(world, item)
    response = post(client, world.owner, item, "close", {"note": "自己验收", "outcome": "completed"})
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.status == S.SUBMITTED
