"""One row per privileged action, in the schema where the change itself is stored (same transaction).
No foreign keys: the trail must outlive users, tokens and tenants it names, and rows are never updated."""
from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    class ActorKind(models.TextChoices):
        USER = "USER", "用户"
        TOKEN = "TOKEN", "API 令牌"
        SYSTEM = "SYSTEM", "系统"

    at = models.DateTimeField("时间", default=timezone.now, db_index=True)
    actor_kind = models.CharField("操作者类型", max_length=8, choices=ActorKind.choices)
    actor = models.CharField("操作者", max_length=150)
    action = models.CharField("操作", max_length=64, db_index=True)
    target_type = models.CharField("对象类型", max_length=64)
    target_id = models.CharField("对象标识", max_length=64)
    target_label = models.CharField("对象名称", max_length=200, blank=True)
    # The tenant (schema name) the action concerns; "public" for the county platform itself.
    tenant = models.CharField("租户", max_length=63, db_index=True)
    detail = models.JSONField("详情", default=dict, blank=True)

    class Meta:
        verbose_name = "审计记录"
        verbose_name_plural = verbose_name
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action} {self.target_type}:{self.target_id}"
