"""Delivery by the worker: at most once per notification (haochaping.jobs.outbox.deliver_once), by SMS
or SMTP. An SMTP error after the DATA phase began leaves the message in doubt."""
from __future__ import annotations

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from haochaping.jobs.outbox import deliver_once
from haochaping.jobs.services import job_handler

from .models import Notification
from .services import DELIVER_JOB, DeliveryFailed, DeliveryInDoubt
from .sms import get_sms_provider

log = logging.getLogger(__name__)

# Replies by which an SMTP server refuses the message: it was not accepted, so it may be sent again.
SMTP_REFUSALS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError,
                 smtplib.SMTPHeloError, smtplib.SMTPNotSupportedError)


def _watch_data_phase(backend) -> dict:
    """Note when an SMTP backend starts sending the message itself (smtplib's DATA): an error before that
    is definite; an error after it, other than the server's refusal, leaves the message in doubt."""
    state = {"data_started": False}
    smtp = getattr(backend, "connection", None)
    if isinstance(smtp, smtplib.SMTP):
        data = smtp.data

        def watched(msg):
            state["data_started"] = True
            return data(msg)

        smtp.data = watched
    return state


def _send_email(notification: Notification) -> str:
    message = EmailMessage(subject=notification.subject, body=notification.body, to=[notification.recipient],
                           from_email=settings.DEFAULT_FROM_EMAIL,
                           headers={"X-Haochaping-Notification": str(notification.pk)})
    backend = get_connection(fail_silently=False)
    backend.open()  # refused, unreachable, TLS or login failed: nothing was sent (raised as a definite failure)
    watch = _watch_data_phase(backend)
    try:
        sent = backend.send_messages([message])
    except SMTP_REFUSALS:
        raise
    except Exception as exc:
        if watch["data_started"]:
            raise DeliveryInDoubt(f"{type(exc).__name__}: {exc}") from exc
        raise
    finally:
        try:
            backend.close()  # the message is accepted or not by now; a failing QUIT changes nothing
        except Exception:  # noqa: BLE001
            log.warning("closing the mail connection failed", exc_info=True)
    if not sent:
        raise DeliveryFailed("the mail backend sent nothing")
    return "smtp"


def _send(notification: Notification) -> str:
    if notification.channel == Notification.Channel.SMS:
        reference = get_sms_provider().send(notification)
        return str(reference or "")
    return _send_email(notification)


@job_handler(DELIVER_JOB)
def deliver(payload: dict) -> None:
    deliver_once(Notification, payload["notification_id"], _send, payload, reference_field="provider_reference")


__all__ = ["DeliveryFailed", "DeliveryInDoubt", "deliver"]
