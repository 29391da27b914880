"""Websocket routing on tenant hosts: the hall boards and GraphQL subscriptions. The tenant comes from the Host
header (TenantFromHostMiddleware) and an unknown host is refused before accept."""
import asyncio

from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path, re_path

from haochaping.boards import publisher

from .consumers import HallBoardConsumer
from .middleware import TenantFromHostMiddleware


def _graphql_consumer():
    from schema.realtime import TenantGraphQLWSConsumer

    return TenantGraphQLWSConsumer.as_asgi()


websocket_urlpatterns = [
    re_path(r"^ws/board/(?P<hall_code>[^/]{1,32})/(?P<manage>manage/)?$", HallBoardConsumer.as_asgi()),
    path("graphql/", _graphql_consumer()),
]


class _AttachLoop:
    """Records the server's event loop so request threads can hand broadcasts to it (boards.publisher)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        loop = asyncio.get_running_loop()
        if publisher.attached_loop() is not loop:
            publisher.attach_loop(loop)
        return await self.app(scope, receive, send)


def build_application(django_http):
    return _AttachLoop(ProtocolTypeRouter({
        "http": django_http,
        "websocket": AllowedHostsOriginValidator(TenantFromHostMiddleware(URLRouter(websocket_urlpatterns))),
    }))
