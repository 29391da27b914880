"""County supervision (督办), in the public schema: what the county agency sees across tenants and what it sends
back. No personal data lives here (DESIGN §6): rows name the tenant and the rectification's id, case number and
item, never the rater; the case itself stays in the tenant's schema."""
from django.db import models


class Escalation(models.Model):
    """A rectification escalated to the county agency (overdue, or disputed by the rater's 追评)."""

    class Reason(models.TextChoices):
        OVERDUE = "OVERDUE", "逾期未整改"
        DISPUTED = "DISPUTED", "追评不认可整改"

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.PROTECT, related_name="escalations",
                               verbose_name="责任单位")
    rectification_id = models.BigIntegerField("整改编号")
    case_number = models.CharField("办件编号", max_length=64, blank=True)
    item_name = models.CharField("事项", max_length=200, blank=True)
    due = models.DateTimeField("整改反馈期限")
    escalated_at = models.DateTimeField("升级督办时间")
    reason = models.CharField("原因", max_length=16, choices=Reason.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "升级督办"
        verbose_name_plural = verbose_name
        ordering = ["-escalated_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "rectification_id", "escalated_at"],
                                               name="one_escalation_per_rectification_and_time")]

    def __str__(self):
        return f"督办 {self.tenant_id}#{self.rectification_id}"


class SupervisionInstruction(models.Model):
    """督办意见: the county agency's instruction to a tenant about one rectification; the tenant acknowledges it."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.PROTECT, related_name="supervision_instructions",
                               verbose_name="责任单位")
    rectification_id = models.BigIntegerField("整改编号")
    text = models.TextField("督办意见")
    issued_by = models.CharField("督办人", max_length=120)
    issued_at = models.DateTimeField("督办时间", auto_now_add=True)
    acknowledged_at = models.DateTimeField("签收时间", null=True, blank=True)
    acknowledged_by = models.CharField("签收人", max_length=120, blank=True)

    class Meta:
        verbose_name = "督办意见"
        verbose_name_plural = verbose_name
        ordering = ["-issued_at", "-id"]


class Circular(models.Model):
    """内部通报: an internal circular about a case with bad effect, to the units it is addressed to (all active
    units when none is named). Never published on the portal."""

    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容")
    tenants = models.ManyToManyField("tenants.Tenant", blank=True, related_name="circulars", verbose_name="通报范围")
    subject_tenant = models.ForeignKey("tenants.Tenant", null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+", verbose_name="涉及单位")
    rectification_id = models.BigIntegerField("涉及整改编号", null=True, blank=True)
    issued_by = models.CharField("通报人", max_length=120)
    issued_at = models.DateTimeField("通报时间", auto_now_add=True)

    class Meta:
        verbose_name = "内部通报"
        verbose_name_plural = verbose_name
        ordering = ["-issued_at", "-id"]

    def __str__(self):
        return self.title


class PublicNotice(models.Model):
    """曝光: an internal circular published on the portal after approval and redaction. A county user proposes the
    public text (redacted of personal data when stored); a county admin other than the proposer approves it."""

    class State(models.TextChoices):
        PENDING = "PENDING", "待审核"
        PUBLISHED = "PUBLISHED", "已公开"
        REFUSED = "REFUSED", "不予公开"

    circular = models.ForeignKey(Circular, on_delete=models.PROTECT, related_name="notices", verbose_name="内部通报")
    title = models.CharField("公开标题", max_length=200)
    body = models.TextField("公开内容")
    state = models.CharField("状态", max_length=12, choices=State.choices, default=State.PENDING)
    requested_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "曝光公告"
        verbose_name_plural = verbose_name
        ordering = ["-decided_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["circular"], condition=models.Q(state__in=["PENDING", "PUBLISHED"]),
                                               name="one_live_notice_per_circular")]
