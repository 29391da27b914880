from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "haochaping.feedback"
    label = "feedback"
    verbose_name = "综合点评 / Public comments"
