"""The dashboard (`/`): the user's scope at a glance."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..models import Item


@login_required
@require_GET
def dashboard(request):
    items = Item.objects.visible_to(request.user)
    by_status = dict(items.order_by().values_list("status").annotate(n=Count("pk")))
    totals = [
        (value, label, by_status.get(value, 0), Item.STATUS_COLOURS[value])
        for value, label in Item.Status.choices
    ]
    return render(request, "ledger/dashboard.html", {"totals": totals, "total": sum(by_status.values())})
