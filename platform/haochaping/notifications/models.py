"""The notification outbox. A notification is written in the same transaction as its cause and delivered by
the worker: PENDING → SENDING (committed before the send) → SENT. A definite failure (nothing went out) goes
back to PENDING and is retried, FAILED after the last attempt. A crash mid-send, or a send in doubt, leaves
SENDING, which is never re-sent automatically (at most once), so nobody gets the same message twice.
See docs/notifications.md."""
from django.db import models


class Notification(models.Model):
    class Channel(models.TextChoices):
        SMS = "SMS", "短信"
        EMAIL = "EMAIL", "电子邮件"

    class State(models.TextChoices):
        PENDING = "PENDING", "待发送"
        SENDING = "SENDING", "发送中"
        SENT = "SENT", "已发送"
        FAILED = "FAILED", "发送失败"
        CANCELLED = "CANCELLED", "已取消"

    channel = models.CharField("渠道", max_length=8, choices=Channel.choices)
    recipient = models.CharField("收件人", max_length=200)
    subject = models.CharField("标题", max_length=200, blank=True)
    body = models.TextField("内容")
    purpose = models.CharField("用途", max_length=40, help_text="invitation, phone_code, …")
    dedupe_key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    state = models.CharField("状态", max_length=12, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField("发送次数", default=0)
    last_error = models.TextField("最近错误", blank=True)
    provider_reference = models.CharField("服务商回执", max_length=120, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = verbose_name
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_channel_display()} #{self.pk}"


class SmsRecord(models.Model):
    """What the default SMS provider 'sends': kept here so operators and tests can read it."""

    notification = models.OneToOneField(Notification, on_delete=models.CASCADE, related_name="sms_record",
                                        verbose_name="通知")
    phone = models.CharField("手机号", max_length=20)
    text = models.TextField("短信内容")
    sent_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "短信记录"
        verbose_name_plural = verbose_name
        ordering = ["-sent_at"]
