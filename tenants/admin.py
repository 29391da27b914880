from django.contrib import admin

from haochaping.accounts.admin_sites import platform_admin_site

from .models import Domain, ManagementAgency, Tenant


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


@admin.register(Tenant, site=platform_admin_site)
class TenantAdmin(admin.ModelAdmin):
    list_display = ("name", "schema_name", "kind", "official_code", "management_agency", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "schema_name", "official_code")
    readonly_fields = ("schema_name",)
    inlines = [DomainInline]

    def has_add_permission(self, request):
        # Tenants are created by provisioning (command or GraphQL), which clones the schema.
        return False

    def has_delete_permission(self, request, obj=None):
        # A tenant's records are kept: deactivate it instead (its host then answers 404).
        return False


@admin.register(ManagementAgency, site=platform_admin_site)
class ManagementAgencyAdmin(admin.ModelAdmin):
    list_display = ("name", "level")
