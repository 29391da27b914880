from django.apps import AppConfig


class RetentionConfig(AppConfig):
    name = "haochaping.retention"
    label = "retention"
    verbose_name = "个人信息保护 / Privacy retention"
