"""Supervision screens (issue 13): urging and supervision notices with the owner's reply, the
notice PDF (督办单), warning talks, accountability records, and re-checks (回头看).

Each action has its own address; a GET shows its form, a POST reads `cleaned_data` and calls
`ledger.workflow`; bad input shows the form again with what was typed. Committee actions are a
403 for the item's other readers and a 404 for outsiders (`ledger.access`).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from core.models import Organization
from core.permissions import Scope, eligible_people

from .. import lights, reports, supervision, workflow
from ..access import get_item_for_user
from ..forms import add_validation_errors
from ..models import Item, LightSettings, Recheck, RecheckBatch, Urging, WarningTalk
from ..supervision_forms import (
    AccountabilityForm,
    AssignCheckerForm,
    DrawRecheckForm,
    LightSettingsForm,
    PersonTalkForm,
    RecheckResultForm,
    ReplyForm,
    UrgeForm,
    WarningTalkForm,
    kept_by,
)
from .reports import pdf_response


def item_for_committee(user, pk):
    """The item, if visible (else 404) and the user sits on its committee or one above (else 403)."""
    item = get_item_for_user(user, pk)
    if not Scope.for_user(user).manages(item.organization_id):
        raise PermissionDenied
    return item


def _section_url(item):
    return reverse("ledger:item_detail", args=[item.pk]) + "#supervision"


def _form_page(request, item, form, *, title, action_url, button, status=200, extra=None):
    context = {"item": item, "form": form, "title": title, "action_url": action_url, "button": button}
    return render(request, "ledger/supervision_form.html", {**context, **(extra or {})}, status=status)


def _run(request, form, call, done):
    """Call the workflow with the valid form's data: the result, or None with the form's errors
    (a refusal is a 403; another refusal, a message on the form)."""
    if not form.is_valid():
        return None
    try:
        result = call(form.cleaned_data)
    except workflow.NotAllowed as refused:
        raise PermissionDenied(refused.message) from None
    except workflow.ActionRefused as refused:
        form.add_error(None, refused.message)
        return None
    except ValidationError as error:
        add_validation_errors(form, error)
        return None
    messages.success(request, done)
    return result


@login_required
@require_http_methods(["GET", "POST"])
def urge_item(request, pk):
    """催办 / 督办单: the committee asks the owner and leader for an answer by a date."""
    item = item_for_committee(request.user, pk)
    form = UrgeForm(request.POST or None)
    if request.method == "POST":
        result = _run(
            request,
            form,
            lambda data: workflow.urge(
                request.user, item, message=data["message"], reply_by=data["reply_by"], level=data["level"]
            ),
            _("The notice was sent to the owner and the responsible leader."),
        )
        if result is not None:
            return redirect(_section_url(item))
    return _form_page(
        request,
        item,
        form,
        title=_("Urge or issue a supervision notice"),
        action_url=reverse("ledger:urge_item", args=[item.pk]),
        button=_("Send"),
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def reply_urging(request, pk, urging_pk):
    """反馈情况: the owner (or a co-owner) answers an urging or a notice, which closes it."""
    item = get_item_for_user(request.user, pk)
    urging = get_object_or_404(Urging.objects.select_related("item", "issued_by"), pk=urging_pk, item=item)
    if not workflow.may_reply(request.user, urging):
        raise PermissionDenied
    form = ReplyForm(request.POST or None, initial={"version": urging.version})
    if request.method == "POST":
        # A stale version or a second reply comes back as the form's error, with the text kept.
        result = _run(
            request,
            form,
            lambda data: workflow.reply_to_urging(
                request.user, urging, reply=data["reply"], expected_version=data["version"]
            ),
            _("Your reply was recorded."),
        )
        if result is not None:
            return redirect(_section_url(item))
    return _form_page(
        request,
        item,
        form,
        title=_("Reply to the urging"),
        action_url=reverse("ledger:reply_urging", args=[item.pk, urging.pk]),
        button=_("Send the reply"),
        status=400 if form.is_bound else 200,
        extra={"urging": urging},
    )


@login_required
@require_http_methods(["GET", "POST"])
def warning_talk(request, pk):
    """约谈 on an item: who was talked to, when, by whom, the outcome. Committee only."""
    item = item_for_committee(request.user, pk)
    form = WarningTalkForm(request.POST or None, item=item, user=request.user)
    if request.method == "POST":
        result = _run(
            request,
            form,
            lambda data: workflow.record_warning_talk(request.user, item=item, **data),
            _("The warning talk was recorded."),
        )
        if result is not None:
            return redirect(_section_url(item))
    return _form_page(
        request,
        item,
        form,
        title=_("Record a warning talk"),
        action_url=reverse("ledger:warning_talk", args=[item.pk]),
        button=_("Record"),
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def accountability(request, pk):
    """问责 on an item: kind, date and decision. Committee only."""
    item = item_for_committee(request.user, pk)
    form = AccountabilityForm(request.POST or None, item=item)
    if request.method == "POST":
        result = _run(
            request,
            form,
            lambda data: workflow.record_accountability(request.user, item, **data),
            _("The accountability record was saved."),
        )
        if result is not None:
            return redirect(_section_url(item))
    return _form_page(
        request,
        item,
        form,
        title=_("Record accountability"),
        action_url=reverse("ledger:accountability", args=[item.pk]),
        button=_("Record"),
        status=400 if form.is_bound else 200,
    )


@login_required
@require_GET
def notice_pdf(request, pk):
    """The item's latest supervision notice (督办单) as a one-page PDF; 404 when it has none."""
    item = get_item_for_user(request.user, pk)
    if not supervision.may_print_notice(request.user, item):
        raise PermissionDenied
    notice = supervision.latest_notice(item)
    if notice is None:
        raise Http404
    return pdf_response(reports.supervision_notice(notice, user=request.user), f"notice-{item.pk}.pdf")


# Re-checks ------------------------------------------------------------------------------------


def _batches_for(user):
    return RecheckBatch.objects.visible_to(user).select_related("organization", "drawn_by")


@login_required
@require_http_methods(["GET", "POST"])
def recheck_list(request):
    """The re-check batches of the user's organizations, and the draw form for committees."""
    scope = Scope.for_user(request.user)
    may_draw = scope.manages_anything
    form = DrawRecheckForm(request.POST or None, user=request.user) if may_draw else None
    if request.method == "POST":
        if not may_draw:
            raise PermissionDenied
        batch = _run(
            request,
            form,
            lambda data: workflow.draw_recheck(
                request.user,
                data["organization"],
                period_start=data["period_start"],
                period_end=data["period_end"],
                due_on=data["due_on"],
                checker=data["checker"],
                one_in=data["one_in"],
                seed=data["seed"],
            ),
            _("The items for re-check were drawn."),
        )
        if batch is not None:
            return redirect("ledger:recheck_batch", pk=batch.pk)
    batches = _batches_for(request.user).annotate(
        drawn=Count("rechecks"),
        done=Count("rechecks", filter=~Q(rechecks__result=Recheck.Result.PENDING)),
        relapsed=Count("rechecks", filter=Q(rechecks__result=Recheck.Result.RELAPSED)),
    )[:100]
    status = 400 if form is not None and form.is_bound else 200
    return render(
        request,
        "ledger/recheck_list.html",
        {"batches": batches, "form": form, "may_draw": may_draw},
        status=status,
    )


@login_required
@require_GET
def recheck_batch(request, pk):
    """One draw: its seed and period, each item drawn, who checks it and what was found."""
    batch = get_object_or_404(_batches_for(request.user), pk=pk)
    rechecks = list(
        batch.rechecks.select_related("item", "item__organization", "checker", "new_item", "recorded_by")
    )
    scope = Scope.for_user(request.user)
    for recheck in rechecks:
        pending = recheck.result == Recheck.Result.PENDING
        recheck.may_record = pending and workflow.may_record_recheck(request.user, recheck)
        recheck.may_assign = pending and scope.manages(recheck.item.organization_id)
    # Whom a checker may be: one list for every row (all drawn in the batch's organization).
    people = []
    if any(recheck.may_assign for recheck in rechecks):
        people = list(eligible_people(batch.organization).order_by("full_name", "username"))
    return render(
        request, "ledger/recheck_batch.html", {"batch": batch, "rechecks": rechecks, "people": people}
    )


@login_required
@require_http_methods(["GET", "POST"])
def record_recheck(request, pk):
    """The result of one re-check: holds, or relapsed (which opens a new item)."""
    recheck = get_object_or_404(
        Recheck.objects.select_related("batch", "item", "item__issue", "item__organization", "checker"),
        pk=pk,
        item__in=Item.objects.visible_to(request.user),
    )
    if not workflow.may_record_recheck(request.user, recheck):
        raise PermissionDenied
    form = RecheckResultForm(request.POST or None, initial={"version": recheck.version})
    if request.method == "POST":
        result = _run(
            request,
            form,
            lambda data: workflow.record_recheck(
                request.user,
                recheck,
                result=data["result"],
                note=data["note"],
                deadline=data["deadline"],
                expected_version=data["version"],
            ),
            _("The re-check was recorded."),
        )
        if result is not None:
            return redirect("ledger:recheck_batch", pk=recheck.batch_id)
    return render(
        request,
        "ledger/recheck_form.html",
        {"recheck": recheck, "item": recheck.item, "form": form},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def assign_checker(request, pk):
    """Give a pending re-check to another checker (a small form beside each row of the batch
    page: errors come back as messages). GET shows the batch."""
    recheck = get_object_or_404(
        Recheck.objects.select_related("batch", "batch__organization", "item"),
        pk=pk,
        item__in=Item.objects.visible_to(request.user),
    )
    if request.method == "GET":
        return redirect("ledger:recheck_batch", pk=recheck.batch_id)
    if not Scope.for_user(request.user).manages(recheck.item.organization_id):
        raise PermissionDenied
    form = AssignCheckerForm(request.POST, organization=recheck.batch.organization)
    if not form.is_valid():
        messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
    else:
        try:
            workflow.assign_checker(
                request.user,
                recheck,
                checker=form.cleaned_data["checker"],
                expected_version=form.cleaned_data["version"],
            )
        except workflow.ActionRefused as refused:
            messages.error(request, refused.message)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The checker was changed."))
    return redirect(reverse("ledger:recheck_batch", args=[recheck.batch_id]) + f"#recheck-{recheck.pk}")


# Warning talks with a person ------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def warning_talks(request):
    """The warning talks of the user's organizations (on items and with people), and the form
    of a talk with a person for committees."""
    may_record = Scope.for_user(request.user).manages_anything
    form = PersonTalkForm(request.POST or None, user=request.user) if may_record else None
    if request.method == "POST":
        if not may_record:
            raise PermissionDenied
        talk = _run(
            request,
            form,
            lambda data: workflow.record_warning_talk(request.user, **data),
            _("The warning talk was recorded."),
        )
        if talk is not None:
            return redirect("ledger:warning_talks")
    talks = WarningTalk.objects.visible_to(request.user).select_related(
        "organization", "person", "talked_by", "item"
    )[:200]
    status = 400 if form is not None and form.is_bound else 200
    return render(
        request,
        "ledger/warning_talks.html",
        {"talks": talks, "form": form, "may_record": may_record},
        status=status,
    )


# --- the traffic-light thresholds of an organization -------------------------------------------


@login_required
@require_GET
def light_settings_start(request):
    """The thresholds page of the organization picked (``?organization=``), else of the first
    the user manages; a 403 for who manages none."""
    if not Scope.for_user(request.user).manages_anything:
        raise PermissionDenied
    picked = request.GET.get("organization", "")
    if not picked.isdigit():
        first = kept_by(request.user).first()
        if first is None:
            raise PermissionDenied
        picked = first.pk
    return redirect("ledger:light_settings", pk=int(picked))


@login_required
@require_http_methods(["GET", "POST"])
def light_settings(request, pk):
    """An organization's own thresholds beside the ones that apply, each with where it comes from
    (own, inherited from an organization above, the default); its committee (or one above) edits
    them. A 403 for the organization's other people, a 404 for outsiders."""
    scope = Scope.for_user(request.user)
    if not scope.can_view_org(pk):
        raise Http404
    organization = get_object_or_404(Organization, pk=pk)
    if not scope.manages(pk):
        raise PermissionDenied
    stored = LightSettings.objects.filter(organization=organization).first()
    initial = {name: getattr(stored, name) for name in lights.SETTING_FIELDS} if stored else {}
    initial["revision"] = workflow.light_settings_revision(organization)
    form = LightSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST":
        saved = _run(
            request,
            form,
            lambda data: workflow.save_light_settings(
                request.user,
                organization,
                values={name: data[name] for name in lights.SETTING_FIELDS},
                reason=data["reason"],
                expected_revision=data["revision"],
            ),
            _("The traffic-light thresholds were saved."),
        )
        if saved is not None:
            return redirect("ledger:light_settings", pk=organization.pk)
    context = {
        "organization": organization,
        "organizations": kept_by(request.user),
        "rows": supervision.light_settings_rows(organization, stored),
        "form": form,
    }
    return render(request, "ledger/light_settings.html", context, status=400 if form.is_bound else 200)
