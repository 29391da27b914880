from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "haochaping.supervision"
    label = "supervision"
    verbose_name = "县级督办 / County supervision"
