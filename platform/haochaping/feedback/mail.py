"""综合点评 by e-mail: a small SMTP listener (run by the worker, `run_worker --smtp-port`) turns each message into a
comment through `services.submit_comment`.

Addressing: `<unit slug>@<FEEDBACK_MAIL_DOMAIN>` goes to that unit; any other local part at the domain (e.g.
`yijian@…`) is routed by the text like the portal's suggestion box. Mail for other domains is refused at RCPT, so the
listener is never an open relay. The subject decides the category (投诉 / 表扬 / 咨询, else 建议); "同意公开" in the
subject or body is the sender's consent to publish the answer. The sender gets an acknowledgement with the receipt
code, and the answer when it is given, through the notifications outbox."""
from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.utils import parseaddr
from html import unescape

from django.conf import settings
from django.db import close_old_connections
from django_tenants.utils import get_public_schema_name, schema_context

from haochaping.core import ratelimit
from haochaping.core.errors import DomainError
from haochaping.core.privacy import digest

from .models import Category, Channel

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 256 * 1024
_TAG = re.compile(r"<[^>]+>")
_CATEGORY_WORDS = ((Category.COMPLAINT, ("投诉", "complaint")), (Category.PRAISE, ("表扬", "感谢", "praise")),
                   (Category.CONSULTATION, ("咨询", "请问", "question")))
CONSENT_WORDS = ("同意公开", "[公开]", "【公开】")


def mail_domain() -> str:
    return (getattr(settings, "FEEDBACK_MAIL_DOMAIN", "") or settings.BASE_HOST).lower()


@dataclass(frozen=True)
class InboundMail:
    sender: str
    sender_name: str
    subject: str
    body: str

    @property
    def text(self) -> str:
        return f"{self.subject}\n{self.body}".strip() if self.subject else self.body

    @property
    def category(self) -> str:
        lowered = self.subject.lower()
        for category, words in _CATEGORY_WORDS:
            if any(word in lowered for word in words):
                return category
        return Category.SUGGESTION

    @property
    def consents(self) -> bool:
        return any(word in self.subject or word in self.body for word in CONSENT_WORDS)


def parse(raw: bytes, envelope_from: str = "") -> InboundMail:
    """The plain-text body (HTML stripped when there is no text part), the subject and the sender."""
    message = message_from_bytes(raw, policy=policy.default)
    name, address = parseaddr(str(message.get("From", "")))
    part = message.get_body(preferencelist=("plain", "html"))
    body = ""
    if part is not None:
        body = part.get_content()
        if part.get_content_type() == "text/html":
            body = unescape(_TAG.sub(" ", body))
    body = re.sub(r"[ \t]+\n", "\n", body).strip()
    subject = " ".join(str(message.get("Subject", "")).split())
    return InboundMail(sender=(address or envelope_from).strip().lower(), sender_name=name.strip(),
                       subject=subject, body=body)


def unit_for(recipient: str) -> str | None:
    """The unit slug a recipient names, "" for a general address at our domain, None for a foreign domain."""
    local, _, domain = recipient.strip().lower().rpartition("@")
    if domain.split(":")[0] != mail_domain() or not local:
        return None
    from .routing import unit_by_slug

    return local if unit_by_slug(local) is not None else ""


def take_in(raw: bytes, envelope_from: str, recipients: list[str], peer_ip: str = ""):
    """Store one message as a comment (in the unit's schema) and acknowledge it; returns services.Submitted.
    Limited per sending server as well as per sender: the From line is the sender's own claim, and each accepted
    message is acknowledged to it, so rotating From lines alone must not buy volume."""
    from . import services

    mail = parse(raw, envelope_from)
    units = [unit for unit in (unit_for(r) for r in recipients) if unit is not None]
    if not units:
        raise DomainError("UNKNOWN_RECIPIENT", "收件地址不属于本平台", "The recipient is not an address of this platform")
    window = int(getattr(settings, "FEEDBACK_SENDER_WINDOW_SECONDS", 3600))
    with schema_context(get_public_schema_name()):
        if not (ratelimit.within_limit("comment-mail-peer", digest(peer_ip or "unknown", "ip"),
                                       int(getattr(settings, "FEEDBACK_PER_MAIL_SERVER", 200)), window)
                and ratelimit.within_limit("comment-mail", digest(mail.sender or "unknown", "mail"),
                                           int(getattr(settings, "FEEDBACK_PER_SENDER", 5)), window)):
            raise DomainError("RATE_LIMITED", "提交过于频繁，请稍后再试", "Too many submissions; please try again later")
    return services.submit_comment(channel=Channel.EMAIL, text=mail.text[: services.MAX_TEXT],
                                   category=mail.category, contact_name=mail.sender_name[:50],
                                   contact_email=mail.sender, allow_publish=mail.consents,
                                   unit=next((u for u in units if u), None), trusted=True)


class IntakeHandler:
    """aiosmtpd handler: refuses foreign recipients at RCPT, stores each accepted message once at DATA."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if len(envelope.rcpt_tos) >= 10:
            return "452 4.5.3 Too many recipients"
        found = await asyncio.to_thread(_in_thread, unit_for, address)
        if found is None:
            return "550 5.1.1 Not an address of this platform / 收件地址不属于本平台"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if len(envelope.original_content or b"") > MAX_MESSAGE_BYTES:
            return "552 5.3.4 Message too big / 邮件过大"
        try:
            peer = session.peer[0] if isinstance(session.peer, tuple) else str(session.peer or "")
            submitted = await asyncio.to_thread(_in_thread, take_in, envelope.original_content or b"",
                                                envelope.mail_from or "", list(envelope.rcpt_tos), peer)
        except DomainError as error:
            first = error.errors[0]
            code = "451 4.7.1" if first.code == "RATE_LIMITED" else "554 5.6.0"
            return f"{code} {first.message_en}"
        except Exception:  # noqa: BLE001 - the sender's server retries a 4xx; nothing was stored
            log.exception("could not take in an e-mail comment")
            return "451 4.3.0 Temporary failure, please retry"
        return f"250 OK receipt {submitted.receipt_code}"


def _in_thread(func, *args):
    # aiosmtpd runs the handler on its own loop thread; each call here runs on a pool thread with its own connection.
    close_old_connections()
    try:
        return func(*args)
    finally:
        close_old_connections()


def start_listener(host: str, port: int):
    """Start the SMTP intake on a thread of this process; returns the aiosmtpd Controller (call .stop())."""
    from aiosmtpd.controller import Controller

    controller = Controller(IntakeHandler(), hostname=host, port=port, data_size_limit=MAX_MESSAGE_BYTES,
                            server_hostname=mail_domain())
    controller.start()
    return controller
