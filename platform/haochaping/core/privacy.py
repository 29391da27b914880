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
_ADDRESSED = re.compile(r"[\u4e00-\u9fff]{1,2}(?=(先生|女士|小姐|师傅|老师|同志|阿姨|大爷|科长|主任|局长))")
_STAFF_NAMED = re.compile(r"(工作人员|办事员|窗口人员|经办人|姓名|名叫|叫做)([:：]?\s*)[\u4e00-\u9fff]{2,3}")


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
