"""The keyword search gives the same hits as the plain search it replaces (each word, ignoring
case, in the item's reference, measures or department, its issue's description, or its owner's or
leader's name), on every database; on PostgreSQL through the bigram indexes."""

import pytest
from django.db import connection
from django.http import QueryDict

from ledger import workflow
from ledger.filtersets import filter_items_for
from ledger.models import Issue, Item
from ledger.search import filter_by_keywords, keyword_q
from tests.factories import IssueFactory, make_item

WORDS = [
    "安全",  # two characters, in issues and in measures
    "安",  # one character
    "安全生产",  # four characters, in one measure only
    "全安",  # its two characters present, not in this order
    "brake",  # Latin, lower case for "Brake" and "BRAKE"
    "PLC",  # Latin, upper case for "plc"
    "机运-2026-002",  # a reference number
    "-2026-",  # a piece of every reference
    "王强",  # an owner's name
    "赵志",  # part of a leader's name
    "综采",  # a department
    "班前会 形式",  # two words, both needed
    "安全 王强",  # a text and a name
    "100%",  # LIKE's wildcard, taken literally
    "a_b",  # LIKE's other wildcard
    "没有",  # nowhere
]


@pytest.fixture
def items(world):
    rows = [
        ("班前会安全讲评流于形式", "组织全员重新学习安全生产规程", "机运工区", world.owner),
        ("主井提升机 Brake 磨损", "更换闸瓦，检查 PLC 程序", "综采工区", world.member),
        ("井下照明不足", "增设照明灯具 100% 覆盖", "", None),
        ("BRAKE 检查记录不全", "补全记录 a_b 表", "机运工区", world.owner),
        ("全安排不合理", "调整排班", "机关", world.member),
    ]
    made = []
    for description, measures, department, owner in rows:
        issue = IssueFactory(organization=world.branch, description=description)
        made.append(make_item(world.committee, issue, measures=measures, department=department, owner=owner))
    return made


@pytest.mark.parametrize("text", WORDS)
def test_the_search_finds_what_the_plain_search_finds(world, items, text):
    everything = Item.objects.all()
    plain = everything
    for word in text.split():
        plain = plain.filter(keyword_q(word))
    expected = set(plain.values_list("pk", flat=True))
    assert set(filter_by_keywords(everything, text).values_list("pk", flat=True)) == expected
    # Through the list's FilterSet too, on the user's own scope.
    data = QueryDict(mutable=True)
    data["q"] = text
    found = filter_items_for(world.committee, data).qs
    assert set(found.values_list("pk", flat=True)) == expected


def test_the_hits_are_the_expected_items(world, items):
    first, second, third, fourth, fifth = items

    def hits(text):
        return set(filter_by_keywords(Item.objects.all(), text))

    assert hits("安全") == {first}
    assert hits("全安") == {fifth}
    assert hits("brake") == {second, fourth}
    assert hits("100%") == {third} and hits("a_b") == {fourth}
    assert hits("王强") == {first, fourth}
    assert hits("机运-2026-002") == {second}
    assert hits("安全 王强") == {first}


def test_an_issue_edited_after_its_items_were_made_is_found_by_its_new_text(world, items):
    issue = Issue.objects.get(pk=items[2].issue_id)
    issue.description = "通风系统检修"
    workflow.save_issue(world.committee, issue)
    assert set(filter_by_keywords(Item.objects.all(), "通风")) == {items[2]}


def test_on_postgresql_the_words_are_found_through_the_bigram_indexes(world, items):
    query = filter_by_keywords(Item.objects.all(), "安全").values("pk").query
    sql = str(query)
    if connection.vendor != "postgresql":
        # Other databases keep the plain search.
        assert "ledger_bigrams" not in sql and "LIKE" in sql
        return
    assert "ledger_item_bigrams" in sql and "ledger_bigrams" in sql
    with connection.cursor() as cursor:
        # Five rows are read fastest by any scan: leave the planner only scans that a condition
        # serves (whatever statistics the tests before left), and see the bigram indexes serve it.
        for scan in ("seqscan", "indexscan", "indexonlyscan"):
            cursor.execute(f"SET LOCAL enable_{scan} = off")
        cursor.execute("EXPLAIN " + query.sql_with_params()[0], query.sql_with_params()[1])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "item_keyword_bigrams" in plan and "issue_keyword_bigrams" in plan
    # A one-character word keeps the plain search.
    assert "bigrams" not in str(filter_by_keywords(Item.objects.all(), "安").values("pk").query)
