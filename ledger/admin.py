"""Admin for superusers: the reference lists are edited here; the ledger's records are only read.

The records the workflow owns (meetings, attendance, issues, items, progress updates, evidence,
extension requests), what the import and the report tasks write, and what people keep on their
own pages (muted items, each committee's group robots), are read-only in the admin, history
included: no add, no change, no delete, no revert from a historical row.

Why not admin forms that call the workflow? A workflow edit needs the version the form was
loaded at (or it silently restores what someone saved in between), a reason, and the rules of
who may change what; the ledger's own screens already do all of it, conflict pages and history
included. A second set of forms here would be a second writer to keep in step, and an admin save
that skips any of it makes the history untrustworthy (no action, no reason, no version bump).
Superusers reach every organization on those screens (``core.permissions.Scope``), so an
administrator corrects a meeting, an issue, an attendance or an item where everybody does:
``/ledger/meetings/<id>/edit/``, ``/ledger/issues/<id>/edit/``, the item's page. Each read-only
admin page links there (its "View on site" button).

Categories, organizations, people and memberships are reference data, edited here with their
own simple-history rows naming the administrator. Every model keeps simple-history's history view.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_tasks.base import TaskResultStatus
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    Attendance,
    Category,
    Evidence,
    ExtensionRequest,
    ImportedRow,
    Issue,
    Item,
    LightSettings,
    Meeting,
    MutedItem,
    ProgressUpdate,
    ReportJob,
    SavedView,
    Webhook,
    Withheld,
    WordTemplate,
)


class NoDeleteMixin:
    """Ledger records are withdrawn, never deleted, so that the audit trail stays whole."""

    def has_delete_permission(self, request, obj=None):
        return False


class WorkflowOwnedMixin(NoDeleteMixin):
    """Read-only here: the record changes only through `ledger.workflow` (the ledger screens),
    which checks the rules, bumps the version and writes the history with action and reason."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    # Where the record is corrected: the admin's "View on site" link goes to that screen.
    ledger_page = None  # (URL name, function of the record giving the id)

    def view_on_site(self, obj):
        if self.ledger_page is None:
            return None
        name, key = self.ledger_page
        return reverse(name, args=[key(obj)])

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple-history's page of one historical row saves the posted form (a "revert") after
        # checking only the right to view: a POST would write the record around the workflow.
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


@admin.register(Category)
class CategoryAdmin(SimpleHistoryAdmin):
    list_display = ["name", "name_en", "sort_order", "is_active", "is_default"]
    list_filter = ["is_active", "is_default"]
    search_fields = ["name", "name_en"]


class AttendanceInline(admin.TabularInline):
    model = Attendance
    extra = 0
    autocomplete_fields = ["person"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Meeting)
class MeetingAdmin(WorkflowOwnedMixin, SimpleHistoryAdmin):
    ledger_page = ("ledger:meeting_detail", lambda meeting: meeting.pk)
    list_display = ["held_on", "meeting_type", "topic", "organization"]
    list_filter = ["meeting_type", "organization", "held_on"]
    search_fields = ["topic", "notes", "place"]
    date_hierarchy = "held_on"
    autocomplete_fields = ["organization", "host", "recorder"]
    inlines = [AttendanceInline]


@admin.register(Attendance)
class AttendanceAdmin(WorkflowOwnedMixin, SimpleHistoryAdmin):
    ledger_page = ("ledger:meeting_detail", lambda attendance: attendance.meeting_id)
    list_display = ["meeting", "person", "present", "absence_reason", "makeup_on"]
    list_filter = ["present", "absence_reason"]
    search_fields = ["person__full_name", "meeting__topic"]
    autocomplete_fields = ["meeting", "person"]


@admin.register(Issue)
class IssueAdmin(WorkflowOwnedMixin, SimpleHistoryAdmin):
    ledger_page = ("ledger:issue_detail", lambda issue: issue.pk)
    list_display = ["__str__", "organization", "category", "source", "raised_on"]
    list_filter = ["category", "source", "organization"]
    search_fields = ["description", "raised_by_name"]
    date_hierarchy = "raised_on"
    autocomplete_fields = ["organization", "meeting", "raised_by", "concerns"]


@admin.register(Item)
class ItemAdmin(WorkflowOwnedMixin, SimpleHistoryAdmin):
    ledger_page = ("ledger:item_detail", lambda item: item.pk)
    list_display = ["reference", "organization", "owner", "deadline", "status", "progress"]
    list_filter = ["status", "kind", "organization", "issue__category"]
    search_fields = ["reference", "measures", "issue__description", "department"]
    list_select_related = ["organization", "owner"]


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(WorkflowOwnedMixin, SimpleHistoryAdmin):
    ledger_page = ("ledger:item_detail", lambda update: update.item_id)
    list_display = ["item", "author", "percent", "created_at"]
    search_fields = ["item__reference", "text"]
    autocomplete_fields = ["item", "author"]


@admin.register(Evidence)
class EvidenceAdmin(WorkflowOwnedMixin, SimpleHistoryAdmin):
    ledger_page = ("ledger:item_detail", lambda evidence: evidence.item_id)
    list_display = ["original_name", "item", "content_type", "size", "uploaded_by", "uploaded_at"]
    search_fields = ["original_name", "item__reference"]
    autocomplete_fields = ["item", "update", "uploaded_by"]


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(WorkflowOwnedMixin, SimpleHistoryAdmin):
    ledger_page = ("ledger:item_detail", lambda extension: extension.item_id)
    list_display = ["item", "requested_by", "previous_deadline", "proposed_deadline", "status", "decided_by"]
    list_filter = ["status"]
    search_fields = ["item__reference", "reason"]
    autocomplete_fields = ["item", "requested_by", "decided_by"]


@admin.register(ImportedRow)
class ImportedRowAdmin(WorkflowOwnedMixin, admin.ModelAdmin):
    """Which item each imported spreadsheet row became; written by the import only."""

    list_display = ["item", "organization", "source_name", "imported_at"]
    search_fields = ["source_name", "item__reference", "key"]
    list_select_related = ["item", "organization"]


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "query", "created_at"]
    search_fields = ["name", "user__username", "user__full_name"]
    list_select_related = ["user"]


@admin.register(ReportJob)
class ReportJobAdmin(WorkflowOwnedMixin, admin.ModelAdmin):
    """Big reports generated in the background; written by the task only."""

    list_display = ["created_at", "kind", "user", "status", "progress", "item_count", "finished_at"]
    list_filter = ["status", "kind"]
    search_fields = ["user__username", "user__full_name", "query"]
    list_select_related = ["user"]


@admin.register(LightSettings)
class LightSettingsAdmin(SimpleHistoryAdmin):
    """Each organization's traffic-light thresholds; empty fields are inherited from above."""

    list_display = ("organization", "red_lag", "yellow_lag", "due_soon_days", "stale_days", "day_count")
    autocomplete_fields = ("organization",)


@admin.register(WordTemplate)
class WordTemplateAdmin(WorkflowOwnedMixin, SimpleHistoryAdmin):
    """Organizations' Word templates, read-only: uploaded on the templates page, through the workflow."""

    list_display = ("organization", "kind", "version", "original_name", "uploaded_by", "uploaded_at")
    list_filter = ("kind",)
    search_fields = ("organization__name", "original_name")
    list_select_related = ("organization", "uploaded_by")


@admin.register(Withheld)
class WithheldAdmin(WorkflowOwnedMixin, SimpleHistoryAdmin):
    """The 不公开 marks of the public version, read-only: set on the item page, through the workflow."""

    list_display = ("item", "field", "reason", "marked_by", "marked_at")
    list_filter = ("reason", "field")
    search_fields = ("item__reference", "item__organization__name")
    list_select_related = ("item", "marked_by")


@admin.register(MutedItem)
class MutedItemAdmin(WorkflowOwnedMixin, admin.ModelAdmin):
    """Who chose to hear nothing more about an item; each person mutes and unmutes on the
    item's page (`ledger.delivery`)."""

    ledger_page = ("ledger:item_detail", lambda muted: muted.item_id)
    list_display = ["person", "item", "created_at"]
    list_filter = ["created_at", "item__organization"]
    search_fields = ["person__username", "person__full_name", "item__reference"]
    list_select_related = ["person", "item"]
    date_hierarchy = "created_at"


@admin.register(Webhook)
class WebhookAdmin(WorkflowOwnedMixin, admin.ModelAdmin):
    """The group robots and their delivery state, kept by each committee on its robots page.

    The signing secret and the key in a robot's address are a password to post into the group:
    shown masked (their last four characters), as the robots page shows them, and not searched
    (a search by substring would tell them letter by letter)."""

    list_display = [
        "name",
        "organization",
        "kind",
        "enabled",
        "shown_url",
        "attempts",
        "next_try_at",
        "last_sent_at",
    ]
    list_filter = ["kind", "enabled", "organization"]
    search_fields = ["name", "organization__name", "organization__short_name"]
    list_select_related = ["organization"]
    fields = [
        "organization",
        "name",
        "kind",
        "shown_url",
        "shown_secret",
        "enabled",
        "sent_up_to",
        "attempts",
        "next_try_at",
        "last_error",
        "last_sent_at",
        "created_at",
    ]
    readonly_fields = ["shown_url", "shown_secret"]

    def view_on_site(self, obj):
        return reverse("notifications:webhook_edit", args=[obj.pk])

    @admin.display(description=_("webhook address"))
    def shown_url(self, obj):
        return obj.masked_url

    @admin.display(description=_("signing secret"))
    def shown_secret(self, obj):
        return obj.masked_secret


# The worker's task results (django-tasks-db): its admin refuses every deletion, so that a
# superuser's delete page of a finished result answered 403. A finished result (successful or
# failed) is the queue's bookkeeping, no ledger record: a superuser may delete it; one waiting
# or running may not (the worker would lose its task).
_FINISHED_TASKS = (TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED)


class FinishedTaskResultAdmin(DBTaskResultAdmin):
    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and (obj is None or obj.status in _FINISHED_TASKS)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset.filter(status__in=_FINISHED_TASKS))


admin.site.unregister(DBTaskResult)
admin.site.register(DBTaskResult, FinishedTaskResultAdmin)
