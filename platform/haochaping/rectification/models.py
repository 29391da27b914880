"""差评整改. A rectification lives in the schema of the unit that owns it (谁办理、谁负责): when a case was
rated at another unit (the county centre's one-stop windows), it is handed off there with what the follow-up
needs, and every read of the rater's contact is logged. Every change is an append-only event."""
from django.conf import settings
from django.db import models


class Rectification(models.Model):
    class State(models.TextChoices):
        OPEN = "OPEN", "待回访核实"
        VERIFYING = "VERIFYING", "核实中"
        LEDGER = "LEDGER", "台账整改中"
        REJECTION_PENDING = "REJECTION_PENDING", "不予采纳待审批"
        CLOSED = "CLOSED", "已办结"

    class Outcome(models.TextChoices):
        FIXED_NOW = "FIXED_NOW", "立行立改"
        LEDGER_FIXED = "LEDGER_FIXED", "台账整改完成"
        EXPLAINED = "EXPLAINED", "解释说明"
        REJECTED_MISTAKEN = "REJECTED_MISTAKEN", "误评，不予采纳"
        REJECTED_MALICIOUS = "REJECTED_MALICIOUS", "恶意差评，不予采纳"

    class Source(models.TextChoices):
        BAD_REVIEW = "BAD_REVIEW", "差评"
        COMPLAINT = "COMPLAINT", "投诉"

    source = models.CharField("来源", max_length=16, choices=Source.choices, default=Source.BAD_REVIEW)
    # Where the rating was given; the evaluation FK is set only when that is this schema.
    rating_unit = models.ForeignKey("tenants.Tenant", on_delete=models.PROTECT, related_name="+", verbose_name="评价单位")
    source_evaluation_id = models.BigIntegerField("评价编号", null=True, blank=True, help_text="空：投诉，没有评价")
    evaluation = models.OneToOneField("evaluations.Evaluation", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="rectification")
    owner_unit = models.ForeignKey("tenants.Tenant", on_delete=models.PROTECT, related_name="+", verbose_name="责任单位")
    # What the follow-up needs, copied at opening (a handoff carries it to another unit).
    case_number = models.CharField("办件编号", max_length=64, blank=True)
    item_name = models.CharField("事项", max_length=200, blank=True)
    window_name = models.CharField("窗口", max_length=200, blank=True)
    grade = models.PositiveSmallIntegerField("等级", null=True, blank=True, help_text="投诉没有等级")
    channel = models.CharField("渠道", max_length=16)
    comment = models.TextField("评价意见", blank=True)
    rater_name = models.CharField("评价人", max_length=100, blank=True)
    rater_phone = models.CharField("评价人电话", max_length=20, blank=True)
    is_real_name = models.BooleanField("实名", default=False)
    rated_at = models.DateTimeField("评价时间")
    # Workflow
    state = models.CharField("状态", max_length=20, choices=State.choices, default=State.OPEN)
    handler = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="rectifications", verbose_name="整改专人")
    outcome = models.CharField("结果", max_length=20, choices=Outcome.choices, blank=True)
    rejection_kind = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    rejection_reason = models.TextField("不予采纳理由", blank=True)
    feedback = models.TextField("反馈内容", blank=True)
    feedback_sent_at = models.DateTimeField(null=True, blank=True)
    rater_confirmed = models.BooleanField(null=True, blank=True, help_text="追评：评价人认可或不认可整改")
    # Clocks (working days, Asia/Shanghai)
    opened_at = models.DateTimeField("开启时间", auto_now_add=True)
    follow_up_due = models.DateTimeField("回访期限")
    followed_up_at = models.DateTimeField("首次回访时间", null=True, blank=True)
    due = models.DateTimeField("整改反馈期限")
    extension_requested_days = models.PositiveSmallIntegerField(null=True, blank=True)
    extension_reason = models.TextField(blank=True)
    paused_at = models.DateTimeField("暂停计时", null=True, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    escalated_at = models.DateTimeField("升级督办时间", null=True, blank=True)
    reopened_count = models.PositiveSmallIntegerField(default=0)
    version = models.PositiveIntegerField(default=0, help_text="optimistic lock: one of two concurrent actions wins")

    class Meta:
        verbose_name = "差评整改"
        verbose_name_plural = verbose_name
        ordering = ["due"]
        constraints = [models.UniqueConstraint(fields=["rating_unit", "source_evaluation_id"], name="one_rectification_per_evaluation")]
        indexes = [models.Index(fields=["state", "due"], name="rect_state_due")]

    def __str__(self):
        return f"整改#{self.pk} {self.case_number or self.item_name}"


class RectificationEvent(models.Model):
    """Append-only (a database trigger refuses UPDATE and DELETE)."""

    rectification = models.ForeignKey(Rectification, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(max_length=120, help_text="who acted, also for county users and the system")
    action = models.CharField(max_length=32)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]


class FollowUp(models.Model):
    """回访核实: when, how, who, what the rater said."""

    class Method(models.TextChoices):
        PHONE = "PHONE", "电话"
        SMS = "SMS", "短信"
        VISIT = "VISIT", "上门"
        IN_PERSON = "IN_PERSON", "当面"

    rectification = models.ForeignKey(Rectification, on_delete=models.PROTECT, related_name="follow_ups")
    contacted_at = models.DateTimeField()
    method = models.CharField(max_length=16, choices=Method.choices)
    contacted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    rater_said = models.TextField()
    recorded_at = models.DateTimeField(auto_now_add=True)


def evidence_path(instance, filename: str) -> str:
    from django.db import connection

    # Stored under the tenant's own folder; the name is ours, not the uploader's.
    return f"tenants/{connection.schema_name}/rectification/{instance.rectification_id}/{instance.stored_name}"


class Evidence(models.Model):
    rectification = models.ForeignKey(Rectification, on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(upload_to=evidence_path, max_length=255)
    stored_name = models.CharField(max_length=80)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=80)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)


class ContactAccess(models.Model):
    """Who read the rater's contact, when (handoffs and everyone else)."""

    rectification = models.ForeignKey(Rectification, on_delete=models.PROTECT, related_name="contact_reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
