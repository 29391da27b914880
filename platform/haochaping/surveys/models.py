"""监督查评 in the tenant schema (DESIGN §6: surveys carry personal data): 政务服务调查 with versioned questions,
single-use links sent to recent applicants and their responses; 回访调查 calls drawn by the county agency from
this unit's evaluations, with every read of a rater's contact logged."""
from django.db import models


class Dimension(models.TextChoices):
    AWARENESS = "AWARENESS", "政策知悉度"
    CONVENIENCE = "CONVENIENCE", "办事便利度"
    SATISFACTION = "SATISFACTION", "服务满意度"


class Survey(models.Model):
    class Origin(models.TextChoices):
        TENANT = "TENANT", "本单位"
        COUNTY = "COUNTY", "县级政务服务管理机构"

    title = models.CharField("调查名称", max_length=200)
    item_codes = models.JSONField("调查事项编码", default=list)
    period_start = models.DateField("办件起始日期")
    period_end = models.DateField("办件截止日期")
    link_days = models.PositiveSmallIntegerField("链接有效天数", default=14)
    origin = models.CharField("发起方", max_length=8, choices=Origin.choices, default=Origin.TENANT)
    # The same key in every unit's copy of one county survey: the county's results join on it.
    county_key = models.CharField(max_length=32, blank=True, db_index=True)
    created_by = models.CharField("发起人", max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "政务服务调查"
        verbose_name_plural = verbose_name
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.title

    @property
    def current_version(self) -> "SurveyVersion":
        return self.versions.order_by("-version").first()


class SurveyVersion(models.Model):
    """A published version is immutable (save refuses updates); an edit publishes the next version."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    questions = models.JSONField(help_text='[{"key", "dimension", "text", "textEn"}] — each a 1–5 scale')
    text_prompt = models.CharField("意见建议提示", max_length=200, blank=True)
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.CharField(max_length=120)

    class Meta:
        ordering = ["survey", "version"]
        constraints = [models.UniqueConstraint(fields=["survey", "version"], name="survey_version_unique")]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("a published survey version is immutable; publish a new version instead")
        super().save(*args, **kwargs)


class SurveyLink(models.Model):
    """One single-use link per survey and case; only a digest of the token is kept."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="links")
    version = models.ForeignKey(SurveyVersion, on_delete=models.PROTECT, related_name="links")
    case = models.ForeignKey("evaluations.ServiceCase", on_delete=models.PROTECT, related_name="survey_links")
    item_code = models.CharField(max_length=64)
    channel = models.CharField(max_length=8, choices=[("SMS", "短信"), ("EMAIL", "电子邮件")])
    token_digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["survey", "case"], name="one_survey_link_per_case")]


class SurveyResponse(models.Model):
    link = models.OneToOneField(SurveyLink, on_delete=models.PROTECT, related_name="response")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    version = models.ForeignKey(SurveyVersion, on_delete=models.PROTECT, related_name="responses")
    item_code = models.CharField(max_length=64)
    scores = models.JSONField(help_text="{question key: 1..5}")
    text = models.TextField("意见建议", blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)


class CallBack(models.Model):
    """回访调查: one evaluation drawn by the county agency for a follow-up call."""

    class State(models.TextChoices):
        PENDING = "PENDING", "待回访"
        DONE = "DONE", "已回访"

    draw_key = models.CharField(max_length=32, db_index=True)
    seed = models.CharField(max_length=64)
    evaluation = models.ForeignKey("evaluations.Evaluation", on_delete=models.PROTECT, related_name="call_backs")
    stratum = models.CharField("分层", max_length=160)
    channel = models.CharField(max_length=16)
    window_code = models.CharField(max_length=64, blank=True)
    grade = models.PositiveSmallIntegerField()
    is_bad = models.BooleanField()
    drawn_by = models.CharField(max_length=120)
    drawn_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    # The county user (public schema) working the call: only they see the contact.
    caller_id = models.BigIntegerField(null=True, blank=True)
    caller_label = models.CharField(max_length=120, blank=True)
    reached = models.BooleanField(null=True, blank=True)
    did_rate = models.BooleanField("本人评价", null=True, blank=True)
    pressed_to_rate_well = models.BooleanField("被要求给好评", null=True, blank=True)
    satisfaction_confirmed = models.BooleanField("确认满意度", null=True, blank=True)
    notes = models.TextField(blank=True)
    worked_at = models.DateTimeField(null=True, blank=True)
    flag_id = models.BigIntegerField(null=True, blank=True, help_text="the SuspicionFlag raised (public schema)")

    class Meta:
        verbose_name = "回访调查"
        verbose_name_plural = verbose_name
        ordering = ["drawn_at", "id"]
        constraints = [models.UniqueConstraint(fields=["draw_key", "evaluation"], name="one_call_per_draw_and_evaluation")]


class CallBackContactRead(models.Model):
    """Who read the rater's contact for a call, when (county users live in the public schema: id and label)."""

    call = models.ForeignKey(CallBack, on_delete=models.PROTECT, related_name="contact_reads")
    user_id = models.BigIntegerField()
    user_label = models.CharField(max_length=120)
    at = models.DateTimeField(auto_now_add=True)
