"""Host → tenant, one rule for HTTP and websockets alike."""
from django_tenants.utils import get_public_schema_name, remove_www, schema_context

from .models import Domain, Tenant


def host_without_port(host: str) -> str:
    return remove_www(host.split(":")[0].lower())


def tenant_for_host(host: str) -> Tenant | None:
    """The tenant serving this Host header, or None for an unknown host (never the public schema)."""
    with schema_context(get_public_schema_name()):
        domain = (
            Domain.objects.select_related("tenant")
            .filter(domain=host_without_port(host), tenant__is_active=True)
            .first()
        )
        return domain.tenant if domain else None


def current_tenant() -> Tenant:
    """The Tenant row of the schema the connection is set to (schema_context sets only a stand-in)."""
    from django.db import connection

    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Tenant):
        return tenant
    return Tenant.objects.get(schema_name=connection.schema_name)
