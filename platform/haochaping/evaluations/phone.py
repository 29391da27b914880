"""实名 by phone: a one-time SMS code; the rater then carries a short-lived signed verification."""
from __future__ import annotations

import hmac
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from haochaping.core import ratelimit
from haochaping.core.errors import DomainError
from haochaping.core.privacy import digest
from haochaping.core.signing import make_token, read_token
from haochaping.notifications.services import queue_notification

from .cases import PHONE_RE
from .models import PhoneVerification

PURPOSE = "phone.verified"
CODE_TTL = timedelta(minutes=10)
VERIFIED_TTL_SECONDS = 30 * 60
MAX_ATTEMPTS = 5


def _check_phone(phone: str) -> str:
    phone = (phone or "").strip()
    if not PHONE_RE.match(phone) or not phone.startswith("1"):
        raise DomainError("INVALID_PHONE", "请输入11位手机号", "Enter an 11-digit mobile number", "phone")
    return phone


CODES_PER_IP_PER_HOUR = 20


def request_code(phone: str, client_ip: str = "") -> PhoneVerification:
    phone = _check_phone(phone)
    # Per phone, and per address so one client cannot send codes to many numbers; refused while the counters'
    # cache is down (each code is a paid SMS).
    if client_ip and not ratelimit.within_limit("phone-code-ip", digest(client_ip, "ip"), CODES_PER_IP_PER_HOUR,
                                                3600, fail_open=False):
        raise DomainError("TOO_MANY_ATTEMPTS", "验证码发送过于频繁，请稍后再试", "Too many codes requested; try later", "phone")
    if not ratelimit.within_limit("phone-code", digest(phone, "phone"), 5, 3600, fail_open=False):
        raise DomainError("TOO_MANY_ATTEMPTS", "验证码发送过于频繁，请稍后再试", "Too many codes requested; try later", "phone")
    code = f"{secrets.randbelow(10 ** 6):06d}"
    with transaction.atomic():
        verification = PhoneVerification.objects.create(phone_digest=digest(phone, "phone"),
                                                        code_digest=digest(code, "phone-code"),
                                                        expires_at=timezone.now() + CODE_TTL)
        queue_notification(channel="SMS", recipient=phone, purpose="phone_code",
                           body=f"您的政务服务评价验证码为{code}，10分钟内有效。如非本人操作请忽略。")
    return verification


def verify_code(phone: str, code: str) -> str:
    """Returns a signed verification token for submitEvaluation (valid 30 minutes)."""
    phone = _check_phone(phone)
    wrong = DomainError("INVALID_CODE", "验证码不正确或已过期", "The code is wrong or has expired", "code")
    with transaction.atomic():
        verification = (PhoneVerification.objects.select_for_update()
                        .filter(phone_digest=digest(phone, "phone"), verified_at__isnull=True,
                                expires_at__gt=timezone.now()).order_by("-created_at").first())
        if verification is None or verification.attempts >= MAX_ATTEMPTS:
            raise wrong
        matches = hmac.compare_digest(verification.code_digest, digest((code or "").strip(), "phone-code"))
        if matches:
            verification.verified_at = timezone.now()
            verification.save(update_fields=["verified_at"])
        else:
            # Counted and committed: raising inside the atomic block would roll the count back, and the
            # six-digit code could then be guessed without limit.
            verification.attempts += 1
            verification.save(update_fields=["attempts"])
    if not matches:
        raise wrong
    return make_token(PURPOSE, p=phone, v=verification.pk)


def verified_phone(token: str) -> str:
    return read_token(PURPOSE, token, max_age=VERIFIED_TTL_SECONDS, field="phoneVerificationToken")["p"]
