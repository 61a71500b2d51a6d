"""新增 counts by the day an item entered the ledger (for an imported item, the day its issue was
raised), not by when its record was typed in or imported: the dashboard's monthly trend and the
progress lists' new items."""

import datetime

from django.urls import reverse
from django.utils import timezone

from ledger import stats, workflow
from ledger.models import Issue, Item
from tests import pdfs
from tests.factories import IssueFactory, category, make_item


def last_year(days=365):
    return timezone.localdate().replace(day=15) - datetime.timedelta(days=days)


def imported_old_ledger(world, count=3, raised=None):
    """A ledger kept in Excel last year, imported today through the importer's bulk path."""
    raised = raised or last_year()
    rows = [
        workflow.NewItem(
            key=n,
            issue=Issue(
                organization=world.branch,
                category=category(),
                source=Issue.Source.INSPECTION,
                description=f"去年巡察发现的问题第{n}条",
                raised_on=raised,
            ),
            organization=world.branch,
            fields={
                "measures": f"去年制定的整改措施第{n}条",
                "kind": Item.Kind.BY_DEADLINE,
                "deadline": raised,
            },
        )
        for n in range(1, count + 1)
    ]
    return raised, workflow.import_new_items(world.committee, rows, reason="导入 去年台账.xlsx")


def test_an_imported_old_ledger_is_not_new_this_month(world):
    raised, imported = imported_old_ledger(world)
    stored = Item.objects.filter(pk__in=[item.pk for item in imported])
    assert {timezone.localtime(item.created_at).date() for item in stored} == {timezone.localdate()}
    make_item(world.committee, IssueFactory(organization=world.branch))  # raised today
    points = stats.monthly_trend(Item.objects.visible_to(world.committee), months=13)
    by_month = {point.month: point.opened for point in points}
    assert by_month[timezone.localdate().replace(day=1)] == 1
    assert by_month[raised.replace(day=1)] == 3


def test_the_dashboard_trend_shows_the_months_they_came_from(client, world):
    raised, _imported = imported_old_ledger(world, raised=last_year(days=200))
    client.force_login(world.committee)
    trend = client.get("/").context["trend"]
    assert trend[-1].opened == 0
    assert {point.month: point.opened for point in trend}[raised.replace(day=1)] == 3


def test_the_progress_lists_new_items_are_those_raised_in_the_period(client, world):
    imported_old_ledger(world)
    make_item(
        world.committee,
        IssueFactory(organization=world.branch, description="本周征求意见发现的问题"),
        measures="本周新制定的整改措施",
    )
    client.force_login(world.committee)
    text = pdfs.squeezed(pdfs.text(client.get(reverse("ledger:progress_pdf")).content))
    assert "本周新制定的整改措施" in text
    assert "去年制定的整改措施" not in text
    # Over last year's period the imported items are the new ones.
    raised = last_year()
    period = {"from": (raised - datetime.timedelta(days=3)).isoformat(), "to": raised.isoformat()}
    text = pdfs.squeezed(pdfs.text(client.get(reverse("ledger:progress_pdf"), period).content))
    assert "去年制定的整改措施第1条" in text
    assert "本周新制定的整改措施" not in text
