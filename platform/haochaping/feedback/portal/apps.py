from django.apps import AppConfig


class FeedbackPortalConfig(AppConfig):
    name = "haochaping.feedback.portal"
    label = "feedback_portal"
    verbose_name = "综合点评公开 / Published comments"
