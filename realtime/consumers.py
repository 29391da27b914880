"""Websocket consumers for the live hall boards.

Channels runs every database_sync_to_async call on one shared thread and connection, so each hop sets the
tenant itself (`in_tenant`), never once per connection (DESIGN.md §6)."""
from __future__ import annotations

import time
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django_tenants.utils import tenant_context

from haochaping.accounts.sessions import user_for_session_key
from haochaping.boards import publisher, services
from haochaping.core.errors import DomainError

from .hub import hub

# Close codes (4000–4999 are the application's): the board page stops retrying on these.
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
SNAPSHOT_MIN_INTERVAL = 1.0  # seconds between snapshots one socket may ask for


def in_tenant(scope, func, *args, **kwargs):
    """Run func in the socket's tenant schema on channels' shared database thread."""

    def run():
        with tenant_context(scope["tenant"]):
            return func(*args, **kwargs)

    return database_sync_to_async(run)()


def session_key(scope) -> str | None:
    headers = dict(scope.get("headers") or [])
    cookie = SimpleCookie()
    try:
        cookie.load(headers.get(b"cookie", b"").decode("latin-1"))
    except Exception:  # noqa: BLE001 - a malformed cookie header is simply no session
        return None
    morsel = cookie.get(settings.SESSION_COOKIE_NAME)
    return morsel.value if morsel else None


def _authorise_board(hall_code: str, token: str, key: str | None, manage: bool):
    """(hall, is_manager) for a board token, or for a signed-in hall manager on the manager view."""
    if manage:
        user = user_for_session_key(key)
        org = services.hall_by_code(hall_code)
        if not services.is_hall_manager(user, org):
            raise DomainError("PERMISSION_DENIED", "无权查看该大厅的管理视图", "Not a manager of this hall")
        return org, True
    return services.hall_for_board_token(hall_code, token), False


class HallBoardConsumer(AsyncJsonWebsocketConsumer):
    """/ws/board/<hall-code>/?t=<board token>: the hall's rating events (anonymised) and snapshots.
    /ws/board/<hall-code>/manage/: the same for a signed-in hall manager, plus threshold alerts."""

    groups: list[str] = []
    # No channel of its own: the process's hub receives each hall event once and writes it to every local board.
    channel_layer_alias = "__boards_use_the_hub__"

    async def connect(self):
        kwargs = self.scope["url_route"]["kwargs"]
        self.hall_code = kwargs["hall_code"]
        self.manage = bool(kwargs.get("manage"))
        token = (parse_qs(self.scope.get("query_string", b"").decode("latin-1")).get("t") or [""])[0]
        try:
            self.org, self.is_manager = await in_tenant(self.scope, _authorise_board, self.hall_code, token,
                                                       session_key(self.scope), self.manage)
        except DomainError as error:
            # Refused before accept: the handshake fails and nothing was joined.
            await self.close(code=CLOSE_NOT_FOUND if "NOT_FOUND" in error.codes else CLOSE_FORBIDDEN)
            return
        await self.accept()
        # Joined before the snapshot is read: an event committed meanwhile is either in the snapshot or arrives
        # after joining (the page keeps events that come before the snapshot and drops those it already counts).
        schema = self.scope["tenant"].schema_name
        self.joined = []
        for group in [publisher.hall_group(schema, self.org.code)] + (
                [publisher.manager_group(schema, self.org.code)] if self.is_manager else []):
            await hub().join(group, self)
            self.joined.append(group)
        self.last_snapshot = 0.0
        await self.send_snapshot()

    async def disconnect(self, code):
        for group in getattr(self, "joined", []):
            await hub().leave(group, self)

    async def send_snapshot(self):
        self.last_snapshot = time.monotonic()
        payload = await in_tenant(self.scope, services.snapshot, self.org, include_alerts=self.is_manager)
        await self.send_json(payload)

    async def receive_json(self, content, **kwargs):
        # The only request a board makes: a fresh snapshot after a gap. Rate-limited per socket.
        if isinstance(content, dict) and content.get("type") == "snapshot":
            if time.monotonic() - self.last_snapshot >= SNAPSHOT_MIN_INTERVAL:
                await self.send_snapshot()
        elif isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"v": publisher.MESSAGE_VERSION, "type": "pong"})

    async def send_text(self, text: str):
        """Called by the process's hub (realtime.hub) with an event already encoded once for all sockets."""
        await self.send(text_data=text)

    @classmethod
    async def decode_json(cls, text_data):
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None
