"""SMS providers. The default records each message (SmsRecord) instead of sending it; a county plugs in its
gateway by setting SMS_PROVIDER to a class with the same `send` method."""
from __future__ import annotations

from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from .models import Notification, SmsRecord


class SmsProvider(Protocol):
    def send(self, notification: Notification) -> str:
        """Send one message; return the provider's reference. Raise to report a definite failure (it is retried);
        raise services.DeliveryInDoubt when it may have gone out (it is never sent again). docs/notifications.md"""


class RecordingSmsProvider:
    def send(self, notification: Notification) -> str:
        record, _ = SmsRecord.objects.get_or_create(notification=notification,
                                                    defaults={"phone": notification.recipient, "text": notification.body})
        return f"recorded:{record.pk}"


def get_sms_provider() -> SmsProvider:
    return import_string(settings.SMS_PROVIDER)()
