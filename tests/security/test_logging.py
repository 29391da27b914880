"""Logs without personal data: every configured handler redacts phone numbers, ID numbers and e-mail addresses
from the message, its arguments and exception text, and leaves other numbers (ids, times) alone."""
import io
import logging

from django.conf import settings

from haochaping.core.logfilters import RedactPersonalData

PHONE, ID_NUMBER, EMAIL, LANDLINE = "13812345678", "11010519491231002X", "zhang.san@example.com", "0377-62345678"


def assert_redacted(text: str) -> None:
    for value in (PHONE, ID_NUMBER, EMAIL, LANDLINE):
        assert value not in text
    assert "[电话]" in text and "[证件号]" in text and "[邮箱]" in text


def test_every_configured_handler_has_the_filter():
    assert settings.LOGGING["handlers"]
    for name, handler in settings.LOGGING["handlers"].items():
        assert "redact_personal_data" in handler.get("filters", []), name


def test_the_installed_console_handler_emits_redacted_records():
    handlers = [h for h in logging.getLogger().handlers if any(isinstance(f, RedactPersonalData) for f in h.filters)]
    assert handlers, "settings.LOGGING did not install the filter on the root handler"
    handler, stream = handlers[0], io.StringIO()
    old = handler.setStream(stream)
    try:
        log = logging.getLogger("haochaping.tests.privacy")
        log.warning("rater %s phone %s id %s mail %s tel %s job 1234567 at 2026-11-26 12:00", "张三", PHONE,
                    ID_NUMBER, EMAIL, LANDLINE)
        try:
            raise ValueError(f"cannot reach +86 {PHONE} or {EMAIL}")
        except ValueError:
            log.exception("send failed for %s", PHONE)
    finally:
        handler.setStream(old)
    output = stream.getvalue()
    assert_redacted(output)
    assert "job 1234567 at 2026-11-26 12:00" in output  # other numbers stay readable
    assert "ValueError: cannot reach [电话] or [邮箱]" in output and "send failed for [电话]" in output


def test_records_captured_with_the_filter_are_redacted(caplog):
    caplog.handler.addFilter(RedactPersonalData())
    with caplog.at_level(logging.INFO, logger="haochaping.tests.privacy"):
        logging.getLogger("haochaping.tests.privacy").info("contact %s / %s / %s / %s", PHONE, ID_NUMBER, EMAIL,
                                                           LANDLINE)
    [record] = [r for r in caplog.records if r.name == "haochaping.tests.privacy"]
    assert_redacted(record.getMessage())
    assert_redacted(caplog.text)
