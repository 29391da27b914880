"""django-tenants' middleware is HTTP only: websockets resolve the tenant from the Host header here and
an unknown host is refused before accept."""
from channels.db import database_sync_to_async

from tenants.resolution import tenant_for_host


class TenantFromHostMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        headers = dict(scope.get("headers") or [])
        host = headers.get(b"host", b"").decode("latin-1")
        tenant = await database_sync_to_async(tenant_for_host)(host) if host else None
        if tenant is None:
            await send({"type": "websocket.close", "code": 4404})
            return
        scope = dict(scope, tenant=tenant, schema_name=tenant.schema_name)
        return await self.app(scope, receive, send)
