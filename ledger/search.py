"""The ledger's keyword search: each word must occur (ignoring case) in the item's reference,
measures or department, in its issue's description, or in the name of its owner or leader.

SQLite (and any other database) runs that as it reads: ``UPPER(column) LIKE '%WORD%'`` ORed
across the item, its issue and its people, which scans the tables. PostgreSQL gets the same
hits from indexes: the words of two characters or more through the GIN indexes of the texts'
bigrams (migration ``0002_lists_indexes``), which a trigram index cannot do for a two-character
Chinese word such as 安全, each candidate then checked with the same LIKE; the people's names
from their own small table. A one-character word matches a large part of any Chinese ledger: it
keeps the plain search.
"""

from django.contrib.auth import get_user_model
from django.contrib.postgres.fields import ArrayField
from django.db import connections, models
from django.db.models import Q

# The item's own texts, the issue's, the people's: what a keyword is looked for in.
ITEM_TEXTS = ("reference", "measures", "department")


def keyword_q(word):
    """The plain condition of one word on items (any database)."""
    return (
        Q(reference__icontains=word)
        | Q(issue__description__icontains=word)
        | Q(measures__icontains=word)
        | Q(department__icontains=word)
        | Q(owner__full_name__icontains=word)
        | Q(leader__full_name__icontains=word)
    )


class _Bigrams(models.Func):
    output_field = ArrayField(models.TextField())


def _bigrams_of(word):
    return _Bigrams(models.Value(word, output_field=models.TextField()), function="ledger_bigrams")


def indexed_keyword_q(items, word):
    """The condition of one word (two characters or more) on `items`, served by the bigram
    indexes: the keys of the items that match, by their own texts, their issue or their people,
    gathered in one subquery so that no table is scanned."""
    from .models import Issue, Item

    own = (
        Item.objects.alias(
            grams=_Bigrams(*(models.F(name) for name in ITEM_TEXTS), function="ledger_item_bigrams")
        )
        .filter(grams__contains=_bigrams_of(word))
        .filter(Q(reference__icontains=word) | Q(measures__icontains=word) | Q(department__icontains=word))
    )
    issues = (
        Issue.objects.alias(grams=_Bigrams(models.F("description"), function="ledger_bigrams"))
        .filter(grams__contains=_bigrams_of(word), description__icontains=word)
        .values("pk")
    )
    keys = Item.objects.order_by().values("pk")
    parts = [keys.filter(issue__in=issues)]
    # The people are read first (a small table): given their keys, the planner knows how many
    # items they answer for, where a subquery left it guessing thousands and scanning the items.
    people = list(get_user_model().objects.filter(full_name__icontains=word).values_list("pk", flat=True))
    if people:
        parts += [keys.filter(owner__in=people), keys.filter(leader__in=people)]
    matches = own.order_by().values("pk").union(*parts)
    return Q(pk__in=matches)


def filter_by_keywords(items, text):
    """`items` whose texts contain every word of `text` (see the module's docstring)."""
    indexed = connections[items.db].vendor == "postgresql"
    for word in text.split():
        items = items.filter(
            indexed_keyword_q(items, word) if indexed and len(word) >= 2 else keyword_q(word)
        )
    return items
