"""The item edit form's people (leader, owner, co-owners): the selects list only the people
chosen and those matching a name typed, the people endpoint (`role=item`) fills them as one
types, and the form accepts exactly the people it accepted when it listed everyone."""

import datetime
import re

import pytest
from django.urls import reverse

from ledger import forms
from ledger.models import Item
from tests.factories import IssueFactory, make_item

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def item(world):
    item = make_item(
        world.committee,
        IssueFactory(organization=world.branch, description="班前会流于形式"),
        owner=world.owner,
        leader=world.leader,
        deadline=datetime.date(2027, 3, 1),
    )
    return item


def offered(form, name):
    return [value for value, _label in form.fields[name].choices if value != ""]


def edit_data(item, **changes):
    data = {
        "version": item.version,
        "measures": item.measures,
        "department": item.department,
        "owner": item.owner_id,
        "leader": item.leader_id or "",
        "kind": item.kind,
        "deadline": "2027-03-01",
        "reason": "调整",
    }
    data.update(changes)
    return data


def test_the_form_lists_only_the_people_chosen(world, item):
    form = forms.EditItemForm(instance=item, organization=item.organization)
    assert offered(form, "owner") == [world.owner.pk]
    assert offered(form, "leader") == [world.leader.pk]
    assert offered(form, "co_owners") == []


def test_a_name_typed_lists_the_matching_people_beside_the_chosen_one(world, item):
    data = edit_data(item, owner_search="杨", co_owners_search="张")
    form = forms.EditItemForm(data, instance=item, organization=item.organization)
    assert offered(form, "owner") == [world.owner.pk, world.member.pk]
    assert offered(form, "co_owners") == [world.company_committee.pk]
    assert offered(form, "leader") == [world.leader.pk]
    assert form.fields["owner"].search_text == "杨"
    # The outsider is no eligible person: typing his name finds nobody.
    outsider = forms.EditItemForm(
        edit_data(item, owner_search="吴军"), instance=item, organization=item.organization
    )
    assert offered(outsider, "owner") == [world.owner.pk]


def test_the_form_accepts_the_eligible_people_it_does_not_list(world, item):
    data = edit_data(item, owner=world.member.pk, co_owners=[world.company_committee.pk])
    form = forms.EditItemForm(data, instance=item, organization=item.organization)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["owner"] == world.member
    assert form.cleaned_data["co_owners"] == [world.company_committee.pk]


def test_the_form_refuses_people_outside_as_before(world, item):
    data = edit_data(item, owner=world.outsider.pk, co_owners=[world.outsider.pk])
    form = forms.EditItemForm(data, instance=item, organization=item.organization)
    assert not form.is_valid()
    assert set(form.errors) == {"owner", "co_owners"}


def test_the_item_page_lists_no_one_else(client, world, item):
    client.force_login(world.committee)
    html = client.get(reverse("ledger:item_detail", args=[item.pk]), {"open": "edit"}).content.decode()
    form = html.split('id="action-edit"')[1].split("</form>")[0]
    options = re.findall(r'<option value="(\d+)"', form)
    assert sorted(map(int, options)) == sorted([world.owner.pk, world.leader.pk])
    assert 'name="owner_search"' in form and "role=item" in form


def test_finding_people_without_scripts_shows_the_form_again_and_saves_nothing(client, world, item):
    client.force_login(world.committee)
    data = edit_data(item, owner_search="杨帆", department="新部门", find="owner")
    response = client.post(reverse("ledger:edit_item", args=[item.pk]), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<option value="{world.member.pk}">杨帆</option>' in html
    assert 'value="新部门"' in html  # what was typed stays
    assert Item.objects.get(pk=item.pk).department == item.department
    # Then she chooses him and saves.
    saved = client.post(reverse("ledger:edit_item", args=[item.pk]), edit_data(item, owner=world.member.pk))
    assert saved.status_code == 302
    assert Item.objects.get(pk=item.pk).owner == world.member


def test_the_people_endpoint_keeps_the_chosen_and_offers_the_matching(client, world, item):
    client.force_login(world.committee)
    url = reverse("ledger:people_search")
    org = item.organization_id
    single = client.get(
        url, {"role": "item", "org": org, "field": "owner", "owner": world.owner.pk, "q": "杨"}
    )
    assert single.content.decode() == (
        '<option value="">Please choose</option>'
        f'<option value="{world.owner.pk}" selected>王强</option>'
        f'<option value="{world.member.pk}">杨帆</option>\n'
    )
    several = client.get(
        url,
        {
            "role": "item",
            "org": org,
            "field": "co_owners",
            "co_owners": [world.member.pk, world.outsider.pk],
            "co_owners_search": "张",
        },
    )
    # No empty choice in a multiple select; the outsider (not eligible) is not kept.
    assert several.content.decode() == (
        f'<option value="{world.member.pk}" selected>杨帆</option>'
        f'<option value="{world.company_committee.pk}">张建国</option>\n'
    )


def test_the_people_endpoint_is_for_those_who_manage_the_organization(client, world, item):
    url = reverse("ledger:people_search")
    client.force_login(world.outsider)
    assert client.get(url, {"role": "item", "org": item.organization_id, "field": "owner"}).status_code == 404
    client.force_login(world.committee)
    assert (
        client.get(url, {"role": "item", "org": item.organization_id, "field": "status"}).status_code == 404
    )
