from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import ApiToken, Invitation, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "role", "region", "enterprise", "park", "is_active"]
    list_filter = ["role", "is_active"]
    raw_id_fields = ["region", "enterprise", "park"]
    fieldsets = [
        *(BaseUserAdmin.fieldsets or ()),
        (
            "fugong",
            {
                "fields": [
                    "role",
                    "region",
                    "enterprise",
                    "park",
                    "industry_divisions",
                    "department",
                    "phone",
                ]
            },
        ),
    ]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "digest"]
    raw_id_fields = ["user"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["enterprise", "created_by", "created_at", "expires_at", "used_at"]
    readonly_fields = ["digest"]
    raw_id_fields = ["enterprise", "created_by", "used_by"]
