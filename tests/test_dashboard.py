"""The dashboard (`/`): figures for the user's scope, SVG charts with their numbers in tables,
participation per branch, constant queries."""

import datetime

import pytest
from django.utils import timezone

from ledger import workflow
from ledger.models import Attendance, Item
from tests.factories import IssueFactory, MeetingFactory, make_item


@pytest.fixture
def ledger(world, today):
    for _ in range(3):
        make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    make_item(world.outsider, IssueFactory(organization=world.sibling))
    meeting = MeetingFactory(organization=world.branch, held_on=today)
    Attendance.objects.create(meeting=meeting, person=world.member, present=True)
    Attendance.objects.create(meeting=meeting, person=world.owner, present=False, absence_reason="on_shift")
    return meeting


def test_it_shows_the_figures_of_the_users_scope(client, world, ledger):
    client.force_login(world.committee)
    response = client.get("/")
    assert response.status_code == 200
    summary = response.context["summary"]
    assert summary.totals.total == 3
    html = response.content.decode()
    assert html.count("<svg") >= 4  # status, trend, organizations, categories, participation
    assert "<script" not in html.split("<svg", 1)[1].split("</main>")[0]  # charts carry no script
    assert "机运党支部" in html
    assert "50.0%" in html  # participation 1 of 2
    assert "1 / 2" in html


def test_each_chart_is_drawn_wide_and_for_a_phone(client, world, ledger):
    client.force_login(world.committee)
    html = client.get("/").content.decode()
    # status, trend, organizations, categories, participation: the wide drawing from md up, the
    # one laid out for a phone's width below it
    assert html.count('<div class="chart d-none d-md-block" aria-hidden="true"><svg') == 5
    assert html.count('<div class="chart chart-narrow d-md-none" aria-hidden="true"><svg') == 5
    assert 'viewBox="0 0 360 ' in html and 'viewBox="0 0 720 ' in html
    # The tables with many columns scroll inside themselves on a phone, not the page.
    assert html.count('<div class="table-responsive">\n<table class="table table-sm">') == 2


def test_the_outsider_sees_only_the_sibling(client, world, ledger):
    client.force_login(world.outsider)
    response = client.get("/")
    assert response.context["summary"].totals.total == 1
    assert response.context["participation"] == []


def test_the_participation_period_is_a_get_filter(client, world, ledger, today):
    client.force_login(world.committee)
    earlier = today - datetime.timedelta(days=400)
    response = client.get(
        "/", {"date_from": earlier.isoformat(), "date_to": (earlier + datetime.timedelta(days=1)).isoformat()}
    )
    assert response.context["participation"] == []


def test_it_refuses_post(client, world):
    client.force_login(world.committee)
    assert client.post("/").status_code == 405


def test_it_reads_in_constant_queries(client, world, ledger, django_assert_num_queries):
    client.force_login(world.committee)

    def count():
        # session, user, memberships, organization tree; the items by organization and status
        # (totals, overdue, due this week, by organization) and by category (summary); opened
        # and closed per month (one scan); participation; saved views (menu); the work queue's
        # count (menu); the unread notifications (the bell); the traffic-light settings and the
        # items by light (亮灯). The charts are drawn twice (wide and for a phone) from the same
        # figures.
        with django_assert_num_queries(13):
            client.get("/")

    count()
    for _ in range(4):
        item = make_item(world.committee, IssueFactory(organization=world.group), owner=world.owner)
        workflow.post_progress(world.owner, item, text="完成", percent=100)
    count()


def test_the_red_count_links_to_the_red_items(client, world):
    late = make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    Item.objects.filter(pk=late.pk).update(deadline=timezone.localdate() - datetime.timedelta(days=3))
    client.force_login(world.committee)
    html = client.get("/").content.decode()
    assert '<a class="text-decoration-none" href="/ledger/?light=red" data-light="red">' in html
    assert "红灯 1 项" in html
    listed = client.get("/ledger/", {"light": "red"}).context["page"].object_list
    assert [item.pk for item in listed] == [late.pk]
