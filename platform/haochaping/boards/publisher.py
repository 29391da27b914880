"""Hand board messages to the channel layer after the rating commits, off the request path.

A broadcast is best effort by design: the rating is already committed when it is published, a failure (Redis
down, a slow layer) is logged and dropped, and a board that then sees a gap in the hall's sequence numbers
fetches a snapshot. Nothing here can fail or delay a submission by more than a queue put."""
from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections import deque

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

log = logging.getLogger(__name__)

MESSAGE_VERSION = 1
SEND_TIMEOUT_SECONDS = 2.0
MAX_PENDING = 10_000  # per process; the oldest are dropped beyond this (boards recover by snapshot)
_SAFE_GROUP_PART = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")


def _part(value: str) -> str:
    # Channels group names allow only ASCII letters, digits, '-', '_' and '.'.
    return value if _SAFE_GROUP_PART.match(value) else "x" + value.encode().hex()[:60]


def hall_group(schema_name: str, hall_code: str) -> str:
    """Every board of one hall: carries the schema, so two tenants' halls with the same code never meet."""
    return f"t.{_part(schema_name)}.hall.{_part(hall_code)}"


def manager_group(schema_name: str, hall_code: str) -> str:
    """The hall's manager views (alerts)."""
    return f"{hall_group(schema_name, hall_code)}.manage"


class _LoopPublisher:
    """One sender task per event loop, sending in the order messages were published (per hall, clients rely on
    order; out of order would only cost them a snapshot)."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.pending: deque[tuple[str, dict]] = deque()
        self.wakeup = asyncio.Event()
        self.task = loop.create_task(self._run())

    def put(self, group: str, message: dict) -> None:  # on the loop's thread
        if len(self.pending) >= MAX_PENDING:
            self.pending.popleft()
            log.warning("board broadcast queue full; dropped the oldest message")
        self.pending.append((group, message))
        self.wakeup.set()

    async def _run(self) -> None:
        layer = get_channel_layer()
        while True:
            await self.wakeup.wait()
            self.wakeup.clear()
            while self.pending:
                group, message = self.pending.popleft()
                await _send(layer, group, message)


async def _send(layer, group: str, message: dict) -> bool:
    try:
        await asyncio.wait_for(layer.group_send(group, message), SEND_TIMEOUT_SECONDS)
        return True
    except Exception:  # noqa: BLE001 - a broadcast never fails the rating; boards recover by snapshot
        task = asyncio.current_task()
        if task is not None and task.cancelling():  # shutting down: a cancellation a client library reworded
            raise
        log.warning("board broadcast to %s failed", group, exc_info=True)
        return False


_server_loop: asyncio.AbstractEventLoop | None = None
_publishers: dict[asyncio.AbstractEventLoop, _LoopPublisher] = {}
_lock = threading.Lock()


def attached_loop() -> asyncio.AbstractEventLoop | None:
    return _server_loop


def attach_loop(loop: asyncio.AbstractEventLoop) -> None:
    """The ASGI server's loop (set by the realtime application on its first call): sync code in request threads
    hands messages to it without waiting."""
    global _server_loop  # noqa: PLW0603
    _server_loop = loop


def _publisher_for(loop: asyncio.AbstractEventLoop) -> _LoopPublisher:
    publisher = _publishers.get(loop)
    if publisher is None or publisher.task.done():
        with _lock:
            for stale in [known for known in _publishers if known.is_closed()]:
                del _publishers[stale]
        publisher = _publishers[loop] = _LoopPublisher(loop)
    return publisher


def publish(group: str, message_type: str, payload: dict) -> None:
    """Publish now (call it from transaction.on_commit). Never raises."""
    message = {"type": message_type, "group": group, "event": payload}
    try:
        loop = _server_loop
        if loop is not None and loop.is_running() and not loop.is_closed():
            loop.call_soon_threadsafe(lambda: _publisher_for(loop).put(group, message))
            return
        # No server loop in this process (the worker, a management command, a test): send and wait, bounded.
        async_to_sync(_send)(get_channel_layer(), group, message)
    except Exception:  # noqa: BLE001 - e.g. the loop closed between the check and the call
        log.warning("board broadcast to %s could not be scheduled", group, exc_info=True)
