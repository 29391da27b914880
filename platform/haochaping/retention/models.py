"""个人信息保护: what each retention run anonymised in this tenant schema (counts per model, no personal data)."""
from django.db import models


class RetentionRun(models.Model):
    ran_at = models.DateTimeField("执行时间", auto_now_add=True)
    personal_cutoff = models.DateTimeField("个人信息保存截止", help_text="rows older than this were anonymised")
    notification_cutoff = models.DateTimeField("通知内容保存截止")
    counts = models.JSONField("处理条数", default=dict, help_text='{"app.Model": rows changed}')
    total = models.PositiveIntegerField("合计", default=0)

    class Meta:
        verbose_name = "个人信息保存期限处理记录"
        verbose_name_plural = verbose_name
        ordering = ["-ran_at", "-id"]

    def __str__(self):
        return f"{self.ran_at:%Y-%m-%d %H:%M} {self.total}"
