from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "haochaping.assessments"
    label = "assessments"
    verbose_name = "第三方评估 / Third-party assessments"
