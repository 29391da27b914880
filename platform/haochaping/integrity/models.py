"""Suspicious rating patterns, flagged for the county agency (public schema), never silently dropped."""
from django.db import models


class SuspicionFlag(models.Model):
    class Kind(models.TextChoices):
        FAST_TOP_STREAK = "FAST_TOP_STREAK", "短时间内连续满分"
        DUPLICATE_CONTENT = "DUPLICATE_CONTENT", "重复内容"
        RATE_LIMITED = "RATE_LIMITED", "超过频率限制"
        # Raised by 回访调查 (haochaping.surveys.callbacks): a rater says they did not rate, or were pressed to.
        CALLBACK_NOT_RATED = "CALLBACK_NOT_RATED", "回访：评价人称未评价"
        CALLBACK_PRESSURED = "CALLBACK_PRESSURED", "回访：评价人称被要求给好评"

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="suspicion_flags")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    window_code = models.CharField(max_length=64, blank=True)
    detail = models.TextField()
    evaluation_ids = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "可疑评价提示"
        verbose_name_plural = verbose_name
        ordering = ["-created_at"]
