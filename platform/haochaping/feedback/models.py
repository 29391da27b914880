"""综合点评: comments from the suggestion box, hotline, e-mail, 12345 and Open311. They carry personal data (name,
phone), so they live in the schema of the unit they were routed to; every change is an append-only event."""
from django.conf import settings
from django.db import models


class Channel(models.TextChoices):
    SUGGESTION_BOX = "SUGGESTION_BOX", "意见箱"
    HOTLINE = "HOTLINE", "热线电话"
    EMAIL = "EMAIL", "电子邮箱"
    HOTLINE_12345 = "HOTLINE_12345", "12345热线"
    OPEN311 = "OPEN311", "Open311接口"
    SUPERVISION_PLATFORM = "SUPERVISION_PLATFORM", "监督平台"


class Category(models.TextChoices):
    SUGGESTION = "SUGGESTION", "建议"
    COMPLAINT = "COMPLAINT", "投诉"
    PRAISE = "PRAISE", "表扬"
    CONSULTATION = "CONSULTATION", "咨询"


class PublicComment(models.Model):
    class Status(models.TextChoices):
        OPEN = "OPEN", "待答复"
        ANSWERED = "ANSWERED", "已答复"
        TRANSFERRED = "TRANSFERRED", "已转办"

    class Route(models.TextChoices):
        HOST = "HOST", "本单位页面提交"
        EXPLICIT = "EXPLICIT", "评价人选择单位"
        ITEM = "ITEM", "按事项编码"
        ORG = "ORG", "按服务机构"
        TEXT = "TEXT", "按内容中的单位名称"
        FALLBACK = "FALLBACK", "待县级转办"
        TRANSFER = "TRANSFER", "县级转办"

    receipt_code = models.CharField("回执码", max_length=16, unique=True)
    channel = models.CharField("渠道", max_length=24, choices=Channel.choices)
    category = models.CharField("类别", max_length=16, choices=Category.choices)
    text = models.TextField("内容")
    contact_name = models.CharField("姓名", max_length=50, blank=True)
    contact_phone = models.CharField("电话", max_length=20, blank=True)
    contact_email = models.EmailField("电子邮箱", blank=True)  # e-mail intake: the acknowledgement and answer go here
    allow_publish = models.BooleanField("允许公开答复", default=False)
    item_code = models.CharField("事项编码", max_length=64, blank=True)
    item_name = models.CharField("事项", max_length=200, blank=True)
    org_name = models.CharField("服务机构", max_length=200, blank=True)
    route = models.CharField("分派依据", max_length=16, choices=Route.choices)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.OPEN)
    submitted_at = models.DateTimeField("提交时间")
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name="登记人（热线）")
    answer = models.TextField("答复", blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name="答复人")
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    is_hidden = models.BooleanField("已屏蔽", default=False)
    hidden_reason = models.TextField("屏蔽理由", blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    # A complaint's rectification in this schema (投诉 → 整改).
    rectification_id = models.BigIntegerField(null=True, blank=True)
    transferred_to = models.ForeignKey("tenants.Tenant", null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+", verbose_name="转办至")
    transferred_from = models.ForeignKey("tenants.Tenant", null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="+", verbose_name="转办自")
    version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "综合点评"
        verbose_name_plural = verbose_name
        ordering = ["-submitted_at", "-pk"]
        indexes = [models.Index(fields=["status", "submitted_at"], name="comment_status_time")]

    def __str__(self):
        return f"点评#{self.pk} {self.get_category_display()}"


class CommentEvent(models.Model):
    """Audit trail: received, routed, answered, hidden, transferred, contact read."""

    comment = models.ForeignKey(PublicComment, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(max_length=120)
    action = models.CharField(max_length=24)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]


class WorkOrder(models.Model):
    """12345 工单: dispatched by the supervision platform (派单), replied when the unit answers the comment (回单),
    called back by 12345 (回访). An unsatisfied call-back reopens the comment for a new answer."""

    class State(models.TextChoices):
        DISPATCHED = "DISPATCHED", "已派单"
        REPLIED = "REPLIED", "已回单"
        CALLED_BACK = "CALLED_BACK", "已回访"

    class CallbackResult(models.TextChoices):
        SATISFIED = "SATISFIED", "满意"
        BASICALLY_SATISFIED = "BASICALLY_SATISFIED", "基本满意"
        UNSATISFIED = "UNSATISFIED", "不满意"

    comment = models.OneToOneField(PublicComment, on_delete=models.PROTECT, related_name="work_order")
    order_number = models.CharField("工单编号", max_length=40, unique=True)
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.DISPATCHED)
    dispatched_at = models.DateTimeField("派单时间")
    due_at = models.DateTimeField("办理时限", null=True, blank=True)
    replied_at = models.DateTimeField("回单时间", null=True, blank=True)
    callback_result = models.CharField("回访结果", max_length=24, choices=CallbackResult.choices, blank=True)
    callback_note = models.TextField("回访情况", blank=True)
    called_back_at = models.DateTimeField("回访时间", null=True, blank=True)
    callbacks = models.PositiveSmallIntegerField("回访次数", default=0)

    class Meta:
        verbose_name = "12345工单"
        verbose_name_plural = verbose_name
        ordering = ["-dispatched_at", "-pk"]

    def __str__(self):
        return f"工单{self.order_number}"
