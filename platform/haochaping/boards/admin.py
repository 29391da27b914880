"""Tenant admin: each hall's board (its link, its named managers, rotating the link) and the alerts raised."""
from __future__ import annotations

from django.contrib import admin, messages
from django.utils.html import format_html

from haochaping.accounts.admin_sites import tenant_admin_site

from . import services
from .models import BoardAlert, HallBoard


@admin.register(HallBoard, site=tenant_admin_site)
class HallBoardAdmin(admin.ModelAdmin):
    list_display = ("org", "board_link", "seq", "token_version")
    fields = ("org", "managers", "board_link", "seq", "token_version")
    readonly_fields = ("board_link", "seq", "token_version")
    filter_horizontal = ("managers",)
    actions = ["rotate_links"]

    def get_readonly_fields(self, request, obj=None):
        # The hall is chosen once; its sequence and link version are the system's.
        return (*self.readonly_fields, "org") if obj else self.readonly_fields

    @admin.display(description="评价屏链接 / Board link")
    def board_link(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        url = services.board_url(obj.org)
        return format_html('<a href="{}" target="_blank" rel="noopener">打开评价屏</a> · '
                           '<a href="/board/{}/manage/" target="_blank" rel="noopener">管理视图</a>', url, obj.org.code)

    @admin.action(description="更换评价屏链接（旧链接立即失效） / Replace the board link", permissions=["change"])
    def rotate_links(self, request, queryset):
        for board in queryset.select_related("org"):
            services.rotate_board_token(board.org)
        self.message_user(request, f"已更换{queryset.count()}个评价屏链接，请在大屏上打开新链接。", messages.SUCCESS)


@admin.register(BoardAlert, site=tenant_admin_site)
class BoardAlertAdmin(admin.ModelAdmin):
    list_display = ("raised_at", "org", "window", "bad_ratings", "ratings", "period_minutes", "state", "acknowledged_by")
    list_filter = ("state", "org")
    readonly_fields = [f.name for f in BoardAlert._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
