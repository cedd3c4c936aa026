from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from simple_history.admin import SimpleHistoryAdmin

from .models import BusinessCase, ChecklistAnswer, ModelChange, RoleChange, RoleSource, UseCase
from .role_changes import role_changes_by


class BusinessCaseInline(admin.StackedInline):
    model = BusinessCase
    can_delete = False


@admin.register(UseCase)
class UseCaseAdmin(SimpleHistoryAdmin):
    list_display = ("name", "business_unit", "stage", "funding_status", "value_owner", "live_since")
    list_filter = ("stage", "funding_status", "business_unit")
    search_fields = ("name", "business_unit", "workflow")
    autocomplete_fields = ("value_owner",)
    filter_horizontal = ("contributors",)
    inlines = [BusinessCaseInline]


@admin.register(BusinessCase)
class BusinessCaseAdmin(SimpleHistoryAdmin):
    list_display = ("use_case", "baseline_source", "hourly_cost", "updated_at")
    list_select_related = ("use_case",)


@admin.register(ModelChange)
class ModelChangeAdmin(SimpleHistoryAdmin):
    list_display = ("use_case", "version_label", "kind", "effective_date")
    list_filter = ("kind",)
    list_select_related = ("use_case",)


@admin.register(ChecklistAnswer)
class ChecklistAnswerAdmin(SimpleHistoryAdmin):
    list_display = ("use_case", "item", "answer", "updated_at")
    list_filter = ("item", "answer")
    list_select_related = ("use_case",)


@admin.register(RoleChange)
class RoleChangeAdmin(admin.ModelAdmin):
    """The audit of role groups given or taken (admin, commands, single sign-on): read only."""

    list_display = ("at", "username", "role", "change", "source", "changed_by_username", "reason")
    list_filter = ("role", "added", "source")
    search_fields = ("username", "changed_by_username", "reason")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's user admin; a change of the PMO or Leadership group is audited with the
    administrator who saved it (``RoleChange``, source "admin"); so are the roles a user
    deleted here loses."""

    def save_related(self, request, form, formsets, change):
        reason = f"Django admin: {request.user.get_username()} saved the user"
        with role_changes_by(RoleSource.ADMIN, reason=reason, by=request.user):
            super().save_related(request, form, formsets, change)

    def delete_model(self, request, obj):
        reason = f"Django admin: {request.user.get_username()} deleted the user"
        with role_changes_by(RoleSource.ADMIN, reason=reason, by=request.user):
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        reason = f"Django admin: {request.user.get_username()} deleted the users"
        with role_changes_by(RoleSource.ADMIN, reason=reason, by=request.user):
            super().delete_queryset(request, queryset)
