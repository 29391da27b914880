from django.apps import AppConfig


class EvaluationsConfig(AppConfig):
    name = "haochaping.evaluations"
    label = "evaluations"
    verbose_name = "办件与评价 / Cases and evaluations"
