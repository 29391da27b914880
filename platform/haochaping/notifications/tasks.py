"""Delivery by the worker: at most once per notification (see models.Notification).

PENDING → SENDING is committed before the send. Then:
- sent → SENT;
- a definite failure (nothing went out: connection refused, the server refused, the provider raised) → back to
  PENDING with last_error, and DeliveryFailed is raised so the job system retries with backoff; on the job's
  last attempt → FAILED;
- in doubt (the message may have gone out) or a crash mid-send → stays SENDING and is never sent again."""
from __future__ import annotations

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone

from haochaping.jobs.models import Job
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


def _last_attempt(payload: dict) -> bool:
    """Whether the job system gives up after this attempt (the job lives in the public schema)."""
    job = Job.objects.filter(pk=payload.get("job_id")).values("attempts", "max_attempts").first()
    return job is not None and job["attempts"] >= job["max_attempts"]


@job_handler(DELIVER_JOB)
def deliver(payload: dict) -> None:
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=payload["notification_id"]).first()
        if notification is None or notification.state != Notification.State.PENDING:
            return  # already sent, given up, or in doubt after a crash: never send twice
        notification.state = Notification.State.SENDING
        notification.attempts += 1
        notification.save(update_fields=["state", "attempts"])
    try:
        reference = _send(notification)
    except DeliveryInDoubt as exc:
        log.warning("notification %s may or may not have been sent; it is not sent again: %s", notification.pk, exc)
        Notification.objects.filter(pk=notification.pk).update(last_error=f"in doubt, not sent again: {exc}"[:2000])
        return
    except Exception as exc:  # noqa: BLE001 - the provider's or SMTP server's refusal: retry later
        state = Notification.State.FAILED if _last_attempt(payload) else Notification.State.PENDING
        Notification.objects.filter(pk=notification.pk).update(state=state,
                                                               last_error=f"{type(exc).__name__}: {exc}"[:2000])
        raise DeliveryFailed(str(exc)) from exc
    Notification.objects.filter(pk=notification.pk).update(state=Notification.State.SENT, sent_at=timezone.now(),
                                                           provider_reference=reference[:120], last_error="")


__all__ = ["DeliveryFailed", "DeliveryInDoubt", "deliver"]
