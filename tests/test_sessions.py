"""Sessions end after SESSION_IDLE_MINUTES without a request and SESSION_MAX_HOURS after
signing in (core.security.SessionLimitsMiddleware); signed-in pages are privately cached."""

import datetime

import time_machine
from django.conf import settings
from django.urls import reverse

from core.models import User

HOME = reverse("ledger:item_list")


def _sign_in(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": "password"})
    assert response.status_code == 302
    return response


def _password(user):
    user.set_password("password")
    user.save()


def test_the_defaults():
    assert settings.SESSION_IDLE_MINUTES == 30
    assert settings.SESSION_MAX_HOURS == 12
    assert settings.SESSION_COOKIE_AGE == 30 * 60


def test_an_idle_session_is_signed_out(client, world):
    _password(world.owner)
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC), tick=False) as clock:
        _sign_in(client, world.owner)
        clock.shift(datetime.timedelta(minutes=29))
        assert client.get(HOME).status_code == 200
        clock.shift(datetime.timedelta(minutes=29))  # active 29 minutes ago: still signed in
        assert client.get(HOME).status_code == 200
        clock.shift(datetime.timedelta(minutes=31))
        response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(settings.LOGIN_URL)


def test_the_idle_timeout_is_configurable(client, world, settings):
    settings.SESSION_IDLE_MINUTES = 5
    _password(world.owner)
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC), tick=False) as clock:
        _sign_in(client, world.owner)
        clock.shift(datetime.timedelta(minutes=6))
        assert client.get(HOME).status_code == 302


def test_a_session_ends_after_the_maximum_age_however_active(client, world):
    _password(world.owner)
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC), tick=False) as clock:
        _sign_in(client, world.owner)
        for _hour in range(11 * 4):
            clock.shift(datetime.timedelta(minutes=15))
            assert client.get(HOME).status_code == 200
        clock.shift(datetime.timedelta(hours=1, minutes=1))
        response = client.get(HOME)
    assert response.status_code == 302


def test_login_writes_no_history_row_on_the_user(client, world):
    _password(world.owner)
    before = User.history.filter(id=world.owner.pk).count()
    _sign_in(client, world.owner)
    world.owner.refresh_from_db()
    assert world.owner.last_login is not None
    assert User.history.filter(id=world.owner.pk).count() == before


def test_signed_in_pages_are_private(client, world):
    client.force_login(world.owner)
    response = client.get(HOME)
    assert "private" in response["Cache-Control"]
