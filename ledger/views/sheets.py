"""Spreadsheets: export the ledger list as XLSX or CSV, and import a ledger kept in Excel.

Exports build the ledger's one FilterSet from the same GET string as the list, on the items the
user may see, so a file holds exactly what the list shows. Imports are for committee members,
into the organizations they manage, in three steps: upload, preview (GET, with the column and
people mapping in the query string, so it changes nothing), confirm (POST, all rows or none).
"""

import functools
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.models import Organization

from .. import exporter
from ..access import keeps_records
from ..filtersets import filter_items
from ..imports.reading import MAX_COLUMNS, SheetRefused, open_upload, save_upload
from ..imports.rows import person_key, prepare
from ..imports.storing import KEEP, LEAVE, TAKE_FILE, WITHDRAW, Choices, ImportFailed, commit
from ..imports.vocabulary import FIELDS
from ..models import Meeting

SESSION_KEY = "ledger_imports"
# Uploads waiting for a confirmation that never came are removed after this many seconds.
PENDING_LIFETIME = 24 * 3600


def _export_name(suffix):
    return "ledger-{}.{}".format(timezone.localtime().strftime("%Y%m%d-%H%M"), suffix)


def _filtered(request):
    filterset = filter_items(request)
    return filterset, filterset.qs


@login_required
@require_GET
def export_xlsx(request):
    filterset, queryset = _filtered(request)
    response = HttpResponse(
        exporter.to_xlsx(queryset, filterset, request.user), content_type=exporter.XLSX_TYPE
    )
    response["Content-Disposition"] = 'attachment; filename="{}"'.format(_export_name("xlsx"))
    return response


@login_required
@require_GET
def export_csv(request):
    _filterset, queryset = _filtered(request)
    response = HttpResponse(exporter.to_csv(queryset), content_type=exporter.CSV_TYPE)
    response["Content-Disposition"] = 'attachment; filename="{}"'.format(_export_name("csv"))
    return response


@login_required
@require_GET
def import_template(request):
    """The ledger template: the export's columns, empty, as .xlsx (for committee members)."""
    _require_committee(request.user)
    response = HttpResponse(exporter.template_xlsx(), content_type=exporter.XLSX_TYPE)
    response["Content-Disposition"] = 'attachment; filename="ledger-template.xlsx"'
    return response


# ---------------------------------------------------------------------------------------------
# Import


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Ledger file (.xlsx or .csv)"))
    organization = forms.ModelChoiceField(label=_("Import into"), queryset=Organization.objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = Organization.objects.managed_by(user)


def upload_dir():
    """Where uploaded files wait between preview and confirmation: never under MEDIA_ROOT."""
    path = Path(getattr(settings, "LEDGER_IMPORT_DIR", "") or Path(tempfile.gettempdir()) / "ledger-imports")
    path.mkdir(parents=True, exist_ok=True)
    return path


def forget_stale_uploads():
    """Remove uploads older than a day: previews that were never confirmed."""
    limit = time.time() - PENDING_LIFETIME
    for stale in upload_dir().iterdir():
        if stale.is_file() and stale.stat().st_mtime < limit:
            stale.unlink(missing_ok=True)


def _require_committee(user):
    if not keeps_records(user):
        raise PermissionDenied


def _pending(request, token):
    """The upload this session made under `token`, else 404; and its organization, if still managed."""
    pending = request.session.get(SESSION_KEY, {}).get(token)
    if pending is None or not Path(pending["path"]).exists():
        raise Http404
    organization = Organization.objects.managed_by(request.user).filter(pk=pending["organization"]).first()
    if organization is None:
        raise PermissionDenied
    return pending, organization


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request):
    _require_committee(request.user)
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        forget_stale_uploads()
        token = uuid.uuid4().hex
        # Read once, here: the preview and the confirmation read the cache of its rows.
        path = upload_dir() / (token + ".rows")
        try:
            save_upload(uploaded, uploaded.name, path)
        except SheetRefused as refused:
            form.add_error("file", refused.message)
        else:
            pending = request.session.get(SESSION_KEY, {})
            pending[token] = {
                "name": uploaded.name[:200],
                "path": str(path),
                "organization": form.cleaned_data["organization"].pk,
            }
            request.session[SESSION_KEY] = pending
            return redirect("ledger:import_preview", token=token)
    return render(request, "ledger/import.html", {"form": form})


def _choices(data):
    """The hand-made column mapping and people mapping from GET or POST data."""
    mapping = {}
    for index in range(MAX_COLUMNS):
        key = f"col_{index}"
        if key in data and (data[key] in FIELDS or data[key] == ""):
            mapping[index] = data[key]
    # People are chosen per name; the form names its fields by the key of the name.
    people = {key: int(value) for key, value in data.items() if key.startswith("person_") and value.isdigit()}
    return mapping, people, data.get("create_people") == "1"


# The preview's own decisions (the confirmation form carries them itself, not as hidden copies).
DECISION_PREFIXES = ("row_", "missing_")
DECISION_NAMES = ("meeting", "withdraw_reason", "csrfmiddlewaretoken")


def _meetings(organization):
    """The organization's meetings, which an import may attach its new issues to."""
    return Meeting.objects.filter(organization=organization).order_by("-held_on", "-pk")


def _meeting(organization, data):
    value = data.get("meeting", "")
    if not value.isdigit():
        return None
    return _meetings(organization).filter(pk=int(value)).first()


@contextmanager
def _preview(request, pending, organization, data, scan=True):
    """The preview of a pending upload with the choices in `data`, while its file is open."""
    mapping, people, create_people = _choices(data)
    sheet = data.get("sheet", "")
    # The category chosen for each section title (一、思想政治方面), by the key of the title.
    sections = {
        key: int(value) for key, value in data.items() if key.startswith("section_") and value.isdigit()
    }
    with open_upload(pending["path"], pending["name"], int(sheet) if sheet.isdigit() else None) as table:
        yield prepare(
            table, request.user, organization, mapping, people, create_people, scan=scan, sections=sections
        )


def _render_preview(request, token, pending, organization, data, refused=None, status=200):
    meeting = _meeting(organization, data)
    choices = Choices.from_data(data)
    with _preview(request, pending, organization, data) as preview:
        result = refused.result if refused else None
        if refused is None and preview.is_valid:
            # The confirmation's own path, rolled back: what it would refuse, the rows where the
            # file and the product disagree, the items the file lacks.
            try:
                result = commit(
                    preview, request.user, pending["name"], dry_run=True, meeting=meeting, choices=choices
                )
            except ImportFailed as failed:
                refused, result = failed, failed.result
        people = _choices(data)[1]
        people_rows = [
            (person_key(name), name, people.get(person_key(name))) for name in preview.unknown_names
        ]
        context = {
            "token": token,
            "file_name": pending["name"],
            "organization": organization,
            "preview": preview,
            "fields": list(FIELDS.items()),
            "people_rows": people_rows,
            "create_people": data.get("create_people") == "1",
            "commit_errors": refused.errors if refused else {},
            "commit_more": refused.more if refused else 0,
            "query": {
                key: value
                for key, value in data.items()
                if key not in DECISION_NAMES and not key.startswith(DECISION_PREFIXES)
            },
            "result": result,
            "meetings": _meetings(organization),
            "meeting": meeting,
            "withdraw_reason": choices.withdraw_reason,
            "row_choices": [("product", _("Keep the product's state")), (TAKE_FILE, _("Take the file's"))],
            "missing_choices": [
                (LEAVE, _("Leave alone")),
                (KEEP, _("Keep (no longer a row of this file)")),
                (WITHDRAW, _("Withdraw")),
            ],
        }
        return render(request, "ledger/import_preview.html", context, status=status)


def _refused(view):
    """A file that passed the upload's checks is refused later only if the limits changed
    in between: say why on the upload page."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except SheetRefused as refused:
            messages.error(request, refused.message)
            return redirect("ledger:import")

    return wrapped


@login_required
@require_GET
@_refused
def import_preview(request, token):
    _require_committee(request.user)
    pending, organization = _pending(request, token)
    return _render_preview(request, token, pending, organization, request.GET)


@login_required
@require_POST
@_refused
def import_confirm(request, token):
    _require_committee(request.user)
    pending, organization = _pending(request, token)
    # One reading of the file: each row is checked as it is stored (the preview checked them
    # all already); a refusal shows the preview again, with the refused rows.
    try:
        with _preview(request, pending, organization, request.POST, scan=False) as preview:
            if not preview.is_valid:
                return _render_preview(request, token, pending, organization, request.POST, status=400)
            result = commit(
                preview,
                request.user,
                pending["name"],
                meeting=_meeting(organization, request.POST),
                choices=Choices.from_data(request.POST),
            )
    except ImportFailed as failed:
        return _render_preview(request, token, pending, organization, request.POST, failed, status=400)
    Path(pending["path"]).unlink(missing_ok=True)
    stored = request.session.get(SESSION_KEY, {})
    stored.pop(token, None)
    request.session[SESSION_KEY] = stored
    messages.success(
        request,
        _(
            "Imported “{name}” into {organization}: {created} items created, {updated} updated, "
            "{unchanged} unchanged, {kept} kept as changed here, {withdrawn} withdrawn."
        ).format(
            name=pending["name"],
            organization=organization,
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
            kept=result.kept,
            withdrawn=result.withdrawn,
        ),
    )
    return redirect("ledger:import")
