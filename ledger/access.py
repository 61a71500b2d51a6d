"""Access helpers for views: return the object the user may see, or refuse.

The rules themselves are `core.permissions.Scope`'s; these helpers apply them for a view.

An object outside the user's scope is a 404 (we do not confirm it exists); an object the user
can see but may not act on is a 403 (`PermissionDenied`).
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from core.permissions import Scope

from . import workflow
from .models import Issue, Item, Meeting


def get_item_for_user(user, pk, queryset=None):
    """The item with this id if the user may see it, else 404."""
    base = Item.objects.select_related("organization", "issue", "issue__category", "owner", "leader")
    return get_object_or_404((queryset if queryset is not None else base).visible_to(user), pk=pk)


def get_item_for_action(user, pk, action):
    """The item, if the user may see it (else 404) and holds a role that may take `action` (else 403).

    Whether the action fits the item's current state is the workflow's to say, with a message."""
    item = get_item_for_user(user, pk)
    allowed = workflow.RULES[action].roles
    if not workflow.roles_on(user, item) & allowed and not (
        workflow.Role.CO_OWNER in allowed and workflow.is_co_owner(user, item)
    ):
        raise PermissionDenied
    return item


def get_meeting_for_user(user, pk):
    return get_object_or_404(
        Meeting.objects.visible_to(user).select_related("organization", "host", "recorder"), pk=pk
    )


def _managed_by(user, record):
    """The record, if the user keeps its organization's records; else 403."""
    if not Scope.for_user(user).manages(record.organization_id):
        raise PermissionDenied
    return record


def get_meeting_for_manager(user, pk):
    """The meeting, if visible (else 404) and the user keeps its organization's records (else 403)."""
    return _managed_by(user, get_meeting_for_user(user, pk))


def get_issue_for_user(user, pk):
    """The issue with this id if the user may see it, else 404."""
    return get_object_or_404(
        Issue.objects.visible_to(user).select_related("organization", "category", "meeting"), pk=pk
    )


def get_issue_for_manager(user, pk):
    """The issue, if visible (else 404) and the user keeps its organization's records (else 403)."""
    return _managed_by(user, get_issue_for_user(user, pk))


def can_print_reports(user):
    """Committee members, leadership and superusers print ledger-wide reports (`Scope`'s rule)."""
    return Scope.for_user(user).may_print_reports()


def can_print_dossier(user, item):
    """Who may print an item's dossier: its managers and leadership, its owner and its leader."""
    return Scope.for_user(user).may_print_dossier(item)


def can_print_minutes(user, meeting):
    """The minutes of a meeting are for its organization's managers and leadership."""
    return Scope.for_user(user).may_print_minutes(meeting)


def keeps_records(user):
    """Committee members log meetings and issues, and import ledgers, for the organizations
    they manage; everybody else only reads."""
    return Scope.for_user(user).manages_anything
