"""HTTP host → tenant by the same rule as websockets (tenants.resolution): an inactive tenant's host is
unknown, so it answers 404 like any other unknown host."""
from django_tenants.middleware.main import TenantMainMiddleware

from .resolution import tenant_for_host


class TenantHostMiddleware(TenantMainMiddleware):
    def get_tenant(self, domain_model, hostname):
        tenant = tenant_for_host(hostname)
        if tenant is None:
            raise domain_model.DoesNotExist(f"No active tenant for host {hostname!r}")
        return tenant
