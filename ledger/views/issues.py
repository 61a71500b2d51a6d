"""Issues: the list of all issues in scope, logging issues that do not come from a meeting
(inspections 巡视巡察, feedback from above, self-checks), editing one issue, and the issue page,
where items are created from an issue with the same form and code as on the meeting page."""

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from core.permissions import Scope

from .. import drafts, forms, merge, workflow
from ..access import get_issue_for_manager, get_issue_for_user, keeps_records
from ..drafts import login_required_keeping_typing
from ..filtersets import active_filters, filter_issues
from ..models import Issue, Item
from .meetings import create_item_from, item_form_context

PAGE_SIZE = 30


# An issue's items as its card lists them.
ITEMS = Prefetch("items", queryset=Item.objects.select_related("owner").order_by("sequence"))


@login_required
@require_GET
def issue_list(request):
    """Every issue in the user's scope, from meetings or not, each with its items."""
    filterset = filter_issues(request)
    issues = (
        filterset.qs.select_related("organization", "category", "meeting")
        .prefetch_related(ITEMS)
        .order_by("-raised_on", "-pk")
    )
    page = Paginator(issues, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "ledger/issue_list.html",
        {
            "filterset": filterset,
            "page": page,
            "chips": active_filters(filterset, request.GET),
            "may_log": keeps_records(request.user),
        },
    )


def _save_issues(user, batch, formset):
    """Save every typed row as an issue of the batch's organization, in one transaction."""
    saved = []
    with transaction.atomic():
        for form in formset.forms:
            if not form.has_changed() or form in formset.deleted_forms:
                continue
            issue = form.save(commit=False)
            issue.organization = batch["organization"]
            issue.raised_on = batch["raised_on"]
            issue.meeting = None
            saved.append(workflow.save_issue(user, issue))
    return saved


@login_required
@require_http_methods(["GET", "POST"])
def issue_create(request):
    """Log one or several issues found outside meetings, for an organization the user manages."""
    if not keeps_records(request.user):
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        batch = forms.IssueBatchForm(request.POST, user=request.user)
        formset = forms.LooseIssueFormSet(
            request.POST,
            queryset=Issue.objects.none(),
            prefix="issues",
            form_kwargs=forms.issue_people(request.user),
        )
        if batch.is_valid() and formset.is_valid():
            try:
                saved = _save_issues(request.user, batch.cleaned_data, formset)
            except ValidationError as error:
                forms.add_validation_errors(batch, error)
            else:
                if saved:
                    count = len(saved)
                    messages.success(
                        request,
                        ngettext("{count} issue was saved.", "{count} issues were saved.", count).format(
                            count=count
                        ),
                    )
                    if len(saved) == 1:
                        return redirect("ledger:issue_detail", pk=saved[0].pk)
                    query = urlencode({"organization": batch.cleaned_data["organization"].pk})
                    return redirect("{}?{}".format(reverse("ledger:issue_list"), query))
                batch.add_error(None, _("Type at least one issue."))
        status = 400
    else:
        batch = forms.IssueBatchForm(user=request.user, initial={"raised_on": timezone.localdate()})
        formset = forms.LooseIssueFormSet(
            queryset=Issue.objects.none(), prefix="issues", form_kwargs=forms.issue_people(request.user)
        )
    return render(request, "ledger/issue_form.html", {"form": batch, "formset": formset}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def issue_edit(request, pk):
    """Correct an issue (its organization's committee), with the reason for the change. A form
    loaded before someone else saved the issue is refused and shown again as typed."""
    issue = get_issue_for_manager(request.user, pk)
    context = {"issue": issue}
    if request.method == "POST":
        # A copy: the page keeps showing the issue as stored while the form holds what was typed.
        form = forms.EditIssueForm(
            request.POST, instance=copy.copy(issue), people=forms.people_managed_by(request.user)
        )
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                workflow.save_issue(
                    request.user,
                    form.save(commit=False),
                    reason=data["reason"],
                    expected_version=data["version"],
                )
            except workflow.EditConflict as conflict:
                form, context["conflict"] = _issue_conflict(request, conflict, form)
                status = 409
            except ValidationError as error:
                forms.add_validation_errors(form, error)
            else:
                messages.success(request, _("The issue was saved."))
                return redirect("ledger:issue_detail", pk=issue.pk)
    else:
        form = forms.EditIssueForm(instance=issue, people=forms.people_managed_by(request.user))
        status = 200
    context["form"] = form
    return render(request, "ledger/issue_edit.html", context, status=status)


def _issue_conflict(request, conflict, form):
    """The form again over the issue as it is now, merged field by field with what changed
    since the form was opened (`ledger.merge`), and the conflict shown above it."""
    current = conflict.current
    data, shown = merge.merge_conflict(request.POST, conflict, [(form, current, "")])
    form = forms.EditIssueForm(
        data, instance=copy.copy(current), people=forms.people_managed_by(request.user)
    )
    merge.present(shown, form)
    return form, shown


def _issue_context(request, issue, item_form=None, quick=None):
    manages = Scope.for_user(request.user).manages(issue.organization_id)
    prefetch_related_objects([issue], ITEMS)
    context = {
        "issue": issue,
        "manages": manages,
        "create_url": reverse("ledger:create_issue_item", args=[issue.pk]),
    }
    if manages:
        # The people of the organization, read once for every item form of the page.
        # The item forms' own rule (`eligible_people`): placeholders an import made are offered too.
        kwargs = {"organization": issue.organization, "people": forms.item_people_for(issue.organization)}
        blank = forms.NewItemForm(issues=Issue.objects.filter(pk=issue.pk), **kwargs)
        kwargs["people_choices"] = blank.fields["owner"].choices
        if item_form is None:
            item_form = _copied_item_form(request, issue, kwargs)
        context.update(item_form_context(blank, item_form))
        context["quick"] = quick or forms.QuickItemFormSet(prefix="items", form_kwargs=kwargs)
    return context


# What a copied item starts from: everything but its state, its dates and its numbering.
COPIED_FIELDS = ("measures", "leader", "department", "owner", "kind", "closure_criteria")


def _copied_item_form(request, issue, form_kwargs):
    """The new-item form prefilled from the item named by `?copy=` (one the user may see), or
    None. The copy is only a start: nothing is saved until the form is sent."""
    source_id = request.GET.get("copy", "")
    if not source_id.isdigit():
        return None
    source = Item.objects.visible_to(request.user).filter(pk=int(source_id)).first()
    if source is None:
        return None
    initial = {name: getattr(source, name) for name in COPIED_FIELDS}
    initial["leader"], initial["owner"] = source.leader_id, source.owner_id
    initial["issue"] = issue.pk
    return forms.NewItemForm(initial=initial, issues=Issue.objects.filter(pk=issue.pk), **form_kwargs)


@login_required
@require_GET
def issue_detail(request, pk):
    issue = get_issue_for_user(request.user, pk)
    return render(request, "ledger/issue_detail.html", _issue_context(request, issue))


@login_required_keeping_typing
@require_http_methods(["GET", "POST"])
def create_issue_item(request, pk):
    """Turn the issue into a rectification item (the meeting page's form and code). A GET shows
    the issue's page (with what was typed before an expired session, if kept)."""
    if request.method == "GET":
        return _issue_page_again(request, pk)
    issue = get_issue_for_manager(request.user, pk)
    form = forms.NewItemForm(
        request.POST, organization=issue.organization, issues=Issue.objects.filter(pk=issue.pk)
    )
    if create_item_from(request, form) is not None:
        return redirect("ledger:issue_detail", pk=issue.pk)
    return render(request, "ledger/issue_detail.html", _issue_context(request, issue, form), status=400)


def _issue_page_again(request, pk):
    """A GET on the issue's item form address: the issue's page (a redirect), or, when the
    user's session had expired as they posted it (`ledger.drafts`), the page with the form
    filled in again with what they typed."""
    issue = get_issue_for_user(request.user, pk)
    draft = drafts.take(request)
    if draft is None or not Scope.for_user(request.user).manages(issue.organization_id):
        return redirect("ledger:issue_detail", pk=issue.pk)
    form = forms.NewItemForm(
        initial=draft.initial(), organization=issue.organization, issues=Issue.objects.filter(pk=issue.pk)
    )
    drafts.tell_restored(request, draft)
    return render(request, "ledger/issue_detail.html", _issue_context(request, issue, form))


@login_required
@require_http_methods(["GET", "POST"])
def create_issue_items(request, pk):
    """Quick entry: several items for the issue in one form, all created or none (each through
    `workflow.create_item`, in one transaction). A GET shows the issue page."""
    issue = get_issue_for_manager(request.user, pk)
    if request.method == "GET":
        return redirect("ledger:issue_detail", pk=issue.pk)
    quick = forms.QuickItemFormSet(
        request.POST, prefix="items", form_kwargs={"organization": issue.organization}
    )
    if quick.is_valid():
        created = _create_items(request, issue, quick)
        if created:
            messages.success(
                request,
                ngettext("{count} item was created.", "{count} items were created.", len(created)).format(
                    count=len(created)
                ),
            )
            return redirect("ledger:issue_detail", pk=issue.pk)
    context = _issue_context(request, issue, quick=quick)
    return render(request, "ledger/issue_detail.html", context, status=400)


class _Refused(Exception):
    """A row was refused: roll back the rows created before it."""


def _create_items(request, issue, quick):
    """Create an item per typed row; on any refusal create none and put the errors on the rows."""
    rows = [form for form in quick.forms if form.has_changed()]
    if not rows:
        quick.forms[0].add_error(None, _("Type at least one item."))
        return []
    created = []
    try:
        with transaction.atomic():
            for form in rows:
                data = form.cleaned_data
                fields = {name: data[name] for name in workflow.ITEM_EDITABLE_FIELDS}
                try:
                    created.append(
                        workflow.create_item(
                            request.user,
                            issue,
                            warn_past_deadline=not data.get("confirm_past_deadline"),
                            co_owners=forms.people_in_order(data["co_owners"]),
                            **fields,
                        )
                    )
                except workflow.NotAllowed as refused:
                    raise PermissionDenied(refused.message) from None
                except ValidationError as error:
                    forms.add_validation_errors(form, error)
            if any(form.errors for form in rows):
                raise _Refused
    except _Refused:
        return []
    return created
