"""The ledger list at scale: its order comes from a sort key kept on the item (its organization's
place), pages are read key-first with the count the status badges already give, and the person
filters list only the chosen person and the people matching a typed name."""

import re

import pytest

from core.models import Organization
from ledger import workflow
from ledger.models import Item
from tests.factories import IssueFactory, OrganizationFactory, make_item
from tests.test_query_counts import add_items

OLD_ORDER = ("-year", "organization__sort_order", "organization__name", "sequence")


def references(response):
    return [item.reference for item in response.context["page"]]


def test_items_are_listed_in_the_organizations_order_then_by_year_and_number(client, world):
    second = OrganizationFactory(name="机运党支部第二党小组", short_name="机运二组", parent=world.branch)
    add_items(world, 3, organization=second, owner=None)
    add_items(world, 3)
    add_items(world, 2, organization=world.group, year=2025)
    add_items(world, 2, organization=world.group)
    client.force_login(world.committee)
    expected = list(
        Item.objects.visible_to(world.committee).order_by(*OLD_ORDER).values_list("reference", flat=True)
    )
    assert references(client.get("/ledger/")) == expected
    assert expected[-2:] == ["机运一组-2025-001", "机运一组-2025-002"]


def test_reordering_or_renaming_organizations_reorders_their_items_without_touching_them(client, world):
    add_items(world, 2)
    add_items(world, 2, organization=world.group)
    client.force_login(world.committee)
    # Equal sort orders: by name, 机运党支部 before 机运党支部第一党小组.
    assert references(client.get("/ledger/")) == [
        "机运-2026-001",
        "机运-2026-002",
        "机运一组-2026-001",
        "机运一组-2026-002",
    ]
    history = Item.history.count()
    versions = list(Item.objects.order_by("pk").values_list("version", flat=True))

    world.group.sort_order = 0
    world.branch.sort_order = 5
    world.branch.save()  # an organization moved down (the admin saves it so)
    assert references(client.get("/ledger/"))[:2] == ["机运一组-2026-001", "机运一组-2026-002"]

    world.branch.sort_order = 0
    world.branch.save()
    world.group.name = "一组（改名）"  # renamed: "一" sorts before "机"
    world.group.save()
    assert references(client.get("/ledger/"))[:2] == ["机运一组-2026-001", "机运一组-2026-002"]
    # A derived sort key: no history row, no new version, the items' own facts unchanged.
    assert Item.history.count() == history
    assert list(Item.objects.order_by("pk").values_list("version", flat=True)) == versions
    ranks = dict(workflow.with_organization_rank(Organization.objects.all()).values_list("pk", "rank"))
    assert all(item.org_rank == ranks[item.organization_id] for item in Item.objects.all())


def test_a_new_organization_and_a_new_item_get_their_place(world):
    item = make_item(world.committee, IssueFactory(organization=world.branch))
    ranks = dict(workflow.with_organization_rank(Organization.objects.all()).values_list("pk", "rank"))
    assert item.org_rank == ranks[world.branch.pk] and Item.objects.get().org_rank == item.org_rank
    OrganizationFactory(name="一号新支部", short_name="新", parent=world.company)  # sorts first
    assert Item.objects.get().org_rank == item.org_rank + 1
    world.sibling.delete()  # 通修党支部 sorted after 机运党支部: nothing moves
    assert Item.objects.get().org_rank == item.org_rank + 1


def test_a_deep_page_holds_the_right_items_and_bad_page_numbers_fall_back(client, world):
    add_items(world, 120)
    client.force_login(world.committee)
    expected = list(Item.objects.order_by(*OLD_ORDER).values_list("reference", flat=True))
    page = client.get("/ledger/", {"page": "3"})
    assert references(page) == expected[100:]
    assert page.context["page"].paginator.count == 120 and page.context["page"].paginator.num_pages == 3
    assert references(client.get("/ledger/", {"page": "9"})) == expected[100:]  # the last page
    assert references(client.get("/ledger/", {"page": "x"})) == expected[:50]
    # Sorted by deadline, equal deadlines keep the ledger's order.
    by_deadline = list(
        Item.objects.order_by("deadline", *Item.LEDGER_ORDER).values_list("reference", flat=True)
    )
    assert references(client.get("/ledger/", {"ordering": "deadline", "page": "2"})) == by_deadline[50:100]


def test_an_empty_list_has_one_empty_page(client, world):
    client.force_login(world.committee)
    response = client.get("/ledger/", {"q": "没有这样的词"})
    assert references(response) == [] and "没有符合条件的整改事项。" in response.content.decode()


def _options(html, select_id):
    select = html.split(f'id="{select_id}"', 1)[1].split("</select>", 1)[0]
    return re.findall(r"<option[^>]*>([^<]*)</option>", select)


def test_the_person_filters_list_the_chosen_person_and_the_matches_of_a_typed_name(client, world):
    add_items(world, 2)
    add_items(world, 2, owner=world.member)
    client.force_login(world.committee)
    html = client.get("/ledger/").content.decode()
    assert _options(html, "id_owner") == ["全部"] and _options(html, "id_leader") == ["全部"]
    assert 'name="owner_search"' in html and "/ledger/people/?role=owner" in html

    # Without JavaScript: the name typed and the filter applied, the select lists the matches.
    html = client.get("/ledger/", {"owner_search": "杨"}).content.decode()
    assert _options(html, "id_owner") == ["全部", "杨帆"]
    assert 'value="杨"' in html

    # The person chosen is kept (and filters the list), with the other matches of the name.
    response = client.get("/ledger/", {"owner": world.member.pk, "owner_search": "王"})
    assert _options(response.content.decode(), "id_owner") == ["全部", "杨帆", "王强"]
    assert response.context["page"].paginator.count == 2
    assert {item.owner for item in response.context["page"]} == {world.member}
    # A bad date elsewhere in the filter keeps the person chosen.
    html = client.get("/ledger/", {"owner": world.member.pk, "deadline_after": "2026-13-45"}).content.decode()
    assert (
        _options(html, "id_owner") == ["全部", "杨帆"]
        and "selected" in html.split('id="id_owner"')[1].split("</select>")[0]
    )
    # The leader filter has its own search box.
    html = client.get("/ledger/", {"leader_search": "赵"}).content.decode()
    assert _options(html, "id_leader") == ["全部", "赵志刚"] and _options(html, "id_owner") == ["全部"]


def test_a_person_outside_the_users_ledger_is_not_offered_nor_accepted(client, world):
    add_items(world, 1)
    add_items(world, 1, organization=world.sibling, actor=world.outsider, owner=None)
    client.force_login(world.outsider)
    html = client.get("/ledger/", {"owner_search": "王"}).content.decode()
    assert _options(html, "id_owner") == ["全部"]
    response = client.get("/ledger/", {"owner": world.owner.pk})
    assert "owner" in response.context["filterset"].form.errors


def test_the_people_endpoint_offers_owners_and_leaders_of_the_visible_items(client, world):
    add_items(world, 1)
    client.force_login(world.committee)
    response = client.get("/ledger/people/", {"role": "owner", "owner_search": "王"})
    assert response.status_code == 200
    assert _options('id="x"' + response.content.decode() + "</select>", "x") == ["全部", "王强"]
    response = client.get("/ledger/people/", {"role": "leader", "q": "赵"})
    assert "赵志刚" in response.content.decode() and "王强" not in response.content.decode()
    # Nobody owns an item the outsider can see.
    client.force_login(world.outsider)
    html = client.get("/ledger/people/", {"role": "owner", "q": "王"}).content.decode()
    assert "王强" not in html and "没有匹配的人员" in html
    assert client.get("/ledger/people/", {"role": "x"}).status_code == 404
    assert client.post("/ledger/people/", {"role": "owner"}).status_code == 405


@pytest.mark.parametrize("url", ["/ledger/", "/ledger/people/?role=owner"])
def test_logged_out_visitors_are_sent_to_log_in(client, url):
    assert client.get(url).status_code == 302
