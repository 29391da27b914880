"""Queue notifications in the caller's transaction; the worker delivers them after commit."""
from __future__ import annotations

from django.db import IntegrityError, transaction

from haochaping.jobs.outbox import DeliveryFailed, DeliveryInDoubt  # noqa: F401 - senders raise these
from haochaping.jobs.services import enqueue

from .models import Notification

DELIVER_JOB = "notifications.deliver"
# Retries back off 2, 4, 8 … seconds up to an hour (jobs.services._finish): 16 attempts span about five hours,
# so an SMTP server or SMS gateway that is down for a while delays messages instead of failing them.
DELIVER_MAX_ATTEMPTS = 16




def queue_notification(*, channel: str, recipient: str, body: str, purpose: str, subject: str = "",
                       dedupe_key: str | None = None) -> Notification | None:
    """Returns None when a notification with this dedupe key was already queued."""
    with transaction.atomic():
        if dedupe_key and Notification.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        try:
            with transaction.atomic():
                notification = Notification.objects.create(channel=channel, recipient=recipient,
                                                           subject=subject[:200], body=body, purpose=purpose,
                                                           dedupe_key=dedupe_key)
        except IntegrityError:
            # A concurrent caller queued the same key first (it waited for that commit on the unique index).
            if dedupe_key and Notification.objects.filter(dedupe_key=dedupe_key).exists():
                return None
            raise
        enqueue(DELIVER_JOB, {"notification_id": notification.pk}, dedupe_key=f"notification:{notification.pk}",
                max_attempts=DELIVER_MAX_ATTEMPTS)
    return notification


def cancel_pending(dedupe_keys: list[str]) -> int:
    """Cancel notifications not yet handed to a provider (e.g. an invitation withdrawn by a rating elsewhere)."""
    if not dedupe_keys:
        return 0
    return Notification.objects.filter(dedupe_key__in=dedupe_keys, state=Notification.State.PENDING).update(
        state=Notification.State.CANCELLED)
