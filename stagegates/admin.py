from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Decision, Gate, GateItem, GateItemSnapshot, Vote


class GateItemInline(admin.TabularInline):
    model = GateItem
    extra = 0
    fields = ("use_case", "reasons", "outcome", "removed_at")
    readonly_fields = fields
    can_delete = False
    show_change_link = True


@admin.register(Gate)
class GateAdmin(SimpleHistoryAdmin):
    list_display = ("quarter", "status", "opens_on", "closes_on", "chair")
    list_filter = ("status",)
    list_select_related = ("chair",)
    search_fields = ("quarter",)
    readonly_fields = ("voting_opened_at", "closed_at", "closed_by", "created_by")
    inlines = [GateItemInline]


@admin.register(GateItem)
class GateItemAdmin(SimpleHistoryAdmin):
    list_display = ("use_case", "gate", "outcome", "removed_at")
    list_filter = ("gate__quarter", "outcome")
    list_select_related = ("use_case", "gate")
    search_fields = ("use_case__name",)
    raw_id_fields = ("use_case", "added_by", "removed_by")


@admin.register(Vote)
class VoteAdmin(SimpleHistoryAdmin):
    list_display = ("item", "voter", "choice", "updated_at")
    list_filter = ("choice", "item__gate__quarter")
    list_select_related = ("item__use_case", "item__gate", "voter")
    raw_id_fields = ("item", "voter")


@admin.register(Decision)
class DecisionAdmin(SimpleHistoryAdmin):
    list_display = ("item", "decision", "outcome", "decided_by", "decided_at")
    list_filter = ("decision",)
    list_select_related = ("item__use_case", "item__gate", "decided_by")
    raw_id_fields = ("item", "decided_by", "snapshot")


@admin.register(GateItemSnapshot)
class GateItemSnapshotAdmin(admin.ModelAdmin):
    """Read-only: a snapshot is written once, at closing, and never changed or deleted."""

    list_display = ("item", "taken_at", "builder_version")
    list_filter = ("item__gate__quarter",)
    list_select_related = ("item__use_case", "item__gate")
    search_fields = ("item__use_case__name",)
    readonly_fields = ("item", "pack", "taken_at", "builder_version")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
