"""Queue notifications in the caller's transaction; the worker delivers them after commit."""
from __future__ import annotations

from django.db import transaction

from haochaping.jobs.services import enqueue

from .models import Notification

DELIVER_JOB = "notifications.deliver"


def queue_notification(*, channel: str, recipient: str, body: str, purpose: str, subject: str = "",
                       dedupe_key: str | None = None) -> Notification | None:
    """Returns None when a notification with this dedupe key was already queued."""
    with transaction.atomic():
        if dedupe_key and Notification.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        notification = Notification.objects.create(channel=channel, recipient=recipient, subject=subject[:200],
                                                   body=body, purpose=purpose, dedupe_key=dedupe_key)
        enqueue(DELIVER_JOB, {"notification_id": notification.pk}, dedupe_key=f"notification:{notification.pk}")
    return notification
