"""The public host: the county agency's admin, the platform GraphQL, login and the portal landing page."""
from django.urls import include, path

from haochaping.accounts.admin_sites import platform_admin_site
from schema.views import platform_graphql_view

urlpatterns = [
    path("admin/", platform_admin_site.urls),
    path("graphql/", platform_graphql_view, name="graphql"),
    path("", include("web.urls_public")),
]

# Static files (admin CSS, site.css) when DEBUG; production serves them from the reverse proxy.
from django.contrib.staticfiles.urls import staticfiles_urlpatterns  # noqa: E402

urlpatterns += staticfiles_urlpatterns()
