"""Request hardening that every page shares: refused NUL bytes, private caching of signed-in
pages, the session's idle timeout and maximum age, and a login that writes no history row.

The middleware classes are listed in ``settings.MIDDLEWARE``; :func:`connect` (called by the
app's ``ready()``) replaces Django's last-login receiver.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.models import update_last_login
from django.contrib.auth.signals import user_logged_in
from django.http import HttpResponseBadRequest, JsonResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

# The session keys: when the user signed in, and when the session was last renewed.
SIGNED_IN_AT = "_signed_in_at"
SEEN_AT = "_seen_at"
# A session is renewed (saved with a new expiry) at most this often: saving it on every request
# would cost every page a write.
RENEW_EVERY = 60


def _has_nul(values):
    return any("\x00" in key or any("\x00" in value for value in values.getlist(key)) for key in values)


class RefuseNulBytesMiddleware:
    """A NUL byte in a query string or a form field answers 400: no text of the ledger holds one,
    and PostgreSQL refuses to store or even compare it (a server error otherwise)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request.GET) or (request.method == "POST" and _has_nul(request.POST)):
            message = _(
                "The request contains a NUL character, which no field accepts. Remove it and try again."
            )
            if request.path.startswith("/api/"):
                # The API's answer to bad input, as `ledger.api.errors` gives it (and the schema says).
                return JsonResponse(
                    {"error": "invalid", "errors": {"non_field_errors": [message]}}, status=400
                )
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class SessionLimitsMiddleware:
    """Signs out a session idle for ``SESSION_IDLE_MINUTES`` or older than ``SESSION_MAX_HOURS``
    (phones are shared between shifts). The session's own expiry (``SESSION_COOKIE_AGE``, the
    idle timeout) is renewed at most every :data:`RENEW_EVERY` seconds."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            session = request.session
            signed_in = session.setdefault(SIGNED_IN_AT, now)
            seen = session.get(SEEN_AT, now)
            idle = now - seen > settings.SESSION_IDLE_MINUTES * 60
            if idle or now - signed_in > settings.SESSION_MAX_HOURS * 3600:
                logout(request)
                messages.info(request, _("You were signed out for your security. Please sign in again."))
            elif SEEN_AT not in session or now - seen > RENEW_EVERY:
                session[SEEN_AT] = now
        return self.get_response(request)


class PrivateCacheMiddleware:
    """Pages and files served to a signed-in user are theirs: ``Cache-Control: private`` keeps
    shared caches (a proxy, a CDN) from keeping and serving them to someone else. Any request
    that carries a session cookie counts (asking the session would cost a query)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            patch_cache_control(response, private=True)
        return response


def update_last_login_quietly(sender, user, **kwargs):
    """Django's last-login receiver, without the history row: ``last_login`` is left out of the
    user's history, so the row would record nothing but noise."""
    user.last_login = timezone.now()
    user.skip_history_when_saving = True
    try:
        user.save(update_fields=["last_login"])
    finally:
        del user.skip_history_when_saving


def record_sign_in(sender, request, user, **kwargs):
    now = time.time()
    request.session[SIGNED_IN_AT] = now
    request.session[SEEN_AT] = now


def connect():
    user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
    user_logged_in.connect(update_last_login_quietly, dispatch_uid="update_last_login_quietly")
    user_logged_in.connect(record_sign_in, dispatch_uid="record_sign_in")
