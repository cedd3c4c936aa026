from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Flag, MonthlyReview, StopLossRule, WeeklyReview


@admin.register(WeeklyReview)
class WeeklyReviewAdmin(SimpleHistoryAdmin):
    list_display = ("use_case", "week", "active_users", "tasks_total", "tasks_with_ai", "version")
    list_filter = ("use_case__business_unit",)
    search_fields = ("use_case__name", "week")
    list_select_related = ("use_case",)
    readonly_fields = ("week_start", "month_start", "version")


@admin.register(MonthlyReview)
class MonthlyReviewAdmin(SimpleHistoryAdmin):
    list_display = ("use_case", "month", "run_cost", "support_cost", "version")
    search_fields = ("use_case__name", "month")
    list_select_related = ("use_case",)
    readonly_fields = ("month_start", "version")


@admin.register(StopLossRule)
class StopLossRuleAdmin(SimpleHistoryAdmin):
    list_display = (
        "metric",
        "comparison",
        "threshold",
        "consecutive_weeks",
        "grace_weeks",
        "action",
        "use_case",
        "active",
    )
    list_filter = ("metric", "action", "active")
    list_select_related = ("use_case",)


@admin.register(Flag)
class FlagAdmin(SimpleHistoryAdmin):
    list_display = (
        "use_case",
        "kind",
        "period",
        "observed_value",
        "threshold",
        "raised_at",
        "resolved_at",
    )
    list_filter = ("kind", ("resolved_at", admin.EmptyFieldListFilter))
    search_fields = ("use_case__name", "explanation")
    list_select_related = ("use_case",)
