"""Logs without personal data: installed on every handler in settings.LOGGING, so whatever any logger emits
(message, arguments, exception text) reaches a handler with phone numbers, ID numbers and e-mails replaced."""
import logging

from .privacy import redact_contacts

_formatter = logging.Formatter()


class RedactPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string: redact the raw parts instead of losing the record
            message = f"{record.msg} {record.args!r}"
        # The merged message replaces msg and args: arguments are where personal data usually travels.
        record.msg, record.args = redact_contacts(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = _formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_contacts(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_contacts(record.stack_info)
        return True
