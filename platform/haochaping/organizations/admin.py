from django.contrib import admin
from django.db import models

from haochaping.accounts.admin_sites import tenant_admin_site

from .models import AncillaryService, RatingDevice, ServiceOrg, ServicePlatform, Staff, Window


class WindowInline(admin.TabularInline):
    model = Window
    extra = 0
    fields = ("code", "name", "is_one_stop", "is_active")


class AncillaryInline(admin.TabularInline):
    model = AncillaryService
    extra = 0


@admin.register(ServiceOrg, site=tenant_admin_site)
class ServiceOrgAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "parent", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name")
    inlines = [WindowInline, AncillaryInline]


@admin.register(Window, site=tenant_admin_site)
class WindowAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "org", "is_one_stop", "is_active")
    list_filter = ("org", "is_one_stop")
    filter_horizontal = ("items",)


@admin.register(Staff, site=tenant_admin_site)
class StaffAdmin(admin.ModelAdmin):
    list_display = ("employee_no", "name", "title", "org", "is_active")
    search_fields = ("employee_no", "name")
    filter_horizontal = ("windows",)


@admin.register(ServicePlatform, site=tenant_admin_site)
class ServicePlatformAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "is_active")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(RatingDevice, site=tenant_admin_site)
class RatingDeviceAdmin(admin.ModelAdmin):
    list_display = ("serial", "name", "window", "paired_at", "is_active")
    readonly_fields = ("token", "paired_at")

    def has_add_permission(self, request):
        # Pairing issues a token that is shown once: done through GraphQL.
        return False
