"""The notification outbox. A notification is written in the same transaction as its cause and delivered by
the worker: PENDING → SENDING (committed before the send) → SENT. A crash mid-send leaves SENDING, which is
never re-sent automatically (at most once), so nobody gets the same message twice."""
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

    channel = models.CharField(max_length=8, choices=Channel.choices)
    recipient = models.CharField(max_length=200)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    purpose = models.CharField(max_length=40, help_text="invitation, phone_code, …")
    dedupe_key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    provider_reference = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = verbose_name
        ordering = ["-created_at"]


class SmsRecord(models.Model):
    """What the default SMS provider 'sends': kept here so operators and tests can read it."""

    notification = models.OneToOneField(Notification, on_delete=models.CASCADE, related_name="sms_record")
    phone = models.CharField(max_length=20)
    text = models.TextField()
    sent_at = models.DateTimeField(auto_now_add=True)
