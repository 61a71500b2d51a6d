"""Ledger list, item detail, history, evidence download and one POST view per workflow action."""

import copy
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from .. import forms, workflow
from ..access import (
    can_print_dossier,
    can_print_reports,
    get_item_for_action,
    get_item_for_user,
    keeps_records,
)
from ..filtersets import active_filters, filter_items
from ..history import changes_since, item_timeline
from ..models import Evidence, ExtensionRequest, Item
from ..workflow import Action

PAGE_SIZE = 50

# The POST view of each action, and the colour of its button.
ACTION_VIEWS = {
    Action.START: ("ledger:start_item", "primary"),
    Action.POST_PROGRESS: ("ledger:post_progress", "primary"),
    Action.SUBMIT: ("ledger:submit_item", "success"),
    Action.REQUEST_EXTENSION: ("ledger:request_extension", "secondary"),
    Action.REVIEW: ("ledger:review_item", "success"),
    Action.RETURN: ("ledger:return_item", "warning"),
    Action.CLOSE: ("ledger:close_item", "success"),
    Action.DECIDE_EXTENSION: ("ledger:decide_extension", "primary"),
    Action.EDIT: ("ledger:edit_item", "primary"),
    Action.REOPEN: ("ledger:reopen_item", "warning"),
    Action.WITHDRAW: ("ledger:withdraw_item", "danger"),
    Action.ATTACH_EVIDENCE: ("ledger:attach_evidence", "secondary"),
}


@login_required
@require_GET
def item_list(request):
    """The ledger (整改台账): the FilterSet's items, sorted, paginated, counted by status."""
    filterset = filter_items(request)
    items = filterset.qs.select_related("organization", "issue", "issue__category", "leader", "owner")
    # Counted with the withdrawn items, which the list leaves out unless asked: their badge
    # says how many there are and links to them.
    by_status = dict(filterset.qs_with_withdrawn.order_by().values_list("status").annotate(n=Count("pk")))
    status_counts = [
        (value, label, by_status.get(value, 0), Item.STATUS_COLOURS[value])
        for value, label in Item.Status.choices
    ]
    if not filterset.shows_withdrawn():
        by_status.pop(Item.Status.WITHDRAWN, None)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    # Reports and exports take the list's own filters, so they hold exactly what is on screen.
    query = request.GET.copy()
    query.pop("page", None)
    may_bulk_edit = keeps_records(request.user)
    if may_bulk_edit:
        for item in page:  # a checkbox for the items the user may edit now
            item.may_edit = workflow.refusal(request.user, item, Action.EDIT) is None
    return render(
        request,
        "ledger/item_list.html",
        {
            "filterset": filterset,
            "page": page,
            "total": sum(by_status.values()),
            "status_counts": status_counts,
            "chips": active_filters(filterset, request.GET),
            "query": query.urlencode(),
            "may_print": can_print_reports(request.user),
            "may_import": keeps_records(request.user),
            "bulk_form": (
                forms.BulkEditForm(initial={"query": request.GET.urlencode()}, user=request.user)
                if may_bulk_edit
                else None
            ),
        },
    )


def _detail_context(request, item, bound=None):
    """Everything the item page shows; `bound` replaces an action's empty form by a bound one."""
    user = request.user
    allowed = workflow.allowed_actions(user, item)
    version = {"version": item.version}
    empty = {
        Action.START: lambda: forms.NoteForm(initial=version),
        Action.POST_PROGRESS: lambda: forms.ProgressForm(initial=version),
        Action.SUBMIT: lambda: forms.NoteForm(initial=version),
        Action.REQUEST_EXTENSION: lambda: forms.ExtensionForm(),
        Action.REVIEW: lambda: forms.NoteForm(initial=version),
        Action.RETURN: lambda: forms.ReasonForm(initial=version),
        Action.CLOSE: lambda: forms.CloseForm(initial=version),
        Action.EDIT: lambda: forms.EditItemForm(
            instance=item, initial=version, organization=item.organization
        ),
        Action.REOPEN: lambda: forms.ReasonForm(initial=version),
        Action.WITHDRAW: lambda: forms.ReasonForm(initial=version),
        Action.ATTACH_EVIDENCE: lambda: forms.EvidenceForm(),
    }
    bound = bound or {}
    action_forms = [
        {
            "action": action,
            "form": _with_ids(action, bound.get(action) or empty[action]()),
            "url": reverse(ACTION_VIEWS[action][0], args=[item.pk]),
            "colour": ACTION_VIEWS[action][1],
            "open": action in bound,
        }
        for action in allowed
        if action != Action.DECIDE_EXTENSION
    ]
    updates = list(
        item.updates.select_related("author").prefetch_related(
            Prefetch("evidence", queryset=Evidence.objects.select_related("uploaded_by"))
        )
    )
    extensions = item.extension_requests.select_related("requested_by", "decided_by")
    return {
        "item": item,
        "issue": item.issue,
        "updates": updates,
        # Files posted with a progress update are shown under it; the Evidence section lists the rest.
        "evidence": item.evidence.filter(update__isnull=True).select_related("uploaded_by"),
        "update_files": any(update.evidence.all() for update in updates),
        "extensions": extensions,
        "action_forms": action_forms,
        "may_decide": Action.DECIDE_EXTENSION in allowed,
        "may_print_dossier": can_print_dossier(user, item),
        "conflict": bound.get("conflict"),
    }


def _with_ids(action, form):
    # Several action forms share field names (note, reason): ids per action keep labels unique.
    form.auto_id = "{action}-%s".format(action=action.value.replace("_", "-"))
    return form


@login_required
@require_GET
def item_detail(request, pk):
    item = get_item_for_user(request.user, pk)
    return render(request, "ledger/item_detail.html", _detail_context(request, item))


@login_required
@require_GET
def item_history(request, pk):
    item = get_item_for_user(request.user, pk)
    return render(request, "ledger/item_history.html", {"item": item, "entries": item_timeline(item)})


@login_required
@require_GET
def evidence_download(request, pk):
    """Serve an evidence file to whoever may see its item; MEDIA_ROOT is never exposed."""
    evidence = get_object_or_404(
        Evidence.objects.filter(item__in=Item.objects.visible_to(request.user)), pk=pk
    )
    return FileResponse(
        evidence.file.open("rb"),
        as_attachment=not evidence.is_image,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )


# ---------------------------------------------------------------------------------------------
# Actions: POST only, one view per verb. Each reads `cleaned_data` and calls the workflow.


def _perform(request, item, action, form, call):
    """Validate `form`, run `call(cleaned_data)`; on success go back to `next` or the item page.

    Bad input re-renders the page with the typed values and the errors; a refusal is a message
    (a `NotAllowed` refusal is a 403)."""
    if action == Action.DECIDE_EXTENSION:
        # Decisions are small forms beside each request, not an action form: errors are messages.
        return _decide(request, item, form, call)
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except workflow.NotAllowed as refused:
            raise PermissionDenied(refused.message) from None
        except workflow.EditConflict as conflict:
            if action != Action.EDIT and came_from_mine(request):
                # The owner's page shows the item as it is now; the typed text stays in the form.
                form.add_error(None, conflict.message)
                return _invalid(request, item, action, form, status=409)
            return _conflict(request, item, form, conflict)
        except workflow.ActionRefused as refused:
            messages.error(request, refused.message)
            return redirect(_next_url(request, item))
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Done: {action}.").format(action=action.label))
            return redirect(_next_url(request, item))
    return _invalid(request, item, action, form, status=400)


def _invalid(request, item, action, form, status):
    """Show the form again with its errors and what was typed, on the page it was posted from."""
    if came_from_mine(request):
        response = _render_mine(request, bound=(item.pk, action, form), status=status)
        if response is not None:
            return response
    context = _detail_context(request, item, bound={action: form})
    return render(request, "ledger/item_detail.html", context, status=status)


def _decide(request, item, form, call):
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except workflow.NotAllowed as refused:
            raise PermissionDenied(refused.message) from None
        except workflow.ActionRefused as refused:
            messages.error(request, refused.message)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Done: {action}.").format(action=Action.DECIDE_EXTENSION.label))
    else:
        messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
    return redirect(_next_url(request, item))


def came_from_mine(request):
    """Whether an action was posted from the owner's page.

    The page sends its own address as `next`; it is believed only when it is a local address whose
    path is the owner's page, and the views then go to `reverse("ledger:mine")`, never to the
    address sent: a forged `next` can only lead to the item page."""
    target = request.POST.get("next", "")
    return url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ) and urlsplit(target).path == reverse("ledger:mine")


def _next_url(request, item):
    if came_from_mine(request):
        return reverse("ledger:mine")
    return reverse("ledger:item_detail", args=[item.pk])


def _add_errors(form, error):
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _conflict(request, item, form, conflict):
    """Keep what the user typed, show what changed meanwhile, and let them save over it."""
    current = conflict.current
    changes = changes_since(current, form.cleaned_data.get("version"), workflow.ITEM_EDITABLE_FIELDS)
    data = request.POST.copy()
    data["version"] = current.version
    rebound = forms.EditItemForm(data, instance=current, organization=current.organization)
    rebound.is_valid()
    context = _detail_context(
        request,
        current,
        bound={Action.EDIT: rebound, "conflict": {"message": conflict.message, "changes": changes}},
    )
    return render(request, "ledger/item_detail.html", context, status=409)


@login_required
@require_POST
def edit_item(request, pk):
    item = get_item_for_action(request.user, pk, Action.EDIT)
    form = forms.EditItemForm(request.POST, instance=copy.copy(item), organization=item.organization)

    def call(data):
        changes = {name: data[name] for name in workflow.ITEM_EDITABLE_FIELDS}
        workflow.edit_item(
            request.user, item, expected_version=data["version"], reason=data["reason"], **changes
        )

    return _perform(request, item, Action.EDIT, form, call)


@login_required
@require_POST
def start_item(request, pk):
    item = get_item_for_action(request.user, pk, Action.START)
    form = forms.NoteForm(request.POST)
    return _perform(
        request,
        item,
        Action.START,
        form,
        lambda d: workflow.start(request.user, item, expected_version=d["version"], note=d["note"]),
    )


@login_required
@require_POST
def post_progress(request, pk):
    item = get_item_for_action(request.user, pk, Action.POST_PROGRESS)
    form = forms.ProgressForm(request.POST, request.FILES)
    return _perform(
        request,
        item,
        Action.POST_PROGRESS,
        form,
        lambda d: workflow.post_progress(
            request.user,
            item,
            text=d["text"],
            percent=d["percent"],
            files=d["files"],
            expected_version=d["version"],
        ),
    )


@login_required
@require_POST
def attach_evidence(request, pk):
    item = get_item_for_action(request.user, pk, Action.ATTACH_EVIDENCE)
    form = forms.EvidenceForm(request.POST, request.FILES)
    return _perform(
        request,
        item,
        Action.ATTACH_EVIDENCE,
        form,
        lambda d: workflow.attach_evidence(request.user, item, d["file"]),
    )


@login_required
@require_POST
def submit_item(request, pk):
    item = get_item_for_action(request.user, pk, Action.SUBMIT)
    form = forms.NoteForm(request.POST)
    return _perform(
        request,
        item,
        Action.SUBMIT,
        form,
        lambda d: workflow.submit(request.user, item, expected_version=d["version"], note=d["note"]),
    )


@login_required
@require_POST
def request_extension(request, pk):
    item = get_item_for_action(request.user, pk, Action.REQUEST_EXTENSION)
    form = forms.ExtensionForm(request.POST)
    return _perform(
        request,
        item,
        Action.REQUEST_EXTENSION,
        form,
        lambda d: workflow.request_extension(
            request.user, item, proposed_deadline=d["proposed_deadline"], reason=d["reason"]
        ),
    )


@login_required
@require_POST
def review_item(request, pk):
    item = get_item_for_action(request.user, pk, Action.REVIEW)
    form = forms.NoteForm(request.POST)
    return _perform(
        request,
        item,
        Action.REVIEW,
        form,
        lambda d: workflow.review(request.user, item, expected_version=d["version"], note=d["note"]),
    )


@login_required
@require_POST
def return_item(request, pk):
    item = get_item_for_action(request.user, pk, Action.RETURN)
    form = forms.ReasonForm(request.POST)
    return _perform(
        request,
        item,
        Action.RETURN,
        form,
        lambda d: workflow.return_item(request.user, item, reason=d["reason"], expected_version=d["version"]),
    )


@login_required
@require_POST
def close_item(request, pk):
    item = get_item_for_action(request.user, pk, Action.CLOSE)
    form = forms.CloseForm(request.POST)
    return _perform(
        request,
        item,
        Action.CLOSE,
        form,
        lambda d: workflow.close(
            request.user,
            item,
            note=d["note"],
            outcome=d["outcome"],
            next_review_on=d["next_review_on"],
            expected_version=d["version"],
        ),
    )


@login_required
@require_POST
def reopen_item(request, pk):
    item = get_item_for_action(request.user, pk, Action.REOPEN)
    form = forms.ReasonForm(request.POST)
    return _perform(
        request,
        item,
        Action.REOPEN,
        form,
        lambda d: workflow.reopen(request.user, item, reason=d["reason"], expected_version=d["version"]),
    )


@login_required
@require_POST
def withdraw_item(request, pk):
    item = get_item_for_action(request.user, pk, Action.WITHDRAW)
    form = forms.ReasonForm(request.POST)
    return _perform(
        request,
        item,
        Action.WITHDRAW,
        form,
        lambda d: workflow.withdraw(request.user, item, reason=d["reason"], expected_version=d["version"]),
    )


@login_required
@require_POST
def decide_extension(request, pk):
    item = get_item_for_action(request.user, pk, Action.DECIDE_EXTENSION)
    form = forms.DecideExtensionForm(request.POST, item=item)
    return _perform(
        request,
        item,
        Action.DECIDE_EXTENSION,
        form,
        lambda d: workflow.decide_extension(
            request.user, d["extension"], approve=d["approve"], note=d["note"]
        ),
    )


# ---------------------------------------------------------------------------------------------
# The owner's page


def _mine_sort_key(item, today):
    due = item.due_date
    return (not item.is_overdue(today), due is None, due or today)


# The actions the owner's page offers as forms, and the empty form of each for an item.
MINE_FORMS = {
    Action.POST_PROGRESS: lambda item: forms.ProgressForm(initial={"percent": item.progress}),
    Action.SUBMIT: lambda item: forms.NoteForm(),
    Action.REQUEST_EXTENSION: lambda item: forms.ExtensionForm(),
}


def _render_mine(request, bound=None, status=200):
    """The owner's page. `bound` is (item id, action, form) of a post that came back with errors:
    that card shows the form as typed, opened, with its errors. None when that item is not on
    the page (not the user's, or finished), so that the caller shows the item page instead."""
    today = timezone.localdate()
    items = (
        Item.objects.filter(owner=request.user)
        .exclude(status__in=Item.FINISHED_STATUSES)
        .select_related("organization", "issue", "issue__category")
        .prefetch_related(
            Prefetch(
                "extension_requests",
                queryset=ExtensionRequest.objects.filter(status=ExtensionRequest.Status.PENDING),
                to_attr="pending_extensions",
            ),
        )
    )
    cards = []
    for item in sorted(items, key=lambda item: _mine_sort_key(item, today)):
        card_forms = {action.value: empty(item) for action, empty in MINE_FORMS.items()}
        opened = None
        if bound is not None and bound[0] == item.pk:
            opened = bound[1].value
            card_forms[opened] = bound[2]
        cards.append(
            {
                "item": item,
                "actions": workflow.allowed_actions(request.user, item),
                "forms": card_forms,
                "opened": opened,
            }
        )
    if bound is not None and not any(card["opened"] for card in cards):
        return None
    return render(request, "ledger/mine.html", {"cards": cards, "bound": bound is not None}, status=status)


@login_required
@require_GET
def mine(request):
    """The owner's page, mobile-first: my open items, overdue first, then by deadline."""
    return _render_mine(request)
