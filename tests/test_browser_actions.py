"""Browser journeys of the item actions, in Chromium (see tests/test_browser.py for the set-up):
the session expires while an owner types a progress report, and what was typed comes back after
the login; a progress report sent without text heads the page with an error summary that a phone
shows and whose link leads to the field; a language switch on a page that came back with errors
lands on the item page. Desktop and a 375-px phone; screenshots in `artifacts/`."""

# ruff: noqa: F811 (the fixtures imported from tests.test_browser are parameters by name)
import pytest

from ledger import workflow
from ledger.models import Item
from tests.factories import IssueFactory, make_item
from tests.test_browser import (  # noqa: F401 (fixtures, used by name)
    CHINESE,
    PASSWORD,
    browser_type_launch_args,
    restore_migrated_data,
    shot,
    site,
)

pytestmark = pytest.mark.filterwarnings("ignore:No directory at:UserWarning")  # no collectstatic in tests

SCREENS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True},
}


def owned_item(world):
    return make_item(
        world.committee,
        IssueFactory(organization=world.branch, description="主井提升机制动闸瓦磨损超限"),
        owner=world.owner,
        leader=world.leader,
        measures="更换全部制动闸瓦，修订提升机点检制度",
    )


def fill_login(page, username):
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")


def log_in(page, site, username):
    page.goto(site + "/accounts/login/")
    fill_login(page, username)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def progress_form(page, site, screen, item):
    """The progress form of the item: on a phone, on the owner's page; on a desktop, on the
    item's page (opened)."""
    if screen == "phone":
        page.goto(f"{site}/ledger/mine/")
        card = page.locator(f"#item-{item.pk}")
        details = card.locator("details").filter(has=page.locator("form[action$='/progress/']"))
        if not details.evaluate("element => element.open"):
            details.locator("summary").click()
        return {"text": f"#text-{item.pk}", "percent": f"#percent-{item.pk}", "form": card}
    page.goto(f"{site}/ledger/items/{item.pk}/")
    page.click("#action-post_progress summary")
    # The panel loads its form when it opens: the owner sees it before typing.
    page.wait_for_selector("#post-progress-text")
    return {
        "text": "#post-progress-text",
        "percent": "#post-progress-percent",
        "form": page.locator("#action-post_progress"),
    }


@pytest.mark.parametrize("screen", ["desktop", "phone"])
@pytest.mark.django_db(transaction=True)
def test_typed_progress_survives_an_expired_session(browser, site, world, screen):
    item = owned_item(world)
    context = browser.new_context(**SCREENS[screen], **CHINESE)
    page = context.new_page()
    log_in(page, site, "owner")
    fields = progress_form(page, site, screen, item)

    # The session expires while the owner types.
    context.clear_cookies(name="sessionid")
    typed = "井下更换制动闸瓦8副，试闸正常，点检记录已补齐"
    page.fill(fields["text"], typed)
    page.fill(fields["percent"], "70")
    fields["form"].locator("form[action$='/progress/'] button[type=submit]").click()

    # The login page says what happens; after the login, the form is back with the text.
    page.wait_for_url(lambda url: "/accounts/login/?next=" in url)
    assert "您填写的内容会回到表单中" in page.locator(".alert-warning").inner_text()
    shot(page, f"30-session-expired-login-{screen}")
    fill_login(page, "owner")
    page.wait_for_url(f"{site}/ledger/items/{item.pk}/progress/")
    assert page.input_value(fields["text"]) == typed
    assert page.input_value(fields["percent"]) == "70"
    assert page.locator(fields["text"]).is_visible()
    assert "登录前填写的内容已回到表单中" in page.locator(".alert-info").inner_text()
    shot(page, f"31-session-expired-typed-back-{screen}")

    # Sent again, it is saved.
    fields["form"].locator("form[action$='/progress/'] button[type=submit]").click()
    page.wait_for_selector(".alert-success")
    assert "已保存整改进展" in page.locator(".alert-success").inner_text()
    update = item.updates.get()
    assert (update.text, update.percent) == (typed, 70)
    shot(page, f"32-session-expired-saved-{screen}")
    context.close()


def in_viewport(page, selector):
    return page.evaluate(
        """selector => {
            const box = document.querySelector(selector).getBoundingClientRect();
            return box.top >= 0 && box.bottom <= window.innerHeight;
        }""",
        selector,
    )


@pytest.mark.parametrize("screen", ["phone", "desktop"])
@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.django_db(transaction=True)
def test_a_progress_report_without_text_heads_the_page_with_a_summary(browser, site, world, screen, language):
    # Several items, so that the failing card is far down the owner's page.
    for _ in range(3):
        owned_item(world)
    item = owned_item(world)
    context = browser.new_context(**SCREENS[screen], **CHINESE)
    page = context.new_page()
    log_in(page, site, "owner")
    if language == "en":
        page.select_option("#language", "en")
        page.click("form[action='/i18n/setlang/'] button[type=submit]")
        page.wait_for_selector("html[lang=en]")
    fields = progress_form(page, site, screen, item)
    page.fill(fields["percent"], "30")
    fields["form"].locator("form[action$='/progress/'] button[type=submit]").click()

    # The summary takes the focus once its script has run (the element may be there a moment before).
    page.wait_for_function("document.activeElement && document.activeElement.id === 'error-summary'")
    assert in_viewport(page, "#error-summary")
    summary = page.locator("#error-summary").inner_text()
    expected = {"zh": "未保存。请更正：", "en": "Nothing was saved. Please correct:"}[language]
    assert expected in summary
    assert {"zh": "整改进展情况：该字段是必填项。", "en": "What was done: This field is required."}[
        language
    ] in summary
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    shot(page, f"33-error-summary-{screen}-{language}")

    # Its link leads to the field, focused and on screen.
    page.locator("#error-summary a").first.click()
    field_id = fields["text"][1:]
    assert page.evaluate("document.activeElement.id") == field_id
    assert in_viewport(page, fields["text"])
    page.fill(fields["text"], "已组织班组学习")
    shot(page, f"34-error-summary-field-{screen}-{language}")
    fields["form"].locator("form[action$='/progress/'] button[type=submit]").click()
    page.wait_for_selector(".alert-success")
    assert item.updates.get().text == "已组织班组学习"
    context.close()


@pytest.mark.django_db(transaction=True)
def test_a_language_switch_after_an_error_lands_on_the_item_page(browser, site, world):
    item = owned_item(world)
    context = browser.new_context(**SCREENS["desktop"], **CHINESE)
    page = context.new_page()
    log_in(page, site, "owner")
    page.goto(f"{site}/ledger/items/{item.pk}/")
    page.click("#action-post_progress summary")
    page.click("#action-post_progress button[type=submit]")
    page.wait_for_selector("#error-summary")
    assert page.url == f"{site}/ledger/items/{item.pk}/progress/"
    page.select_option("#language", "en")
    page.click("form[action='/i18n/setlang/'] button[type=submit]")
    page.wait_for_selector("html[lang=en]")
    assert page.url == f"{site}/ledger/items/{item.pk}/"
    assert page.locator("h1").inner_text() == item.reference
    # A reload of the action's address itself shows the item page too.
    page.goto(f"{site}/ledger/items/{item.pk}/progress/")
    assert page.url == f"{site}/ledger/items/{item.pk}/"
    context.close()


@pytest.mark.parametrize("screen", ["phone", "desktop"])
@pytest.mark.django_db(transaction=True)
def test_the_owner_starts_and_submits_with_a_note_and_a_confirmation(browser, site, world, screen):
    item = owned_item(world)
    context = browser.new_context(**SCREENS[screen], **CHINESE)
    page = context.new_page()
    log_in(page, site, "owner")
    page.goto(f"{site}/ledger/mine/")
    card = page.locator(f"#item-{item.pk}")
    assert card.locator("form[action$='/submit/']").count() == 0  # no progress yet: not offered
    card.locator("form[action$='/start/'] button").click()
    page.wait_for_selector(".alert-success")
    assert "已开始整改" in page.locator(".alert-success").inner_text()
    workflow.post_progress(world.owner, item, text="完成大部分", percent=80)

    page.goto(f"{site}/ledger/mine/")
    card = page.locator(f"#item-{item.pk}")
    card.locator("details", has=page.locator("form[action$='/submit/']")).locator("summary").click()
    card.locator(f"#submit-note-{item.pk}").fill("闸瓦已全部更换，点检制度已印发")
    shot(page, f"35-owner-submit-{screen}")
    card.locator("form[action$='/submit/'] button[type=submit]").click()
    page.wait_for_selector("#error-summary")
    assert "80%" in page.locator("#error-summary").inner_text()
    item.refresh_from_db()
    assert item.status == Item.Status.IN_PROGRESS
    card = page.locator(f"#item-{item.pk}")
    assert card.locator(f"#submit-note-{item.pk}").input_value() == "闸瓦已全部更换，点检制度已印发"
    card.locator(f"#submit-incomplete_confirmed-{item.pk}").check()
    card.locator("form[action$='/submit/'] button[type=submit]").click()
    page.wait_for_selector(".alert-success")
    assert "已提交验收" in page.locator(".alert-success").inner_text()
    item.refresh_from_db()
    assert item.status == Item.Status.SUBMITTED
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    shot(page, f"36-owner-submitted-{screen}")
    context.close()
