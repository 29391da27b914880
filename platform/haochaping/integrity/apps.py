from django.apps import AppConfig


class IntegrityConfig(AppConfig):
    name = "haochaping.integrity"
    label = "integrity"
    verbose_name = "评价真实性 / Rating integrity"
