"""The one FilterSet of the ledger. The list page, the PDF reports, the spreadsheet export and the
API all build it from the same GET string on the same scoped queryset, so that a report is
exactly what is on screen.
"""

from dataclasses import dataclass

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Organization
from core.permissions import children_map, subtree_ids

from .models import Category, Issue, Item, Meeting


def _organizations(request):
    if request is None:
        return Organization.objects.none()
    return Organization.objects.visible_to(request.user)


def _meetings(request):
    if request is None:
        return Meeting.objects.none()
    return Meeting.objects.visible_to(request.user)


def _people(request):
    """People who own or lead items the user can see."""
    if request is None:
        return get_user_model().objects.none()
    visible = Item.objects.visible_to(request.user)
    return (
        get_user_model()
        .objects.filter(Q(owned_items__in=visible) | Q(led_items__in=visible))
        .distinct()
        .order_by("full_name", "username")
    )


class ItemFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Keyword"), method="filter_keyword", help_text=_("Reference, issue or measures")
    )
    organization = django_filters.ModelChoiceFilter(
        label=_("Organization (with units below)"), queryset=_organizations, method="filter_subtree"
    )
    category = django_filters.ModelChoiceFilter(
        label=_("Category"), field_name="issue__category", queryset=Category.objects.all()
    )
    source = django_filters.ChoiceFilter(
        label=_("Source"), field_name="issue__source", choices=Issue.Source.choices
    )
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"), choices=Item.Status.choices, widget=forms.CheckboxSelectMultiple
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Item.Kind.choices)
    overdue = django_filters.BooleanFilter(
        label=_("Overdue only"), method="filter_overdue", widget=forms.CheckboxInput
    )
    due_within = django_filters.NumberFilter(
        label=_("Due within (days)"), method="filter_due_within", min_value=0, max_value=3650
    )
    owner = django_filters.ModelChoiceFilter(label=_("Owner"), queryset=_people)
    leader = django_filters.ModelChoiceFilter(label=_("Responsible leader"), queryset=_people)
    meeting = django_filters.ModelChoiceFilter(
        label=_("Meeting"), field_name="issue__meeting", queryset=_meetings
    )
    deadline = django_filters.DateFromToRangeFilter(
        label=_("Deadline"), widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"})
    )
    created = django_filters.DateFromToRangeFilter(
        label=_("Creation date"),
        field_name="created_at",
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )
    ordering = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=(
            ("reference", "reference"),
            ("deadline", "deadline"),
            ("status", "status"),
            ("progress", "progress"),
            ("owner__full_name", "owner"),
            ("created_at", "created"),
        ),
        field_labels={
            "reference": _("Reference"),
            "deadline": _("Deadline"),
            "status": _("Status"),
            "progress": _("Progress"),
            "owner__full_name": _("Owner"),
            "created_at": _("Creation date"),
        },
    )

    class Meta:
        model = Item
        fields = []

    def filter_keyword(self, queryset, name, value):
        words = value.split()
        for word in words:
            queryset = queryset.filter(
                Q(reference__icontains=word)
                | Q(issue__description__icontains=word)
                | Q(measures__icontains=word)
            )
        return queryset

    def filter_subtree(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(organization__in=subtree_ids([value.pk], children_map()))

    def filter_overdue(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.overdue(timezone.localdate())

    def filter_due_within(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.due_within(int(value), timezone.localdate())


def filter_items(request, queryset=None):
    """The ledger FilterSet for this request, on the items the user may see."""
    base = Item.objects.visible_to(request.user) if queryset is None else queryset
    return ItemFilterSet(request.GET or None, queryset=base, request=request)


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
        label=_("Organization (with units below)"), queryset=_organizations, method="filter_subtree"
    )
    category = django_filters.ModelChoiceFilter(label=_("Category"), queryset=Category.objects.all())
    source = django_filters.ChoiceFilter(label=_("Source"), choices=Issue.Source.choices)

    class Meta:
        model = Issue
        fields = []

    filter_subtree = ItemFilterSet.filter_subtree


def filter_issues(request):
    """The issue FilterSet for this request, on the issues the user may see."""
    return IssueFilterSet(
        request.GET or None, queryset=Issue.objects.visible_to(request.user), request=request
    )
