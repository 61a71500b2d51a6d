"""The light beyond the page: the PDF ledger marks it beside each status, the exports carry a
亮灯 column, and every one of them filtered by the light (?light=red) holds only the red items."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from ledger.models import Item
from tests import pdfs
from tests.factories import IssueFactory, make_item


@pytest.fixture
def lit(world):
    today = timezone.localdate()
    red = make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    Item.objects.filter(pk=red.pk).update(deadline=today - datetime.timedelta(days=2))
    green = make_item(
        world.committee, IssueFactory(organization=world.branch), deadline=today + datetime.timedelta(days=60)
    )
    return Item.objects.get(pk=red.pk), green


def test_the_pdf_ledger_marks_each_light(client, world, lit):
    red, green = lit
    client.force_login(world.committee)
    response = client.get(reverse("ledger:report_pdf"))
    assert response.status_code == 200
    text = pdfs.text(response.content)
    assert "● 红灯" in text and "● 绿灯" in text
    filtered = client.get(reverse("ledger:report_pdf"), {"light": "red"})
    text = pdfs.text(filtered.content)
    assert red.reference in text and green.reference not in text


def test_the_csv_export_has_a_light_column_and_follows_the_light_filter(client, world, lit):
    red, green = lit
    client.force_login(world.committee)
    rows = list(csv.reader(io.StringIO(client.get(reverse("ledger:export_csv")).content.decode("utf-8-sig"))))
    assert rows[0][-1] == "亮灯"
    assert {row[0]: row[-1] for row in rows[1:]} == {red.reference: "红灯", green.reference: "绿灯"}
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(reverse("ledger:export_csv"), {"light": "red"}).content.decode("utf-8-sig")
            )
        )
    )
    assert [row[0] for row in rows[1:]] == [red.reference]


def test_a_bad_light_is_a_form_error_not_a_crash(client, world, lit):
    client.force_login(world.committee)
    response = client.get("/ledger/", {"light": "purple"})
    assert response.status_code == 200
    assert "light" in response.context["filterset"].form.errors
