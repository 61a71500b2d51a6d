"""Ledger list, item detail, history, evidence download and the views of the workflow's actions,
all driven by one table (`ACTIONS`)."""

import copy
import datetime
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, Count, DateField, F, Prefetch, Value, When
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from core.permissions import Scope

from .. import drafts, forms, lights, merge, queue, workflow
from ..access import (
    can_print_dossier,
    can_print_reports,
    get_item_for_action,
    get_item_for_user,
    keeps_records,
)
from ..filtersets import active_filters, filter_items
from ..history import Timeline
from ..models import Evidence, Item, Withheld
from ..workflow import Action

PAGE_SIZE = 50
# The item page shows the latest progress updates, this many more at each "show more".
UPDATES_SHOWN = 20
# Entries a page of an item's history shows, newest first.
HISTORY_PAGE_SIZE = 50
# Cards a page of the owner's page shows: each card carries its forms, and owners read it on phones.
MINE_PAGE_SIZE = 20


class CountedPaginator(Paginator):
    """A paginator told its count, counted already with the page's other figures: no COUNT query."""

    def __init__(self, object_list, per_page, count):
        super().__init__(object_list, per_page)
        self.count = count  # shadows Paginator.count (a cached property)


def _shown_updates(request):
    """How many of the latest progress updates the item page shows: `?updates=N`, at least
    UPDATES_SHOWN; anything else than a number is the default."""
    value = request.GET.get("updates", "")
    number = int(value) if value.isdigit() and len(value) < 7 else 0
    return max(UPDATES_SHOWN, number)


@dataclass(frozen=True)
class ItemAction:
    """How the web takes one workflow action on an item: the address it is posted to, the colour
    of its button, its form, the workflow call made with the form's `cleaned_data` (returning
    what the workflow returns), and the message said on success, as people say it."""

    url_name: str
    colour: str
    form: type
    call: Callable
    done: Callable

    def url(self, item):
        return reverse(self.url_name, args=[item.pk])


def _says(message):
    return lambda result: message


def _edit(user, item, data):
    changes = {name: data[name] for name in workflow.ITEM_EDITABLE_FIELDS}
    return workflow.edit_item(
        user,
        item,
        expected_version=data["version"],
        reason=data["reason"],
        deadline_decision=data.get("deadline_decision", False),
        co_owners=_co_owners(item, data.get("co_owners")),
        **changes,
    )


def _co_owners(item, chosen):
    """The co-owners chosen in the form, those kept in their order first; None when the form
    has no such field."""
    if chosen is None:
        return None
    before = workflow.co_owner_ids(item)
    return forms.people_in_order(
        [pk for pk in before if pk in chosen] + [pk for pk in chosen if pk not in before]
    )


def _closed(item):
    if item.status == Item.Status.CLOSED:
        return _("The item is closed.")
    return _("Stage completed: the item continues as a long-term item.")


def _decided(extension):
    if extension.status == extension.Status.APPROVED:
        return _("Extension approved: the deadline is now {date}.").format(
            date=date_format(extension.proposed_deadline)
        )
    return _("Extension request rejected.")


# The table of the item actions the web offers: one generic view per row (`action_view`).
ACTIONS = {
    Action.START: ItemAction(
        "ledger:start_item",
        "primary",
        forms.NoteForm,
        lambda user, item, d: workflow.start(user, item, expected_version=d["version"], note=d["note"]),
        _says(_("Work started.")),
    ),
    Action.POST_PROGRESS: ItemAction(
        "ledger:post_progress",
        "primary",
        forms.ProgressForm,
        lambda user, item, d: workflow.post_progress(
            user, item, text=d["text"], percent=d["percent"], files=d["files"], expected_version=d["version"]
        ),
        _says(_("Progress saved.")),
    ),
    Action.ATTACH_EVIDENCE: ItemAction(
        "ledger:attach_evidence",
        "secondary",
        forms.EvidenceForm,
        lambda user, item, d: workflow.attach_evidence(user, item, d["file"]),
        _says(_("Evidence attached.")),
    ),
    Action.SUBMIT: ItemAction(
        "ledger:submit_item",
        "success",
        forms.SubmitForm,
        lambda user, item, d: workflow.submit(
            user,
            item,
            expected_version=d["version"],
            note=d["note"],
            incomplete_confirmed=d.get("incomplete_confirmed", False),
        ),
        _says(_("Submitted for verification.")),
    ),
    Action.REQUEST_EXTENSION: ItemAction(
        "ledger:request_extension",
        "secondary",
        forms.ExtensionForm,
        lambda user, item, d: workflow.request_extension(
            user, item, proposed_deadline=d["proposed_deadline"], reason=d["reason"]
        ),
        _says(_("Extension requested.")),
    ),
    Action.REVIEW: ItemAction(
        "ledger:review_item",
        "success",
        forms.NoteForm,
        lambda user, item, d: workflow.review(user, item, expected_version=d["version"], note=d["note"]),
        _says(_("Review recorded.")),
    ),
    Action.RETURN: ItemAction(
        "ledger:return_item",
        "warning",
        forms.ReasonForm,
        lambda user, item, d: workflow.return_item(
            user, item, reason=d["reason"], expected_version=d["version"]
        ),
        _says(_("Item returned for more work.")),
    ),
    Action.CLOSE: ItemAction(
        "ledger:close_item",
        "success",
        forms.CloseForm,
        lambda user, item, d: workflow.close(
            user,
            item,
            note=d["note"],
            outcome=d["outcome"],
            next_review_on=d["next_review_on"],
            expected_version=d["version"],
        ),
        _closed,
    ),
    Action.DECIDE_EXTENSION: ItemAction(
        "ledger:decide_extension",
        "primary",
        forms.DecideExtensionForm,
        lambda user, item, d: workflow.decide_extension(
            user, d["extension"], approve=d["approve"], note=d["note"]
        ),
        _decided,
    ),
    Action.EDIT: ItemAction(
        "ledger:edit_item", "primary", forms.EditItemForm, _edit, _says(_("Changes saved."))
    ),
    Action.REOPEN: ItemAction(
        "ledger:reopen_item",
        "warning",
        forms.ReasonForm,
        lambda user, item, d: workflow.reopen(user, item, reason=d["reason"], expected_version=d["version"]),
        _says(_("Item reopened.")),
    ),
    Action.WITHDRAW: ItemAction(
        "ledger:withdraw_item",
        "danger",
        forms.ReasonForm,
        lambda user, item, d: workflow.withdraw(
            user, item, reason=d["reason"], expected_version=d["version"]
        ),
        _says(_("Item withdrawn.")),
    ),
}


def action_form(action, item, data=None, files=None, *, initial=None, auto_id=None):
    """The form of `action` on `item`: bound to `data` (a POST), or empty, starting from the
    item's version (and, for progress, its percent) unless `initial` says otherwise."""
    form_class = ACTIONS[action].form
    kwargs = {}
    if form_class is forms.EditItemForm:
        # A bound edit form works on a copy: the page keeps showing the item as stored.
        kwargs = {
            "instance": copy.copy(item) if data is not None else item,
            "organization": item.organization,
        }
    elif form_class is forms.DecideExtensionForm:
        kwargs = {"item": item}
    start = {}
    if "version" in form_class.base_fields:
        start["version"] = item.version
    if action == Action.POST_PROGRESS:
        start["percent"] = item.progress
    form = form_class(data, files, initial={**start, **(initial or {})}, **kwargs)
    if action == Action.SUBMIT:
        if workflow.needs_incomplete_confirmation(item):
            form.fields["incomplete_confirmed"].label = _(
                "The progress posted is {percent}%: the work is done all the same."
            ).format(percent=item.progress)
        else:
            del form.fields["incomplete_confirmed"]
    if auto_id is not None:
        form.auto_id = auto_id
    return form


class LedgerPaginator(Paginator):
    """Pages of a queryset, told the number of objects (counted with other figures) instead of
    counting them again.

    A page is read in two steps: the keys of its items first, in the list's order, from the
    items' table alone (the order's index, skipping the earlier pages there), then those items
    with what `object_list` joins to them. Read in one step, a deep page joined every row of the
    pages before it only to skip them."""

    def __init__(self, object_list, per_page, *, count, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.count = count

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        keys = list(self.object_list.values_list("pk", flat=True)[bottom : bottom + self.per_page])
        rows = self.object_list.order_by().in_bulk(keys)
        return self._get_page([rows[key] for key in keys if key in rows], number, self)


@login_required
@require_GET
def item_list(request):
    """The ledger (整改台账): the FilterSet's items, sorted, paginated, counted by status."""
    filterset = filter_items(request)
    items = filterset.qs.select_related("organization", "issue", "issue__category", "leader", "owner")
    if "light_code" not in items.query.annotations:  # unless the light sort annotated it already
        items = lights.Judge(timezone.localdate()).annotate(items)
    # Counted with the withdrawn items, which the list leaves out unless asked: their badge
    # says how many there are and links to them.
    by_status = dict(filterset.qs_with_withdrawn.order_by().values_list("status").annotate(n=Count("pk")))
    links = _status_links(request)
    status_counts = [
        (value, label, by_status.get(value, 0), Item.STATUS_COLOURS[value], *links[value])
        for value, label in Item.Status.choices
    ]
    if not filterset.shows_withdrawn():
        by_status.pop(Item.Status.WITHDRAWN, None)
    total = sum(by_status.values())
    # The counts by status already add up to the list's length: the paginator takes it from them.
    page = LedgerPaginator(items, PAGE_SIZE, count=total).get_page(request.GET.get("page"))
    # Reports and exports take the list's own filters, so they hold exactly what is on screen.
    query = request.GET.copy()
    query.pop("page", None)
    may_bulk_edit = keeps_records(request.user)
    if may_bulk_edit:
        for item in page:  # a checkbox for the items the user may edit now
            item.may_edit = workflow.refusal(request.user, item, Action.EDIT) is None
    # What the table and the cards both show of each row, worked out once a row (the address)
    # or once a status (its filter link and title), not twice a row in the templates.
    for item in page:
        item.url = reverse("ledger:item_detail", args=[item.pk])
        item.status_link, item.status_title = links[item.status]
    return render(
        request,
        "ledger/item_list.html",
        {
            "filterset": filterset,
            "page": page,
            "total": total,
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


def _status_links(request):
    """{status: (the list's address showing only that status, other filters kept; its title)}."""
    links = {}
    for value, label in Item.Status.choices:
        query = request.GET.copy()
        query["status"] = value
        query.pop("page", None)
        links[value] = ("?" + query.urlencode(), _("Show only “{status}”").format(status=label))
    return links


def _detail_context(request, item, bound=None):
    """Everything the item page shows; `bound` replaces an action's empty form by a bound one."""
    user = request.user
    allowed = workflow.allowed_actions(user, item)
    bound = bound or {}
    # Only the forms opened (bound, or asked for with ?open=) are built: the others are folded
    # panels whose form is loaded when opened (htmx), or, without JavaScript, the link to the
    # item page with that form open.
    action_forms = [
        _action_entry(item, action, bound.get(action))
        for action in allowed
        if action != Action.DECIDE_EXTENSION
    ]
    # The form that came back with errors heads the page in a summary linked to its fields.
    summary = next(
        (
            {"form": entry["form"], "anchor": "action-{}".format(entry["action"].value)}
            for entry in action_forms
            if entry["open"] and entry["form"].errors
        ),
        None,
    )
    # The latest updates only (an item may have hundreds), each with its files, and, in one
    # query, how many there are and whether any of them came with files.
    shown = _shown_updates(request)
    updates = list(
        item.updates.select_related("author").prefetch_related(
            Prefetch("evidence", queryset=Evidence.objects.select_related("uploaded_by"))
        )[:shown]
    )
    posted = item.updates.aggregate(total=Count("pk", distinct=True), files=Count("evidence"))
    extensions = item.extension_requests.select_related("requested_by", "decided_by")
    return {
        "item": item,
        "issue": item.issue,
        "updates": updates,
        "updates_total": posted["total"],
        "updates_older": posted["total"] - len(updates),
        "updates_more": min(UPDATES_SHOWN, posted["total"] - len(updates)),
        "updates_next": shown + UPDATES_SHOWN,
        "updates_first_older": len(updates) + 1,
        # Files posted with a progress update are shown under it; the Evidence section lists the rest.
        "evidence": item.evidence.filter(update__isnull=True).select_related("uploaded_by"),
        "update_files": posted["files"] > 0,
        "extensions": extensions,
        "action_forms": action_forms,
        "may_decide": Action.DECIDE_EXTENSION in allowed,
        "may_print_dossier": can_print_dossier(user, item),
        # Copying an item starts a new item of its issue: for those who keep the issue's records.
        "may_copy": Scope.for_user(user).manages(item.issue.organization_id),
        # The 不公开 marks of the public version (issue 14), for the committee of the item.
        "withheld": (
            list(item.withheld.select_related("marked_by").order_by("field"))
            if Scope.for_user(user).manages(item.organization_id)
            else None
        ),
        "withheld_fields": Withheld.Field.choices,
        "withheld_reasons": Withheld.Reason.choices,
        "conflict": bound.get("conflict"),
        "summary": summary,
        # The language switch leads back to the item page (not to the action's address), with
        # as many updates as the page shows.
        "page_url": _item_page_url(item, shown),
    }


def _action_entry(item, action, form=None):
    """One action panel of the item page: its form when it is built (opened), else None."""
    return {
        "action": action,
        "form": _with_ids(action, form) if form is not None else None,
        "url": ACTIONS[action].url(item),
        "load_url": "{}?open={}".format(reverse("ledger:item_detail", args=[item.pk]), action.value),
        "colour": ACTIONS[action].colour,
        "open": form is not None,
    }


def _opened_action(request, item):
    """The action whose form the item page was asked to open (``?open=``), if the user may take it."""
    value = request.GET.get("open", "")
    if value not in Action.values or value == Action.DECIDE_EXTENSION:
        return None
    action = Action(value)
    if action not in ACTIONS or workflow.refusal(request.user, item, action) is not None:
        return None
    return action


def _item_page_url(item, shown):
    url = reverse("ledger:item_detail", args=[item.pk])
    return url if shown <= UPDATES_SHOWN else f"{url}?updates={shown}"


def _with_ids(action, form):
    # Several action forms share field names (note, reason): ids per action keep labels unique.
    form.auto_id = "{action}-%s".format(action=action.value.replace("_", "-"))
    return form


def _item_for_page(user, pk):
    """The item for its page, with what `workflow.refusal` reads besides it (no query per action)."""
    related = Item.objects.select_related("organization", "issue", "issue__category", "owner", "leader")
    return get_item_for_user(user, pk, workflow.with_preconditions(related))


@login_required
@require_GET
def item_detail(request, pk):
    """The item page. ``?open=<action>`` opens that action's form; asked by htmx (a folded
    panel opened), only that form is sent."""
    item = _item_for_page(request.user, pk)
    opened = _opened_action(request, item)
    if opened is None:
        return render(request, "ledger/item_detail.html", _detail_context(request, item))
    form = action_form(opened, item)
    if request.htmx:
        return render(
            request, "ledger/includes/action_form_body.html", {"entry": _action_entry(item, opened, form)}
        )
    return render(request, "ledger/item_detail.html", _detail_context(request, item, bound={opened: form}))


@login_required
@require_GET
def item_history(request, pk):
    """The item's history, newest first, a page at a time."""
    item = get_item_for_user(request.user, pk)
    timeline = Timeline(item, newest_first=True)
    page = Paginator(timeline, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "ledger/item_history.html",
        {"item": item, "page": page, "entries": page.object_list, "total": len(timeline)},
    )


@login_required
@require_GET
def evidence_download(request, pk):
    """Serve an evidence file to whoever may see its item; MEDIA_ROOT is never exposed."""
    evidence = get_object_or_404(
        Evidence.objects.filter(item__in=Item.objects.visible_to(request.user)), pk=pk
    )
    response = FileResponse(
        evidence.file.open("rb"),
        as_attachment=not evidence.is_image,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )
    # The content type is the sniffed one (`validators.check_evidence_file`: never HTML or SVG),
    # sent with nosniff (SECURE_CONTENT_TYPE_NOSNIFF); the sandbox keeps even a file opened in
    # the browser from running script in our origin.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    return response


# ---------------------------------------------------------------------------------------------
# Actions: one generic view per row of `ACTIONS`. A POST reads `cleaned_data` and calls the
# workflow; a GET (a reload, a language switch, a login's redirect) shows the page the action
# belongs to, with what was typed before an expired session, if anything was kept.


def action_view(action):
    """The view of one action of the table, at its own address (`ACTIONS[action].url_name`)."""

    def view(request, pk):
        if request.method == "GET":
            return _action_page(request, pk, action)
        item = get_item_for_action(request.user, pk, action)
        return _perform(request, item, action, action_form(action, item, request.POST, request.FILES))

    view.__name__ = view.__qualname__ = ACTIONS[action].url_name.split(":")[1]
    view.__doc__ = f"POST: {action.value} (`ledger.workflow`). GET: the item's page."
    return drafts.login_required_keeping_typing(require_http_methods(["GET", "POST"])(view))


def _action_page(request, pk, action):
    """A GET on an action's address: the item page (a redirect), or, when the user's session had
    expired as they posted this action (`ledger.drafts`), the form again with what they typed."""
    item = _item_for_page(request.user, pk)
    draft = drafts.take(request)
    restorable = (
        draft is not None
        and action != Action.DECIDE_EXTENSION
        and workflow.refusal(request.user, item, action) is None
    )
    if not restorable:
        return redirect("ledger:item_detail", pk=item.pk)
    form = action_form(action, item, initial=draft.initial())
    drafts.tell_restored(request, draft)
    if action != Action.EDIT and _is_mine_url(request, draft.initial().get("next", "")):
        response = _render_mine(request, bound=(item.pk, action, form))
        if response is not None:
            return response
    return render(request, "ledger/item_detail.html", _detail_context(request, item, bound={action: form}))


def _perform(request, item, action, form):
    """Validate `form`, make the action's workflow call; on success go back to `next` or the item page.

    Bad input re-renders the page with the typed values and the errors; a refusal is a message
    (a `NotAllowed` refusal is a 403)."""
    if action == Action.DECIDE_EXTENSION:
        # Decisions are small forms beside each request, not an action form: errors are messages.
        return _decide(request, item, form)
    if action == Action.EDIT and request.POST.get("find"):
        # "Find people" without JavaScript: the form again as typed, its selects listing the
        # people matching the names typed (`forms.EditItemForm`); nothing is saved.
        return _invalid(request, item, action, form, status=200)
    if form.is_valid():
        try:
            result = ACTIONS[action].call(request.user, item, form.cleaned_data)
        except workflow.NotAllowed as refused:
            raise PermissionDenied(refused.message) from None
        except workflow.EditConflict as conflict:
            if action != Action.EDIT and came_from_mine(request):
                # The owner's page shows the item as it is now; the typed text stays in the form.
                form.add_error(None, conflict.message)
                return _invalid(request, item, action, form, status=409)
            return _conflict(request, item, action, form, conflict)
        except workflow.ActionRefused as refused:
            messages.error(request, refused.message)
            return redirect(_next_url(request, item))
        except ValidationError as error:
            forms.add_validation_errors(form, error)
        else:
            messages.success(request, ACTIONS[action].done(result))
            return redirect(_next_url(request, item))
    elif action == Action.EDIT and (refused := merge.at_base(request.POST, form)) is not None:
        # Saved again with a field both changed left unchosen: the merge is shown again, with
        # the choice asked for.
        first = action_form(action, item, refused)
        if first.is_valid():
            return _conflict(request, item, action, first, workflow.EditConflict(item), data=refused)
    return _invalid(request, item, action, form, status=400)


def _invalid(request, item, action, form, status):
    """Show the form again with its errors and what was typed, on the page it was posted from."""
    if came_from_mine(request):
        response = _render_mine(request, bound=(item.pk, action, form), status=status)
        if response is not None:
            return response
    context = _detail_context(request, item, bound={action: form})
    return render(request, "ledger/item_detail.html", context, status=status)


def _decide(request, item, form):
    if form.is_valid():
        try:
            result = ACTIONS[Action.DECIDE_EXTENSION].call(request.user, item, form.cleaned_data)
        except workflow.NotAllowed as refused:
            raise PermissionDenied(refused.message) from None
        except workflow.ActionRefused as refused:
            messages.error(request, refused.message)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, ACTIONS[Action.DECIDE_EXTENSION].done(result))
    else:
        messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
    return redirect(_next_url(request, item))


def came_from_mine(request):
    """Whether an action was posted from the owner's page.

    The page sends its own address as `next`; it is believed only when it is a local address whose
    path is the owner's page, and the views then go to `reverse("ledger:mine")`, never to the
    address sent: a forged `next` can only lead to the item page."""
    return _is_mine_url(request, request.POST.get("next", ""))


def _is_mine_url(request, target):
    return url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ) and urlsplit(target).path == reverse("ledger:mine")


def _next_url(request, item):
    if came_from_mine(request):
        return _mine_url(_mine_page_number(request))
    return reverse("ledger:item_detail", args=[item.pk])


def _conflict(request, item, action, form, conflict, data=None):
    """The edit form again over the current version, merged field by field with what changed
    meanwhile (`ledger.merge`): fields both changed are to be chosen before it saves."""
    current = conflict.current
    refused = workflow.refusal(request.user, current, action)
    if refused is not None and not isinstance(form, forms.EditItemForm):
        return _late_post(request, current, conflict, refused[1])
    if not isinstance(form, forms.EditItemForm):
        # Another action posted from an older page (start, progress, close…): nothing to merge;
        # its form comes back as typed over the current version, with the conflict's message.
        data = request.POST.copy()
        data["version"] = current.version
        rebound = action_form(action, current, data, request.FILES)
        rebound.is_valid()
        rebound.add_error(None, conflict.message)
        return _invalid(request, current, action, rebound, status=409)
    unchosen = data is not None  # the merge was shown already: an open choice is an error now
    data, shown = merge.merge_conflict(
        request.POST if data is None else data, conflict, [(form, current, "")]
    )
    # A copy: the page shows the item as stored while the form holds the merge.
    rebound = forms.EditItemForm(data, instance=copy.copy(current), organization=current.organization)
    merge.present(shown, rebound)
    if unchosen:
        rebound.merge_presented = False
        rebound.full_clean()
    shown["form_id"] = "action-edit"  # beside the item, not below the conflict on a phone
    context = _detail_context(request, current, bound={Action.EDIT: rebound, "conflict": shown})
    # Saved again with a choice left open: an error in what was sent (400), not a new conflict.
    return render(request, "ledger/item_detail.html", context, status=400 if unchosen else 409)


def _late_post(request, current, conflict, refusal):
    """An action posted on an item that moved meanwhile to where it no longer applies (a progress
    post on an item closed or withdrawn since): its form is not on the page any more, so the
    page says why (the refusal, the change meanwhile and its reason) and shows what was typed,
    to be copied for a post elsewhere. Nothing is saved."""
    last = current.history.select_related("history_user").first()
    typed = [request.POST.get(name, "") for name in ("text", "note", "reason")]
    context = _detail_context(request, current)
    context["late_post"] = {
        "message": conflict.message,
        "refusal": refusal,
        "changed_by": last.history_user if last else None,
        "change_reason": last.history_change_reason if last else "",
        "text": "\n".join(part for part in typed if part),
    }
    return render(request, "ledger/item_detail.html", context, status=409)


edit_item = action_view(Action.EDIT)
start_item = action_view(Action.START)
post_progress = action_view(Action.POST_PROGRESS)
attach_evidence = action_view(Action.ATTACH_EVIDENCE)
submit_item = action_view(Action.SUBMIT)
request_extension = action_view(Action.REQUEST_EXTENSION)
review_item = action_view(Action.REVIEW)
return_item = action_view(Action.RETURN)
close_item = action_view(Action.CLOSE)
reopen_item = action_view(Action.REOPEN)
withdraw_item = action_view(Action.WITHDRAW)
decide_extension = action_view(Action.DECIDE_EXTENSION)


# ---------------------------------------------------------------------------------------------
# The owner's page


# The actions the owner's page offers, with the ids of their fields on an item's card.
MINE_FORMS = {
    Action.START: "start-%s-{pk}",
    Action.POST_PROGRESS: "%s-{pk}",
    Action.SUBMIT: "submit-%s-{pk}",
    Action.REQUEST_EXTENSION: "extension-%s-{pk}",
}


def _mine_items(user, today):
    """The user's open items (owned, or helped on as a co-owner) in the owner's page's order:
    overdue first, then by the date that can run late (deadline, or review date of a long-term
    item), items without one last."""
    due = Case(
        When(status=Item.Status.LONG_TERM, then=F("next_review_on")),
        When(status__in=Item.DEADLINE_STATUSES, then=F("deadline")),
        default=None,
        output_field=DateField(),
    )
    return (
        Item.objects.filter(Item.worked_on_q(user.pk))
        .exclude(status__in=Item.FINISHED_STATUSES)
        .annotate(due=due)
        .order_by(
            Case(When(due__lt=today, then=Value(0)), default=Value(1)),
            F("due").asc(nulls_last=True),
            "pk",
        )
    )


def _mine_page_number(request):
    """The page of the owner's page an action was posted from (the `next` it sent), or 1."""
    value = parse_qs(urlsplit(request.POST.get("next", "")).query).get("page", [""])[0]
    return int(value) if value.isdigit() and len(value) < 7 else 1


def _mine_url(number):
    url = reverse("ledger:mine")
    return url if number <= 1 else f"{url}?page={number}"


def _render_mine(request, bound=None, status=200):
    """The owner's page, a page of cards at a time. `bound` is (item id, action, form) of a post
    that came back with errors (or of a form filled in again after a login): the page holding
    that card is shown, the card with the form as typed, opened, with its errors. None when that
    item is not on the owner's page (not the user's, or finished), so that the caller shows the
    item page instead.

    The counts (open, overdue, due soon) are of all the user's open items, in one query; the
    page's cards come with what `workflow.refusal` reads (no query per card)."""
    today = timezone.localdate()
    items = _mine_items(request.user, today)
    counts = items.aggregate(
        total=Count("pk"),
        overdue=Count("pk", filter=Item.overdue_q(today)),
        soon=Count("pk", filter=Item.due_within_q(queue.SOON_DAYS, today)),
    )
    if bound is not None:
        order = list(items.values_list("pk", flat=True))
        if bound[0] not in order:
            return None
        number = order.index(bound[0]) // MINE_PAGE_SIZE + 1
    else:
        number = request.GET.get("page")
    # With their co-owners: what the workflow's rules read of a card a co-owner sees.
    on_page = workflow.with_preconditions(
        items.select_related("organization", "issue", "issue__category")
    ).with_co_owners()
    page = CountedPaginator(on_page, MINE_PAGE_SIZE, counts["total"]).get_page(number)
    groups = {
        "overdue": _("Overdue ({count})").format(count=counts["overdue"]),
        "soon": _("Due within {days} days ({count})").format(days=queue.SOON_DAYS, count=counts["soon"]),
        "later": _("Later ({count})").format(count=counts["total"] - counts["overdue"] - counts["soon"]),
    }
    soon_until = today + datetime.timedelta(days=queue.SOON_DAYS)
    cards = []
    summary = None
    group = None
    for item in page:
        allowed = workflow.allowed_actions(request.user, item)
        # The forms of what the user may do on this card only: a card offers no other.
        card_forms = {
            action.value: action_form(action, item, auto_id=ids.format(pk=item.pk))
            for action, ids in MINE_FORMS.items()
            if action in allowed
        }
        opened = None
        if bound is not None and bound[0] == item.pk:
            opened = bound[1].value
            bound[2].auto_id = MINE_FORMS.get(bound[1], "%s-{pk}").format(pk=item.pk)
            card_forms[opened] = bound[2]
            if bound[2].errors:
                summary = {"form": bound[2], "anchor": f"item-{item.pk}"}
        due = item.due_date
        item_group = "overdue" if item.is_overdue(today) else "soon" if due and due <= soon_until else "later"
        cards.append(
            {
                "item": item,
                "actions": allowed,
                "forms": card_forms,
                "opened": opened,
                "confirm_incomplete": workflow.needs_incomplete_confirmation(item),
                # A heading above the first card of each group on the page.
                "heading": groups[item_group] if item_group != group else None,
            }
        )
        group = item_group
    context = {
        "cards": cards,
        "page": page,
        "counts": counts,
        "soon_days": queue.SOON_DAYS,
        "bound": bound is not None,
        "summary": summary,
        # Actions posted from a card come back to this page; so does the language switch.
        "page_url": _mine_url(page.number),
    }
    return render(request, "ledger/mine.html", context, status=status)


@login_required
@require_GET
def mine(request):
    """The owner's page, mobile-first: my open items, overdue first, then by deadline, a page at a time."""
    return _render_mine(request)
