"""Bulk changes from the ledger list: `workflow.bulk_edit_items` (each item edited through
`edit_item`, its own history row, refusals named) and the view `/ledger/bulk/` (POST; a GET
shows the list; committee members only; bad input shows the selection again)."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.utils import timezone

from ledger import workflow
from ledger.models import Item
from tests.factories import IssueFactory, MembershipFactory, UserFactory, make_item

URL = "/ledger/bulk/"
TODAY = timezone.localdate


@pytest.fixture
def items(world):
    made = [
        make_item(world.committee, IssueFactory(organization=world.branch), owner=world.member)
        for _ in range(3)
    ]
    return made


@pytest.fixture
def closed(world):
    item = make_item(world.committee, IssueFactory(organization=world.branch), owner=world.member)
    workflow.post_progress(world.member, item, text="完成", percent=100)
    workflow.submit(world.member, item)
    return workflow.close(world.committee, item, note="验收通过")


def last_history(item):
    return item.history.order_by("-history_id").first()


# ---------------------------------------------------------------------------------------------
# The workflow


def test_each_item_is_edited_with_its_own_history_row_and_the_reason(world, items):
    versions = {item.pk: item.version for item in items}
    result = workflow.bulk_edit_items(
        world.committee, items, reason="人员调整，统一改由王强负责", owner=world.owner, department="综采工区"
    )
    assert sorted(item.pk for item in result.changed) == sorted(versions)
    assert result.refused == [] and result.unchanged == []
    for item in items:
        item.refresh_from_db()
        assert item.owner == world.owner and item.department == "综采工区"
        assert item.version == versions[item.pk] + 1
        record = last_history(item)
        assert record.history_action == "edit"
        assert record.history_user == world.committee
        assert record.history_change_reason == "人员调整，统一改由王强负责"
        assert item.history.count() == 2  # created, then this change


def test_items_the_actor_may_not_edit_are_refused_named_and_left_unchanged(world, items, closed):
    sibling = make_item(world.outsider, IssueFactory(organization=world.sibling), owner=world.outsider)
    result = workflow.bulk_edit_items(
        world.committee, [*items, closed, sibling], reason="统一调整", leader=world.leader
    )
    assert sorted(item.pk for item in result.changed) == sorted(item.pk for item in items)
    refused = {item.pk: message for item, message in result.refused}
    assert set(refused) == {closed.pk, sibling.pk}
    assert refused[closed.pk] == "事项处于“已销号”状态，不能“修改”。"
    assert refused[sibling.pk] == "您无权对该事项执行“修改”。"
    for item in (closed, sibling):
        before = item.history.count()
        item.refresh_from_db()
        assert item.leader is None and item.history.count() == before


def test_items_that_already_have_the_values_get_no_history_row(world, items):
    workflow.bulk_edit_items(world.committee, items[:1], reason="先改一项", owner=world.owner)
    result = workflow.bulk_edit_items(world.committee, items, reason="再改全部", owner=world.owner)
    assert [item.pk for item in result.unchanged] == [items[0].pk]
    assert len(result.changed) == 2
    assert items[0].history.count() == 2


def test_the_item_is_read_as_it_is_now_so_a_colleagues_change_is_kept(world, items):
    stale = items[0]
    workflow.edit_item(
        world.company_committee, stale, expected_version=stale.version, measures="同事刚改的措施"
    )
    result = workflow.bulk_edit_items(world.committee, [stale], reason="统一调整", department="调度室")
    [saved] = result.changed
    saved.refresh_from_db()
    assert saved.measures == "同事刚改的措施" and saved.department == "调度室"


def test_a_new_deadline_is_refused_for_a_long_term_item(world, items):
    long_term = workflow.edit_item(
        world.committee,
        items[0],
        expected_version=items[0].version,
        kind=Item.Kind.LONG_TERM,
        next_review_on=TODAY() + datetime.timedelta(days=90),
    )
    deadline = TODAY() + datetime.timedelta(days=60)
    result = workflow.bulk_edit_items(
        world.committee, [long_term, items[1]], reason="延后", deadline=deadline
    )
    assert [item.pk for item, _message in result.refused] == [long_term.pk]
    assert [item.pk for item in result.changed] == [items[1].pk]


def test_no_change_or_no_reason_is_refused_before_anything(world, items):
    with pytest.raises(ValidationError):
        workflow.bulk_edit_items(world.committee, items, reason="统一调整")
    with pytest.raises(ValidationError):
        workflow.bulk_edit_items(world.committee, items, reason="  ", owner=world.owner)
    with pytest.raises(TypeError):
        workflow.bulk_edit_items(world.committee, items, reason="统一调整", measures="不能批量改措施")
    assert all(item.history.count() == 1 for item in items)


# ---------------------------------------------------------------------------------------------
# The view


def post(client, user, data):
    client.force_login(user)
    return client.post(URL, data)


def texts(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_committee_changes_the_owner_of_the_selected_items(client, world, items, closed):
    query = f"owner={world.member.pk}&ordering=deadline"
    response = post(
        client,
        world.committee,
        {
            "items": [item.pk for item in items] + [closed.pk],
            "owner": world.owner.pk,
            "reason": "人员调整",
            "query": query,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/ledger/?" + query  # back to the same filtered list
    assert texts(response) == [
        "已保存 3 项事项的修改。",
        f"{closed.reference} 未修改：事项处于“已销号”状态，不能“修改”。",
    ]
    for item in items:
        item.refresh_from_db()
        assert item.owner == world.owner
        assert last_history(item).history_change_reason == "人员调整"
    closed.refresh_from_db()
    assert closed.owner == world.member


def test_a_get_shows_the_list(client, world):
    client.force_login(world.committee)
    response = client.get(URL, {"status": "open"})
    assert response.status_code == 302 and response["Location"] == "/ledger/?status=open"


@pytest.mark.parametrize("persona", ["leadership", "owner", "member"])
def test_people_who_keep_no_records_may_not(client, world, items, persona):
    response = post(
        client,
        getattr(world, persona),
        {"items": [items[0].pk], "owner": world.owner.pk, "reason": "试图修改"},
    )
    assert response.status_code == 403
    items[0].refresh_from_db()
    assert items[0].owner == world.member


def test_an_outsiders_items_cannot_even_be_named(client, world, items):
    response = post(
        client, world.outsider, {"items": [items[0].pk], "owner": world.outsider.pk, "reason": "越权修改"}
    )
    assert response.status_code == 400
    assert items[0].reference not in response.content.decode()
    items[0].refresh_from_db()
    assert items[0].owner == world.member


def test_bad_input_shows_the_selection_ticked_with_the_errors(client, world, items):
    response = post(client, world.committee, {"items": [item.pk for item in items], "reason": "统一调整"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "请至少选择一项修改" in html
    for item in items:
        assert f'name="items" value="{item.pk}" id="bulk-item-{item.pk}" checked' in html
    assert 'value="统一调整"' in html  # what was typed stays
    nothing = post(client, world.committee, {"owner": world.owner.pk, "reason": "统一调整"})
    assert nothing.status_code == 400 and "请至少选择一项事项" in nothing.content.decode()
    no_reason = post(client, world.committee, {"items": [items[0].pk], "owner": world.owner.pk})
    assert no_reason.status_code == 400
    assert all(item.history.count() == 1 for item in items)


def test_the_list_offers_checkboxes_only_for_items_the_user_may_edit(client, world, items, closed):
    client.force_login(world.committee)
    html = client.get("/ledger/", {"status": ["open", "closed"]}).content.decode()
    assert 'id="bulk-form"' in html
    for item in items:
        assert html.count(f'name="items" value="{item.pk}" form="bulk-form"') == 2  # table and card
    assert f'name="items" value="{closed.pk}"' not in html
    client.force_login(world.leadership)
    html = client.get("/ledger/").content.decode()
    assert 'id="bulk-form"' not in html and 'name="items"' not in html


def test_the_owner_choices_are_the_people_of_the_managed_organizations(client, world):
    stranger = UserFactory(full_name="外单位人员")
    MembershipFactory(user=stranger, organization=world.sibling)
    client.force_login(world.committee)
    # The list's form names nobody (a company has thousands): its search boxes ask for names.
    html = client.get("/ledger/").content.decode()
    form = html.split('id="bulk-form"')[1].split("</form>")[0]
    assert "王强" not in form and 'name="owner_search"' in form and "role=bulk" in form
    search = "/ledger/people/?role=bulk&owner_search="
    assert "王强" in client.get(search + "王").content.decode()  # the branch's group
    assert "赵志刚" in client.get(search + "赵").content.decode()  # and leadership above
    assert "外单位人员" not in client.get(search + "外单位").content.decode()


def test_without_scripts_a_name_typed_lists_the_matching_people_to_choose(client, world, items):
    response = post(client, world.committee, {"items": [items[0].pk], "owner_search": "王", "reason": "调整"})
    assert response.status_code == 400
    select = response.content.decode().split('name="owner"')[1].split("</select>")[0]
    assert f'value="{world.owner.pk}"' in select and "王强" in select
    # Chosen, the person is kept in the select with the other fields as typed.
    response = post(
        client, world.committee, {"items": [items[0].pk], "owner": world.owner.pk, "reason": "调整"}
    )
    assert response.status_code == 302
    items[0].refresh_from_db()
    assert items[0].owner == world.owner


def test_items_that_already_had_the_values_are_counted_apart(client, world, items):
    workflow.bulk_edit_items(world.committee, items[:2], reason="先改两项", department="调度室")
    response = post(
        client,
        world.committee,
        {"items": [item.pk for item in items], "department": "调度室", "reason": "统一"},
    )
    assert texts(response) == ["已保存 1 项事项的修改。", "2 项事项原已是这些值，未作修改。"]


# ---------------------------------------------------------------------------------------------
# Co-owners (协办人)


def test_the_bulk_change_sets_the_co_owners_then_clears_them(client, world, items):
    own = make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    chosen = [item.pk for item in items] + [own.pk]
    response = post(
        client,
        world.committee,
        {"items": chosen, "co_owners": [world.owner.pk, world.leader.pk], "reason": "加协办"},
    )
    assert response.status_code == 302
    # The owner of the fourth item cannot be its own co-owner: that one is refused, named.
    assert texts(response) == [
        "已保存 3 项事项的修改。",
        f"{own.reference} 未修改：责任人不能同时是协办人：王强。",
    ]
    for item in Item.objects.filter(pk__in=[item.pk for item in items]):
        assert item.co_owner_people == [world.owner, world.leader]
        assert last_history(item).history_change_reason == "加协办"
    assert Item.objects.get(pk=own.pk).co_owner_people == []
    response = post(client, world.committee, {"items": chosen, "clear_co_owners": "on", "reason": "撤协办"})
    assert response.status_code == 302
    assert texts(response)[0] == "已保存 3 项事项的修改。"
    assert all(item.co_owner_people == [] for item in Item.objects.filter(pk__in=chosen))


def test_co_owners_chosen_and_removed_at_once_are_refused_with_the_typing_kept(client, world, items):
    response = post(
        client,
        world.committee,
        {"items": [items[0].pk], "co_owners": [world.owner.pk], "clear_co_owners": "on", "reason": "x"},
    )
    assert response.status_code == 400
    assert "选择新的协办人或全部移除，不能同时选择。" in response.content.decode()
    select = response.content.decode().split('name="co_owners"')[1].split("</select>")[0]
    assert f'value="{world.owner.pk}" selected' in select
    assert Item.objects.get(pk=items[0].pk).co_owner_people == []


def test_without_scripts_a_name_typed_lists_the_matching_co_owners(client, world, items):
    response = post(
        client, world.committee, {"items": [items[0].pk], "co_owners_search": "王", "reason": "调整"}
    )
    assert response.status_code == 400
    select = response.content.decode().split('name="co_owners"')[1].split("</select>")[0]
    assert f'value="{world.owner.pk}"' in select and "王强" in select
    # The people endpoint answers the co-owners' search box the same way.
    page = client.get("/ledger/people/", {"role": "bulk", "co_owners_search": "王"}).content.decode()
    assert "王强" in page and "杨帆" not in page
