"""Saved views: a user names the ledger list's current filter and finds it again in a menu."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from ..models import SavedView


def clean_query(raw):
    """The list's GET string, re-encoded, without the page number (a view is a filter)."""
    query = QueryDict(raw, mutable=True)
    query.pop("page", None)
    return query.urlencode()


@login_required
@require_POST
def save_view(request):
    name = " ".join(request.POST.get("name", "").split())[:80]
    query = clean_query(request.POST.get("query", ""))
    if not name:
        messages.error(request, _("Give the view a name."))
    else:
        view = SavedView.objects.filter(user=request.user, name=name).first() or SavedView(
            user=request.user, name=name
        )
        view.query = query
        try:
            view.full_clean()
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            view.save()
            messages.success(request, _("View “{name}” saved.").format(name=name))
    return redirect(reverse("ledger:item_list") + ("?" + query if query else ""))


@login_required
@require_POST
def delete_view(request, pk):
    # Another user's view is a 404: views are private.
    view = get_object_or_404(SavedView, pk=pk, user=request.user)
    view.delete()
    messages.success(request, _("View “{name}” deleted.").format(name=view.name))
    return redirect("ledger:item_list")
