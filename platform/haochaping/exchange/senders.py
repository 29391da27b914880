"""Exchange senders. The default records each record (RecordedExchange) instead of sending it; the HTTP sender
posts the JSON record to EXCHANGE_URL (or EXCHANGE_URL_<TARGET>). Set EXCHANGE_SENDER to a class with the same
`send` method to plug in another transport.

A sender returns the receiver's reference. It raises any exception for a definite failure (nothing was
delivered: retried) and services.DeliveryInDoubt when the record may have been delivered (never re-sent)."""
from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from typing import Protocol

from django.utils.module_loading import import_string

from . import conf
from .models import ExchangeRecord, RecordedExchange
from .services import DeliveryFailed, DeliveryInDoubt


class ExchangeSender(Protocol):
    def send(self, record: ExchangeRecord) -> str: ...


class RecordingExchangeSender:
    def send(self, record: ExchangeRecord) -> str:
        recorded, _ = RecordedExchange.objects.get_or_create(record=record, defaults={"target": record.target,
                                                                                      "payload": record.payload})
        return f"recorded:{recorded.pk}"


class HttpExchangeSender:
    """POST {"target", "caseNumber", "round", "record"} as JSON; a 2xx answer is delivery. The header
    X-Haochaping-Exchange carries "<target>:<case number>:<round>" so the receiver can deduplicate too."""

    def send(self, record: ExchangeRecord) -> str:
        url = conf.url_for(record.target)
        if not url:
            raise DeliveryFailed(f"no EXCHANGE_URL configured for target {record.target!r}")
        body = json.dumps({"target": record.target, "caseNumber": record.case_number, "round": record.round,
                           "record": record.payload}, ensure_ascii=False).encode()
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8",
            "X-Haochaping-Exchange": f"{record.target}:{record.case_number}:{record.round}"})
        try:
            with urllib.request.urlopen(request, timeout=conf.timeout()) as reply:  # noqa: S310 - configured URL
                return (reply.headers.get("X-Reference") or f"http:{reply.status}")[:120]
        except urllib.error.HTTPError as exc:
            # The receiver answered and refused the record: it was not taken, so it may be sent again.
            raise DeliveryFailed(f"receiver said {exc.code}") from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, (TimeoutError, socket.timeout)):
                raise DeliveryInDoubt(f"timed out: {exc.reason}") from exc
            # Refused, unreachable, name not found, TLS failed: the request never reached the receiver.
            raise DeliveryFailed(f"receiver unreachable: {exc.reason}") from exc
        except (TimeoutError, socket.timeout, ConnectionError, OSError) as exc:
            # The connection broke while the receiver had the request: it may have stored it.
            raise DeliveryInDoubt(f"{type(exc).__name__}: {exc}") from exc


def get_sender() -> ExchangeSender:
    return import_string(conf.sender_path())()
