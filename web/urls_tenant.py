from django.urls import include, path

from . import views

app_name = "web"
urlpatterns = [
    path("", views.tenant_home, name="home"),
    path("items/", views.item_list, name="items"),
    path("items/<str:code>/", views.item_detail, name="item"),
    path("", include("web.urls_common")),
]
