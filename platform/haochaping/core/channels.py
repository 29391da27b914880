"""The rating channels, defined once: guides name the ones an item can be rated on, evaluations record theirs."""
from django.db import models


class EvaluationChannel(models.TextChoices):
    WINDOW_DEVICE = "WINDOW_DEVICE", "窗口评价器"
    QR_CODE = "QR_CODE", "评价二维码"
    PAPER_FORM = "PAPER_FORM", "书面评价表"
    WEB = "WEB", "网上评价"
    MOBILE_APP = "MOBILE_APP", "移动端评价"
    SELF_SERVICE = "SELF_SERVICE", "自助终端评价"
    HOTLINE = "HOTLINE", "热线评价"
    SMS = "SMS", "短信评价"


CHANNEL_LABELS_EN = {
    "WINDOW_DEVICE": "Window rating device", "QR_CODE": "QR code", "PAPER_FORM": "Paper form", "WEB": "Web",
    "MOBILE_APP": "Mobile app", "SELF_SERVICE": "Self-service terminal", "HOTLINE": "Hotline", "SMS": "SMS",
}
