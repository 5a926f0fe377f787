"""The register in the back office.

Every save or delete here keeps the reporting duties (and so the rollups' expected reports) in
step, as the other write paths do: enterprises and key projects are written through
registry.actions, which record the change and send `enterprises_changed`; a deleted enterprise
takes its duty with it (dispatch's pre_delete receiver), and a deleted park announces the
enterprises it leaves (registry.signals).
"""

from django.contrib import admin

from . import actions
from .models import Contact, Enterprise, EnterpriseChange, KeyProject, Park


class ContactInline(admin.TabularInline):
    # Contacts play no part in the reporting duty; an inline that does (tags, key projects)
    # would have to announce its enterprise after save_related.
    model = Contact
    extra = 0


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ["uscc", "name", "region", "industry", "headcount", "size_class", "above_scale"]
    list_filter = ["size_class", "above_scale"]
    search_fields = ["uscc", "name"]
    raw_id_fields = ["region", "industry", "park"]
    inlines = [ContactInline]

    def save_model(self, request, obj, form, change):
        actions.save_in_admin(actor=request.user, enterprise=obj, request=request)


@admin.register(Park)
class ParkAdmin(admin.ModelAdmin):
    list_display = ["name", "region"]
    search_fields = ["name"]
    raw_id_fields = ["region"]


@admin.register(KeyProject)
class KeyProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "enterprise", "investment"]
    raw_id_fields = ["enterprise"]

    # A key project makes its enterprise a weekly reporter (seed 003), so adding, moving or
    # deleting one moves that enterprise's duty.
    def save_model(self, request, obj, form, change):
        actions.save_key_project(actor=request.user, project=obj, request=request)

    def delete_model(self, request, obj):
        actions.delete_key_projects(
            actor=request.user, projects=KeyProject.objects.filter(pk=obj.pk), request=request
        )

    def delete_queryset(self, request, queryset):
        # The changelist's "delete selected" action bypasses delete_model.
        actions.delete_key_projects(actor=request.user, projects=queryset, request=request)


@admin.register(EnterpriseChange)
class EnterpriseChangeAdmin(admin.ModelAdmin):
    list_display = ["enterprise", "actor", "at", "source"]
    raw_id_fields = ["enterprise", "actor"]

    def has_change_permission(self, request, obj=None):
        return False
