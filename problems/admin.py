"""The problem desk in the back office: desks and their members, the routing table (editable by
administrators), and problems read-only (they change only through problems.actions, which keeps
the timeline, the version and the audit trail)."""

from django.contrib import admin
from django.db.models import Count

from audit.log import record

from .models import Department, Problem, ProblemStep, RoutingRule


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "region", "member_count"]
    list_filter = ["kind"]
    search_fields = ["name", "region__code", "region__name"]
    autocomplete_fields = ["region"]
    filter_horizontal = ["members"]
    ordering = ["region_id", "kind"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("region").annotate(n=Count("members"))

    @admin.display(description="members", ordering="n")
    def member_count(self, obj) -> int:
        return obj.n


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["category", "region", "kind"]
    list_editable = ["kind"]
    list_filter = ["category", "kind"]
    search_fields = ["region__code", "region__name"]
    autocomplete_fields = ["region"]
    ordering = ["category", "region_id"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        record("save_routing_rule", request=request, obj=obj, kind=obj.kind, source="admin")

    def delete_model(self, request, obj):
        pk = obj.pk
        super().delete_model(request, obj)
        record(
            "delete_routing_rule",
            request=request,
            object_type="routingrule",
            object_id=str(pk),
            source="admin",
        )


class StepInline(admin.TabularInline):
    model = ProblemStep
    fields = ("at", "action", "actor", "from_status", "to_status", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Problem)
class ProblemAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "enterprise",
        "category",
        "urgency",
        "status",
        "department",
        "created_at",
    ]
    list_filter = ["status", "category", "urgency", "department__kind"]
    search_fields = ["enterprise__name", "enterprise__uscc", "county"]
    list_select_related = ["enterprise", "department"]
    date_hierarchy = "created_at"
    inlines = [StepInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
