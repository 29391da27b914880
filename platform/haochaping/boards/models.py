"""Live hall boards (评价实时大屏). Tenant schema: a board per hall with its event sequence, and the threshold
alerts raised for the hall's managers."""
from django.conf import settings
from django.db import models
from django.db.models import Q


class HallBoard(models.Model):
    """One per hall, created with its first rating. `seq` numbers the hall's rating events: it is raised in the
    rating's own transaction, so sequence order is commit order and a snapshot taken in one transaction matches
    exactly the events up to its `seq`."""

    org = models.OneToOneField("organizations.ServiceOrg", on_delete=models.CASCADE, related_name="board",
                               verbose_name="大厅")
    seq = models.BigIntegerField("事件序号", default=0)
    token_version = models.PositiveIntegerField("屏幕链接版本", default=1,
                                                help_text="更换后旧的大屏链接失效 / raising it revokes old board links")
    managers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="managed_boards",
                                      verbose_name="大厅负责人", help_text="接收差评预警；为空时通知单位管理员和管理机构人员")

    class Meta:
        verbose_name = "大厅评价屏"
        verbose_name_plural = verbose_name

    def __str__(self):
        return f"{self.org.name}评价屏"


class BoardAlert(models.Model):
    """A window whose bad share passed the threshold in the rolling period (HappyOrNot style)."""

    class State(models.TextChoices):
        OPEN = "OPEN", "待确认"
        ACKNOWLEDGED = "ACKNOWLEDGED", "已确认"

    org = models.ForeignKey("organizations.ServiceOrg", on_delete=models.CASCADE, related_name="board_alerts",
                            verbose_name="大厅")
    window = models.ForeignKey("organizations.Window", on_delete=models.CASCADE, related_name="board_alerts",
                               verbose_name="窗口")
    raised_at = models.DateTimeField("预警时间", db_index=True)
    ratings = models.PositiveIntegerField("时段内评价数")
    bad_ratings = models.PositiveIntegerField("时段内差评数")
    period_minutes = models.PositiveIntegerField("统计时段（分钟）")
    threshold_percent = models.PositiveIntegerField("差评占比阈值（%）")
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.OPEN)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+", verbose_name="确认人")
    acknowledged_at = models.DateTimeField("确认时间", null=True, blank=True)
    note = models.CharField("处理说明", max_length=500, blank=True)

    class Meta:
        verbose_name = "差评预警"
        verbose_name_plural = verbose_name
        ordering = ["-raised_at"]
        constraints = [
            # One open alert per window: concurrent bad ratings raise it once.
            models.UniqueConstraint(fields=["window"], condition=Q(state="OPEN"), name="board_alert_one_open_per_window"),
        ]

    def __str__(self):
        return f"{self.window} {self.bad_ratings}/{self.ratings}"
