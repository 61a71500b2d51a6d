"""The layout, logging in and out, the language switch and the Chinese date format."""

import datetime

import pytest
from django.template import Context, Template
from django.utils import translation


def test_it_redirects_anonymous_users_to_login(client, db):
    response = client.get("/ledger/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/ledger/")


def test_it_shows_the_login_page_styled_with_local_bootstrap(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/bootstrap/css/bootstrap.min.css" in html
    assert "http://" not in html and "https://" not in html  # nothing from the internet
    assert '<label class="form-label" for="id_username">' in html


def test_it_serves_bootstrap_and_htmx_locally(client, db):
    assert client.get("/static/bootstrap/css/bootstrap.min.css").status_code == 200
    assert client.get("/static/django_htmx/htmx-2.min.js").status_code == 200


def test_it_logs_in_and_out(client, world):
    world.committee.set_password("pw-for-the-test")
    world.committee.save()
    response = client.post(
        "/accounts/login/", {"username": "branch_secretary", "password": "pw-for-the-test"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    page = client.get("/")
    assert "李明" in page.content.decode()
    assert client.get("/accounts/logout/").status_code == 405  # logging out is a POST
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_it_offers_the_navigation_and_switches_language(client, world):
    client.force_login(world.committee)
    html = client.get("/").content.decode()
    for url in ("/ledger/", "/ledger/mine/", "/ledger/meetings/"):
        assert f'href="{url}"' in html
    assert 'lang="zh-Hans"' in html
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/ledger/"})
    assert response.status_code == 302
    assert 'lang="en"' in client.get("/ledger/").content.decode()


@pytest.mark.parametrize(("language", "expected"), [("zh-hans", "2026年11月24日"), ("en", "Nov. 24, 2026")])
def test_it_shows_dates_in_the_language_format(language, expected):
    with translation.override(language):
        rendered = Template("{{ day|date }}").render(Context({"day": datetime.date(2026, 11, 24)}))
    assert rendered == expected
