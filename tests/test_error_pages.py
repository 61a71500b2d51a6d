"""Refusals and missing pages speak the user's language inside the usual layout."""

from tests.factories import IssueFactory, make_item


def test_a_refusal_is_explained_in_chinese(client, world):
    client.force_login(world.owner)
    response = client.get("/ledger/import/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "无权执行此操作" in page
    assert "/ledger/" in page


def test_an_item_outside_the_scope_is_not_found(client, world):
    item = make_item(world.outsider, IssueFactory(organization=world.sibling))
    client.force_login(world.committee)
    response = client.get(f"/ledger/items/{item.pk}/")
    assert response.status_code == 404
    assert "找不到" in response.content.decode()
    assert item.reference not in response.content.decode()
