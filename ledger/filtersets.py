"""The one FilterSet of the ledger. The list page, the PDF reports, the spreadsheet export and the
API all build it from the same GET string on the same scoped queryset, so that a report is
exactly what is on screen.
"""

from dataclasses import dataclass

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.constants import EMPTY_VALUES

from core.models import Organization
from core.permissions import children_map, subtree_ids

from . import lights
from .forms import people_matching
from .models import Category, Issue, Item, Meeting
from .search import filter_by_keywords

# What an empty choice of a filter means: no narrowing (not "---------").
ALL = _("All")


def _organizations(request):
    if request is None:
        return Organization.objects.none()
    return Organization.objects.visible_to(request.user)


def _meetings(request):
    if request is None:
        return Meeting.objects.none()
    return Meeting.objects.visible_to(request.user)


def people_of_items(items, roles=("owner", "leader")):
    """People who own or lead (`roles`) any of `items`: one semi-join (EXISTS) per role on the
    indexed person column, not a DISTINCT over a join that multiplies every person by their items."""
    match = Q()
    for role in roles:
        match |= Exists(items.filter(**{role: OuterRef("pk")}))
    return get_user_model().objects.filter(match).order_by("full_name", "username")


def _people(request):
    """People who own or lead items the user can see (what the owner and leader filters accept)."""
    if request is None:
        return get_user_model().objects.none()
    return people_of_items(Item.objects.visible_to(request.user))


class LedgerOrderingFilter(django_filters.OrderingFilter):
    """The sort links, items with equal values in the ledger's own order (`Item.LEDGER_ORDER`):
    a page then always holds the same items, and the deadline index serves the sort."""

    def filter(self, qs, value):
        if value not in EMPTY_VALUES and any(v.lstrip("-") == "light" for v in value):
            # The light is derived: the sort reads its annotation (`ledger.lights`).
            qs = lights.Judge(timezone.localdate()).annotate(qs)
        qs = super().filter(qs, value)
        if value in EMPTY_VALUES:
            return qs
        return qs.order_by(*qs.query.order_by, *Item.LEDGER_ORDER)


class ItemFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Keyword"),
        method="filter_keyword",
        help_text=_("Reference, issue, measures, owner, leader or department"),
    )
    organization = django_filters.ModelChoiceFilter(
        label=_("Organization (with units below)"),
        queryset=_organizations,
        method="filter_subtree",
        empty_label=ALL,
    )
    category = django_filters.ModelChoiceFilter(
        label=_("Category"), field_name="issue__category", queryset=Category.objects.all(), empty_label=ALL
    )
    source = django_filters.ChoiceFilter(
        label=_("Source"), field_name="issue__source", choices=Issue.Source.choices, empty_label=ALL
    )
    # No DISTINCT: a status is a column of the item, not a join that could repeat it (DISTINCT
    # made the list's keys and counts hash every matching row).
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"), choices=Item.Status.choices, widget=forms.CheckboxSelectMultiple, distinct=False
    )
    # Withdrawn items no longer apply: the ledger, its reports and exports leave them out unless
    # this box is ticked or the status filter names them (see `qs`).
    withdrawn = django_filters.BooleanFilter(
        label=_("Include withdrawn items"), method="filter_nothing", widget=forms.CheckboxInput
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Item.Kind.choices, empty_label=ALL)
    overdue = django_filters.BooleanFilter(
        label=_("Overdue only"), method="filter_overdue", widget=forms.CheckboxInput
    )
    # 亮灯: derived from the dates and the pace, never stored (`ledger.lights`).
    light = django_filters.ChoiceFilter(
        label=_("Light"),
        choices=[(colour, lights.LABELS[colour]) for colour in lights.COLOURS],
        method="filter_light",
        empty_label=ALL,
    )
    due_within = django_filters.NumberFilter(
        label=_("Due within (days)"), method="filter_due_within", min_value=0, max_value=3650
    )
    owner = django_filters.ModelChoiceFilter(label=_("Owner"), queryset=_people, empty_label=ALL)
    leader = django_filters.ModelChoiceFilter(
        label=_("Responsible leader"), queryset=_people, empty_label=ALL
    )
    meeting = django_filters.ModelChoiceFilter(
        label=_("Meeting"), field_name="issue__meeting", queryset=_meetings, empty_label=ALL
    )
    deadline = django_filters.DateFromToRangeFilter(
        label=_("Deadline"), widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"})
    )
    created = django_filters.DateFromToRangeFilter(
        label=_("Creation date"),
        field_name="created_at",
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )
    ordering = LedgerOrderingFilter(
        label=_("Sort by"),
        fields=(
            ("reference", "reference"),
            ("deadline", "deadline"),
            ("status", "status"),
            ("progress", "progress"),
            ("light_rank", "light"),
            ("owner__full_name", "owner"),
            ("created_at", "created"),
        ),
        field_labels={
            "reference": _("Reference"),
            "deadline": _("Deadline"),
            "status": _("Status"),
            "progress": _("Progress"),
            "light_rank": _("Light"),
            "owner__full_name": _("Owner"),
            "created_at": _("Creation date"),
        },
    )

    class Meta:
        model = Item
        fields = []

    # The person filters offer the chosen person and the people whose name was typed in their
    # search box (`owner_search`, `leader_search`), not everyone who owns or leads an item:
    # thousands of names, found with a query over the whole ledger. With JavaScript the box asks
    # the people endpoint as one types (`people_search`); without it, applying the filter lists
    # the matches. The filters still accept anyone the user can see (`_people`).
    PERSON_FILTERS = ("owner", "leader")

    @property
    def form(self):
        if not hasattr(self, "_form"):
            form = super().form
            for name in self.PERSON_FILTERS:
                form.fields[name].widget.choices = self.person_choices(form, name)
        return self._form

    def person_choices(self, form, name):
        """The options of a person filter: all, the chosen person, the people matching the name
        typed in its search box."""
        field = form.fields[name]
        choices = [("", field.empty_label)]
        chosen = None
        if form.is_bound:
            form.is_valid()  # cleans the form: `cleaned_data` keeps the valid fields beside a bad one
            chosen = form.cleaned_data.get(name)
        if chosen is not None:
            choices.append((chosen.pk, str(chosen)))
        text = (self.data or {}).get(name + "_search", "").strip()
        if text:
            choices.extend(
                (person.pk, str(person))
                for person in people_matching(field.queryset.only("pk", "full_name", "username"), text)
                if person != chosen
            )
        return choices

    @property
    def qs(self):
        """The filtered items, withdrawn ones only when the filter asks for them."""
        if not hasattr(self, "_shown_qs"):
            queryset = self.qs_with_withdrawn
            if not self.shows_withdrawn():
                queryset = queryset.exclude(status=Item.Status.WITHDRAWN)
            self._shown_qs = queryset
        return self._shown_qs

    @property
    def qs_with_withdrawn(self):
        """The filtered items, withdrawn ones included (for counts that name them apart)."""
        return super().qs

    def shows_withdrawn(self):
        """True when the filter asks for withdrawn items: the explicit option, or the status
        filter naming 已撤销."""
        if not self.is_bound:
            return False
        self.form.is_valid()  # cleans the form: `cleaned_data` then holds the valid values
        data = self.form.cleaned_data
        return bool(data.get("withdrawn")) or Item.Status.WITHDRAWN in (data.get("status") or ())

    def filter_nothing(self, queryset, name, value):
        return queryset

    def filter_keyword(self, queryset, name, value):
        # Each word must match somewhere: the text of the item or its issue, or the names of the
        # people and the department answering for it (王强 finds his items). See `ledger.search`.
        return filter_by_keywords(queryset, value)

    def filter_subtree(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(organization__in=subtree_ids([value.pk], children_map()))

    def filter_overdue(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.overdue(timezone.localdate())

    def filter_light(self, queryset, name, value):
        if not value:
            return queryset
        return lights.Judge(timezone.localdate()).filter(queryset, value)

    def filter_due_within(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.due_within(int(value), timezone.localdate())


@dataclass(frozen=True)
class Chip:
    """One filter in force, shown above a list: its label, its value, and the list's query
    string without it (`?…`, or "" for the bare list)."""

    label: str
    value: str
    query: str


def _without(params, names, value=None):
    """`params` (a QueryDict) without the parameters `names` (or only the `value` of the one
    name), nor the page."""
    rest = params.copy()
    rest.pop("page", None)
    for name in names:
        if value is None:
            rest.pop(name, None)
        else:
            rest.setlist(name, [kept for kept in rest.getlist(name) if kept != value])
    encoded = rest.urlencode()
    return "?" + encoded if encoded else ""


def active_filters(filterset, params):
    """The filters in force on a list as removable chips (sorting is not a filter).

    `params` is the request's GET. Only values the form accepted become chips; a multiple
    choice (the statuses) gives one chip per value, each removing that value only."""
    if not filterset.is_bound:
        return []
    filterset.form.is_valid()
    data = filterset.form.cleaned_data
    chips = []
    for name, declared in filterset.filters.items():
        value = data.get(name)
        if name == "ordering" or value in (None, "", [], ()) or value is False:
            continue
        label = str(declared.label or name)
        field = filterset.form.fields[name]
        # A model choice is shown by its object; listing the field's choices would read them all.
        choices = {} if hasattr(field, "queryset") else dict(getattr(field, "choices", None) or [])
        if isinstance(value, list | tuple):
            chips.extend(
                Chip(label, str(choices.get(one, one)), _without(params, [name], one)) for one in value
            )
            continue
        keys = [name]
        if isinstance(value, slice):  # a date range: its two inputs, shown as typed
            keys = [f"{name}_{suffix}" for suffix in field.widget.suffixes]
            start, stop = (params.get(key, "") for key in keys)
            if start and stop:
                shown = f"{start} – {stop}"
            else:
                shown = (_("from {date}") if start else _("until {date}")).format(date=start or stop)
        elif value is True:
            shown = ""
        elif hasattr(value, "pk"):
            shown = str(value)
        else:
            shown = str(choices.get(value, value))
        chips.append(Chip(label, shown, _without(params, keys)))
    return chips


def filter_items(request, queryset=None):
    """The ledger FilterSet for this request, on the items the user may see."""
    return filter_items_for(request.user, request.GET or None, queryset)


@dataclass(frozen=True)
class FilterContext:
    """What the FilterSets' choice lists read of a request: the user, and nothing else. Code that
    has no request (a report generated in the background) gives one of these."""

    user: object


def filter_items_for(user, data, queryset=None):
    """The ledger FilterSet for `user` and the query parameters `data` (a QueryDict or None), on
    the items the user may see: the same filters as :func:`filter_items`, without a request."""
    base = Item.objects.visible_to(user) if queryset is None else queryset
    return ItemFilterSet(data, queryset=base, request=FilterContext(user))


class IssueFilterSet(django_filters.FilterSet):
    """The issue list's filters: where the issues were found, their category and their source."""

    organization = django_filters.ModelChoiceFilter(
        label=_("Organization (with units below)"),
        queryset=_organizations,
        method="filter_subtree",
        empty_label=ALL,
    )
    category = django_filters.ModelChoiceFilter(
        label=_("Category"), queryset=Category.objects.all(), empty_label=ALL
    )
    source = django_filters.ChoiceFilter(label=_("Source"), choices=Issue.Source.choices, empty_label=ALL)

    class Meta:
        model = Issue
        fields = []

    filter_subtree = ItemFilterSet.filter_subtree


def filter_issues(request):
    """The issue FilterSet for this request, on the issues the user may see."""
    return IssueFilterSet(
        request.GET or None, queryset=Issue.objects.visible_to(request.user), request=request
    )
