"""The committee's page of its organization's traffic-light thresholds (issue 13): who may see
and change them, each threshold with where it comes from, the checks in the reader's language,
the history of a change, and an item's light on the ledger list following the change."""

import datetime
import re

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ledger import lights, workflow
from ledger.models import LightSettings
from tests.factories import IssueFactory, make_item

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def page_of(organization):
    return reverse("ledger:light_settings", args=[organization.pk])


def values(**changed):
    data = {"red_lag": "", "yellow_lag": "", "due_soon_days": "", "stale_days": "", "day_count": ""}
    data.update({"reason": "按公司要求收紧", "revision": "0"}, **changed)
    return data


def lagging(world):
    """An item of the group, 28 of its 112 days gone and nothing done: 25 points behind pace,
    yellow by the defaults (10 to 30), red once red lag is 20."""
    today = timezone.localdate()
    with time_machine.travel(timezone.now() - datetime.timedelta(days=28)):
        return make_item(
            world.committee,
            IssueFactory(organization=world.branch),
            organization=world.group,
            owner=world.owner,
            deadline=today + datetime.timedelta(days=84),
        )


def light_on_list(client, item):
    html = client.get(reverse("ledger:item_list"), **EN).content.decode()
    row = html[html.index(item.reference) :]
    return re.search(r'data-light="(\w+)"', row).group(1)


def test_the_committee_sees_each_threshold_with_where_it_comes_from(client, world):
    LightSettings.objects.create(organization=world.company, stale_days=45)
    LightSettings.objects.create(organization=world.branch, red_lag=25)
    client.force_login(world.committee)
    response = client.get(page_of(world.group), **EN)
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'id="threshold-red_lag">.*?>25<.*?Inherited from 机运党支部', html, re.S)
    assert re.search(r'id="threshold-stale_days">.*?>45<.*?Inherited from 公司党委', html, re.S)
    assert re.search(r'id="threshold-yellow_lag">.*?>10<.*?Default', html, re.S)
    response = client.get(page_of(world.branch), **ZH)
    assert re.search(r'id="threshold-red_lag">.*?>25<.*?本组织设置', response.content.decode(), re.S)


def test_a_committee_member_saves_a_threshold_with_history_and_the_list_light_changes(client, world):
    item = lagging(world)
    client.force_login(world.committee)
    assert light_on_list(client, item) == "yellow"
    response = client.post(page_of(world.branch), values(red_lag="20"), **ZH)
    assert response.status_code == 302 and response.url == page_of(world.branch)
    stored = LightSettings.objects.get(organization=world.branch)
    assert stored.red_lag == 20 and stored.yellow_lag is None and stored.day_count == ""
    row = stored.history.get()
    assert (row.history_user, row.history_change_reason, row.history_type) == (
        world.committee,
        "按公司要求收紧",
        "+",
    )
    assert light_on_list(client, item) == "red"
    # Emptied again: inherited (the default), and the light is yellow again.
    response = client.post(page_of(world.branch), values(revision=str(row.history_id)), **ZH)
    assert response.status_code == 302
    assert LightSettings.objects.get(organization=world.branch).red_lag is None
    assert stored.history.count() == 2
    assert light_on_list(client, item) == "yellow"


def test_a_bad_value_is_shown_again_with_the_message_in_the_readers_language(client, world):
    client.force_login(world.committee)
    response = client.post(page_of(world.branch), values(yellow_lag="40"), **ZH)
    assert response.status_code == 400
    html = response.content.decode()
    assert "黄灯阈值（40）不能高于红灯阈值（30）。" in html
    assert 'name="yellow_lag" value="40"' in html
    response = client.post(page_of(world.branch), values(yellow_lag="40"), **EN)
    assert "The yellow threshold (40) cannot be above the red one (30)." in response.content.decode()
    response = client.post(page_of(world.branch), values(red_lag="101", reason=""), **EN)
    assert response.status_code == 400
    assert 'name="red_lag" value="101"' in response.content.decode()
    assert not LightSettings.objects.exists()


def test_nothing_changed_writes_nothing_and_a_stale_form_is_refused(client, world):
    client.force_login(world.committee)
    client.post(page_of(world.branch), values(red_lag="20"))
    assert client.post(page_of(world.branch), values(red_lag="20", revision="")).status_code == 302
    assert LightSettings.history.count() == 1
    response = client.post(page_of(world.branch), values(red_lag="25"), **EN)
    assert response.status_code == 400
    assert "Someone else changed these thresholds in the meantime" in response.content.decode()
    assert LightSettings.objects.get().red_lag == 20


@pytest.mark.parametrize(
    ("persona", "organization", "status"),
    [
        ("committee", "branch", 200),
        ("committee", "group", 200),
        ("company_committee", "branch", 200),
        ("committee", "company", 404),
        ("member", "branch", 403),
        ("leadership", "branch", 403),
        ("owner", "group", 403),
        ("outsider", "branch", 404),
    ],
)
def test_who_may_open_and_change_the_thresholds(client, world, persona, organization, status):
    client.force_login(getattr(world, persona))
    url = page_of(getattr(world, organization))
    assert client.get(url).status_code == status
    response = client.post(url, values(red_lag="20"))
    assert response.status_code == (302 if status == 200 else status)
    assert LightSettings.objects.exists() == (status == 200)


def test_the_supervision_menu_leads_committees_only_to_their_first_organization(client, world):
    client.force_login(world.committee)
    html = client.get(reverse("ledger:item_list")).content.decode()
    assert 'id="light-settings-link"' in html
    response = client.get(reverse("ledger:light_settings_start"))
    assert response.status_code == 302 and response.url == page_of(world.branch)
    picked = client.get(reverse("ledger:light_settings_start"), {"organization": world.group.pk})
    assert picked.url == page_of(world.group)
    client.force_login(world.member)
    assert 'id="light-settings-link"' not in client.get(reverse("ledger:item_list")).content.decode()
    assert client.get(reverse("ledger:light_settings_start")).status_code == 403


def test_the_page_reads_the_same_queries_however_many_organizations_set_something(client, world):
    """The sources are read together: settings on more levels above add no query. The 14: the
    session, the user, the scope (memberships, the tree), the organization, its settings and
    their last history row, the tree and the settings along it, the sources' names, the navbar's
    counts (work queue, unread notifications), saved views, and the organizations to pick from."""
    client.force_login(world.committee)
    LightSettings.objects.create(organization=world.company, stale_days=45)
    with CaptureQueriesContext(connection) as bare:
        assert client.get(page_of(world.group)).status_code == 200
    LightSettings.objects.create(organization=world.branch, red_lag=25)
    LightSettings.objects.create(organization=world.group, due_soon_days=3)
    with CaptureQueriesContext(connection) as full:
        assert client.get(page_of(world.group)).status_code == 200
    assert len(full) == len(bare) == 14, [query["sql"] for query in full]


def test_the_workflow_refuses_who_does_not_manage_and_checks_what_applies(world):
    with pytest.raises(workflow.NotAllowed):
        workflow.save_light_settings(world.member, world.branch, values={"red_lag": 20}, reason="收紧")
    workflow.save_light_settings(
        world.company_committee, world.company, values={"red_lag": 15}, reason="收紧"
    )
    # The group inherits red 15 from the company: its own yellow 20 would be above it.
    with pytest.raises(ValidationError) as refused:
        workflow.save_light_settings(world.committee, world.group, values={"yellow_lag": 20}, reason="放宽")
    assert "red_lag" not in refused.value.message_dict and "yellow_lag" in refused.value.message_dict
    with pytest.raises(ValidationError, match="reason"):
        workflow.save_light_settings(world.committee, world.group, values={"yellow_lag": 5}, reason=" ")
    workflow.save_light_settings(world.committee, world.group, values={"yellow_lag": 5}, reason="收紧")
    assert lights.effective_settings(world.group.pk) == {
        "red_lag": (15, world.company.pk),
        "yellow_lag": (5, world.group.pk),
        "due_soon_days": (7, None),
        "stale_days": (30, None),
        "day_count": (LightSettings.DayCount.WORKING, None),
    }
    assert lights.rules_by_organization()[world.group.pk].red_lag == 15
