"""Official codes: 统一社会信用代码 (GB 32100-2015) and 行政区划代码."""
import re

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
_USCC_RE = re.compile(rf"^[{USCC_CHARSET}]{{18}}$")
_DIVISION_RE = re.compile(r"^\d{6}(\d{3}(\d{3})?)?$")


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_CHARSET.index(ch) * weight for ch, weight in zip(first17, USCC_WEIGHTS))
    return USCC_CHARSET[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    return bool(_USCC_RE.match(code)) and uscc_check_char(code[:17]) == code[17]


def is_valid_division_code(code: str) -> bool:
    """6 digits (county), 9 (township) or 12 (village)."""
    return bool(_DIVISION_RE.match(code))
