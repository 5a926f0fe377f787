from django.contrib import admin

from .models import Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "kind", "parent", "active"]
    list_filter = ["level", "active"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]
