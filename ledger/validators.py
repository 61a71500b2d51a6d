"""Checks on uploaded evidence files: type by name *and* by content, and size."""

from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Extension -> (content type, accepted leading bytes). Office's modern formats are zip files,
# the old ones OLE compound files; checking the leading bytes stops an .exe renamed to .pdf.
_ZIP = (b"PK\x03\x04",)
_OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)
EVIDENCE_TYPES = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    ".webp": ("image/webp", (b"RIFF",)),
    ".doc": ("application/msword", _OLE),
    ".xls": ("application/vnd.ms-excel", _OLE),
    ".ppt": ("application/vnd.ms-powerpoint", _OLE),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _ZIP),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ZIP),
    ".pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", _ZIP),
    ".wps": ("application/vnd.ms-works", _OLE),
}


def max_evidence_bytes():
    return settings.LEDGER_EVIDENCE_MAX_MB * 1024 * 1024


def check_evidence_file(uploaded):
    """Return the content type of an acceptable evidence file, or raise ValidationError."""
    suffix = PurePath(uploaded.name or "").suffix.lower()
    if suffix not in EVIDENCE_TYPES:
        raise ValidationError(
            _("Files of this type cannot be attached. Use PDF, an image (JPG, PNG) or an Office document."),
            code="file_type",
        )
    if uploaded.size > max_evidence_bytes():
        raise ValidationError(
            _("The file is too large: at most {limit} MB.").format(limit=settings.LEDGER_EVIDENCE_MAX_MB),
            code="file_size",
        )
    if uploaded.size == 0:
        raise ValidationError(_("The file is empty."), code="file_empty")
    content_type, signatures = EVIDENCE_TYPES[suffix]
    uploaded.seek(0)
    head = uploaded.read(16)
    uploaded.seek(0)
    if not any(head.startswith(sig) for sig in signatures):
        raise ValidationError(
            _("The file's content does not match its name ({suffix}).").format(suffix=suffix),
            code="file_content",
        )
    return content_type


def check_evidence_totals(item, files):
    """Refuse files whose sizes together pass the per-request limit (``LEDGER_EVIDENCE_REQUEST_MAX_MB``),
    or which would take the item's evidence past the per-item one (``LEDGER_EVIDENCE_ITEM_MAX_MB``):
    with a hundred files a post, one file's limit alone would let an owner send gigabytes."""
    from django.db.models import Sum

    from .models import Evidence

    sizes = sum(uploaded.size for uploaded in files)
    if sizes > settings.LEDGER_EVIDENCE_REQUEST_MAX_MB * 1024 * 1024:
        raise ValidationError(
            _("These files are too large together: at most {limit} MB at a time.").format(
                limit=settings.LEDGER_EVIDENCE_REQUEST_MAX_MB
            ),
            code="request_size",
        )
    stored = Evidence.objects.filter(item=item).aggregate(total=Sum("size"))["total"] or 0
    if stored + sizes > settings.LEDGER_EVIDENCE_ITEM_MAX_MB * 1024 * 1024:
        raise ValidationError(
            _(
                "The item's evidence would pass its limit of {limit} MB: {stored} MB are stored already."
            ).format(limit=settings.LEDGER_EVIDENCE_ITEM_MAX_MB, stored=round(stored / 1024 / 1024, 1)),
            code="item_size",
        )
