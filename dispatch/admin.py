"""Dispatch in the back office: cadence rules, settings, emergency periods, locks, risk levels,
reports (read-only history) and reminders.

Reports are written only through dispatch.actions (validated, versioned, rolled up), so the admin
shows them read-only: a change here would bypass the rollups. Cadence rules may be edited here,
and every enterprise's reporting duty follows at once (see CadenceRuleAdmin).
"""

from django.contrib import admin
from django.db import transaction

from audit.log import record

from . import duties
from .models import (
    CadenceRule,
    CountyRisk,
    EmergencyPeriod,
    PeriodLock,
    Reminder,
    Report,
    ReportVersion,
    Settings,
)


@admin.register(CadenceRule)
class CadenceRuleAdmin(admin.ModelAdmin):
    list_display = [
        "position",
        "cadence",
        "above_scale",
        "tag",
        "industry_prefix",
        "in_park",
        "key_project",
        "note",
    ]
    list_display_links = ["position", "cadence"]
    ordering = ["position", "id"]

    # Who reports how often is not read from the rules on each request: it is kept per
    # enterprise in Duty, and the rollups' expected-report rows (and every past report's place
    # in them) are keyed by it. A rule saved or deleted here must therefore move every
    # enterprise's duty in the same transaction (the admin's change view is atomic), exactly as
    # rules.save_rule / delete_rule do for the settings page; otherwise the dashboards would
    # count expected reports under the old rules until something else re-synced them.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        changed = duties.sync(None)
        record("save_rule", request=request, obj=obj, duties_changed=changed, source="admin")

    def delete_model(self, request, obj):
        pk = obj.pk
        super().delete_model(request, obj)
        changed = duties.sync(None)
        record(
            "delete_rule",
            request=request,
            object_type="cadencerule",
            object_id=str(pk),
            duties_changed=changed,
            source="admin",
        )

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        # The changelist's "delete selected" action bypasses delete_model, and is not atomic by
        # itself.
        pks = list(queryset.values_list("pk", flat=True))
        super().delete_queryset(request, queryset)
        changed = duties.sync(None)
        record(
            "delete_rule",
            request=request,
            object_type="cadencerule",
            object_id=",".join(map(str, pks))[:64],
            duties_changed=changed,
            source="admin",
        )


@admin.register(Settings)
class SettingsAdmin(admin.ModelAdmin):
    list_display = ["cutoff"]

    def has_add_permission(self, request):
        return not Settings.objects.exists()  # one row


@admin.register(EmergencyPeriod)
class EmergencyPeriodAdmin(admin.ModelAdmin):
    list_display = ["start", "end", "note", "created_by"]
    ordering = ["-start"]
    raw_id_fields = ["created_by"]


@admin.register(PeriodLock)
class PeriodLockAdmin(admin.ModelAdmin):
    list_display = ["region", "date", "locked_by", "locked_at"]
    list_filter = ["date"]
    search_fields = ["region__code", "region__name"]
    raw_id_fields = ["region", "locked_by"]


@admin.register(CountyRisk)
class CountyRiskAdmin(admin.ModelAdmin):
    list_display = ["region", "level", "effective_from", "source", "set_by", "set_at"]
    list_filter = ["level", "source", "effective_from"]
    search_fields = ["region__code", "region__name"]
    raw_id_fields = ["region", "set_by"]
    ordering = ["region_id", "-effective_from"]


class ReportVersionInline(admin.TabularInline):
    model = ReportVersion
    extra = 0
    can_delete = False
    fields = ("version", "at", "actor", "source", "changes", "values")
    readonly_fields = fields
    ordering = ["version"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = [
        "enterprise",
        "date",
        "county",
        "status",
        "staff_on_site",
        "capacity_pct",
        "on_time",
        "version",
        "updated_at",
    ]
    list_filter = ["date", "status", "on_time"]
    search_fields = ["enterprise__uscc"]
    list_select_related = ["enterprise"]
    raw_id_fields = ["enterprise", "submitted_by"]
    inlines = [ReportVersionInline]
    show_full_result_count = False  # a count over millions of reports is not worth its time

    # Read-only: a report changes only through dispatch.actions, which versions it and keeps the
    # rollups in step (see the module docstring).
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ["enterprise", "date", "created_by", "created_at", "delivered_at"]
    list_filter = ["date"]
    search_fields = ["enterprise__uscc"]
    raw_id_fields = ["enterprise", "created_by"]
