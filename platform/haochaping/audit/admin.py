from django.contrib import admin

from haochaping.accounts.admin_sites import platform_admin_site, tenant_admin_site

from .models import AuditEvent


class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is append-only (a database trigger refuses UPDATE and DELETE)."""

    list_display = ("at", "actor", "action", "target_type", "target_label", "tenant")
    list_filter = ("action", "actor_kind", "tenant")
    search_fields = ("actor", "target_label", "target_id")
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


for site in (platform_admin_site, tenant_admin_site):
    site.register(AuditEvent, AuditEventAdmin)
