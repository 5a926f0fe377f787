from django.contrib import admin

from .models import Contact, Enterprise, EnterpriseChange, KeyProject, Park


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ["uscc", "name", "region", "industry", "headcount", "size_class", "above_scale"]
    list_filter = ["size_class", "above_scale"]
    search_fields = ["uscc", "name"]
    raw_id_fields = ["region", "industry", "park"]
    inlines = [ContactInline]


@admin.register(Park)
class ParkAdmin(admin.ModelAdmin):
    list_display = ["name", "region"]
    search_fields = ["name"]
    raw_id_fields = ["region"]


@admin.register(KeyProject)
class KeyProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "enterprise", "investment"]
    raw_id_fields = ["enterprise"]


@admin.register(EnterpriseChange)
class EnterpriseChangeAdmin(admin.ModelAdmin):
    list_display = ["enterprise", "actor", "at", "source"]
    raw_id_fields = ["enterprise", "actor"]

    def has_change_permission(self, request, obj=None):
        return False
