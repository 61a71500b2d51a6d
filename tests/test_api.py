"""The REST API (/api/v1/): the web's scopes and roles, the workflow's refusals as JSON, ETags
and If-Match, tokens, throttling, files, history, labels in the request's language."""

import datetime

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from core.models import ApiToken
from ledger import workflow
from ledger.models import Evidence, ExtensionRequest, Item
from tests.factories import MeetingFactory, OrganizationFactory
from tests.test_one_writer import an_item, with_extension
from tests.test_query_counts import add_items

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
API = "/api/v1"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(autouse=True)
def fresh_throttles():
    # The throttles count in the cache: each test starts from nothing.
    cache.clear()
    yield
    cache.clear()


def api_as(user):
    """A client that authenticates with a token of `user`, as another system would."""
    _token, secret = ApiToken.issue(user, "测试")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def item_url(item, verb=""):
    return f"{API}/items/{item.pk}/" + (f"{verb}/" if verb else "")


# Authentication ---------------------------------------------------------------------------------


def test_it_refuses_requests_without_credentials(world):
    response = APIClient().get(f"{API}/items/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_it_refuses_an_unknown_or_revoked_token(world):
    token, secret = ApiToken.issue(world.owner, "OA")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer ldg_not-a-token")
    assert client.get(f"{API}/items/").status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get(f"{API}/items/").status_code == 200
    token.delete()
    assert client.get(f"{API}/items/").status_code == 401


def test_a_token_of_a_deactivated_person_is_refused(world):
    client = api_as(world.owner)
    world.owner.is_active = False
    world.owner.save()
    assert client.get(f"{API}/items/").status_code == 401


def test_tokens_are_stored_hashed(world):
    token, secret = ApiToken.issue(world.owner, "OA")
    assert secret.startswith("ldg_") and len(secret) > 40
    stored = ApiToken.objects.values_list("hint", "key_hash").get(pk=token.pk)
    assert secret not in "".join(stored)
    assert stored[0] == secret[:8]


def test_session_authentication_enforces_csrf(world):
    item = an_item(world)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.owner)
    assert client.get(item_url(item)).status_code == 200
    response = client.post(item_url(item, "start"), {}, format="json")
    assert response.status_code == 403
    assert Item.objects.get(pk=item.pk).status == Item.Status.OPEN


# Scope: what the web shows, nothing more --------------------------------------------------------


def test_a_sibling_branch_gets_404_and_does_not_see_the_item_listed(world):
    item = an_item(world)
    client = api_as(world.outsider)
    assert client.get(item_url(item)).status_code == 404
    assert client.get(item_url(item, "history")).status_code == 404
    assert client.post(item_url(item, "start"), {}, format="json").status_code == 404
    assert client.get(f"{API}/items/").json()["count"] == 0
    assert world.branch.pk not in [org["id"] for org in client.get(f"{API}/organizations/").json()["results"]]


def test_the_list_filters_with_the_web_ledgers_filterset(world):
    open_item = an_item(world)
    closed = an_item(world, "closed")
    client = api_as(world.committee)
    listed = client.get(f"{API}/items/").json()
    assert {row["id"] for row in listed["results"]} == {open_item.pk, closed.pk}
    only_closed = client.get(f"{API}/items/", {"status": "closed"}).json()
    assert [row["id"] for row in only_closed["results"]] == [closed.pk]
    blue = client.get(f"{API}/items/", {"light": "blue"}).json()
    assert [row["id"] for row in blue["results"]] == [closed.pk]
    # Withdrawn items are left out unless asked for, as on the web.
    workflow.withdraw(world.committee, open_item, reason="不再适用")
    assert [row["id"] for row in client.get(f"{API}/items/").json()["results"]] == [closed.pk]
    assert client.get(f"{API}/items/", {"withdrawn": "true"}).json()["count"] == 2


def test_a_bad_filter_value_is_a_400_naming_the_filter(world):
    response = api_as(world.committee).get(f"{API}/items/", {"status": "nonsense", "due_within": "x"})
    assert response.status_code == 400
    assert {"status", "due_within"} <= set(response.json()["errors"])


def test_the_list_is_paginated_and_ordered(world):
    add_items(world, 12)
    client = api_as(world.committee)
    first = client.get(f"{API}/items/", {"page_size": 5, "ordering": "-deadline"}).json()
    assert first["count"] == 12 and len(first["results"]) == 5 and first["next"]
    deadlines = [row["deadline"] for row in first["results"]]
    assert deadlines == sorted(deadlines, reverse=True)
    assert client.get(f"{API}/items/", {"page": 99}).status_code == 404


def test_an_item_shows_its_light_overdue_days_and_labels_in_the_requests_language(world, today):
    item = an_item(world, "in_progress", deadline=today + datetime.timedelta(days=30))
    Item.objects.filter(pk=item.pk).update(deadline=today - datetime.timedelta(days=4))
    client = api_as(world.committee)
    chinese = client.get(item_url(item)).json()
    assert chinese["status"] == "in_progress" and chinese["status_label"] == "整改中"
    assert chinese["overdue_days"] == 4
    assert chinese["light"]["colour"] == "red"
    english = client.get(item_url(item), HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["status_label"] == "In progress"
    assert english["kind_label"] == "By deadline"
    listed = client.get(f"{API}/items/").json()["results"][0]
    assert listed["light"] == chinese["light"] and listed["overdue_days"] == 4


# Roles and refusals -----------------------------------------------------------------------------


def test_an_owner_cannot_close_and_the_error_names_the_rule(world):
    item = an_item(world, "submitted")
    response = api_as(world.owner).post(item_url(item, "close"), {"note": "我自己验收"}, format="json")
    assert response.status_code == 403
    body = response.json()
    assert body["error"] == "not_allowed" and body["action"] == "close"
    assert body["detail"]
    assert Item.objects.get(pk=item.pk).status == Item.Status.SUBMITTED


def test_a_leader_only_reads(world):
    item = an_item(world)
    client = api_as(world.leadership)
    assert client.get(item_url(item)).status_code == 200
    assert client.post(item_url(item, "withdraw"), {"reason": "x"}, format="json").status_code == 403


def test_an_action_not_possible_in_this_state_is_a_409(world):
    item = an_item(world, "open")
    response = api_as(world.owner).post(item_url(item, "submit"), {}, format="json")
    assert response.status_code == 409
    assert response.json()["error"] == "invalid_transition"


def test_bad_input_is_a_400_keyed_by_field(world):
    item = an_item(world, "submitted")
    client = api_as(world.committee)
    response = client.post(item_url(item, "close"), {"note": "  "}, format="json")
    assert response.status_code == 400
    assert "note" in response.json()["errors"]
    assert client.post(item_url(item, "close"), {"outcome": "x"}, format="json").status_code == 400


def test_the_committee_closes_and_the_history_carries_user_action_and_reason(world):
    item = an_item(world, "submitted")
    client = api_as(world.committee)
    response = client.post(item_url(item, "close"), {"note": "验收合格，资料齐全"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "closed"
    assert response["ETag"] == f'"{Item.objects.get(pk=item.pk).version}"'
    history = client.get(item_url(item, "history")).json()
    newest = history["results"][0]
    assert newest["user"] == "李明"
    assert newest["reason"] == "验收合格，资料齐全"
    assert newest["action"]
    assert any(change["field"] == "status" for change in newest["changes"])
    # Created, progress posted (the update and the item's row: one entry), submitted, closed.
    assert history["count"] == 4
    assert [entry["user"] for entry in history["results"]] == ["李明", "王强", "王强", "李明"]


def test_start_return_reopen_withdraw_go_through_the_workflow(world):
    item = an_item(world)
    owner, committee = api_as(world.owner), api_as(world.committee)
    assert (
        owner.post(item_url(item, "start"), {"note": "开始"}, format="json").json()["status"] == "in_progress"
    )
    item = an_item(world, "submitted")
    assert committee.post(item_url(item, "return"), {"reason": "资料不全"}, format="json").status_code == 200
    record = Item.objects.get(pk=item.pk).history.first()
    assert (record.history_action, record.history_change_reason, record.history_user) == (
        "return",
        "资料不全",
        world.committee,
    )
    closed = an_item(world, "closed")
    assert committee.post(item_url(closed, "reopen"), {"reason": "反弹"}, format="json").status_code == 200
    assert committee.post(item_url(closed, "withdraw"), {"reason": "合并"}, format="json").json()[
        "status"
    ] == ("withdrawn")


# Optimistic locking ----------------------------------------------------------------------------


def test_an_item_carries_its_version_as_etag_and_the_actions_its_reader_may_take(world):
    item = an_item(world)
    response = api_as(world.committee).get(item_url(item))
    assert response["ETag"] == f'"{item.version}"'
    assert {"edit", "withdraw"} <= set(response.json()["allowed_actions"])
    assert "close" not in response.json()["allowed_actions"]
    owner = api_as(world.owner).get(item_url(item)).json()["allowed_actions"]
    assert "start" in owner and "edit" not in owner
    assert api_as(world.leadership).get(item_url(item)).json()["allowed_actions"] == []


def test_if_match_star_takes_the_item_as_it_is(world):
    item = an_item(world)
    response = api_as(world.committee).patch(
        item_url(item), {"department": "调度室"}, format="json", HTTP_IF_MATCH="*"
    )
    assert response.status_code == 200


def test_patch_without_if_match_is_a_428(world):
    item = an_item(world)
    response = api_as(world.committee).patch(item_url(item), {"department": "调度室"}, format="json")
    assert response.status_code == 428
    assert Item.objects.get(pk=item.pk).department == "机运工区"


def test_patch_with_a_stale_etag_is_a_412_and_changes_nothing(world):
    item = an_item(world)
    stale = f'"{item.version}"'
    client = api_as(world.committee)
    assert (
        client.patch(item_url(item), {"department": "调度室"}, format="json", HTTP_IF_MATCH=stale).status_code
        == 200
    )
    response = client.patch(item_url(item), {"department": "运输队"}, format="json", HTTP_IF_MATCH=stale)
    assert response.status_code == 412
    assert response.json()["error"] == "edit_conflict"
    assert response["ETag"] == f'"{item.version + 1}"'
    assert Item.objects.get(pk=item.pk).department == "调度室"


def test_patch_with_the_current_etag_edits_through_the_workflow(world):
    item = an_item(world)
    response = api_as(world.committee).patch(
        item_url(item),
        {"department": "调度室", "reason": "部门调整"},
        format="json",
        HTTP_IF_MATCH=f'"{item.version}"',
    )
    assert response.status_code == 200
    assert response["ETag"] == f'"{item.version + 1}"'
    record = Item.objects.get(pk=item.pk).history.first()
    assert (record.history_action, record.history_change_reason) == ("edit", "部门调整")


def test_put_states_every_field(world, today):
    item = an_item(world)
    data = {
        "measures": "新的措施",
        "owner": world.owner.pk,
        "leader": world.leader.pk,
        "kind": "by_deadline",
        "deadline": str(today + datetime.timedelta(days=40)),
        "reason": "重新部署",
    }
    client = api_as(world.committee)
    response = client.put(item_url(item), data, format="json", HTTP_IF_MATCH=f'W/"{item.version}"')
    assert response.status_code == 200, response.json()
    stored = Item.objects.get(pk=item.pk)
    assert (stored.measures, stored.department) == ("新的措施", "")
    assert (
        client.put(item_url(item), {"measures": "x"}, format="json", HTTP_IF_MATCH='"9"').status_code == 400
    )


def test_an_owner_may_not_edit(world):
    item = an_item(world)
    response = api_as(world.owner).patch(
        item_url(item), {"department": "调度室"}, format="json", HTTP_IF_MATCH=f'"{item.version}"'
    )
    assert response.status_code == 403


# Progress, evidence, extensions ----------------------------------------------------------------


def test_the_owner_posts_progress_with_a_photo_and_it_downloads(world):
    item = an_item(world)
    client = api_as(world.owner)
    photo = SimpleUploadedFile("现场.png", PNG, content_type="image/png")
    response = client.post(
        item_url(item, "progress"), {"text": "已整改一半", "percent": 50, "files": [photo]}
    )
    assert response.status_code == 201, response.json()
    update = response.json()
    assert update["percent"] == 50 and len(update["evidence"]) == 1
    download = update["evidence"][0]["download"]
    assert b"".join(client.get(download).streaming_content) == PNG
    assert api_as(world.outsider).get(download).status_code == 404
    listed = client.get(item_url(item, "progress")).json()
    assert listed["results"][0]["text"] == "已整改一半"
    assert Item.objects.get(pk=item.pk).progress == 50


def test_a_file_that_is_not_evidence_is_a_400(world):
    item = an_item(world)
    bad = SimpleUploadedFile("x.exe", b"MZ\x90\x00" + b"\x00" * 60, content_type="application/octet-stream")
    response = api_as(world.owner).post(item_url(item, "evidence"), {"file": bad})
    assert response.status_code == 400
    assert Evidence.objects.count() == 0


def test_an_extension_is_requested_by_the_owner_and_decided_by_the_committee(world):
    item = an_item(world, "in_progress")
    proposed = item.deadline + datetime.timedelta(days=20)
    response = api_as(world.owner).post(
        item_url(item, "extension-requests"),
        {"proposed_deadline": str(proposed), "reason": "配件未到"},
        format="json",
    )
    assert response.status_code == 201
    request_id = response.json()["id"]
    assert (
        api_as(world.owner)
        .post(f"{API}/extension-requests/{request_id}/approve/", {}, format="json")
        .status_code
        == 403
    )
    assert (
        api_as(world.outsider).post(f"{API}/extension-requests/{request_id}/approve/", {}).status_code == 404
    )
    client = api_as(world.committee)
    decided = client.post(f"{API}/extension-requests/{request_id}/approve/", {"note": "同意"}, format="json")
    assert decided.status_code == 200 and decided.json()["status"] == "approved"
    assert Item.objects.get(pk=item.pk).deadline == proposed
    again = client.post(f"{API}/extension-requests/{request_id}/reject/", {"note": "不同意"}, format="json")
    assert again.status_code == 409
    assert ExtensionRequest.objects.get(pk=request_id).status == "approved"


# Meetings and issues --------------------------------------------------------------------------


def test_meetings_come_with_their_attendance_and_stay_in_scope(world):
    meeting = MeetingFactory(organization=world.branch)
    workflow.save_roster(world.committee, meeting, [workflow.RosterRow(person=world.member)])
    client = api_as(world.committee)
    shown = client.get(f"{API}/meetings/{meeting.pk}/").json()
    assert {row["person"] for row in shown["attendance"]} >= {world.member.pk}
    assert api_as(world.outsider).get(f"{API}/meetings/{meeting.pk}/").status_code == 404


# Throttling -----------------------------------------------------------------------------------


def test_a_token_beyond_its_rate_gets_429_with_retry_after(world, settings):
    settings.LEDGER_API_TOKEN_RATE = "2/min"
    client = api_as(world.owner)
    assert [client.get(f"{API}/organizations/").status_code for _ in range(2)] == [200, 200]
    response = client.get(f"{API}/organizations/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    # Another token of the same person has its own count, under the person's own rate.
    assert api_as(world.owner).get(f"{API}/organizations/").status_code == 200


def test_a_person_beyond_the_rate_gets_429_whatever_the_token(world, settings):
    settings.LEDGER_API_USER_RATE = "3/min"
    clients = [api_as(world.owner) for _ in range(3)]
    assert [client.get(f"{API}/organizations/").status_code for client in clients] == [200, 200, 200]
    assert api_as(world.owner).get(f"{API}/organizations/").status_code == 429


# Query counts ---------------------------------------------------------------------------------

# The item list: the token and its person; the person's memberships; the organization tree;
# the count; the page of items (with their organization, issue, owner and leader); their
# co-owners; the light settings of the organizations.
LIST_QUERIES = 7


def test_the_item_list_reads_in_the_same_number_of_queries_at_10_and_200_items(
    world, django_assert_num_queries
):
    client = api_as(world.committee)
    add_items(world, 10)
    client.get(f"{API}/items/")  # warm the caches (content types)
    expected = LIST_QUERIES
    with django_assert_num_queries(expected):
        small = client.get(f"{API}/items/", {"page_size": 100})
    add_items(world, 190)
    with django_assert_num_queries(expected):
        large = client.get(f"{API}/items/", {"page_size": 100})
    assert small.json()["count"] == 10 and large.json()["count"] == 200
    assert len(large.json()["results"]) == 100


# Schema and docs ------------------------------------------------------------------------------


def test_the_schema_and_the_docs_are_served_from_installed_packages(world):
    client = api_as(world.owner)
    schema = client.get(f"{API}/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/items/{id}/history/" in schema.json()["paths"]
    client.force_login(world.owner)
    docs = client.get(f"{API}/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in docs
    assert "cdn" not in docs.lower()


def _meetings(world, n):
    for _ in range(n):
        meeting = MeetingFactory(organization=world.branch)
        workflow.save_roster(
            world.committee,
            meeting,
            [workflow.RosterRow(person=world.member), workflow.RosterRow(person=world.owner)],
        )


def _extension_requests(world, n):
    for _ in range(n):
        with_extension(world)


# The other lists: the token and its person, the memberships, the organization tree, the count,
# the page; meetings add their attendance and its people (two prefetches); nothing per row.
OTHER_LISTS = {
    "meetings": (_meetings, 7),
    "issues": (lambda world, n: add_items(world, n), 5),
    "extension-requests": (_extension_requests, 5),
    "organizations": (lambda world, n: [OrganizationFactory(parent=world.branch) for _ in range(n)], 5),
}


@pytest.mark.parametrize("name", OTHER_LISTS)
def test_the_other_lists_read_in_the_same_number_of_queries_at_3_and_12_rows(
    world, name, django_assert_num_queries
):
    add, expected = OTHER_LISTS[name]
    client = api_as(world.committee)
    add(world, 3)
    client.get(f"{API}/{name}/")
    with django_assert_num_queries(expected):
        small = client.get(f"{API}/{name}/")
    add(world, 9)
    with django_assert_num_queries(expected):
        large = client.get(f"{API}/{name}/")
    assert large.json()["count"] >= small.json()["count"] + 9


def test_an_action_with_a_stale_if_match_is_a_412(world):
    item = an_item(world, "submitted")
    client = api_as(world.committee)
    stale = f'"{item.version - 1}"'
    response = client.post(item_url(item, "close"), {"note": "验收合格"}, format="json", HTTP_IF_MATCH=stale)
    assert response.status_code == 412
    assert response.json()["error"] == "edit_conflict" and response.json()["version"] == item.version
    assert Item.objects.get(pk=item.pk).status == Item.Status.SUBMITTED
