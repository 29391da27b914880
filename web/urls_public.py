from django.urls import include, path

from . import views

app_name = "web"
urlpatterns = [
    path("", views.portal_home, name="home"),
    path("", include("web.urls_common")),
]
