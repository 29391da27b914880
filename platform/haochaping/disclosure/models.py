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


class GradeColumns(models.Model):
    """Counted evaluations by grade, and the excluded ones (all grades) beside them; signed like PublicCount.n,
    since the fold moves them by deltas."""

    n1 = models.IntegerField(default=0)
    n2 = models.IntegerField(default=0)
    n3 = models.IntegerField(default=0)
    n4 = models.IntegerField(default=0)
    n5 = models.IntegerField(default=0)
    excluded = models.IntegerField(default=0)

    class Meta:
        abstract = True


class PublicMonthlyCount(GradeColumns):
    """PublicCount rolled up by month for the rankings, league table and reports, kept by the fold in the same
    transaction (disclosure.rollup): a month of a county is ~1/10 of the daily cells' rows per level, so a ranking
    reads thousands of rows instead of hundreds of thousands. Codes that do not belong to the level are blank;
    channel "" holds every channel's sum."""

    class Level(models.TextChoices):
        TENANT = "tenant", "单位"
        ITEM = "item", "事项"
        WINDOW = "window", "窗口"

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    month = models.DateField("月份")  # the month's first day
    level = models.CharField(max_length=8, choices=Level.choices)
    item_code = models.CharField(max_length=64, blank=True)
    org_code = models.CharField(max_length=32, blank=True)
    window_code = models.CharField(max_length=16, blank=True)
    channel = models.CharField(max_length=16, blank=True)

    class Meta:
        verbose_name = "公开评价月统计"
        verbose_name_plural = verbose_name
        constraints = [models.UniqueConstraint(
            fields=["tenant", "month", "level", "item_code", "org_code", "window_code", "channel"],
            name="public_monthly_cell")]
        indexes = [models.Index(fields=["level", "channel", "month"], name="public_monthly_level_month"),
                   models.Index(fields=["tenant", "level", "channel", "month"], name="public_monthly_tenant")]


class PublicDailyTotal(GradeColumns):
    """PublicCount per tenant, day and channel ("" = all channels), without item or window: the county dashboard's
    daily series and unit breakdown read ~3,000 rows a month instead of ~750,000. Kept by the fold with the others."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    day = models.DateField("日期")
    channel = models.CharField(max_length=16, blank=True)

    class Meta:
        verbose_name = "公开评价日合计"
        verbose_name_plural = verbose_name
        constraints = [models.UniqueConstraint(fields=["tenant", "day", "channel"], name="public_daily_total_cell")]
        indexes = [models.Index(fields=["channel", "day"], name="public_daily_total_day")]


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


class PublishedItem(models.Model):
    """A tenant's adopted item with its current service guide (清单和办事指南要公开), copied when the item is adopted or
    a guide version is published. Guides hold no personal data; the fields worth publishing are kept as JSON."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    item_code = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    item_type = models.CharField(max_length=40, blank=True)
    is_active = models.BooleanField(default=True)
    guide = models.JSONField(default=dict, blank=True)
    guide_version = models.PositiveIntegerField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)  # the current guide version's publication
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "公开的事项清单和办事指南"
        verbose_name_plural = verbose_name
        ordering = ["tenant_id", "item_code"]
        constraints = [models.UniqueConstraint(fields=["tenant", "item_code"], name="published_item_unique")]
        indexes = [models.Index(fields=["item_code"], name="published_item_code")]


class PublishedFee(models.Model):
    """A hall's ancillary service (文印、邮寄…) and its fee, public whether free or charged."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    org_code = models.CharField(max_length=32)
    org_name = models.CharField(max_length=100)
    service_name = models.CharField(max_length=50)
    is_free = models.BooleanField(default=True)
    fee = models.CharField(max_length=100, blank=True)
    fee_basis = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "公开的配套服务收费"
        verbose_name_plural = verbose_name
        ordering = ["tenant_id", "org_code", "service_name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "org_code", "service_name"], name="published_fee_unique")]


class PublishedOverdueReason(models.Model):
    """逾期办件的原因: a late case's public explanation. The case number is masked and the reason redacted; no
    applicant data is copied."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    case_id = models.BigIntegerField()
    case_number_masked = models.CharField(max_length=64, blank=True)
    item_code = models.CharField(max_length=64, blank=True)
    item_name = models.CharField(max_length=200, blank=True)
    promised_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField()
    recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "公开的逾期办件原因"
        verbose_name_plural = verbose_name
        ordering = ["-completed_at"]
        constraints = [models.UniqueConstraint(fields=["tenant", "case_id"], name="published_overdue_unique")]
