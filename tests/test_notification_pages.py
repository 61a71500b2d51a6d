"""The person's notifications (`/notifications/`), the bell, muting, the profile page and the
committee's group robots page."""

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from ledger import delivery
from ledger.models import MutedItem, Notification, Webhook
from ledger.notify import notify
from tests.factories import IssueFactory, make_item

K = Notification.Kind


@pytest.fixture
def item(world):
    return make_item(
        world.committee, IssueFactory(organization=world.branch), owner=world.owner, leader=world.leader
    )


def tell(person, item, key, kind=K.ASSIGNED, **kwargs):
    [note] = notify([person], kind, key=key, item=item, **kwargs)
    return note


def test_the_list_shows_only_the_readers_notifications_newest_first_unread_marked(client, world, item):
    base = timezone.now()
    first = tell(world.owner, item, "a", now=base - datetime.timedelta(hours=2))
    second = tell(world.owner, item, "b", kind=K.RETURNED, params={"reason": "<b>补充</b>"}, now=base)
    tell(world.member, item, "c")
    delivery.mark_read(world.owner, first)
    client.force_login(world.owner)
    response = client.get("/notifications/")
    html = response.content.decode()
    assert [entry["note"].pk for entry in response.context["entries"]] == [second.pk, first.pk]
    assert html.count('text-bg-primary me-1">未读</span>') == 1
    assert "&lt;b&gt;补充&lt;/b&gt;" in html and "<b>补充</b>" not in html
    assert f'action="/notifications/{second.pk}/open/"' in html
    assert 'id="bell-count">1<' in html


def test_the_list_is_paginated(client, world, item):
    for number in range(25):
        tell(world.owner, item, f"k{number}")
    client.force_login(world.owner)
    assert len(client.get("/notifications/").context["entries"]) == 20
    assert len(client.get("/notifications/?page=2").context["entries"]) == 5


def test_the_list_reads_in_constant_queries(client, world, item, django_assert_num_queries):
    client.force_login(world.owner)
    for number in range(5):
        tell(world.owner, item, f"k{number}")
    client.get("/notifications/")
    # session, user; the bell's count; the paginator's count; the page of notifications with
    # their items; memberships, organization tree (scope) and which of the items the reader may
    # still see; saved views, work queue count (menu)
    with django_assert_num_queries(10):
        client.get("/notifications/")
    for number in range(30):
        tell(world.owner, item, f"more{number}")
    with django_assert_num_queries(10):
        client.get("/notifications/")


def test_opening_one_marks_it_read_and_goes_to_the_item(client, world, item):
    note = tell(world.owner, item, "a")
    client.force_login(world.owner)
    response = client.post(f"/notifications/{note.pk}/open/")
    assert response.status_code == 302 and response.url == f"/ledger/items/{item.pk}/"
    note.refresh_from_db()
    assert note.read_at is not None
    assert 'id="bell-count"' not in client.get("/notifications/").content.decode()


def test_an_item_the_reader_no_longer_sees_is_not_linked(client, world, item):
    note = tell(world.outsider, item, "a")
    client.force_login(world.outsider)
    html = client.get("/notifications/").content.decode()
    assert f"/notifications/{note.pk}/open/" not in html and item.reference in html
    response = client.post(f"/notifications/{note.pk}/open/")
    assert response.url == "/notifications/"


def test_another_persons_notification_is_a_404(client, world, item):
    note = tell(world.owner, item, "a")
    client.force_login(world.member)
    assert client.post(f"/notifications/{note.pk}/open/").status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_a_get_on_open_changes_nothing_and_shows_the_list(client, world, item):
    note = tell(world.owner, item, "a")
    client.force_login(world.owner)
    response = client.get(f"/notifications/{note.pk}/open/")
    assert response.url == "/notifications/"
    note.refresh_from_db()
    assert note.read_at is None
    assert client.put(f"/notifications/{note.pk}/open/").status_code == 405


def test_mark_all_read_marks_only_the_readers(client, world, item):
    tell(world.owner, item, "a")
    tell(world.owner, item, "b")
    other = tell(world.member, item, "c")
    client.force_login(world.owner)
    assert client.get("/notifications/read/").url == "/notifications/"
    assert Notification.objects.filter(recipient=world.owner, read_at__isnull=True).count() == 2
    client.post("/notifications/read/")
    assert not Notification.objects.filter(recipient=world.owner, read_at__isnull=True).exists()
    other.refresh_from_db()
    assert other.read_at is None


def test_logged_out_people_are_sent_to_log_in(client):
    assert client.get("/notifications/").url.startswith("/accounts/login/")
    assert client.get("/accounts/profile/").url.startswith("/accounts/login/")


def test_the_bell_is_hidden_for_people_who_turned_the_in_app_channel_off(client, world, item):
    tell(world.owner, item, "a")
    world.owner.in_app = False
    world.owner.save()
    client.force_login(world.owner)
    assert 'id="bell-count"' not in client.get("/notifications/").content.decode()


# Muting ------------------------------------------------------------------------------------


def test_the_item_page_mutes_and_unmutes(client, world, item):
    client.force_login(world.owner)
    assert "屏蔽通知" in client.get(f"/ledger/items/{item.pk}/").content.decode()
    response = client.post(f"/notifications/mute/{item.pk}/", {"muted": "1"})
    assert response.url == f"/ledger/items/{item.pk}/"
    assert MutedItem.objects.filter(person=world.owner, item=item).exists()
    assert "取消屏蔽通知" in client.get(f"/ledger/items/{item.pk}/").content.decode()
    assert notify([world.owner], K.OVERDUE, key="x", item=item) == []
    client.post(f"/notifications/mute/{item.pk}/", {"muted": "0", "next": "profile"})
    assert not MutedItem.objects.exists()


def test_muting_an_item_one_cannot_see_is_a_404(client, world, item):
    client.force_login(world.outsider)
    assert client.post(f"/notifications/mute/{item.pk}/", {"muted": "1"}).status_code == 404
    assert not MutedItem.objects.exists()


# The profile ---------------------------------------------------------------------------------


def test_the_profile_saves_language_channels_mobile_and_email(client, world, item):
    MutedItem.objects.create(person=world.owner, item=item)
    client.force_login(world.owner)
    page = client.get("/accounts/profile/").content.decode()
    assert item.reference in page
    response = client.post(
        "/accounts/profile/",
        {
            "language": "en",
            "email_digest": "",
            "in_app": "on",
            "mobile": "13800138000",
            "email": "wq@example.com",
        },
    )
    assert response.url == "/accounts/profile/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    world.owner.refresh_from_db()
    assert (world.owner.language, world.owner.email_digest, world.owner.in_app) == ("en", False, True)
    assert (world.owner.mobile, world.owner.email) == ("13800138000", "wq@example.com")
    row = world.owner.history.latest("history_id")
    assert (row.history_user, row.history_action) == (world.owner, "profile")
    assert "Your profile" in client.get("/accounts/profile/").content.decode()


def test_a_bad_mobile_number_is_refused_and_what_was_typed_is_shown_again(client, world):
    client.force_login(world.owner)
    response = client.post(
        "/accounts/profile/", {"language": "zh-hans", "in_app": "on", "mobile": "1380013800x", "email": ""}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "请输入以 1 开头的 11 位手机号码。" in html and 'value="1380013800x"' in html
    world.owner.refresh_from_db()
    assert world.owner.mobile == ""


def test_logging_in_applies_the_profiles_language(client, world):
    world.owner.language = "en"
    world.owner.set_password("pw-123456")
    world.owner.save()
    response = client.post("/accounts/login/", {"username": "owner", "password": "pw-123456"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


# Group robots ------------------------------------------------------------------------------


def test_the_committee_adds_a_robot_and_its_secret_is_never_shown_back(client, world):
    client.force_login(world.committee)
    response = client.post(
        "/notifications/robots/",
        {
            "organization": world.branch.pk,
            "name": "机运群",
            "kind": "dingtalk",
            "url": "https://oapi.dingtalk.com/robot/send?access_token=abcdef123456",
            "secret": "SECsupersecret9876",
            "enabled": "on",
        },
    )
    assert response.status_code == 302
    robot = Webhook.objects.get()
    assert robot.secret == "SECsupersecret9876"
    html = client.get("/notifications/robots/").content.decode()
    assert "SECsupersecret9876" not in html and "abcdef123456" not in html and "3456" in html
    edit = client.get(f"/notifications/robots/{robot.pk}/").content.decode()
    assert "SECsupersecret9876" not in edit and "abcdef123456" not in edit
    client.post(
        f"/notifications/robots/{robot.pk}/",
        {"organization": world.branch.pk, "name": "机运支部群", "kind": "dingtalk", "url": "", "secret": ""},
    )
    robot.refresh_from_db()
    assert robot.name == "机运支部群" and robot.secret == "SECsupersecret9876"
    assert robot.url.endswith("abcdef123456") and not robot.enabled


def test_robots_of_other_organizations_are_out_of_reach(client, world):
    robot = Webhook.objects.create(
        organization=world.branch, name="机运群", kind="wecom", url="https://example.com/x?key=k"
    )
    client.force_login(world.outsider)
    assert client.get(f"/notifications/robots/{robot.pk}/").status_code == 404
    assert client.post("/notifications/robots/", {"organization": world.branch.pk}).status_code == 200
    assert Webhook.objects.count() == 1
    client.force_login(world.owner)
    assert client.get("/notifications/robots/").status_code == 403


def test_a_failing_robot_shows_its_state_to_the_committee(client, world):
    Webhook.objects.create(
        organization=world.branch,
        name="机运群",
        kind="wecom",
        url="https://example.com/x?key=k",
        attempts=2,
        last_error="HTTP 500",
        next_try_at=timezone.now(),
    )
    client.force_login(world.company_committee)
    html = client.get("/notifications/robots/").content.decode()
    assert "失败次数：2" in html and "HTTP 500" in html


def test_a_robot_posts_only_to_the_platforms_hosts(client, world):
    client.force_login(world.committee)
    response = client.post(
        "/notifications/robots/",
        {"organization": world.branch.pk, "name": "内网", "kind": "wecom", "url": "http://10.0.0.5/admin"},
    )
    assert response.status_code == 200 and not Webhook.objects.exists()
    assert "qyapi.weixin.qq.com" in response.content.decode()
    assert 'value="内网"' in response.content.decode()
