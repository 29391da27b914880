from django.contrib import admin

from haochaping.accounts.admin_sites import platform_admin_site

from .models import SuspicionFlag


@admin.register(SuspicionFlag, site=platform_admin_site)
class SuspicionFlagAdmin(admin.ModelAdmin):
    list_display = ("created_at", "tenant", "kind", "window_code", "detail", "reviewed_at")
    list_filter = ("kind", "tenant")
    readonly_fields = ("tenant", "kind", "window_code", "detail", "evaluation_ids", "created_at")
