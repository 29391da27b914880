"""Third-party evaluators (委托第三方评估) and their professional assessments (专业评估), in the public schema.

Nothing here holds personal data (DESIGN §6): evaluators read only the public aggregates and redacted outcomes
through a grant, and their reports name tenants, items and windows, never raters or staff."""
from django.db import models


class EvaluatorOrg(models.Model):
    """A registered evaluator organisation: by the county agency (owner_tenant empty) or by a tenant for itself."""

    class Kind(models.TextChoices):
        SOCIAL = "SOCIAL", "社会组织"
        INTERMEDIARY = "INTERMEDIARY", "中介机构"
        RESEARCH = "RESEARCH", "科研院所"
        FIRM = "FIRM", "第三方机构"

    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    owner_tenant = models.ForeignKey("tenants.Tenant", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name="登记单位（空为县级）")
    registered_by = models.CharField("登记人", max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "第三方评估机构"
        verbose_name_plural = verbose_name
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class EvaluatorGrant(models.Model):
    """Scoped, expiring, read-only access: which tenants, which data period, until when. One token per grant."""

    org = models.ForeignKey(EvaluatorOrg, on_delete=models.PROTECT, related_name="grants", verbose_name="评估机构")
    token = models.OneToOneField("accounts.ApiToken", on_delete=models.PROTECT, related_name="evaluator_grant")
    tenants = models.ManyToManyField("tenants.Tenant", related_name="+", verbose_name="可访问单位")
    period_start = models.DateField("数据起始日")
    period_end = models.DateField("数据截止日")
    expires_at = models.DateTimeField("授权到期时间")
    owner_tenant = models.ForeignKey("tenants.Tenant", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name="授权单位（空为县级）")
    granted_by = models.CharField("授权人", max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    revoked_by = models.CharField("撤销人", max_length=120, blank=True)

    class Meta:
        verbose_name = "第三方评估授权"
        verbose_name_plural = verbose_name
        ordering = ["-created_at", "-id"]


class EvaluatorQuery(models.Model):
    """One query an evaluator made (allowed or refused), visible to the granting party."""

    grant = models.ForeignKey(EvaluatorGrant, on_delete=models.PROTECT, related_name="queries")
    operation = models.CharField("操作", max_length=60)
    variables = models.JSONField("参数", default=dict)
    outcome = models.CharField("结果", max_length=24)  # OK, or the refusal's error code
    rows = models.PositiveIntegerField("返回行数", default=0)
    at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "第三方评估查询日志"
        verbose_name_plural = verbose_name
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["grant", "at"], name="evaluator_query_grant_at")]


class Assessment(models.Model):
    """专业评估报告: submitted by an evaluator, published on the portal once the county agency approves it."""

    class State(models.TextChoices):
        SUBMITTED = "SUBMITTED", "待审核"
        PUBLISHED = "PUBLISHED", "已公开"
        REFUSED = "REFUSED", "不予公开"

    org = models.ForeignKey(EvaluatorOrg, on_delete=models.PROTECT, related_name="assessments")
    grant = models.ForeignKey(EvaluatorGrant, on_delete=models.PROTECT, related_name="assessments")
    title = models.CharField("标题", max_length=200)
    period_start = models.DateField("评估起始日")
    period_end = models.DateField("评估截止日")
    tenants = models.ManyToManyField("tenants.Tenant", related_name="+", verbose_name="评估单位")
    scores = models.JSONField("分项得分", default=dict)  # dimension key → 0..100
    summary = models.TextField("评估结论", blank=True)
    state = models.CharField("状态", max_length=12, choices=State.choices, default=State.SUBMITTED)
    submitted_at = models.DateTimeField("提交时间", auto_now_add=True)
    decided_by = models.CharField("审核人", max_length=120, blank=True)
    decided_at = models.DateTimeField("审核时间", null=True, blank=True)

    class Meta:
        verbose_name = "专业评估报告"
        verbose_name_plural = verbose_name
        ordering = ["-submitted_at", "-id"]

    def __str__(self):
        return self.title


class AssessmentFinding(models.Model):
    """One finding about a tenant's item or window; it opens (or joins) an improvement case in that tenant."""

    class Subject(models.TextChoices):
        ITEM = "ITEM", "事项"
        WINDOW = "WINDOW", "窗口"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="findings")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.PROTECT, related_name="+")
    subject_kind = models.CharField("对象类型", max_length=8, choices=Subject.choices)
    subject_code = models.CharField("对象编码", max_length=64)
    subject_name = models.CharField("对象", max_length=200)
    dimension = models.CharField("问题类别", max_length=16)
    description = models.TextField("问题描述")
    improvement_case_id = models.BigIntegerField("集中问题整改编号")  # in the tenant's schema

    class Meta:
        verbose_name = "评估发现的问题"
        verbose_name_plural = verbose_name
        ordering = ["id"]


def attachment_path(instance, filename: str) -> str:
    # Our own name under the platform's folder, never the uploader's.
    return f"platform/assessments/{instance.assessment_id}/{instance.stored_name}"


class AssessmentAttachment(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=255)
    stored_name = models.CharField(max_length=80)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=80)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "评估报告附件"
        verbose_name_plural = verbose_name
        ordering = ["id"]
