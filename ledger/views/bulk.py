"""Bulk changes from the ledger list: a committee member selects several items and sets their
owner, leader, department or deadline in one step, with one reason.

The rule is the workflow's (`workflow.bulk_edit_items`): each item is edited through
`edit_item`, with its own history row; the items the user may not edit are refused and named.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from .. import forms, workflow
from ..access import keeps_records


def list_url(query):
    """The ledger list with `query` (its own query string, re-encoded: never another address)."""
    encoded = QueryDict(query or "").urlencode()
    return reverse("ledger:item_list") + ("?" + encoded if encoded else "")


@login_required
@require_http_methods(["GET", "POST"])
def bulk_edit(request):
    """POST: change the selected items and go back to the list, each refusal named in a message.

    A GET (a reload, a language switch, a login redirect) shows the list instead of a bare 405.
    Bad input shows the selection again with the form and its errors."""
    if request.method == "GET":
        return redirect(list_url(request.GET.urlencode()))
    if not keeps_records(request.user):
        raise PermissionDenied
    form = forms.BulkEditForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            result = workflow.bulk_edit_items(
                request.user, form.cleaned_data["items"], reason=form.cleaned_data["reason"], **form.changes()
            )
        except ValidationError as error:
            forms.add_validation_errors(form, error)
        else:
            report(request, result)
            return redirect(list_url(form.cleaned_data["query"]))
    return render(
        request,
        "ledger/bulk_edit.html",
        {"form": form, "selected": _selected(form), "back": list_url(form["query"].value())},
        status=400,
    )


def report(request, result):
    """One message for the items saved, one per refused item naming it and why."""
    if result.changed:
        messages.success(
            request,
            ngettext(
                "Saved the change on {count} item.", "Saved the change on {count} items.", len(result.changed)
            ).format(count=len(result.changed)),
        )
    if result.unchanged:
        messages.info(
            request,
            ngettext(
                "{count} item already had these values.",
                "{count} items already had these values.",
                len(result.unchanged),
            ).format(count=len(result.unchanged)),
        )
    for item, message in result.refused:
        messages.error(
            request,
            _("{reference} was not changed: {reason}").format(reference=item.reference, reason=message),
        )


def _selected(form):
    """The visible items the user had selected, to show them again (ticked) with the errors."""
    ids = [str(value) for value in form["items"].value() or ()]
    return list(form.fields["items"].queryset.filter(pk__in=[one for one in ids if one.isdigit()]))
