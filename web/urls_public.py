from django.urls import include, path

from . import disclosure_views, rankings_views, supervision_views, views

app_name = "web"
urlpatterns = [
    path("", views.portal_home, name="home"),
    path("receipt/", disclosure_views.portal_receipt, name="receipt"),
    path("rankings/", rankings_views.portal_rankings, name="rankings"),
    path("open-data/rankings.<str:fmt>", rankings_views.open_data_rankings, name="open_data_rankings"),
    # 县级督办: the county agency's overview across tenants and one tenant's ledger.
    path("supervision/", supervision_views.overview, name="supervision"),
    path("supervision/<slug:slug>/", supervision_views.tenant_ledger, name="supervision_tenant"),
    path("", include("web.urls_common")),
]
