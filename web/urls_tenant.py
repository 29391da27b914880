from django.urls import include, path

from . import survey_views
from . import feedback_views  # 综合点评
from . import board_views, dashboard_views, entry_views, export_views, rating_views, rectification_views, views

app_name = "web"
urlpatterns = [
    path("", views.tenant_home, name="home"),
    path("items/", views.item_list, name="items"),
    path("items/<str:code>/", views.item_detail, name="item"),
    # Rating: the window's device, the clerk's “请评价”, the QR page, the 一事一评 invitation link, posters.
    path("device/", rating_views.device_page, name="device"),
    path("clerk/", rating_views.clerk_page, name="clerk"),
    path("r/<str:token>/", rating_views.rate_by_qr, name="rate_qr"),
    path("e/<str:token>/", rating_views.rate_invitation, name="rate_invitation"),
    path("windows/<path:window_id>/poster.svg", rating_views.window_poster_svg, name="window_poster_svg"),
    path("windows/<path:window_id>/poster.png", rating_views.window_poster_png, name="window_poster_png"),
    # Staff entry: paper forms (print, enter one by one, batch upload) and hotline ratings.
    path("paper-forms/", entry_views.paper_forms, name="paper_forms"),
    path("paper-forms/template.csv", entry_views.paper_batch_template, name="paper_batch_template"),
    path("paper-forms/<path:org_id>.pdf", entry_views.paper_forms_pdf, name="paper_forms_pdf"),
    path("hotline/", entry_views.hotline, name="hotline"),
    # 差评整改: the ledger, one rectification (timeline, actions), its evidence; the rater's receipt lookup.
    path("rectifications/", rectification_views.ledger, name="rectifications"),
    path("rectifications/<int:pk>/", rectification_views.detail, name="rectification"),
    path("rectifications/<int:pk>/evidence/<int:evidence_id>/", rectification_views.evidence_download,
         name="rectification_evidence"),
    path("receipt/", rectification_views.receipt, name="receipt"),
    path("dashboard/", dashboard_views.tenant_dashboard_view, name="dashboard"),
    path("exports/", export_views.exports_page, name="exports"),
    path("exports/<slug:what>.<str:fmt>", export_views.export_download, name="export"),
    path("board/<str:hall_code>/", board_views.board_page, name="board"),
    path("board/<str:hall_code>/manage/", board_views.board_manage_page, name="board_manage"),
    # 监督查评: the survey response link (single use); the unit's surveys (create, revise, send) and results.
    path("s/<str:token>/", survey_views.survey_response, name="survey_response"),
    path("surveys/", survey_views.survey_list, name="surveys"),
    path("surveys/results/", survey_views.survey_results_page, name="survey_results"),
    path("surveys/<int:pk>/", survey_views.survey_detail, name="survey"),
    path("surveys/<int:pk>/results/", survey_views.survey_results_page, name="survey_result"),
    # 综合点评: this unit's suggestion box and receipt page; staff list, one comment, hotline entry.
    path("suggest/", feedback_views.suggest, name="suggest"),
    path("suggest/<str:code>/", feedback_views.suggest_receipt, name="suggest_receipt"),
    path("comments/", feedback_views.comment_list, name="comments"),
    path("comments/hotline/", feedback_views.comment_hotline, name="comment_hotline"),
    path("comments/<int:pk>/", feedback_views.comment_detail, name="comment"),
    path("", include("web.urls_common")),
]
