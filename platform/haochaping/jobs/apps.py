from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class JobsConfig(AppConfig):
    name = "haochaping.jobs"
    label = "jobs"
    verbose_name = "后台任务 / Background jobs"

    def ready(self):
        # Each domain registers its job handlers in its own tasks.py.
        autodiscover_modules("tasks")
