"""What the public portal may read (public schema): redacted copies written by the tenants' own transactions.
The portal never reads a tenant schema (DESIGN §6)."""
from django.db import models


class PublishedRectification(models.Model):
    """One rectification's public face: no rater, staff or contact data. The feedback text is shown only to
    whoever holds the rating's receipt code."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="published_rectifications")
    rectification_id = models.BigIntegerField()
    receipt_digest = models.CharField(max_length=64, blank=True, db_index=True)
    source = models.CharField(max_length=16)
    item_name = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=20)
    outcome = models.CharField(max_length=20, blank=True)
    feedback = models.TextField(blank=True)
    opened_at = models.DateTimeField()
    due = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "公开的整改情况"
        verbose_name_plural = verbose_name
        constraints = [models.UniqueConstraint(fields=["tenant", "rectification_id"], name="one_published_per_rectification")]


class PublicCount(models.Model):
    """Evaluation counts copied from each tenant's analytics.TenantCount by the fold: no staff, codes only."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    day = models.DateField("日期")
    item_code = models.CharField(max_length=64, blank=True)
    org_code = models.CharField(max_length=32, blank=True)
    window_code = models.CharField(max_length=16, blank=True)
    platform_code = models.CharField(max_length=32, blank=True)
    channel = models.CharField(max_length=16)
    grade = models.PositiveSmallIntegerField()
    excluded = models.BooleanField(default=False)
    n = models.IntegerField(default=0)  # not Positive: a decrement is upserted as a row with n < 0

    class Meta:
        verbose_name = "公开评价统计"
        verbose_name_plural = verbose_name
        constraints = [models.UniqueConstraint(
            fields=["tenant", "day", "item_code", "org_code", "window_code", "platform_code", "channel", "grade",
                    "excluded"], name="public_count_cell")]
        indexes = [models.Index(fields=["tenant", "day"], name="public_count_tenant_day"),
                   models.Index(fields=["day"], name="public_count_day")]


class PublicName(models.Model):
    """Names behind the codes in PublicCount (organisations, windows, platforms), refreshed by the fold: the
    portal shows names without reading a tenant schema."""

    class Kind(models.TextChoices):
        ORG = "ORG", "机构"
        WINDOW = "WINDOW", "窗口"
        PLATFORM = "PLATFORM", "平台"

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    code = models.CharField(max_length=64, help_text="窗口：<机构编码>/<窗口号>")
    name = models.CharField(max_length=200)

    class Meta:
        verbose_name = "公开名称"
        verbose_name_plural = verbose_name
        constraints = [models.UniqueConstraint(fields=["tenant", "kind", "code"], name="public_name_unique")]


class PublishedImprovement(models.Model):
    """A closed 集中问题 improvement case as the portal shows it: what was wrong and what was done, no personal data."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    case_id = models.BigIntegerField()
    subject_name = models.CharField(max_length=200)
    topic = models.CharField(max_length=16)
    review_count = models.PositiveIntegerField()
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField()
    on_time = models.BooleanField()
    outcome = models.TextField()

    class Meta:
        verbose_name = "公开的集中问题整改"
        verbose_name_plural = verbose_name
        ordering = ["-closed_at"]
        constraints = [models.UniqueConstraint(fields=["tenant", "case_id"], name="published_improvement_unique")]
