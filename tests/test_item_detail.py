"""The item page, its history tab and evidence download: who sees what, and query counts."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ledger import workflow
from tests.factories import IssueFactory, make_item

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def item(world):
    item = make_item(
        world.committee,
        IssueFactory(organization=world.branch, description="井下<b>照明</b>不足"),
        owner=world.owner,
        leader=world.leader,
    )
    workflow.post_progress(
        world.owner,
        item,
        text="已更换灯具",
        percent=40,
        files=[SimpleUploadedFile("现场.png", PNG, "image/png")],
    )
    item.refresh_from_db()
    return item


def test_it_shows_the_item_to_the_committee_with_its_actions(client, world, item):
    client.force_login(world.committee)
    response = client.get(f"/ledger/items/{item.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "井下&lt;b&gt;照明&lt;/b&gt;不足" in html  # user text is escaped
    assert "已更换灯具" in html and "现场.png" in html
    offered = [entry["action"] for entry in response.context["action_forms"]]
    # Extension decisions are offered beside each pending request, not as a form of their own.
    allowed = workflow.allowed_actions(world.committee, item)
    assert offered == [action for action in allowed if action != workflow.Action.DECIDE_EXTENSION]
    # Each panel's form is loaded when it is opened (or, without JavaScript, by its link).
    assert f'href="/ledger/items/{item.pk}/?open=edit#action-edit"' in html
    assert f'hx-get="/ledger/items/{item.pk}/?open=edit"' in html
    assert "?open=submit" not in html  # the owner submits
    assert f'action="/ledger/items/{item.pk}/edit/"' not in html  # not built with the page


def test_a_panels_form_is_sent_alone_to_htmx_and_in_the_page_without_it(client, world, item):
    client.force_login(world.committee)
    url = f"/ledger/items/{item.pk}/?open=edit"
    alone = client.get(url, HTTP_HX_REQUEST="true")
    assert alone.status_code == 200
    html = alone.content.decode()
    assert html.lstrip().startswith("<form") and f'action="/ledger/items/{item.pk}/edit/"' in html
    assert 'id="edit-measures"' in html and "csrfmiddlewaretoken" in html
    page = client.get(url)  # no JavaScript: the item page with that panel open
    entry = next(entry for entry in page.context["action_forms"] if entry["action"] == "edit")
    assert entry["open"] and entry["form"] is not None
    assert f'action="/ledger/items/{item.pk}/edit/"' in page.content.decode()
    others = [entry for entry in page.context["action_forms"] if entry["action"] != "edit"]
    assert others and all(entry["form"] is None and not entry["open"] for entry in others)


def test_a_form_the_user_may_not_use_is_not_opened(client, world, item):
    client.force_login(world.committee)  # the owner submits, not the committee
    for value in ("submit", "decide_extension", "nonsense"):
        response = client.get(f"/ledger/items/{item.pk}/?open={value}", HTTP_HX_REQUEST="true")
        assert response.templates[0].name == "ledger/item_detail.html"
        assert not any(entry["open"] for entry in response.context["action_forms"])


def test_it_offers_the_owner_only_the_owners_actions(client, world, item):
    client.force_login(world.owner)
    response = client.get(f"/ledger/items/{item.pk}/")
    html = response.content.decode()
    assert f'href="/ledger/items/{item.pk}/?open=submit#action-submit"' in html
    assert "?open=close" not in html
    assert "?open=edit" not in html


def test_it_shows_no_actions_to_leadership(client, world, item):
    client.force_login(world.leadership)
    response = client.get(f"/ledger/items/{item.pk}/")
    assert response.status_code == 200
    assert response.context["action_forms"] == []


def test_it_hides_the_item_from_outsiders(client, world, item):
    client.force_login(world.outsider)
    assert client.get(f"/ledger/items/{item.pk}/").status_code == 404
    assert client.get(f"/ledger/items/{item.pk}/history/").status_code == 404
    evidence = item.evidence.get()
    assert client.get(f"/ledger/evidence/{evidence.pk}/").status_code == 404


def test_it_refuses_post_on_pages(client, world, item):
    client.force_login(world.committee)
    assert client.post(f"/ledger/items/{item.pk}/").status_code == 405
    assert client.post(f"/ledger/items/{item.pk}/history/").status_code == 405


def test_it_serves_evidence_to_those_who_see_the_item(client, world, item):
    evidence = item.evidence.get()
    client.force_login(world.leadership)
    response = client.get(f"/ledger/evidence/{evidence.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG
    assert client.get("/media/" + evidence.file.name).status_code == 404  # MEDIA_ROOT is not served


def test_the_evidence_section_lists_only_files_not_shown_under_an_update(client, world, item):
    client.force_login(world.committee)

    def evidence_section():
        html = client.get(f"/ledger/items/{item.pk}/", headers={"accept-language": "en"}).content.decode()
        return html.split('id="evidence-heading"', 1)[1].split("</section>", 1)[0]

    # The photo posted with the progress update is shown under the update, not a second time.
    section = evidence_section()
    assert "现场.png" not in section
    assert "No other files than those under the progress updates." in section
    workflow.attach_evidence(world.owner, item, SimpleUploadedFile("验收单.png", PNG, "image/png"))
    section = evidence_section()
    assert "验收单.png" in section and "现场.png" not in section


def test_it_shows_the_history_timeline(client, world, item):
    workflow.submit(world.owner, item, incomplete_confirmed=True)
    client.force_login(world.committee)
    response = client.get(f"/ledger/items/{item.pk}/history/", headers={"accept-language": "en"})
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "Created",
        "Post progress",
        "Submit for verification",
        "已更换灯具",
        "王强",
        "李明",
        "现场.png",
    ):
        assert text in html, text
    assert "Open → In progress" in html.replace("</td><td>", " → ")


def test_it_reads_the_detail_in_constant_queries(client, world, item, django_assert_num_queries):
    client.force_login(world.committee)
    client.get(f"/ledger/items/{item.pk}/")

    def count():
        # session, user, memberships, organization tree; the item (with issue, people, org);
        # (no edit form: the action forms are loaded when opened) the latest progress updates with
        # authors; their evidence with uploaders; how many updates and files there are; the
        # item's evidence; extension requests; saved views, work queue count (menu); the
        # item's co-owners; its supervision: urgings, warning talks, accountability, re-checks;
        # whether the reader muted it (the mute button); its 不公开 marks (the public version,
        # for its committee); (no action form: each is loaded when opened) unread notifications (the bell)
        with django_assert_num_queries(20):
            client.get(f"/ledger/items/{item.pk}/")

    count()
    for percent in (50, 60, 70):
        workflow.post_progress(
            world.owner,
            item,
            text="继续",
            percent=percent,
            files=[SimpleUploadedFile("a.png", PNG, "image/png")],
        )
    workflow.request_extension(
        world.owner, item, proposed_deadline=item.deadline.replace(year=item.deadline.year + 1), reason="备件"
    )
    count()


def test_it_reads_the_history_in_constant_queries(client, world, item, django_assert_num_queries):
    client.force_login(world.committee)

    def count():
        # session, user, memberships, organization tree; the item; the ordering columns of the
        # history of the item, its updates, evidence, extensions, co-owners, urgings, warning
        # talks, accountability, re-checks; the whole rows shown (item, updates, evidence);
        # names of the issues, organizations and people mentioned; saved views, work queue count
        # (menu), unread notifications (the bell)
        with django_assert_num_queries(23):
            client.get(f"/ledger/items/{item.pk}/history/")

    count()
    for percent in (50, 60, 70):
        workflow.post_progress(world.owner, item, text="继续", percent=percent)
    count()
