from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import Membership, Organization, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organization"]


@admin.register(User)
class UserAdmin(BaseUserAdmin, SimpleHistoryAdmin):
    list_display = ["username", "full_name", "email", "is_active", "is_staff"]
    search_fields = ["username", "full_name", "email"]
    list_filter = ["is_active", "is_staff", "is_superuser", "is_placeholder", "memberships__role"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("full_name", "email", "is_placeholder")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "full_name", "password1", "password2")}),
    )
    inlines = [MembershipInline]

    # People who acted are deactivated, never deleted (`User.has_acted`): the admin refuses and
    # says why, on the delete page and in the bulk action.
    def delete_view(self, request, object_id, extra_context=None):
        person = self.get_object(request, object_id)
        if person is not None and person.has_acted():
            messages.error(request, self._refusal([person]))
            return redirect("admin:core_user_change", person.pk)
        return super().delete_view(request, object_id, extra_context)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            _function, name, description = actions["delete_selected"]
            actions["delete_selected"] = (UserAdmin._delete_selected, name, description)
        return actions

    def _delete_selected(self, request, queryset):
        acted = [person for person in queryset if person.has_acted()]
        if acted:
            self.message_user(request, self._refusal(acted), messages.ERROR)
            return None
        return delete_selected(self, request, queryset)

    @staticmethod
    def _refusal(people):
        return _(
            "{names}: people who acted in the ledger are never deleted, so that its history keeps "
            "who did what. Untick “active” instead: they can no longer sign in."
        ).format(names="、".join(str(person) for person in people))


@admin.register(Organization)
class OrganizationAdmin(SimpleHistoryAdmin):
    list_display = ["name", "short_name", "kind", "parent", "double_review", "sort_order"]
    list_filter = ["kind", "double_review"]
    search_fields = ["name", "short_name"]
    autocomplete_fields = ["parent"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "organization", "role"]
    list_filter = ["role", "organization"]
    search_fields = ["user__username", "user__full_name", "organization__name"]
    autocomplete_fields = ["user", "organization"]


admin.site.site_header = _("Rectification ledger administration")
admin.site.site_title = _("Rectification ledger")
admin.site.index_title = _("Administration")
