from django.apps import AppConfig


class DisclosureConfig(AppConfig):
    name = "haochaping.disclosure"
    label = "disclosure"
    verbose_name = "信息公开 / Disclosure"
