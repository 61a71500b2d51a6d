"""An organization's Word templates and the 不公开 marks of the public version (issue 14).

Thin views: who may see and do what is `core.permissions.Scope`'s; what is stored is the
workflow's (`workflow.upload_word_template`, `workflow.withhold`, `workflow.disclose`).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.models import Organization
from core.permissions import OrganizationTree, Scope

from .. import word, workflow
from ..access import can_print_reports, get_item_for_user
from ..forms import WithheldForm, WordTemplateForm, add_validation_errors
from ..models import WordTemplate
from ..supervision_forms import kept_by


def _organization(user, pk):
    scope = Scope.for_user(user)
    if not scope.can_view_org(pk):
        raise Http404
    if not (scope.manages(pk) or can_print_reports(user)):
        raise PermissionDenied
    return get_object_or_404(Organization, pk=pk), scope


@login_required
@require_GET
def word_templates_start(request):
    """The templates page of the organization picked (``?organization=``), else of the first the
    user keeps the records of, else of the first they can see."""
    picked = request.GET.get("organization", "")
    if not picked.isdigit():
        scope = Scope.for_user(request.user)
        first = kept_by(request.user).first() or (
            Organization.objects.filter(pk__in=scope.visible_org_ids).order_by("sort_order", "name").first()
            if not scope.is_superuser
            else Organization.objects.order_by("sort_order", "name").first()
        )
        if first is None:
            raise PermissionDenied
        picked = first.pk
    return redirect("ledger:word_templates", pk=int(picked))


@login_required
@require_http_methods(["GET", "POST"])
def word_templates(request, pk):
    """The templates that apply to the organization (own, inherited or the default), to download;
    its committee (or one above) uploads new versions. 404 for outsiders."""
    organization, scope = _organization(request.user, pk)
    manages = scope.manages(pk)
    form = WordTemplateForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not manages:
            raise PermissionDenied
        if form.is_valid():
            try:
                workflow.upload_word_template(
                    request.user,
                    organization,
                    form.cleaned_data["kind"],
                    form.cleaned_data["file"],
                    reason=form.cleaned_data["reason"],
                )
            except workflow.NotAllowed as refused:
                raise PermissionDenied(refused.message) from None
            except ValidationError as error:
                add_validation_errors(form, error)
            else:
                messages.success(request, _("The template was uploaded; documents use it from now on."))
                return redirect("ledger:word_templates", pk=organization.pk)
    tree = OrganizationTree.read()
    rows = []
    for kind, label in WordTemplate.Kind.choices:
        record = word.effective_template(organization.pk, kind, tree)
        rows.append(
            {"kind": kind, "label": label, "record": record, "own": record and record.organization_id == pk}
        )
    context = {"organization": organization, "rows": rows, "form": form, "manages": manages}
    return render(request, "ledger/word_templates.html", context, status=400 if form.is_bound else 200)


@login_required
@require_GET
def word_template_file(request, pk, kind):
    """The template that applies to the organization for `kind`, to edit in Word or WPS."""
    organization, _scope = _organization(request.user, pk)
    if kind not in WordTemplate.Kind.values:
        raise Http404
    record = word.effective_template(organization.pk, kind)
    handle = record.file.open("rb") if record is not None else open(word.default_template(kind), "rb")  # noqa: SIM115
    version = f"-v{record.version}" if record is not None else "-default"
    return FileResponse(
        handle, content_type=word.CONTENT_TYPE, as_attachment=True, filename=f"{kind}-template{version}.docx"
    )


@login_required
@require_POST
def withhold_item(request, pk):
    """Mark the item or one of its fields 不公开, or take the mark off (``disclose=1``)."""
    item = get_item_for_user(request.user, pk)
    if not Scope.for_user(request.user).manages(item.organization_id):
        raise PermissionDenied
    form = WithheldForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["disclose"]:
                workflow.disclose(request.user, item, field=data["field"], reason=data["note"])
                messages.success(request, _("The mark was taken off: the public version shows it again."))
            else:
                workflow.withhold(request.user, item, field=data["field"], reason=data["reason"])
                messages.success(
                    request, _("Marked as not for publication: the public version leaves it out.")
                )
        except workflow.NotAllowed as refused:
            raise PermissionDenied(refused.message) from None
        except workflow.ActionRefused as refused:
            messages.error(request, refused.message)
        except ValidationError as error:
            for problems in error.message_dict.values():
                for problem in problems:
                    messages.error(request, problem)
    else:
        for problems in form.errors.values():
            for problem in problems:
                messages.error(request, problem)
    return redirect("ledger:item_detail", pk=item.pk)
