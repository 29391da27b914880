from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "haochaping.catalog"
    label = "catalog"
    verbose_name = "基本目录 / Base catalog"
