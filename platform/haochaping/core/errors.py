"""Domain errors: typed, stable codes with a Chinese and an English message.

Services raise them; GraphQL maps them to error results (errors as data); pages show the message."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldError:
    code: str
    message: str  # Simplified Chinese
    message_en: str
    field: str | None = None


@dataclass
class DomainError(Exception):
    """One or more problems that stop an operation; nothing was changed."""

    errors: list[FieldError] = field(default_factory=list)

    def __init__(self, code: str | None = None, message: str = "", message_en: str = "",
                 field: str | None = None, *, errors: list[FieldError] | None = None):
        self.errors = list(errors or [])
        if code:
            self.errors.insert(0, FieldError(code, message, message_en, field))
        super().__init__("; ".join(f"{e.code}: {e.message_en}" for e in self.errors))

    @property
    def codes(self) -> list[str]:
        return [e.code for e in self.errors]


class NotFound(DomainError):
    def __init__(self, what_zh: str, what_en: str, field: str | None = "id"):
        super().__init__("NOT_FOUND", f"未找到{what_zh}", f"{what_en} not found", field)


class PermissionDenied(DomainError):
    def __init__(self):
        super().__init__("PERMISSION_DENIED", "无权执行此操作", "You are not allowed to do this")


class ErrorCollector:
    """Collects validation problems so one response lists all of them."""

    def __init__(self):
        self.errors: list[FieldError] = []

    def add(self, code: str, field: str | None, message: str, message_en: str) -> None:
        self.errors.append(FieldError(code, message, message_en, field))

    def require(self, value, field: str, label_zh: str, label_en: str) -> None:
        if value is None or (isinstance(value, str) and not value.strip()):
            self.add("REQUIRED", field, f"{label_zh}不能为空", f"{label_en} is required")

    def max_length(self, value: str | None, limit: int, field: str, label_zh: str, label_en: str) -> None:
        if value and len(value) > limit:
            self.add("TOO_LONG", field, f"{label_zh}不能超过{limit}个字符",
                     f"{label_en} must be at most {limit} characters")

    def raise_if_any(self) -> None:
        if self.errors:
            raise DomainError(errors=self.errors)
