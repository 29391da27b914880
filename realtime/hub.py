"""One channel-layer subscription per process for all its board sockets.

Joining every socket to the hall's group makes the layer deliver one message per socket, and channels then runs a
receive and a dispatch per socket: with 1,000 boards on one hall that was most of the fan-out time (docs/benchmarks.md).
Here each process joins each hall group once, receives each event once, encodes it once and writes the same text to
its local sockets. Group memberships are refreshed periodically (channels-redis expires them after a day, and a Redis
restart forgets them), so boards that run for days keep receiving, and broadcasts resume after a Redis outage."""
from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict

from channels.layers import get_channel_layer

log = logging.getLogger(__name__)

REFRESH_SECONDS = 60  # default of settings.BOARD_HUB_REFRESH_SECONDS (how soon boards hear after Redis restarts)
RETRY_SECONDS = 2.0


class Hub:
    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.layer = get_channel_layer()
        self.members: dict[str, set] = defaultdict(set)
        self.channel: str | None = None
        self.lock = asyncio.Lock()
        self.tasks: list[asyncio.Task] = []

    async def join(self, group: str, socket) -> None:
        async with self.lock:
            if self.channel is None:
                self.channel = await self.layer.new_channel(prefix="boards")
                self.tasks = [self.loop.create_task(self._receive()), self.loop.create_task(self._refresh())]
            if not self.members[group]:
                await self.layer.group_add(group, self.channel)
            self.members[group].add(socket)

    async def leave(self, group: str, socket) -> None:
        async with self.lock:
            sockets = self.members.get(group)
            if sockets is None:
                return
            sockets.discard(socket)
            if not sockets:
                del self.members[group]
                try:
                    await self.layer.group_discard(group, self.channel)
                except Exception:  # noqa: BLE001 - the layer may be down; the membership then simply expires
                    log.warning("could not leave %s", group, exc_info=True)
            if not self.members:  # the last board left: stop listening until the next one comes
                for task in self.tasks:
                    task.cancel()
                self.tasks, self.channel = [], None

    async def _receive(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - Redis down: wait, rejoin, carry on (boards resync by snapshot)
                if asyncio.current_task().cancelling():  # a cancellation a client library turned into an error
                    raise
                log.warning("board hub could not receive; retrying", exc_info=True)
                await asyncio.sleep(RETRY_SECONDS)
                await self._rejoin()
                continue
            sockets = list(self.members.get(message.get("group", ""), ()))
            if not sockets:
                continue
            text = json.dumps(message["event"], ensure_ascii=False)
            # One after another, not gather(): a send only hands the frame to the server's buffers, and a task per
            # socket cost more than the send itself at 1,000 boards.
            for socket in sockets:
                try:
                    await socket.send_text(text)
                except Exception:  # noqa: BLE001 - a socket closing meanwhile must not cost the others the event
                    log.debug("board socket send failed", exc_info=True)

    async def _rejoin(self) -> None:
        for group in list(self.members):
            try:
                await self.layer.group_add(group, self.channel)
            except Exception:  # noqa: BLE001 - still down; the next round tries again
                log.warning("could not rejoin %s", group, exc_info=True)
                return

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(refresh_seconds())
            await self._rejoin()


def refresh_seconds() -> float:
    from django.conf import settings

    return float(getattr(settings, "BOARD_HUB_REFRESH_SECONDS", REFRESH_SECONDS))


_hubs: dict[asyncio.AbstractEventLoop, Hub] = {}


def hub() -> Hub:
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    if found is None:
        for stale in [known for known in _hubs if known.is_closed()]:
            del _hubs[stale]
        found = _hubs[loop] = Hub(loop)
    return found
