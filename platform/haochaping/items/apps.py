from django.apps import AppConfig


class ItemsConfig(AppConfig):
    name = "haochaping.items"
    label = "items"
    verbose_name = "政务服务事项 / Service items"
