"""Admin for superusers: reference lists, meetings and issues; items are read-only here."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    Attendance,
    Category,
    Evidence,
    ExtensionRequest,
    ImportedRow,
    Issue,
    Item,
    Meeting,
    ProgressUpdate,
    ReportJob,
    SavedView,
)


class NoDeleteMixin:
    """Ledger records are withdrawn, never deleted, so that the audit trail stays whole."""

    def has_delete_permission(self, request, obj=None):
        return False


class WorkflowOwnedMixin(NoDeleteMixin):
    """Read-only here: items and what hangs on them change only through `ledger.workflow`
    (the ledger screens), which checks the rules and writes the history."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Category)
class CategoryAdmin(SimpleHistoryAdmin):
    list_display = ["name", "name_en", "sort_order", "is_active", "is_default"]
    list_filter = ["is_active", "is_default"]
    search_fields = ["name", "name_en"]


class AttendanceInline(admin.TabularInline):
    model = Attendance
    extra = 0
    autocomplete_fields = ["person"]


@admin.register(Meeting)
class MeetingAdmin(NoDeleteMixin, SimpleHistoryAdmin):
    list_display = ["held_on", "meeting_type", "topic", "organization"]
    list_filter = ["meeting_type", "organization", "held_on"]
    search_fields = ["topic", "notes", "place"]
    date_hierarchy = "held_on"
    autocomplete_fields = ["organization", "host", "recorder"]
    inlines = [AttendanceInline]


@admin.register(Attendance)
class AttendanceAdmin(SimpleHistoryAdmin):
    list_display = ["meeting", "person", "present", "absence_reason", "makeup_on"]
    list_filter = ["present", "absence_reason"]
    search_fields = ["person__full_name", "meeting__topic"]
    autocomplete_fields = ["meeting", "person"]


@admin.register(Issue)
class IssueAdmin(NoDeleteMixin, SimpleHistoryAdmin):
    list_display = ["__str__", "organization", "category", "source", "raised_on"]
    list_filter = ["category", "source", "organization"]
    search_fields = ["description", "raised_by_name"]
    date_hierarchy = "raised_on"
    autocomplete_fields = ["organization", "meeting", "raised_by", "concerns"]


@admin.register(Item)
class ItemAdmin(WorkflowOwnedMixin, SimpleHistoryAdmin):
    list_display = ["reference", "organization", "owner", "deadline", "status", "progress"]
    list_filter = ["status", "kind", "organization", "issue__category"]
    search_fields = ["reference", "measures", "issue__description", "department"]
    list_select_related = ["organization", "owner"]


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(WorkflowOwnedMixin, SimpleHistoryAdmin):
    list_display = ["item", "author", "percent", "created_at"]
    search_fields = ["item__reference", "text"]
    autocomplete_fields = ["item", "author"]


@admin.register(Evidence)
class EvidenceAdmin(WorkflowOwnedMixin, SimpleHistoryAdmin):
    list_display = ["original_name", "item", "content_type", "size", "uploaded_by", "uploaded_at"]
    search_fields = ["original_name", "item__reference"]
    autocomplete_fields = ["item", "update", "uploaded_by"]


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(WorkflowOwnedMixin, SimpleHistoryAdmin):
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
