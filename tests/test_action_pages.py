"""The pages around the item, meeting and issue actions: a GET on an action's address shows the
page it belongs to; a post that met an expired session comes back after the login with what
was typed; the error summary at the top; the owner's actions as the workflow offers them; the
messages said on success; the one table of action views."""

import datetime
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import resolve, reverse
from django.utils import timezone

from ledger import drafts, workflow
from ledger.models import ExtensionRequest, Item
from ledger.views import items as item_views
from ledger.workflow import Action
from tests.factories import IssueFactory, MeetingFactory, make_item

PASSWORD = "pass-for-tests"  # tests.factories.UserFactory
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


@pytest.fixture
def meeting(world):
    meeting = MeetingFactory(
        organization=world.branch, held_on=timezone.localdate() - datetime.timedelta(days=2)
    )
    IssueFactory(organization=world.branch, meeting=meeting, raised_on=meeting.held_on)
    return meeting


def log_in(client, user, next_url):
    """Log in through the login page, as a browser does after the redirect, and follow."""
    return client.post(
        reverse("login"), {"username": user.username, "password": PASSWORD, "next": next_url}, follow=True
    )


# A GET on the meeting's and the issue's form addresses ------------------------------------------


def test_a_get_on_the_meeting_forms_addresses_shows_the_meeting(client, world, meeting):
    client.force_login(world.committee)
    for verb in ("items", "attendance"):
        response = client.get(f"/ledger/meetings/{meeting.pk}/{verb}/")
        assert response["Location"] == f"/ledger/meetings/{meeting.pk}/"
    client.force_login(world.leadership)  # may read the meeting, not change it: still its page
    assert (
        client.get(f"/ledger/meetings/{meeting.pk}/items/")["Location"] == f"/ledger/meetings/{meeting.pk}/"
    )
    client.force_login(world.outsider)
    assert client.get(f"/ledger/meetings/{meeting.pk}/items/").status_code == 404


def test_a_get_on_the_issue_item_form_address_shows_the_issue(client, world):
    issue = IssueFactory(organization=world.branch)
    client.force_login(world.committee)
    assert client.get(f"/ledger/issues/{issue.pk}/items/")["Location"] == f"/ledger/issues/{issue.pk}/"
    client.force_login(world.outsider)
    assert client.get(f"/ledger/issues/{issue.pk}/items/").status_code == 404


def test_logged_out_a_get_goes_to_the_login_page(client, item):
    response = client.get(f"/ledger/items/{item.pk}/progress/")
    assert response["Location"] == f"/accounts/login/?next=/ledger/items/{item.pk}/progress/"


# The session expired while typing ---------------------------------------------------------------


def test_a_progress_post_after_the_session_expired_comes_back_after_the_login(client, world, item):
    url = f"/ledger/items/{item.pk}/progress/"
    typed = {"text": "井下更换灯具12盏，已验收", "percent": "60", "version": item.version}
    response = client.post(url, typed)
    assert response["Location"] == f"/accounts/login/?next={url}"
    page = client.get(response["Location"]).content.decode()
    assert "登录已过期。请重新登录：您填写的内容会回到表单中。" in page
    assert item.updates.count() == 0

    response = log_in(client, world.owner, url)
    assert response.redirect_chain[-1][0] == url
    assert response.status_code == 200
    html = response.content.decode()
    assert "登录前填写的内容已回到表单中：请核对后重新提交。" in html
    form = next(entry for entry in response.context["action_forms"] if entry["action"] == "post_progress")
    assert form["open"] and not form["form"].is_bound
    assert "井下更换灯具12盏，已验收</textarea>" in html
    assert form["form"]["percent"].value() == "60"
    assert 'name="percent" value="60"' in html
    assert "error-summary" not in html  # nothing is wrong yet: it was not sent

    # Sent again, it is saved; the draft is gone.
    response = client.post(url, typed)
    assert response["Location"] == f"/ledger/items/{item.pk}/"
    assert item.updates.get().text == "井下更换灯具12盏，已验收"
    assert client.get(url)["Location"] == f"/ledger/items/{item.pk}/"


def test_a_post_from_the_owners_page_comes_back_to_the_owners_page(client, world, item):
    url = f"/ledger/items/{item.pk}/progress/"
    typed = {"text": "已更换制动闸瓦", "percent": "40", "next": "/ledger/mine/", "version": item.version}
    photo = SimpleUploadedFile("现场照片.png", PNG, "image/png")
    client.post(url, {**typed, "files": photo})
    response = log_in(client, world.owner, url)
    assert response.templates[0].name == "ledger/mine.html"
    card = next(card for card in response.context["cards"] if card["item"].pk == item.pk)
    assert card["opened"] == "post_progress"
    html = response.content.decode()
    assert "已更换制动闸瓦</textarea>" in html
    assert "重新登录时无法保留已选的文件：请重新选择（现场照片.png）。" in html
    assert item.evidence.count() == 0


def test_the_meeting_item_form_comes_back_after_the_login(client, world, meeting):
    issue = meeting.issues.get()
    url = f"/ledger/meetings/{meeting.pk}/items/"
    client.post(url, {"issue": issue.pk, "measures": "逐级签订安全责任书", "department": "安全科"})
    response = log_in(client, world.committee, url)
    assert response.templates[0].name == "ledger/meeting_detail.html"
    assert str(response.context["bound_issue"]) == str(issue.pk)
    assert "逐级签订安全责任书</textarea>" in response.content.decode()
    assert Item.objects.count() == 0


def test_the_issue_item_form_comes_back_after_the_login(client, world):
    issue = IssueFactory(organization=world.branch)
    url = f"/ledger/issues/{issue.pk}/items/"
    client.post(url, {"issue": issue.pk, "measures": "修订制度", "department": "安全科"})
    response = log_in(client, world.committee, url)
    assert response.templates[0].name == "ledger/issue_detail.html"
    assert "修订制度</textarea>" in response.content.decode()


def test_a_draft_is_given_only_to_someone_who_may_take_the_action(client, world, item):
    url = f"/ledger/items/{item.pk}/progress/"
    client.post(url, {"text": "别人写的", "percent": "10"})
    response = log_in(client, world.leadership, url)  # reads the item, may not post progress
    assert response.redirect_chain[-1] == (f"/ledger/items/{item.pk}/", 302)
    assert "别人写的" not in response.content.decode()


def test_an_old_draft_is_not_given_back(client, world, item, monkeypatch):
    url = f"/ledger/items/{item.pk}/progress/"
    client.post(url, {"text": "很久以前写的", "percent": "10"})
    later = time.time() + drafts.MAX_AGE + 1
    monkeypatch.setattr(drafts.time, "time", lambda: later)
    response = log_in(client, world.owner, url)
    assert response.redirect_chain[-1] == (f"/ledger/items/{item.pk}/", 302)
    assert "很久以前写的" not in response.content.decode()


def test_a_draft_keeps_no_csrf_token(rf, world, item):
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore

    request = rf.post(f"/ledger/items/{item.pk}/start/", {"csrfmiddlewaretoken": "x", "note": "开始"})
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    drafts.keep(request)
    assert request.session[drafts.SESSION_KEY][request.path]["data"] == {"note": ["开始"]}


# The error summary at the top ------------------------------------------------------------------


def test_a_failed_progress_post_heads_the_item_page_with_a_summary_linked_to_the_fields(client, world, item):
    client.force_login(world.owner)
    response = client.post(f"/ledger/items/{item.pk}/progress/", {"text": "", "percent": "150"})
    assert response.status_code == 400
    html = response.content.decode()
    summary = html[html.index('id="error-summary"') : html.index("</div>", html.index('id="error-summary"'))]
    assert 'href="#post-progress-text"' in summary and 'href="#post-progress-percent"' in summary
    assert "整改进展情况：该字段是必填项。" in summary
    assert html.index('id="error-summary"') < html.index('id="action-post_progress"')
    assert 'id="post-progress-text"' in html
    assert "ledger/error-summary.js" in html


def test_the_owners_page_summary_links_to_the_card_fields(client, world, item):
    client.force_login(world.owner)
    data = {"next": "/ledger/mine/", "text": "", "percent": "50", "version": item.version}
    response = client.post(f"/ledger/items/{item.pk}/progress/", data)
    html = response.content.decode()
    assert f'href="#text-{item.pk}"' in html
    assert f'id="text-{item.pk}"' in html


def test_the_meeting_page_summary_links_to_the_item_form_fields(client, world, meeting):
    issue = meeting.issues.get()
    client.force_login(world.committee)
    response = client.post(f"/ledger/meetings/{meeting.pk}/items/", {"issue": issue.pk, "measures": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert f'href="#i-{issue.pk}-measures"' in html
    assert f'id="i-{issue.pk}-measures"' in html
    assert html.index('id="error-summary"') < html.index(f'id="issue-{issue.pk}"')


def test_the_meeting_page_summary_names_attendance_errors(client, world, meeting):
    client.force_login(world.committee)
    response = client.post(f"/ledger/meetings/{meeting.pk}/attendance/", {"person": world.member.pk})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="error-summary"' in html
    assert 'href="#id_absence_reason"' in html  # the workflow's error, on its field


# The owner's actions, as the workflow offers them ------------------------------------------------


def test_the_owners_page_offers_start_and_the_owner_starts(client, world, item):
    client.force_login(world.owner)
    html = client.get("/ledger/mine/").content.decode()
    assert f'action="/ledger/items/{item.pk}/start/"' in html
    assert f'action="/ledger/items/{item.pk}/submit/"' not in html  # no progress yet: not offered
    response = client.post(
        f"/ledger/items/{item.pk}/start/", {"next": "/ledger/mine/", "version": item.version}, follow=True
    )
    assert response.redirect_chain == [("/ledger/mine/", 302)]
    assert "已开始整改" in response.content.decode()
    item.refresh_from_db()
    assert item.status == S.IN_PROGRESS
    assert f'action="/ledger/items/{item.pk}/start/"' not in response.content.decode()


def test_the_owners_submit_asks_for_a_note_and_a_confirmation_below_100(client, world, item):
    workflow.post_progress(world.owner, item, text="完成一半", percent=60)
    item.refresh_from_db()
    client.force_login(world.owner)
    html = client.get("/ledger/mine/").content.decode()
    assert f'id="submit-note-{item.pk}"' in html
    assert f'id="submit-incomplete_confirmed-{item.pk}"' in html
    assert "已填报的进展为60%，但整改确已完成。" in html
    data = {"next": "/ledger/mine/", "version": item.version, "note": ""}
    response = client.post(f"/ledger/items/{item.pk}/submit/", data)
    assert response.status_code == 400
    card = next(card for card in response.context["cards"] if card["item"].pk == item.pk)
    assert card["opened"] == "submit" and set(card["forms"]["submit"].errors) == {"note"}
    response = client.post(f"/ledger/items/{item.pk}/submit/", {**data, "note": "已基本完成"})
    assert response.status_code == 400
    html = response.content.decode()
    assert f'href="#submit-incomplete_confirmed-{item.pk}"' in html
    assert "已基本完成</textarea>" in html
    response = client.post(
        f"/ledger/items/{item.pk}/submit/",
        {**data, "note": "已基本完成", "incomplete_confirmed": "on"},
        follow=True,
    )
    assert "已提交验收" in response.content.decode()
    item.refresh_from_db()
    assert item.status == S.SUBMITTED


def test_a_pending_extension_request_is_not_offered_again(client, world, item):
    workflow.request_extension(
        world.owner, item, proposed_deadline=item.deadline + datetime.timedelta(days=10), reason="配件未到"
    )
    assert Action.REQUEST_EXTENSION not in workflow.allowed_actions(world.owner, item)
    client.force_login(world.owner)
    html = client.get("/ledger/mine/").content.decode()
    assert f'action="/ledger/items/{item.pk}/extension/"' not in html
    assert "已申请延期，等待审批。" in html
    page = client.get(f"/ledger/items/{item.pk}/")
    assert "request_extension" not in [entry["action"] for entry in page.context["action_forms"]]
    # The refusal says why, where a stale page still posts it.
    with pytest.raises(workflow.InvalidTransition):
        workflow.request_extension(
            world.owner, item, proposed_deadline=item.deadline + datetime.timedelta(days=20), reason="再延"
        )
    assert item.extension_requests.filter(status=ExtensionRequest.Status.PENDING).count() == 1


def test_the_preconditions_read_annotations_when_a_page_has_them(world, item, django_assert_num_queries):
    annotated = workflow.with_preconditions(Item.objects.filter(pk=item.pk)).get()
    with django_assert_num_queries(0):
        assert not workflow.has_progress_updates(annotated)
        assert not workflow.has_pending_extension(annotated)
    workflow.post_progress(world.owner, item, text="进展", percent=10)
    annotated = workflow.with_preconditions(Item.objects.filter(pk=item.pk)).get()
    assert workflow.has_progress_updates(annotated)
    item.refresh_from_db()
    assert workflow.has_progress_updates(item)  # without the annotation: asks the database


def test_allowed_actions_offers_exactly_what_is_accepted(world, item):
    """For the owner, in each state reached: every offered action is accepted by the workflow's
    check, and every other one is refused by it (no precondition left outside `refusal`)."""

    def offers_what_it_accepts():
        offered = workflow.allowed_actions(world.owner, item)
        for action in workflow.ITEM_ACTIONS:
            assert (workflow.refusal(world.owner, item, action) is None) == (action in offered)

    offers_what_it_accepts()
    item = workflow.start(world.owner, item)
    offers_what_it_accepts()
    assert Action.SUBMIT not in workflow.allowed_actions(world.owner, item)
    workflow.post_progress(world.owner, item, text="进展", percent=100)
    item.refresh_from_db()
    assert Action.SUBMIT in workflow.allowed_actions(world.owner, item)


# Messages as people speak, and the one table --------------------------------------------------


@pytest.mark.parametrize(
    ("verb", "data", "said"),
    [
        ("start", {}, "已开始整改"),
        ("progress", {"text": "完成一半", "percent": "50"}, "已保存整改进展"),
        ("extension", {"reason": "配件未到"}, "已提交延期申请"),
    ],
)
def test_success_messages_say_what_happened(client, world, item, verb, data, said):
    if verb == "extension":
        data = {**data, "proposed_deadline": (item.deadline + datetime.timedelta(days=9)).isoformat()}
    client.force_login(world.owner)
    response = client.post(f"/ledger/items/{item.pk}/{verb}/", {**data, "version": item.version}, follow=True)
    messages = [str(message) for message in response.context["messages"]]
    assert messages == [said]


def test_committee_messages_say_what_happened(client, world, item):
    client.force_login(world.committee)
    edit = {
        "measures": "新措施",
        "department": item.department,
        "owner": world.owner.pk,
        "leader": world.leader.pk,
        "kind": item.kind,
        "deadline": item.deadline.isoformat(),
        "version": item.version,
    }
    response = client.post(f"/ledger/items/{item.pk}/edit/", edit, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["已保存修改"]
    response = client.post(f"/ledger/items/{item.pk}/withdraw/", {"reason": "重复"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["已撤销"]


def test_every_item_action_has_one_row_and_its_address(world):
    assert set(item_views.ACTIONS) == set(workflow.ITEM_ACTIONS)
    for action, row in item_views.ACTIONS.items():
        match = resolve(reverse(row.url_name, args=[1]))
        assert match.func.__name__ == row.url_name.split(":")[1]
        assert match.func is getattr(item_views, match.func.__name__), action


def test_empty_choices_say_please_choose(client, world, item, meeting):
    client.force_login(world.committee)
    html = client.get(f"/ledger/items/{item.pk}/", {"open": "edit"}).content.decode()
    assert ">请选择</option>" in html
    assert "---------" not in html
    html = client.get(f"/ledger/meetings/{meeting.pk}/").content.decode()
    assert "---------" not in html
    assert ">请选择</option>" in html


def test_verification_and_decision_messages_say_what_happened(client, world, item):
    extension = workflow.request_extension(
        world.owner, item, proposed_deadline=datetime.date(2031, 3, 1), reason="配件未到"
    )
    client.force_login(world.committee)
    decide = f"/ledger/items/{item.pk}/extension/decide/"
    response = client.post(decide, {"extension": extension.pk, "approve": "1"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["已批准延期，整改时限改为2031年3月1日"]
    workflow.post_progress(world.owner, item, text="全部完成", percent=100)
    item = workflow.submit(world.owner, item, note="全部完成")
    data = {"note": "阶段性完成", "outcome": "stage_completed", "next_review_on": "2031-06-01"}
    response = client.post(f"/ledger/items/{item.pk}/close/", {**data, "version": item.version}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["阶段性完成，已转为长期坚持"]
    item.refresh_from_db()
    workflow.post_progress(world.owner, item, text="继续坚持", percent=100)
    item = workflow.submit(world.owner, item, note="本期完成")
    data = {"note": "验收合格", "outcome": "completed", "version": item.version}
    response = client.post(f"/ledger/items/{item.pk}/close/", data, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["已销号"]
    response = client.post(f"/ledger/items/{item.pk}/reopen/", {"reason": "问题反弹"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["已重新打开"]


def test_the_attendance_form_comes_back_after_the_login(client, world, meeting):
    url = f"/ledger/meetings/{meeting.pk}/attendance/"
    client.post(url, {"person": world.member.pk, "absence_reason": "on_shift", "absence_note": "夜班"})
    response = log_in(client, world.committee, url)
    assert response.templates[0].name == "ledger/meeting_detail.html"
    form = response.context["attendance_form"]
    assert (form["person"].value(), form["absence_note"].value()) == (str(world.member.pk), "夜班")
    assert 'value="夜班"' in response.content.decode()
    assert meeting.attendances.count() == 0
