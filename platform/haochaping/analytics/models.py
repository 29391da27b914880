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
