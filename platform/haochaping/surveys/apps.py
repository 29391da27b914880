from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "haochaping.surveys"
    label = "surveys"
    verbose_name = "监督查评 / Surveys and call-backs"
