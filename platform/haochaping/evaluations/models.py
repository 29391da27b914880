"""办件 (service cases) and 评价 (evaluations) with what surrounds them: the tenant's rating policy, the
per-item questionnaire, prompts pushed to window devices, paper forms, invitations and phone checks.
Tenant schema: everything here holds personal data or raw events."""
from django.conf import settings
from django.db import models
from django.db.models import Q

from haochaping.core.channels import EvaluationChannel

Channel = EvaluationChannel


class EvaluationPolicy(models.Model):
    """The tenant's rating settings (one row per tenant schema)."""

    class LabelSet(models.TextChoices):
        SATISFACTION = "SATISFACTION", "非常满意 / 满意 / 基本满意 / 不满意 / 非常不满意"
        QUALITY = "QUALITY", "很好 / 好 / 一般 / 差 / 很差"

    label_set = models.CharField("评价等级文字", max_length=16, choices=LabelSet.choices, default=LabelSet.SATISFACTION)
    supplementary_days = models.PositiveIntegerField("补充评价期限（天）", default=15)
    device_min_interval_seconds = models.PositiveIntegerField("评价器两次计数按键最小间隔（秒）", default=10)
    device_max_per_hour = models.PositiveIntegerField("每台评价器每小时最多评价数", default=120)
    ip_max_per_hour = models.PositiveIntegerField("每个IP每小时最多评价数", default=20)
    phone_max_per_day = models.PositiveIntegerField("每个手机号每天最多评价数", default=10)
    streak_length = models.PositiveIntegerField("可疑连续好评条数", default=8)
    streak_seconds = models.PositiveIntegerField("可疑连续好评时间窗（秒）", default=120)
    # Hall-board alert (HappyOrNot style): a window's bad share over a rolling period alerts the hall's managers.
    board_alert_bad_percent = models.PositiveIntegerField("差评预警占比（%）", default=50)
    board_alert_minutes = models.PositiveIntegerField("差评预警时段（分钟）", default=15)
    board_alert_min_ratings = models.PositiveIntegerField("差评预警最少评价数", default=4)

    class Meta:
        verbose_name = "评价规则"
        verbose_name_plural = verbose_name


class ServiceCase(models.Model):
    """办件: one handled matter, pushed by a business system; the unit of 一事一评."""

    class Status(models.TextChoices):
        ACCEPTED = "ACCEPTED", "已受理"
        PROCESSING = "PROCESSING", "办理中"
        COMPLETED = "COMPLETED", "已办结"
        REJECTED = "REJECTED", "不予受理"

    class ApplicantKind(models.TextChoices):
        INDIVIDUAL = "INDIVIDUAL", "个人"
        ENTERPRISE = "ENTERPRISE", "企业"

    case_number = models.CharField("办件编号", max_length=64, unique=True)
    item = models.ForeignKey("items.ServiceItem", on_delete=models.PROTECT, related_name="cases", verbose_name="事项")
    # 受理单位 and 办理单位 differ for the centre's one-stop windows and cross-department matters.
    accepting_unit = models.ForeignKey("tenants.Tenant", on_delete=models.PROTECT, related_name="+", verbose_name="受理单位")
    handling_unit = models.ForeignKey("tenants.Tenant", on_delete=models.PROTECT, related_name="+", verbose_name="办理单位")
    window = models.ForeignKey("organizations.Window", null=True, blank=True, on_delete=models.PROTECT, related_name="cases")
    staff = models.ForeignKey("organizations.Staff", null=True, blank=True, on_delete=models.PROTECT, related_name="cases")
    platform = models.ForeignKey("organizations.ServicePlatform", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="cases")
    applicant_kind = models.CharField("申请人类型", max_length=16, choices=ApplicantKind.choices)
    # Minimal contact data: the name and phone for follow-up, never shown unmasked outside the workflow.
    applicant_name = models.CharField("申请人", max_length=100)
    applicant_phone = models.CharField("联系电话", max_length=20, blank=True)
    applicant_email = models.EmailField("电子邮箱", blank=True)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.ACCEPTED)
    accepted_at = models.DateTimeField("受理时间")
    promised_at = models.DateTimeField("承诺办结时间", null=True, blank=True)
    completed_at = models.DateTimeField("办结时间", null=True, blank=True)
    is_overdue = models.BooleanField("超期办结", default=False)
    overdue_reason = models.TextField("超期理由（公开）", blank=True)
    overdue_reason_at = models.DateTimeField(null=True, blank=True)
    source_system = models.CharField("来源系统", max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "办件"
        verbose_name_plural = verbose_name
        ordering = ["-accepted_at"]
        indexes = [models.Index(fields=["status", "completed_at"], name="case_status_completed")]

    def __str__(self):
        return self.case_number


class Questionnaire(models.Model):
    """评价问询表单: versioned; item null = the tenant's default for items without their own."""

    item = models.ForeignKey("items.ServiceItem", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="questionnaires")
    version = models.PositiveIntegerField()
    questions = models.JSONField(help_text='[{"key", "text", "textEn", "kind": "CHOICE"|"TEXT", "options"}]')
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")

    class Meta:
        verbose_name = "评价问询表单"
        verbose_name_plural = verbose_name
        constraints = [models.UniqueConstraint(fields=["item", "version"], name="questionnaire_version_unique",
                                               nulls_distinct=False)]


class Evaluation(models.Model):
    """评价: grade 5 is best; grade ≤ 2 is a bad review. Never updated once stored."""

    class RealNameBasis(models.TextChoices):
        NONE = "NONE", "匿名"
        APPLICANT = "APPLICANT", "关联办件申请人"
        SMS_VERIFIED = "SMS_VERIFIED", "短信验证手机号"

    case = models.ForeignKey(ServiceCase, null=True, blank=True, on_delete=models.PROTECT, related_name="evaluations")
    round = models.PositiveSmallIntegerField("评价次数", default=1)
    grade = models.PositiveSmallIntegerField("等级")
    channel = models.CharField("渠道", max_length=16, choices=Channel.choices)
    item = models.ForeignKey("items.ServiceItem", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    window = models.ForeignKey("organizations.Window", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    staff = models.ForeignKey("organizations.Staff", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    platform = models.ForeignKey("organizations.ServicePlatform", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    device = models.ForeignKey("organizations.RatingDevice", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="evaluations")
    questionnaire = models.ForeignKey(Questionnaire, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    answers = models.JSONField("问询表单回答", default=dict, blank=True)
    comment = models.TextField("意见", blank=True)
    real_name_basis = models.CharField("实名依据", max_length=16, choices=RealNameBasis.choices, default=RealNameBasis.NONE)
    rater_name = models.CharField("评价人", max_length=100, blank=True)
    rater_phone = models.CharField("评价人电话", max_length=20, blank=True)
    receipt_code = models.CharField("回执码", max_length=16, unique=True)
    idempotency_key = models.CharField(max_length=80, null=True, blank=True, unique=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name="代录人")
    paper_form = models.OneToOneField("PaperForm", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="evaluation")
    client_key = models.CharField("来源指纹", max_length=64, blank=True, help_text="IP 的散列，不存原始地址")
    is_bad = models.BooleanField("差评", default=False)
    is_supplementary = models.BooleanField("补充评价", default=False)
    # A review rejected as mistaken or malicious (with the agency's approval) is left out of every score.
    excluded_from_scores = models.BooleanField("不计入统计", default=False)
    # How analytics last counted this rating: NULL = not yet; else the exclusion state it was counted under.
    aggregated_as_excluded = models.BooleanField(null=True, blank=True, editable=False)
    # When the rater pressed: a device replaying its offline queue reports the original time.
    rated_at = models.DateTimeField("评价时间")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "评价"
        verbose_name_plural = verbose_name
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(grade__gte=1, grade__lte=5), name="grade_1_to_5"),
            models.CheckConstraint(condition=Q(round__in=[1, 2]), name="round_1_or_2"),
            models.UniqueConstraint(fields=["case", "round"], condition=Q(case__isnull=False),
                                    name="one_evaluation_per_case_and_round"),
        ]
        # The honesty checks look back by press time, per window (streaks) and per device (press interval).
        indexes = [models.Index(fields=["window", "rated_at"], name="evaluation_window_rated"),
                   models.Index(fields=["device", "rated_at"], name="evaluation_device_rated"),
                   # The fold's work list stays tiny however many ratings are stored.
                   models.Index(fields=["id"], name="evaluation_fold_pending",
                                condition=Q(aggregated_as_excluded__isnull=True)
                                | ~Q(aggregated_as_excluded=models.F("excluded_from_scores")))]

    @property
    def is_real_name(self) -> bool:
        return self.real_name_basis != self.RealNameBasis.NONE


class DevicePrompt(models.Model):
    """“请评价”: a finished case pushed to the window's device, so the press is tied to the case."""

    class State(models.TextChoices):
        PENDING = "PENDING", "等待评价"
        DONE = "DONE", "已评价"
        EXPIRED = "EXPIRED", "已过期"

    device = models.ForeignKey("organizations.RatingDevice", on_delete=models.CASCADE, related_name="prompts")
    case = models.ForeignKey(ServiceCase, on_delete=models.CASCADE, related_name="prompts")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]


class Invitation(models.Model):
    """一事一评 invitation: one signed, single-use link per completed case and channel."""

    class State(models.TextChoices):
        PENDING = "PENDING", "待评价"
        USED = "USED", "已评价"
        WITHDRAWN = "WITHDRAWN", "已撤回（已在其他渠道评价）"

    case = models.ForeignKey(ServiceCase, on_delete=models.CASCADE, related_name="invitations")
    round = models.PositiveSmallIntegerField(default=1)
    channel = models.CharField(max_length=16, choices=[("SMS", "短信"), ("EMAIL", "电子邮件")])
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "round", "channel"], name="one_invitation_per_channel")]


class PaperForm(models.Model):
    """书面评价表: a printed form with its own serial and QR, for remote stations."""

    serial = models.CharField("表单编号", max_length=32, unique=True)
    org = models.ForeignKey("organizations.ServiceOrg", on_delete=models.PROTECT, related_name="paper_forms")
    printed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "书面评价表"
        verbose_name_plural = verbose_name
        ordering = ["serial"]


class PhoneVerification(models.Model):
    """A one-time SMS code proving a rater holds a phone (实名). Only digests are stored."""

    phone_digest = models.CharField(max_length=64, db_index=True)
    code_digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    verified_at = models.DateTimeField(null=True, blank=True)
