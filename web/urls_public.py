from django.urls import include, path

from . import survey_views
from . import feedback_views, open311_views  # 综合点评
from . import assessment_views, dashboard_views, disclosure_views, portal_views, rankings_views, supervision_views, views

app_name = "web"
urlpatterns = [
    path("", views.portal_home, name="home"),
    path("receipt/", disclosure_views.portal_receipt, name="receipt"),
    path("rankings/", rankings_views.portal_rankings, name="rankings"),
    path("notices/", disclosure_views.portal_notices, name="notices"),
    # 专业评估: published third-party reports; attachments download only once published.
    path("assessments/", assessment_views.portal_assessments, name="assessments"),
    path("assessments/<int:pk>/", assessment_views.portal_assessment, name="assessment"),
    path("assessments/<int:pk>/attachments/<int:attachment_id>/", assessment_views.assessment_attachment,
         name="assessment_attachment"),
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
    # 监督查评: call-backs worked by county users; county surveys' results across units (text redacted).
    path("county/call-backs/", survey_views.county_call_backs, name="county_call_backs"),
    path("county/surveys/", survey_views.county_survey_results, name="county_surveys"),
    # 综合点评: the suggestion box, receipt lookup, published answers; Open311 GeoReport v2 beside it.
    path("suggest/", feedback_views.suggest, name="suggest"),
    path("suggest/<str:code>/", feedback_views.suggest_receipt, name="suggest_receipt"),
    path("comments/", feedback_views.portal_comments, name="portal_comments"),
    path("open311/v2/services.json", open311_views.services_json, name="open311_services"),
    path("open311/v2/requests.json", open311_views.requests_json, name="open311_requests"),
    path("open311/v2/requests/<str:service_request_id>.json", open311_views.request_json, name="open311_request"),
    path("", include("web.urls_common")),
]
