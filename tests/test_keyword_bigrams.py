"""The bigrams the keyword indexes hold (`ledger_bigrams`, PostgreSQL only): worked out in one
pass (migration ``0009_importperf_linear_bigrams``), the same set of bigrams as the first
definition gave, so that the indexes built with it stay valid and the search finds the same."""

import pytest
from django.db import DatabaseError, connection, transaction

from ledger import search
from ledger.models import Item
from tests.factories import IssueFactory, make_item

TEXTS = [
    "",
    "安",
    "安全",
    "班前会安全讲评流于形式",
    "JY-2026-007 组织全员重新学习作业规程 机运工区",
    "  王　强\n杨帆\t,，、 ",
    "Straße ß İi ǆ ﬃ 😀😁",
    "整改措施第3条：组织全员重新学习作业规程" * 120,  # 2,400 characters
]
# The first definition (0002_lists_indexes), as a query.
FIRST = """
    SELECT coalesce(array_agg(DISTINCT substr(upper(%s), i, 2)), '{}')
    FROM generate_series(1, length(%s) - 1) AS i
"""


@pytest.mark.django_db
@pytest.mark.parametrize("text", TEXTS, ids=range(len(TEXTS)))
def test_the_bigrams_are_those_of_the_first_definition(text):
    if connection.vendor != "postgresql":
        # Other databases have no such function: their search is the plain LIKE.
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT ledger_bigrams(%s)", [text])
        return
    with connection.cursor() as cursor:
        cursor.execute(FIRST, [text, text])
        (first,) = cursor.fetchone()
        cursor.execute("SELECT ledger_bigrams(%s), ledger_bigrams(NULL)", [text])
        now, of_null = cursor.fetchone()
    assert set(now) == set(first)
    assert len(now) == max(len(text) - 1, 0)  # one a position, in the text's order
    assert of_null is None


@pytest.mark.django_db
def test_an_item_is_found_by_a_word_through_the_index_after_the_change(world):
    item = make_item(
        world.committee, IssueFactory(organization=world.branch), measures="更新通风系统检修台账"
    )
    make_item(world.committee, IssueFactory(organization=world.branch), measures="组织学习")
    assert list(search.filter_by_keywords(Item.objects.all(), "通风")) == [item]
    assert list(search.filter_by_keywords(Item.objects.all(), "检修台账")) == [item]
