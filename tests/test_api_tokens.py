"""The profile page's API tokens: made with a name, the secret shown once and stored hashed,
revoked by their person only; and a browser journey through it on a desktop and a phone."""

import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect
from rest_framework.test import APIClient

from core.models import ApiToken
from tests import test_browser as browser_tests
from tests.test_browser import CHINESE, log_in, shot

browser_type_launch_args = browser_tests.browser_type_launch_args
restore_migrated_data = browser_tests.restore_migrated_data
site = browser_tests.site

pytestmark = pytest.mark.filterwarnings("ignore:No directory at:UserWarning")

CREATE = "/accounts/profile/tokens/"


def revoke_url(token):
    return f"/accounts/profile/tokens/{token.pk}/revoke/"


def test_it_creates_a_token_and_shows_its_secret_once(client, world):
    client.force_login(world.owner)
    response = client.post(CREATE, {"name": "调度室大屏"})
    assert response.status_code == 200
    # No cache may keep it (the hardening adds "private" to every signed-in page).
    assert "no-store" in response["Cache-Control"].split(", ")
    secret = response.context["new_token"]["secret"]
    html = response.content.decode()
    assert secret in html and "调度室大屏" in html
    token = ApiToken.objects.get(user=world.owner)
    assert token.key_hash == ApiToken.hash(secret) and secret not in (token.hint, token.key_hash)
    # Shown once: the profile page lists the token by its beginning only.
    again = client.get("/accounts/profile/").content.decode()
    assert secret not in again and token.hint in again
    # The secret opens the API as its person.
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/v1/organizations/").status_code == 200


def test_a_token_needs_a_name(client, world):
    client.force_login(world.owner)
    response = client.post(CREATE, {"name": "  "})
    assert response.status_code == 400
    assert "该字段是必填项" in response.content.decode() or response.context["token_form"].errors
    assert not ApiToken.objects.exists()


def test_it_revokes_only_the_persons_own_tokens(client, world):
    mine, _secret = ApiToken.issue(world.owner, "OA")
    theirs, _other = ApiToken.issue(world.member, "OA")
    client.force_login(world.owner)
    assert client.post(revoke_url(theirs)).status_code == 404
    response = client.post(revoke_url(mine), follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/profile/"
    assert "已吊销" in response.content.decode()
    assert list(ApiToken.objects.all()) == [theirs]


def test_a_get_on_the_token_addresses_shows_the_profile(client, world):
    token, _secret = ApiToken.issue(world.owner, "OA")
    client.force_login(world.owner)
    assert client.get(CREATE).url == "/accounts/profile/"
    assert client.get(revoke_url(token)).url == "/accounts/profile/"
    assert ApiToken.objects.count() == 1


def test_the_token_pages_need_a_login(client, world):
    assert client.post(CREATE, {"name": "x"}).url.startswith("/accounts/login/")
    assert not ApiToken.objects.exists()


def api_status(site, secret):
    request = urllib.request.Request(site + "/api/v1/items/", headers={"Authorization": f"Bearer {secret}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


SCREENS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}, **CHINESE},
    "phone": {"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True, **CHINESE},
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_a_person_creates_a_token_sees_it_once_and_revokes_it(browser, site, world, screen):
    context = browser.new_context(**SCREENS[screen])
    page = context.new_page()
    log_in(page, site, "owner")
    page.goto(site + "/accounts/profile/")
    expect(page.locator("#no-tokens")).to_be_visible()
    page.fill("#id_name", "企业微信机器人")
    page.click("#create-token")
    expect(page.locator("#new-token")).to_contain_text("不会再次显示")
    secret = page.locator("#new-token-secret").inner_text().strip()
    assert secret.startswith("ldg_")
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    shot(page, f"api-token-{screen}")
    # The secret works against the running API, as this person.
    assert api_status(site, secret) == 200
    # Back on the profile: listed by its beginning, never the secret again.
    page.goto(site + "/accounts/profile/")
    expect(page.locator("#token-list")).to_contain_text("企业微信机器人")
    assert secret not in page.content()
    page.locator("#token-list button", has_text="吊销").click()
    expect(page.locator(".alert-success")).to_contain_text("已吊销")
    expect(page.locator("#no-tokens")).to_be_visible()
    assert api_status(site, secret) == 401
    context.close()


@pytest.mark.django_db(transaction=True)
def test_the_profile_links_to_the_api_docs_which_load_from_the_site_itself(browser, site, world):
    context = browser.new_context(**SCREENS["desktop"])
    page = context.new_page()
    outside = []
    page.on("request", lambda request: None if request.url.startswith(site) else outside.append(request.url))
    log_in(page, site, "owner")
    page.goto(site + "/accounts/profile/")
    page.click("text=API 文档")
    page.wait_for_url(site + "/api/v1/docs/")
    expect(page.locator(".swagger-ui .title")).to_contain_text("整改台账 API")
    expect(page.locator(".opblock-tag-section").first).to_be_visible()
    assert page.locator("text=/api/v1/items/{id}/history/").count() >= 1
    assert outside == []
    context.close()
