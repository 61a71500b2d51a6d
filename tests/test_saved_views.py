"""Saved views: name the current filter, find it in the menu, private per user."""

from ledger.models import SavedView


def test_a_user_saves_the_current_filter_and_finds_it_in_the_menu(client, world):
    client.force_login(world.committee)
    response = client.post(
        "/ledger/views/", {"name": " 逾期  安全 ", "query": "overdue=true&category=2&page=3"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/ledger/?overdue=true&category=2"
    view = SavedView.objects.get()
    assert (view.user, view.name, view.query) == (world.committee, "逾期 安全", "overdue=true&category=2")
    html = client.get("/ledger/").content.decode()
    assert 'href="/ledger/?overdue=true&amp;category=2">逾期 安全</a>' in html
    # Saving again under the same name replaces the filter.
    client.post("/ledger/views/", {"name": "逾期 安全", "query": "overdue=true"})
    assert SavedView.objects.get().query == "overdue=true"


def test_views_are_private(client, world):
    view = SavedView.objects.create(user=world.committee, name="我的视图", query="q=井")
    client.force_login(world.outsider)
    assert "我的视图" not in client.get("/ledger/").content.decode()
    assert client.post(f"/ledger/views/{view.pk}/delete/").status_code == 404
    client.force_login(world.committee)
    assert client.post(f"/ledger/views/{view.pk}/delete/").status_code == 302
    assert not SavedView.objects.exists()


def test_a_name_is_required(client, world):
    client.force_login(world.committee)
    response = client.post("/ledger/views/", {"name": "  ", "query": "q=a"})
    assert response.status_code == 302
    assert not SavedView.objects.exists()


def test_saving_and_deleting_are_post_only(client, world):
    client.force_login(world.committee)
    assert client.get("/ledger/views/").status_code == 405
    assert client.get("/ledger/views/1/delete/").status_code == 405


def test_anonymous_users_are_sent_to_login(client, db):
    assert client.post("/ledger/views/", {"name": "x"}).status_code == 302
