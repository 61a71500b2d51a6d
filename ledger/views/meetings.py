"""Meetings: the list, logging a meeting with all its issues on one page, attendance, and
turning issues into rectification items."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from core.models import Organization
from core.permissions import Scope

from .. import drafts, forms, merge, stats, workflow
from ..access import (
    can_print_minutes,
    can_print_reports,
    get_meeting_for_manager,
    get_meeting_for_user,
    keeps_records,
)
from ..drafts import login_required_keeping_typing
from ..filtersets import ALL, ItemFilterSet, people_of_items
from ..models import Attendance, Item, Meeting

PAGE_SIZE = 30


@login_required
@require_GET
def meeting_list(request):
    meetings = (
        Meeting.objects.visible_to(request.user)
        .select_related("organization")
        .annotate(issue_count=Count("issues", distinct=True))
        .order_by("-held_on", "-pk")
    )
    page = Paginator(meetings, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "ledger/meeting_list.html",
        {"page": page, "may_log": keeps_records(request.user)},
    )


def _save_meeting_and_issues(user, meeting_form, formset):
    """Save the meeting and every issue row in one transaction, through the workflow.

    Each saved record is checked against the version its form was loaded at: a conflict saves
    nothing (`workflow.EditConflict` leaves the transaction, `workflow.save_meeting`'s)."""
    rows = [
        (form.save(commit=False), form.cleaned_data.get("version"))
        for form in formset.forms
        if form.has_changed() and form not in formset.deleted_forms
    ]
    return workflow.save_meeting(
        user,
        meeting_form.save(commit=False),
        reason=meeting_form.cleaned_data.get("reason", ""),
        expected_version=meeting_form.cleaned_data.get("version"),
        issues=rows,
    )


def _meeting_forms(request, instance, data=None):
    meeting_form = forms.MeetingForm(data, instance=instance, user=request.user)
    formset = forms.IssueFormSet(
        data, instance=instance, prefix="issues", form_kwargs=forms.issue_people(request.user)
    )
    if data is not None and meeting_form.is_valid():
        # The rows are checked as issues of the organization the meeting is saved in (a meeting
        # moved to another organization takes its issues along: `workflow.save_meeting`).
        for form in formset.forms:
            form.instance.organization = meeting_form.instance.organization
    return meeting_form, formset


def _meeting_form_page(request, meeting):
    """The one page where a meeting and all its issues are typed (create and edit)."""
    instance = meeting or Meeting()
    context = {"meeting": meeting}
    if request.method == "POST":
        meeting_form, formset = _meeting_forms(request, instance, request.POST)
        status = 400
        if meeting_form.is_valid() and formset.is_valid():
            try:
                saved = _save_meeting_and_issues(request.user, meeting_form, formset)
            except workflow.EditConflict as conflict:
                meeting_form, formset, context["conflict"] = _meeting_conflict(
                    request, meeting, conflict, meeting_form, formset
                )
                status = 409
            except ValidationError as error:
                forms.add_validation_errors(meeting_form, error)
            else:
                messages.success(request, _("The meeting and its issues were saved."))
                return redirect("ledger:meeting_detail", pk=saved.pk)
    else:
        meeting_form, formset = _meeting_forms(request, instance)
        status = 200
    context.update(form=meeting_form, formset=formset)
    return render(request, "ledger/meeting_form.html", context, status=status)


def _meeting_conflict(request, meeting, conflict, meeting_form, formset):
    """The page again over the records as they are now: the meeting and each issue row saved by
    someone else since the page was loaded are merged field by field with what was typed
    (`ledger.merge`), and each such row says so.

    Returns the rebound forms and the conflict shown above them."""
    current = Meeting.objects.select_related("organization").get(pk=meeting.pk)
    rows = [
        # Named by its place on the page and its description (as stored: the row may hold typing).
        (form, _("Issue {number}: {description}").format(number=n, description=_opened_description(form)))
        for n, form in enumerate(formset.forms, 1)
    ]
    stale = merge.stale_forms([(meeting_form, _("Meeting")), *rows])
    data, shown = merge.merge_conflict(request.POST, conflict, stale)
    meeting_form, formset = _meeting_forms(request, current, data)
    merge.present(shown, meeting_form, *formset.forms)
    formset.is_valid()
    stale_rows = {record.key("id"): record.current for record in shown["records"] if record.prefix}
    for form in formset.forms:
        issue = stale_rows.get(form.add_prefix("id"))
        if issue is not None:
            form.add_error(None, workflow.EditConflict(issue).message)
    return meeting_form, formset, shown


def _opened_description(form):
    return Truncator(form.initial.get("description") or "").chars(20)


@login_required
@require_http_methods(["GET", "POST"])
def meeting_create(request):
    if not keeps_records(request.user):
        raise PermissionDenied
    return _meeting_form_page(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def meeting_edit(request, pk):
    meeting = get_meeting_for_manager(request.user, pk)
    return _meeting_form_page(request, meeting)


def _meeting_context(request, meeting, attendance_form=None, item_form=None, roster=None):
    manages = Scope.for_user(request.user).manages(meeting.organization_id)
    # In the order they were raised at the meeting. The meeting's issues are its record, shown to
    # whoever sees the meeting; of their items, only those the user may open (a plain member sees
    # the items they own, co-own or lead, as the ledger list shows them, never one that would
    # answer 404 elsewhere).
    items = Item.objects.visible_to(request.user).select_related("owner").order_by("sequence")
    issues = (
        meeting.issues.order_by("pk")
        .select_related("category")
        .prefetch_related(Prefetch("items", queryset=items))
    )
    attendances = list(meeting.attendances.select_related("person"))
    present = sum(1 for attendance in attendances if attendance.present)
    context = {
        "meeting": meeting,
        "issues": issues,
        "attendances": attendances,
        "present": present,
        "participation": stats.participation_rate(present, len(attendances)) if attendances else None,
        "manages": manages,
        "may_print_minutes": can_print_minutes(request.user, meeting),
        "may_print_reports": can_print_reports(request.user),
    }
    if manages:
        context["attendance_form"] = attendance_form or forms.AttendanceForm(
            organization=meeting.organization
        )
        context["roster"] = roster or forms.roster_formset(meeting, attendances=attendances)
        context.update(
            item_form_context(
                forms.NewItemForm(organization=meeting.organization, issues=meeting.issues.all()), item_form
            )
        )
    context["create_url"] = reverse("ledger:create_item", args=[meeting.pk])
    return context


def item_form_context(blank, bound=None):
    """The item forms of a page of issue cards: the empty one, and the one that came back with
    errors (`bound_issue` says which card opens it)."""
    context = {
        "blank_item_form": blank,
        "item_form": bound or blank,
        "bound_issue": bound["issue"].value() if bound is not None else None,
    }
    if bound is not None:
        # The card's fields are `i-<issue>-<field>`: the error summary links to them.
        bound.auto_id = "i-{}-%s".format(context["bound_issue"])
        context["item_form_anchor"] = "issue-{}".format(context["bound_issue"])
    return context


@login_required
@require_GET
def meeting_detail(request, pk):
    meeting = get_meeting_for_user(request.user, pk)
    return render(request, "ledger/meeting_detail.html", _meeting_context(request, meeting))


@login_required_keeping_typing
@require_http_methods(["GET", "POST"])
def add_attendance(request, pk):
    """Record a person's attendance, or correct it (the make-up study date comes later).

    A GET shows the meeting's page (with what was typed before an expired session, if kept)."""
    if request.method == "GET":
        return _meeting_page_again(request, pk, "attendance_form")
    meeting = get_meeting_for_manager(request.user, pk)
    form = forms.AttendanceForm(request.POST, organization=meeting.organization)
    if form.is_valid():
        data = form.cleaned_data
        attendance = Attendance.objects.filter(meeting=meeting, person=data["person"]).first() or Attendance(
            meeting=meeting, person=data["person"]
        )
        for name in ("present", "absence_reason", "absence_note", "makeup_on"):
            setattr(attendance, name, data[name])
        try:
            workflow.save_attendance(request.user, attendance)
        except ValidationError as error:
            forms.add_validation_errors(form, error)
        else:
            messages.success(request, _("Attendance saved."))
            return redirect("ledger:meeting_detail", pk=meeting.pk)
    context = _meeting_context(request, meeting, attendance_form=form)
    return render(request, "ledger/meeting_detail.html", context, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def save_roster(request, pk):
    """Record the attendance of everyone expected at the meeting in one submit (a GET shows
    the meeting page, where the list is)."""
    meeting = get_meeting_for_manager(request.user, pk)
    if request.method == "GET":
        return redirect("ledger:meeting_detail", pk=meeting.pk)
    roster = forms.roster_formset(meeting, request.POST)
    status = 400
    if roster.is_valid():
        rows = [
            workflow.RosterRow(
                person=form.attendee,
                **{
                    name: form.cleaned_data[name]
                    for name in (*workflow.ATTENDANCE_FIELDS, "version", "remove")
                },
            )
            for form in roster.forms
        ]
        try:
            workflow.save_roster(request.user, meeting, rows)
        except workflow.EditConflict as conflict:
            roster = _roster_conflict(request, meeting, conflict)
            status = 409
        except ValidationError as error:
            roster.workflow_errors = error.messages
        else:
            messages.success(request, _("Attendance saved."))
            return redirect(reverse("ledger:meeting_detail", args=[meeting.pk]) + "#attendance")
    context = _meeting_context(request, meeting, roster=roster)
    return render(request, "ledger/meeting_detail.html", context, status=status)


def _roster_conflict(request, meeting, conflict):
    """The list again, as typed, over the rows as they are now: each person recorded by someone
    else since the list was loaded says so (with what is recorded now); saving again applies
    what was typed."""
    current = {attendance.person_id: attendance for attendance in meeting.attendances.all()}
    stale = {attendance.person_id for attendance in conflict.conflicts}
    data = request.POST.copy()
    total = int(data.get("roster-TOTAL_FORMS") or 0)
    for index in range(total):
        value = data.get(f"roster-{index}-person", "")
        attendance = current.get(int(value)) if value.isdigit() else None
        data[f"roster-{index}-version"] = attendance.version if attendance else ""
    roster = forms.roster_formset(meeting, data)
    roster.is_valid()
    for form in roster.forms:
        if form.attendee is not None and form.attendee.pk in stale:
            attendance = current.get(form.attendee.pk)
            form.add_error(
                None,
                _("Recorded meanwhile by someone else: {now}.").format(
                    now=attendance if attendance else _("not on the list any more")
                ),
            )
    return roster


def create_item_from(request, form):
    """Turn the issue picked in a bound `NewItemForm` into an item, through the workflow.

    The one piece behind "create an item" on the meeting page and on the issue page. Returns the
    item, or None with the errors put on the form; a refusal by the workflow is a 403."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    fields = {name: data[name] for name in workflow.ITEM_EDITABLE_FIELDS}
    try:
        item = workflow.create_item(
            request.user,
            data["issue"],
            warn_past_deadline=not data.get("confirm_past_deadline"),
            co_owners=forms.people_in_order(data["co_owners"]),
            **fields,
        )
    except workflow.NotAllowed as refused:
        raise PermissionDenied(refused.message) from None
    except ValidationError as error:
        forms.add_validation_errors(form, error)
        return None
    messages.success(request, _("Item {reference} created.").format(reference=item.reference))
    return item


@login_required_keeping_typing
@require_http_methods(["GET", "POST"])
def create_item(request, pk):
    """Turn one of the meeting's issues into a rectification item. A GET shows the meeting's
    page (with what was typed before an expired session, if kept)."""
    if request.method == "GET":
        return _meeting_page_again(request, pk, "item_form")
    meeting = get_meeting_for_manager(request.user, pk)
    form = forms.NewItemForm(request.POST, organization=meeting.organization, issues=meeting.issues.all())
    if create_item_from(request, form) is not None:
        return redirect("ledger:meeting_detail", pk=meeting.pk)
    context = _meeting_context(request, meeting, item_form=form)
    return render(request, "ledger/meeting_detail.html", context, status=400)


def _meeting_page_again(request, pk, form_name):
    """A GET on one of the meeting page's form addresses: the meeting's page (a redirect), or,
    when the user's session had expired as they posted that form (`ledger.drafts`), the page
    with the form filled in again with what they typed."""
    meeting = get_meeting_for_user(request.user, pk)
    draft = drafts.take(request)
    if draft is None or not Scope.for_user(request.user).manages(meeting.organization_id):
        return redirect("ledger:meeting_detail", pk=meeting.pk)
    if form_name == "item_form":
        form = forms.NewItemForm(
            initial=draft.initial(), organization=meeting.organization, issues=meeting.issues.all()
        )
    else:
        form = forms.AttendanceForm(initial=draft.initial(), organization=meeting.organization)
    drafts.tell_restored(request, draft)
    return render(
        request, "ledger/meeting_detail.html", _meeting_context(request, meeting, **{form_name: form})
    )


@login_required
@require_GET
def people_search(request):
    """`<option>`s of people whose name matches `q` (an htmx partial that refills a person select).

    With `org`: the people of an organization the user manages (who may own or lead its items).
    With `role` (owner or leader) instead: the people who own or lead items the user can see,
    for the ledger's person filters; the name comes in `q` or in the filter's own search box
    (`owner_search`, `leader_search`). With `role=bulk`: the people a bulk change may name as
    new owner or leader (`forms.people_managed_by`). With `role=item`, `org` and `field` (leader,
    owner or co_owners): the item edit form's choices, those chosen in the field (`field`'s own
    values) first and selected, then the matching people the form accepts."""
    role = request.GET.get("role", "")
    if role == "bulk":
        # The bulk change's new owner or leader: the people the user may name on the records
        # they keep (the form accepts the same), by the name typed in either search box.
        text = (
            request.GET.get("q")
            or request.GET.get("owner_search")
            or request.GET.get("leader_search")
            or request.GET.get("co_owners_search", "")
        )
        people = forms.people_managed_by(request.user, placeholders=True)
        return render(
            request,
            "ledger/includes/people_options.html",
            {"people": forms.people_matching(people, text), "empty_label": _("Keep as is")},
        )
    if role in ItemFilterSet.PERSON_FILTERS and "org" not in request.GET:
        people = people_of_items(Item.objects.visible_to(request.user), roles=[role])
        text = request.GET.get("q") or request.GET.get(role + "_search", "")
        return render(
            request,
            "ledger/includes/people_options.html",
            {
                "people": forms.people_matching(people.only("pk", "full_name", "username"), text),
                "empty_label": ALL,
            },
        )
    org_id = request.GET.get("org", "")
    if not org_id.isdigit():
        raise Http404
    organization = get_object_or_404(Organization.objects.managed_by(request.user), pk=int(org_id))
    if role == "item":
        return _item_people_options(request, organization)
    people = forms.people_for(organization)
    return render(
        request,
        "ledger/includes/people_options.html",
        {"people": forms.people_matching(people, request.GET.get("q", ""))},
    )


def _item_people_options(request, organization):
    """The edit form's options of one person field (`forms.EditItemForm`): the same people the
    form accepts (`forms.item_people_for`), so that whatever is offered validates."""
    name = request.GET.get("field", "")
    if name not in forms.EditItemForm.PERSON_FIELDS:
        raise Http404
    people = forms.item_people_for(organization)
    chosen = [int(pk) for pk in request.GET.getlist(name) if pk.isdigit()]
    found = people.in_bulk(chosen) if chosen else {}
    text = request.GET.get(f"{name}_search") or request.GET.get("q", "")
    matching = [person for person in forms.people_matching(people, text) if person.pk not in found]
    return render(
        request,
        "ledger/includes/people_options.html",
        {
            "people": [found[pk] for pk in chosen if pk in found] + matching,
            "selected": list(found),
            "multiple": name == "co_owners",
            "empty_label": forms.PLEASE_CHOOSE,
        },
    )
