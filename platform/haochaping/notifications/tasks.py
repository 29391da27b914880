"""Delivery by the worker: at most once per notification (see models.Notification)."""
from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from haochaping.jobs.services import job_handler

from .models import Notification
from .services import DELIVER_JOB
from .sms import get_sms_provider


class DeliveryFailed(Exception):
    """A definite failure: nothing was sent, so the job may run again."""


def _send(notification: Notification) -> str:
    if notification.channel == Notification.Channel.SMS:
        return get_sms_provider().send(notification)
    message = EmailMessage(subject=notification.subject, body=notification.body, to=[notification.recipient],
                           from_email=settings.DEFAULT_FROM_EMAIL,
                           headers={"X-Haochaping-Notification": str(notification.pk)})
    message.send(fail_silently=False)
    return "smtp"


@job_handler(DELIVER_JOB)
def deliver(payload: dict) -> None:
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=payload["notification_id"]).first()
        if notification is None or notification.state != Notification.State.PENDING:
            return  # already sent, or in doubt after a crash: never send twice
        notification.state = Notification.State.SENDING
        notification.attempts += 1
        notification.save(update_fields=["state", "attempts"])
    try:
        reference = _send(notification)
    except Exception as exc:  # noqa: BLE001 - the provider's or SMTP server's refusal: retry later
        Notification.objects.filter(pk=notification.pk).update(state=Notification.State.PENDING,
                                                               last_error=f"{type(exc).__name__}: {exc}"[:2000])
        raise DeliveryFailed(str(exc)) from exc
    Notification.objects.filter(pk=notification.pk).update(state=Notification.State.SENT, sent_at=timezone.now(),
                                                           provider_reference=reference[:120], last_error="")
