"""What was sent, read-only in the tenant admin: the outbox (Notification) and the SMS the default provider
recorded (SmsRecord). Recipients are masked. Outside development (DEBUG off) the invitation links and
verification codes in the texts are hidden too: whoever can read them could rate or verify in the
applicant's name."""
from __future__ import annotations

import re

from django.conf import settings
from django.contrib import admin

from haochaping.accounts.admin_sites import tenant_admin_site
from haochaping.core.privacy import mask_phone

from .models import Notification, SmsRecord

_INVITATION_LINK = re.compile(r"(/e/)[^/\s]+(/)")
_CODE = re.compile(r"\d{4,8}")


def mask_recipient(value: str) -> str:
    value = (value or "").strip()
    if "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    return mask_phone(value)


def shown_text(text: str, purpose: str = "") -> str:
    if settings.DEBUG:
        return text
    text = _INVITATION_LINK.sub(r"\1…\2", text or "")
    return _CODE.sub("******", text) if purpose == "phone_code" else text


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification, site=tenant_admin_site)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "channel", "masked_recipient", "purpose", "state", "attempts", "sent_at")
    list_filter = ("state", "channel", "purpose")
    date_hierarchy = "created_at"
    fields = ("channel", "masked_recipient", "subject", "message", "purpose", "state", "attempts", "last_error",
              "provider_reference", "created_at", "sent_at")
    readonly_fields = fields

    @admin.display(description="收件人")
    def masked_recipient(self, obj: Notification) -> str:
        return mask_recipient(obj.recipient)

    @admin.display(description="内容")
    def message(self, obj: Notification) -> str:
        return shown_text(obj.body, obj.purpose)


@admin.register(SmsRecord, site=tenant_admin_site)
class SmsRecordAdmin(ReadOnlyAdmin):
    list_display = ("sent_at", "masked_phone", "message", "notification")
    fields = ("notification", "masked_phone", "message", "sent_at")
    readonly_fields = fields
    list_select_related = ("notification",)

    @admin.display(description="手机号")
    def masked_phone(self, obj: SmsRecord) -> str:
        return mask_phone(obj.phone)

    @admin.display(description="短信内容")
    def message(self, obj: SmsRecord) -> str:
        return shown_text(obj.text, obj.notification.purpose)
