"""A tenant host: that tenant's admin, its GraphQL and its public pages."""
from django.urls import include, path

from haochaping.accounts.admin_sites import tenant_admin_site
from schema.views import tenant_graphql_view

urlpatterns = [
    path("admin/", tenant_admin_site.urls),
    path("graphql/", tenant_graphql_view, name="graphql"),
    path("", include("web.urls_tenant")),
]

# Static files (admin CSS, site.css) when DEBUG; production serves them from the reverse proxy.
from django.contrib.staticfiles.urls import staticfiles_urlpatterns  # noqa: E402

urlpatterns += staticfiles_urlpatterns()
