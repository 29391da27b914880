from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .admin_sites import platform_admin_site, tenant_admin_site
from .models import ApiToken, User


class UserAdmin(BaseUserAdmin):
    list_display = ("username", "display_name", "role", "is_active", "last_login")
    list_filter = ("role", "is_active")
    fieldsets = BaseUserAdmin.fieldsets + (("好差评", {"fields": ("role", "display_name")}),)


class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "prefix", "scopes", "expires_at", "revoked_at", "last_used_at")
    readonly_fields = ("prefix", "kind", "scopes", "tenant_schemas", "created_at", "last_used_at", "created_by")
    fields = ("name", "prefix", "kind", "scopes", "tenant_schemas", "expires_at", "revoked_at", "created_by",
              "created_at", "last_used_at")

    def has_add_permission(self, request):
        # Secrets are issued through GraphQL or the command, which show them once.
        return False


for site in (platform_admin_site, tenant_admin_site):
    site.register(User, UserAdmin)
    site.register(ApiToken, ApiTokenAdmin)
