"""Aggregates of evaluations: counts by grade per day and per evaluated party, kept in step with the raw rows by
the fold (analytics.fold). TenantCount lives in each tenant schema (it names staff); its anonymised copy is
disclosure.PublicCount in the public schema (codes only, no staff), which the portal and rankings read."""
from django.db import models


class TenantCount(models.Model):
    day = models.DateField("日期")
    item = models.ForeignKey("items.ServiceItem", null=True, on_delete=models.PROTECT, related_name="+")
    org = models.ForeignKey("organizations.ServiceOrg", null=True, on_delete=models.PROTECT, related_name="+")
    window = models.ForeignKey("organizations.Window", null=True, on_delete=models.PROTECT, related_name="+")
    staff = models.ForeignKey("organizations.Staff", null=True, on_delete=models.PROTECT, related_name="+")
    platform = models.ForeignKey("organizations.ServicePlatform", null=True, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField("渠道", max_length=16)
    grade = models.PositiveSmallIntegerField("等级")
    excluded = models.BooleanField("不计入统计", default=False)
    n = models.IntegerField("评价数", default=0)  # not Positive: a decrement is upserted as a row with n < 0

    class Meta:
        verbose_name = "评价统计"
        verbose_name_plural = verbose_name
        constraints = [models.UniqueConstraint(
            fields=["day", "item", "org", "window", "staff", "platform", "channel", "grade", "excluded"],
            nulls_distinct=False, name="tenant_count_cell")]
        indexes = [models.Index(fields=["day"], name="tenant_count_day")]


class ImprovementCase(models.Model):
    """企业和群众反映集中的问题: the same item or window collected bad reviews sharing a topic within the rolling
    period. Tracked to a deadline (限期整改解决), escalated when overdue, published when closed."""

    class State(models.TextChoices):
        OPEN = "OPEN", "整改中"
        CLOSED = "CLOSED", "已整改"

    class Subject(models.TextChoices):
        ITEM = "ITEM", "事项"
        WINDOW = "WINDOW", "窗口"

    subject_kind = models.CharField("对象类型", max_length=8, choices=Subject.choices)
    subject_id = models.BigIntegerField("对象编号")
    subject_name = models.CharField("对象", max_length=200)
    topic = models.CharField("问题类别", max_length=16)
    review_count = models.PositiveIntegerField("差评数")
    evaluation_ids = models.JSONField("差评编号", default=list)
    period_days = models.PositiveIntegerField("统计时段（天）")
    opened_at = models.DateTimeField("发现时间")
    due = models.DateTimeField("整改期限")
    state = models.CharField("状态", max_length=8, choices=State.choices, default=State.OPEN)
    escalated_at = models.DateTimeField("升级督办时间", null=True, blank=True)
    closed_at = models.DateTimeField("整改完成时间", null=True, blank=True)
    outcome = models.TextField("整改措施", blank=True)

    class Meta:
        verbose_name = "集中问题整改"
        verbose_name_plural = verbose_name
        ordering = ["-opened_at"]
        constraints = [models.UniqueConstraint(fields=["subject_kind", "subject_id", "topic"], condition=models.Q(state="OPEN"),
                                               name="improvement_one_open_per_subject_topic")]
