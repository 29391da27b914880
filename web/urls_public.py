from django.urls import include, path

from . import dashboard_views, disclosure_views, portal_views, rankings_views, supervision_views, views

app_name = "web"
urlpatterns = [
    path("", views.portal_home, name="home"),
    path("receipt/", disclosure_views.portal_receipt, name="receipt"),
    path("rankings/", rankings_views.portal_rankings, name="rankings"),
    path("notices/", disclosure_views.portal_notices, name="notices"),
    path("open-data/rankings.<str:fmt>", rankings_views.open_data_rankings, name="open_data_rankings"),
    # 公开: each unit's page, item lists and guides, the monthly report, an embeddable widget, open data.
    path("units/<slug:slug>/", portal_views.unit_page, name="unit"),
    path("items/", portal_views.item_search, name="portal_items"),
    path("items/<slug:slug>/<str:code>/", portal_views.item_guide, name="portal_item"),
    path("reports/", portal_views.current_report, name="reports"),
    path("reports/<str:month>/", portal_views.monthly_report, name="report"),
    path("widget/<slug:slug>.html", portal_views.widget, name="widget"),
    path("open-data/units.<str:fmt>", portal_views.open_data_units, name="open_data_units"),
    # 县级督办: the county agency's overview across tenants and one tenant's ledger.
    path("supervision/", supervision_views.overview, name="supervision"),
    path("supervision/dashboard/", dashboard_views.county_dashboard_view, name="county_dashboard"),
    path("supervision/<slug:slug>/", supervision_views.tenant_ledger, name="supervision_tenant"),
    path("", include("web.urls_common")),
]
