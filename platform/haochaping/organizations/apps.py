from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "haochaping.organizations"
    label = "organizations"
    verbose_name = "服务机构与平台 / Organisations"
