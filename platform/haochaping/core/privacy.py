"""Masking personal data for display (姓名、电话、证件号): only the handling workflow sees it whole."""
import hashlib
import re

from django.conf import settings


def mask_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


def mask_phone(phone: str) -> str:
    digits = (phone or "").strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def digest(value: str, purpose: str) -> str:
    """A keyed digest for lookups without keeping the value (IP addresses, phones in verifications)."""
    return hashlib.sha256(f"{purpose}:{settings.SECRET_KEY}:{value}".encode()).hexdigest()


# Free text shown outside the handling workflow (hall boards, the portal): personal data is replaced, not
# guessed at. ID numbers before phones (an ID contains phone-like runs), then e-mails, then any long digit run.
_ID_NUMBER = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9])")
_MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DIGITS = re.compile(r"[0-9][0-9\- ]{5,}[0-9]")
# 张先生 / 李女士 / 王师傅 …: a one- or two-character surname before a form of address.
# Neither matches its own output (某先生, 工作人员某某), so redacting twice changes nothing (the retention job relies on it).
_ADDRESSED = re.compile(r"[\u4e00-\u9fff]{1,2}(?<!某)(?=(先生|女士|小姐|师傅|老师|同志|阿姨|大爷|科长|主任|局长))")
_STAFF_NAMED = re.compile(r"(工作人员|办事员|窗口人员|经办人|姓名|名叫|叫做)([:：]?\s*)(?!某某)[\u4e00-\u9fff]{2,3}")


def redact_text(text: str, limit: int | None = None) -> str:
    """Remove phone numbers, ID numbers, e-mail addresses, long digit runs and addressed names."""
    text = (text or "").strip()
    text = _ID_NUMBER.sub("[证件号]", text)
    text = _MOBILE.sub("[电话]", text)
    text = _EMAIL.sub("[邮箱]", text)
    text = _DIGITS.sub("[号码]", text)
    text = _ADDRESSED.sub("某", text)
    text = _STAFF_NAMED.sub(lambda m: f"{m.group(1)}{m.group(2)}某某", text)
    if limit is not None and len(text) > limit:
        text = text[: max(0, limit - 1)] + "…"
    return text


# Logs keep their numbers (ids, times, counts): only contact data is replaced there, never any digit run.
_MOBILE_INTL = re.compile(r"(?<![0-9])(?:\+?86[- ]?)?1[3-9][0-9]{9}(?![0-9])")
_LANDLINE = re.compile(r"(?<![0-9])0[1-9][0-9]{1,2}-[0-9]{7,8}(?![0-9])")
_ASCII_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")  # keeps adjacent Chinese text


def redact_contacts(text: str) -> str:
    """Replace ID numbers, mobile and landline numbers and e-mail addresses; leave everything else as it is."""
    text = _ID_NUMBER.sub("[证件号]", text)
    text = _MOBILE_INTL.sub("[电话]", text)
    text = _LANDLINE.sub("[电话]", text)
    return _ASCII_EMAIL.sub("[邮箱]", text)
