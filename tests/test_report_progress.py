"""The periodic lists /ledger/progress.pdf?from=&to=: new, being pushed forward, closed."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from ledger import workflow
from tests import pdfs
from tests.reportdata import SIBLING_TEXT, populate

URL = reverse("ledger:progress_pdf")


@pytest.fixture(autouse=True)
def strict_glyphs(settings):
    settings.LEDGER_PDF_STRICT_GLYPHS = True


def test_it_prints_the_three_lists_for_the_week(client, world, django_assert_num_queries):
    with time_machine.travel(timezone.now() - datetime.timedelta(days=30)):
        old = populate(world)
    workflow.post_progress(world.owner, old.late, text="本周完成了现场复查", percent=70)
    client.force_login(world.committee)
    # session, user, memberships, organization tree; the count (background or not); new items,
    # items that moved, their updates, closed items; the summary's two (by organization and
    # status, by category); the top organizations
    with django_assert_num_queries(12):
        response = client.get(URL)
    assert response.status_code == 200
    pages = pdfs.pages_text(response.content)
    text = pdfs.squeezed("".join(pages))
    assert "本周完成了现场复查" in text  # what moved this week
    assert "组织全员重新学习作业规程" not in text  # created a month ago, did not move
    assert "已销号的整改措施" not in text  # closed a month ago
    assert pdfs.page_footer(1, len(pages)) in pdfs.squeezed(pages[0])
    # Over the whole month, the items are new and one was closed.
    start = (timezone.localdate() - datetime.timedelta(days=31)).isoformat()
    month = pdfs.squeezed(pdfs.text(client.get(URL, {"from": start}).content))
    assert "组织全员重新学习作业规程" in month
    assert "经验收同意销号" in month
    assert SIBLING_TEXT not in month


def test_filters_apply(client, world):
    populate(world)
    client.force_login(world.company_committee)
    text = pdfs.squeezed(pdfs.text(client.get(URL, {"organization": world.sibling.pk}).content))
    assert "通修支部的整改措施" in text
    assert "组织全员重新学习作业规程" not in text


def test_bad_period_is_refused(client, world):
    client.force_login(world.committee)
    assert client.get(URL, {"from": "2026-02-30"}).status_code == 400
    assert client.get(URL, {"to": "next week"}).status_code == 400
    assert client.get(URL, {"from": "2026-03-02", "to": "2026-03-01"}).status_code == 400


def test_members_may_not(client, world):
    client.force_login(world.owner)
    assert client.get(URL).status_code == 403


def test_wrong_method(client, world):
    client.force_login(world.committee)
    assert client.post(URL).status_code == 405
