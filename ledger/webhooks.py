"""Group robots (群机器人): each platform's message format and signing, and one post.

WeCom (企业微信) takes its key in the address; DingTalk (钉钉) signs ``f"{timestamp_ms}\\n{secret}"``
with HMAC-SHA256 keyed by the secret and takes ``timestamp`` and ``sign`` as query parameters;
Feishu (飞书) signs an empty message with HMAC-SHA256 keyed by ``f"{timestamp_s}\\n{secret}"`` and
takes ``timestamp`` and ``sign`` in the JSON body. WeCom and DingTalk @-mention by mobile number;
Feishu mentions need its own user ids, so it mentions nobody. Plain `urllib`, always with a
timeout: a robot that hangs must not hold up the run.
"""

import base64
import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request

TIMEOUT = 10  # seconds


class WebhookError(Exception):
    """The robot refused or could not be reached; the message is for the committee's page."""


def dingtalk_sign(secret, timestamp_ms):
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def feishu_sign(secret, timestamp_s):
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def build(kind, url, secret, text, mobiles, now):
    """The address and JSON body of one message of `text`, mentioning `mobiles` where possible."""
    mobiles = list(dict.fromkeys(m for m in mobiles if m))
    if kind == "dingtalk":
        if secret:
            timestamp = int(now.timestamp() * 1000)
            query = urllib.parse.urlencode({"timestamp": timestamp, "sign": dingtalk_sign(secret, timestamp)})
            url = f"{url}{'&' if '?' in url else '?'}{query}"
        # DingTalk only highlights a mention written in the text too.
        mentions = " ".join(f"@{m}" for m in mobiles)
        content = f"{text}\n{mentions}" if mentions else text
        return url, {
            "msgtype": "text",
            "text": {"content": content},
            "at": {"atMobiles": mobiles, "isAtAll": False},
        }
    if kind == "feishu":
        body = {"msg_type": "text", "content": {"text": text}}
        if secret:
            timestamp = int(now.timestamp())
            body = {"timestamp": str(timestamp), "sign": feishu_sign(secret, timestamp), **body}
        return url, body
    return url, {"msgtype": "text", "text": {"content": text, "mentioned_mobile_list": mobiles}}


def post(url, body, *, timeout=TIMEOUT):
    """Send one message; raise `WebhookError` unless the platform says it took it."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read(64 * 1024)
    except urllib.error.HTTPError as error:
        raise WebhookError(f"HTTP {error.code}") from error
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise WebhookError(str(getattr(error, "reason", error))) from error
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        raise WebhookError("not a JSON answer") from None
    # WeCom and DingTalk answer errcode, Feishu code (older robots StatusCode); 0 is success.
    code = next((answer[name] for name in ("errcode", "code", "StatusCode") if name in answer), 0)
    if code not in (0, "0"):
        message = answer.get("errmsg") or answer.get("msg") or answer.get("StatusMessage") or ""
        raise WebhookError(f"{code} {message}".strip())
    return answer
