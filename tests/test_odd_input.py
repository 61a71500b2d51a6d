"""Odd input answers a clear 400 message, never a server error (issue 16, found on main)."""

import pytest
from django.urls import reverse


@pytest.mark.parametrize("name", ["ledger:progress_pdf", "ledger:summary_pdf", "ledger:report_pdf"])
@pytest.mark.parametrize("param", ["to", "from", "as_of"])
def test_far_dates_are_refused_with_a_message(client, world, name, param):
    client.force_login(world.committee)
    response = client.get(reverse(name), {param: "9999-12-31"})
    assert response.status_code == 400
    assert "日期" in response.content.decode()


NUL = "名\x00称"


def test_a_nul_byte_in_a_saved_views_name_is_refused(client, world):
    client.force_login(world.committee)
    response = client.post(reverse("ledger:save_view"), {"name": NUL, "query": "status=open"})
    assert response.status_code == 400
    assert "空字符" in response.content.decode()


def test_a_nul_byte_in_the_people_search_is_refused(client, world):
    client.force_login(world.committee)
    response = client.get(reverse("ledger:people_search"), {"q": NUL, "role": "owner"})
    assert response.status_code == 400


def test_a_nul_byte_in_the_report_form_is_refused(client, world):
    client.force_login(world.committee)
    response = client.post(reverse("ledger:start_report_job"), {"kind": "ledger", "query": "q=" + NUL})
    assert response.status_code == 400


def test_a_nul_byte_in_a_parameter_name_is_refused(client, world):
    client.force_login(world.committee)
    assert client.get(reverse("ledger:item_list") + "?a%00=1").status_code == 400


def test_a_nul_byte_sent_to_the_api_is_refused_as_the_api_refuses_bad_input(client, world):
    client.force_login(world.committee)
    response = client.get("/api/v1/items/", {"q": NUL}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "invalid"
    assert "空字符" in response.json()["errors"]["non_field_errors"][0]
