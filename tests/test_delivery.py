"""`ledger.delivery.deliver_pending`: email digests (one per person and run, in the person's
language, absolute links, escaped) and group robots (each platform's format and signing, batches,
retries with back-off), against Django's outbox and a local HTTP server."""

import base64
import datetime
import hashlib
import hmac
import json
import smtplib
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command

from ledger import delivery, webhooks
from ledger.delivery import deliver_pending
from ledger.models import MutedItem, Notification, Webhook
from ledger.notify import notify
from tests.factories import IssueFactory, make_item

K = Notification.Kind
NOW = datetime.datetime(2026, 12, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def mail_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.LEDGER_BASE_URL = "https://ledger.example.cn"


@pytest.fixture
def item(world):
    world.owner.email = "owner@example.cn"
    world.owner.mobile = "13800138000"
    world.owner.save()
    world.leader.email = "leader@example.cn"
    world.leader.language = "en"
    world.leader.save()
    return make_item(
        world.committee, IssueFactory(organization=world.branch), owner=world.owner, leader=world.leader
    )


class Robot:
    """A local HTTP server standing in for a platform: records each request; `fail` answers the
    next requests with an error."""

    def __init__(self):
        self.requests = []
        self.fail = 0
        self.answer = b'{"errcode": 0, "errmsg": "ok"}'
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                robot.requests.append({"path": self.path, "body": json.loads(body)})
                if robot.fail:
                    robot.fail -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(robot.answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def robot():
    server = Robot()
    yield server
    server.close()


# Email ---------------------------------------------------------------------------------------


def test_each_person_gets_one_digest_in_their_language_with_absolute_links(world, item):
    notify([world.owner, world.leader], K.ASSIGNED, key="a", item=item)
    notify([world.owner], K.RETURNED, key="b", item=item, params={"reason": "<script>补充</script>"})
    counts = deliver_pending(NOW)
    assert counts["emails"] == 2 and counts["emailed"] == 3
    by_person = {message.to[0]: message for message in mail.outbox}
    chinese, english = by_person["owner@example.cn"], by_person["leader@example.cn"]
    link = f"https://ledger.example.cn/ledger/items/{item.pk}/"
    assert chinese.subject == "整改台账：新通知（2 条）"
    assert f"您已成为事项 {item.reference} 的责任人。" in chinese.body and link in chinese.body
    html = chinese.alternatives[0][0]
    assert f'href="{link}"' in html and "&lt;script&gt;" in html and "<script>" not in html
    assert english.subject == "Rectification ledger: new notifications (1)"
    assert f"You are now responsible for item {item.reference}." in english.body
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


def test_running_again_sends_nothing_new(world, item):
    notify([world.owner], K.ASSIGNED, key="a", item=item)
    deliver_pending(NOW)
    assert deliver_pending(NOW)["emails"] == 0
    assert len(mail.outbox) == 1


def test_a_failing_mail_server_loses_nothing(world, item, settings):
    notify([world.owner], K.ASSIGNED, key="a", item=item)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    counts = deliver_pending(NOW)
    assert counts["emails"] == 0 and counts["email_failures"] == 1
    assert Notification.objects.get().emailed_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert deliver_pending(NOW)["emails"] == 1
    assert Notification.objects.get().emailed_at == NOW


def test_people_without_the_digest_or_on_a_muted_item_get_no_email(world, item):
    world.leader.email_digest = False
    world.leader.save()
    notify([world.owner, world.leader], K.ASSIGNED, key="a", item=item)
    MutedItem.objects.create(person=world.owner, item=item)
    assert deliver_pending(NOW)["emails"] == 0
    assert mail.outbox == []


def test_the_command_delivers_and_says_what_it_sent(world, item, capsys):
    notify([world.owner], K.ASSIGNED, key="a", item=item)
    call_command("deliver_notifications")
    assert "Emails: 1 (1 notifications, 0 failed)" in capsys.readouterr().out
    assert len(mail.outbox) == 1


# Group robots ----------------------------------------------------------------------------------


def add_robot(world, robot, kind, secret="", organization=None):
    return Webhook.objects.create(
        organization=organization or world.branch,
        name=kind,
        kind=kind,
        url=f"{robot.url}/robot/send?access_token=tok" if kind == "dingtalk" else f"{robot.url}/hook/{kind}",
        secret=secret,
        sent_up_to=delivery.start_cursor(),
    )


def test_dingtalk_is_signed_and_mentions_the_owner_by_mobile(world, item, robot):
    add_robot(world, robot, "dingtalk", secret="SEC123")
    notify([world.owner, world.leader], K.ASSIGNED, key="a", item=item)
    counts = deliver_pending(NOW)
    assert counts["posts"] == 1 and counts["posted"] == 1  # one line for the event, not one a person
    [request] = robot.requests
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(request["path"]).query)
    timestamp = query["timestamp"][0]
    assert timestamp == str(int(NOW.timestamp() * 1000))
    expected = base64.b64encode(
        hmac.new(b"SEC123", f"{timestamp}\nSEC123".encode(), hashlib.sha256).digest()
    ).decode()
    assert query["sign"][0] == expected and query["access_token"] == ["tok"]
    body = request["body"]
    assert body["msgtype"] == "text" and body["at"]["atMobiles"] == ["13800138000"]
    assert item.reference in body["text"]["content"] and "@13800138000" in body["text"]["content"]
    assert f"https://ledger.example.cn/ledger/items/{item.pk}/" in body["text"]["content"]


def test_feishu_signs_an_empty_message_with_the_timestamp_and_secret(world, item, robot):
    add_robot(world, robot, "feishu", secret="fs-secret")
    notify([world.owner], K.ASSIGNED, key="a", item=item)
    deliver_pending(NOW)
    body = robot.requests[0]["body"]
    key = f"{body['timestamp']}\nfs-secret".encode()
    assert body["timestamp"] == str(int(NOW.timestamp()))
    assert body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert body["msg_type"] == "text" and item.reference in body["content"]["text"]


def test_wecom_takes_its_key_in_the_url_and_mentions_by_mobile(world, item, robot):
    add_robot(world, robot, "wecom")
    notify([world.owner], K.ASSIGNED, key="a", item=item)
    deliver_pending(NOW)
    [request] = robot.requests
    assert request["path"] == "/hook/wecom"
    assert request["body"]["msgtype"] == "text"
    assert request["body"]["text"]["mentioned_mobile_list"] == ["13800138000"]


def test_many_notifications_go_in_few_messages(world, item, robot):
    add_robot(world, robot, "wecom")
    for number in range(25):
        notify(
            [world.owner],
            K.DUE_SOON,
            key=f"k{number}",
            item=item,
            params={"days": 7, "deadline": "2026-12-09"},
        )
    counts = deliver_pending(NOW)
    assert counts["posts"] == 3 and counts["posted"] == 25
    assert [r["body"]["text"]["content"].count("· ") for r in robot.requests] == [10, 10, 5]
    assert deliver_pending(NOW)["posts"] == 0


def test_a_failing_robot_is_retried_later_with_back_off_and_loses_nothing(world, item, robot):
    hook = add_robot(world, robot, "wecom")
    notify([world.owner], K.ASSIGNED, key="a", item=item)
    robot.fail = 2
    counts = deliver_pending(NOW)
    assert counts["post_failures"] == 1 and counts["emails"] == 1  # the email went all the same
    hook.refresh_from_db()
    assert hook.attempts == 1 and hook.last_error == "HTTP 500"
    assert hook.next_try_at == NOW + datetime.timedelta(minutes=5)
    assert deliver_pending(NOW + datetime.timedelta(minutes=1))["posts"] == 0  # not yet
    assert len(robot.requests) == 1
    deliver_pending(NOW + datetime.timedelta(minutes=6))
    hook.refresh_from_db()
    assert hook.attempts == 2 and hook.next_try_at == NOW + datetime.timedelta(minutes=16)
    counts = deliver_pending(NOW + datetime.timedelta(minutes=20))
    assert counts["posts"] == 1
    hook.refresh_from_db()
    assert (hook.attempts, hook.next_try_at, hook.last_error) == (0, None, "")
    assert [item.reference in r["body"]["text"]["content"] for r in robot.requests] == [True, True, True]


def test_an_unreachable_robot_does_not_keep_the_others_from_their_turn(world, item, robot):
    dead = Webhook.objects.create(
        organization=world.branch, name="dead", kind="wecom", url="http://127.0.0.1:9/x"
    )
    add_robot(world, robot, "wecom")
    notify([world.owner], K.ASSIGNED, key="a", item=item)
    counts = deliver_pending(NOW)
    assert counts["posts"] == 1 and counts["post_failures"] == 1
    dead.refresh_from_db()
    assert dead.attempts == 1 and dead.last_error


def test_a_robot_hears_its_organization_and_the_units_below_only(world, item, robot):
    add_robot(world, robot, "wecom", organization=world.sibling)
    company = add_robot(world, robot, "feishu", organization=world.company)
    notify([world.owner], K.ASSIGNED, key="a", item=item)
    deliver_pending(NOW)
    assert [r["path"] for r in robot.requests] == ["/hook/feishu"]
    company.refresh_from_db()
    assert company.sent_up_to == Notification.objects.get().pk


def test_a_platform_that_refuses_the_message_is_a_failure(world, item, robot):
    hook = add_robot(world, robot, "dingtalk", secret="wrong")
    robot.answer = b'{"errcode": 310000, "errmsg": "sign not match"}'
    notify([world.owner], K.ASSIGNED, key="a", item=item)
    assert deliver_pending(NOW)["post_failures"] == 1
    hook.refresh_from_db()
    assert hook.last_error == "310000 sign not match" and hook.sent_up_to < Notification.objects.get().pk
    with pytest.raises(webhooks.WebhookError):
        webhooks.post("http://127.0.0.1:9/nothing", {}, timeout=2)


class FlakyBackend(BaseEmailBackend):
    """Refuses the addresses in `refused`; with `down`, fails as a mail server that is not there."""

    refused = set()
    down = False
    attempts = []

    def send_messages(self, messages):
        for message in messages:
            FlakyBackend.attempts.append(message.to[0])
            if FlakyBackend.down:
                raise ConnectionRefusedError("connection refused")
            if message.to[0] in FlakyBackend.refused:
                raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"no such user")})
            mail.outbox.append(message)
        return len(messages)


@pytest.fixture
def flaky(settings):
    settings.EMAIL_BACKEND = "tests.test_delivery.FlakyBackend"
    FlakyBackend.refused, FlakyBackend.down, FlakyBackend.attempts = set(), False, []
    return FlakyBackend


def test_a_refused_address_does_not_keep_the_others_from_their_digest(world, item, flaky):
    flaky.refused = {"owner@example.cn"}
    notify([world.owner, world.leader], K.ASSIGNED, key="a", item=item)
    counts = deliver_pending(NOW)
    assert (counts["emails"], counts["email_failures"]) == (1, 1)
    assert [message.to for message in mail.outbox] == [["leader@example.cn"]]
    assert Notification.objects.get(recipient=world.owner).emailed_at is None


def test_a_mail_server_that_is_down_is_tried_once_a_run(world, item, flaky):
    flaky.down = True
    notify([world.owner, world.leader], K.ASSIGNED, key="a", item=item)
    counts = deliver_pending(NOW)
    assert (counts["emails"], counts["email_failures"]) == (0, 1) and len(flaky.attempts) == 1
    flaky.down = False
    assert deliver_pending(NOW)["emails"] == 2
