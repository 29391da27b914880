from django.contrib import admin

from haochaping.accounts.admin_sites import tenant_admin_site

from .models import ServiceGuide, ServiceItem


class GuideInline(admin.StackedInline):
    model = ServiceGuide
    extra = 0
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False  # guides are versioned: publish a new version instead


@admin.register(ServiceItem, site=tenant_admin_site)
class ServiceItemAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "item_type", "is_active")
    # The four basic elements come from the base catalog and cannot be edited here.
    readonly_fields = ("catalog_item", "code", "name", "legal_basis", "item_type")
    fields = ("catalog_item", "code", "name", "legal_basis", "item_type", "is_active", "lead_unit", "cooperating_units")
    search_fields = ("catalog_item__code", "catalog_item__name")
    list_select_related = ("catalog_item",)
    inlines = [GuideInline]

    def has_add_permission(self, request):
        return False  # adopting an item needs its first guide: use adoptServiceItem
