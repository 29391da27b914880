"""Two Django admins: the county agency's on the public host and each tenant's on its own host."""
from django.contrib.admin import AdminSite

from .forms import ThrottledAdminAuthenticationForm


class PlatformAdminSite(AdminSite):
    login_form = ThrottledAdminAuthenticationForm  # same throttling as the web login
    site_header = "政务服务“好差评”平台 · 县级管理"
    site_title = "好差评平台管理"
    index_title = "县级平台参考数据"


class TenantAdminSite(AdminSite):
    login_form = ThrottledAdminAuthenticationForm  # same throttling as the web login
    site_header = "政务服务“好差评” · 单位管理"
    site_title = "好差评单位管理"
    index_title = "本单位参考数据"


platform_admin_site = PlatformAdminSite(name="platform_admin")
tenant_admin_site = TenantAdminSite(name="tenant_admin")
