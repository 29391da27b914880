"""Websocket routing. Live hall boards arrive with their own issue; until then every websocket is
refused before accept, so no socket can reach a schema by accident."""
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator

from .middleware import TenantFromHostMiddleware

websocket_urlpatterns: list = []


def build_application(django_http):
    return ProtocolTypeRouter({
        "http": django_http,
        "websocket": AllowedHostsOriginValidator(TenantFromHostMiddleware(URLRouter(websocket_urlpatterns))),
    })
