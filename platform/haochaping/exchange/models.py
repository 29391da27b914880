"""The exchange outbox. One record per target, case number and round, written in the rating's transaction and
delivered by the worker: PENDING → SENDING (committed before the send) → SENT. A definite failure (nothing
went out) goes back to PENDING and is retried, FAILED after the last attempt. A crash mid-send, or a send in
doubt, leaves SENDING, which is never re-sent automatically: a record is never sent twice. docs/exchange.md"""
from django.db import models


class ExchangeRecord(models.Model):
    class State(models.TextChoices):
        PENDING = "PENDING", "待发送"
        SENDING = "SENDING", "发送中"
        SENT = "SENT", "已发送"
        FAILED = "FAILED", "发送失败"

    # Ratings are never deleted in operation; CASCADE only lets test and retention clean-ups remove both.
    evaluation = models.ForeignKey("evaluations.Evaluation", on_delete=models.CASCADE, related_name="+",
                                   verbose_name="评价")
    target = models.CharField("交换目标", max_length=32, help_text="national（GB/T 39046）或省份代码表名")
    case_number = models.CharField("办件编号", max_length=64)
    round = models.PositiveSmallIntegerField("评价次数")
    # The record as it leaves the system, built (masked and redacted) when the rating was stored.
    payload = models.JSONField("交换内容")
    state = models.CharField("状态", max_length=12, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField("发送次数", default=0)
    last_error = models.TextField("最近错误", blank=True)
    reference = models.CharField("对方回执", max_length=120, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)

    class Meta:
        verbose_name = "交换记录"
        verbose_name_plural = verbose_name
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["target", "case_number", "round"],
                                               name="one_exchange_record_per_target_case_round")]

    def __str__(self):
        return f"{self.target}:{self.case_number}#{self.round}"


class RecordedExchange(models.Model):
    """What the default recording sender 'sent': kept so operators and tests can read it."""

    record = models.OneToOneField(ExchangeRecord, on_delete=models.CASCADE, related_name="recorded",
                                  verbose_name="交换记录")
    target = models.CharField("交换目标", max_length=32)
    payload = models.JSONField("发送内容")
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "交换发送记录"
        verbose_name_plural = verbose_name
        ordering = ["-recorded_at"]
