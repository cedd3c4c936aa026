from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import BusinessCase, ChecklistAnswer, ModelChange, UseCase


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
