from django.contrib import admin

from haochaping.accounts.admin_sites import platform_admin_site

from .models import CatalogImport, CatalogItem


@admin.register(CatalogItem, site=platform_admin_site)
class CatalogItemAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "item_type", "is_active", "updated_at")
    list_filter = ("item_type", "is_active")
    search_fields = ("code", "name")


@admin.register(CatalogImport, site=platform_admin_site)
class CatalogImportAdmin(admin.ModelAdmin):
    list_display = ("file_name", "imported_at", "unchanged_count")
    readonly_fields = ("file_name", "imported_at", "added", "updated", "deactivated", "unchanged_count")
