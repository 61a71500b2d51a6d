"""The person's notifications (`/notifications/`), muting an item, and the group robots of the
organizations a committee keeps (`/notifications/robots/`). The delivery rules are
`ledger.delivery`'s; these views only show them and take the person's choices."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.models import Organization
from core.permissions import Scope

from .. import delivery
from ..access import get_item_for_user
from ..forms_delivery import WebhookForm
from ..models import Item, Notification, Webhook

PAGE_SIZE = 20


@login_required
@require_GET
def notification_list(request):
    """The person's notifications, newest first; each links to its item if they may still see it."""
    notes = Notification.objects.filter(recipient=request.user).select_related("item")
    page = Paginator(notes, PAGE_SIZE).get_page(request.GET.get("page"))
    item_ids = {note.item_id for note in page.object_list if note.item_id}
    visible = (
        set(Item.objects.visible_to(request.user).filter(pk__in=item_ids).values_list("pk", flat=True))
        if item_ids
        else set()
    )
    entries = [
        {"note": note, "text": note.text(), "may_open": note.item_id in visible} for note in page.object_list
    ]
    return render(
        request,
        "notifications/list.html",
        {
            "page": page,
            "entries": entries,
            "may_manage_robots": Scope.for_user(request.user).manages_anything,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def open_notification(request, pk):
    """Opening a notification marks it read and goes to its item (or back to the list)."""
    note = get_object_or_404(Notification, pk=pk, recipient=request.user)
    if request.method != "POST":
        return redirect("notifications:list")
    delivery.mark_read(request.user, note)
    if note.item_id and Item.objects.visible_to(request.user).filter(pk=note.item_id).exists():
        return redirect("ledger:item_detail", note.item_id)
    return redirect("notifications:list")


@login_required
@require_http_methods(["GET", "POST"])
def mark_all_read(request):
    if request.method == "POST":
        delivery.mark_all_read(request.user)
        messages.success(request, _("All notifications are marked read."))
    return redirect("notifications:list")


@login_required
@require_http_methods(["GET", "POST"])
def mute_item(request, pk):
    """Mute or unmute an item for the person (POST ``muted=1`` or ``0``); back to `next`."""
    item = get_item_for_user(request.user, pk)
    if request.method == "POST":
        muted = request.POST.get("muted") == "1"
        delivery.set_muted(request.user, item, muted)
        if muted:
            messages.success(
                request,
                _("Item {reference} is muted: you will not be told about it.").format(
                    reference=item.reference
                ),
            )
        else:
            messages.success(
                request, _("Item {reference} is no longer muted.").format(reference=item.reference)
            )
        if request.POST.get("next") == "profile":
            return redirect("profile")
    return redirect("ledger:item_detail", item.pk)


def _managed_webhooks(user):
    scope = Scope.for_user(user)
    if not scope.manages_anything:
        raise PermissionDenied
    return Webhook.objects.filter(organization__in=Organization.objects.managed_by(user)).select_related(
        "organization"
    )


@login_required
@require_http_methods(["GET", "POST"])
def webhook_list(request):
    """The group robots of the organizations the committee member keeps, with their state."""
    robots = _managed_webhooks(request.user)
    form = WebhookForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        webhook = form.save(commit=False)
        webhook.sent_up_to = delivery.start_cursor()
        webhook.save()
        messages.success(request, _("The group robot {name} was added.").format(name=webhook.name))
        return redirect("notifications:webhooks")
    return render(request, "notifications/webhooks.html", {"robots": robots, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def webhook_edit(request, pk):
    webhook = get_object_or_404(_managed_webhooks(request.user), pk=pk)
    form = WebhookForm(request.user, request.POST or None, instance=webhook)
    if request.method == "POST":
        if request.POST.get("delete"):
            webhook.delete()
            messages.success(request, _("The group robot {name} was removed.").format(name=webhook.name))
            return redirect("notifications:webhooks")
        if form.is_valid():
            form.save()
            messages.success(request, _("The group robot {name} was saved.").format(name=webhook.name))
            return redirect("notifications:webhooks")
    return render(request, "notifications/webhook_edit.html", {"webhook": webhook, "form": form})
