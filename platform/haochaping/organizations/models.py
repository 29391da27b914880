"""政务服务机构 (halls, centres, stations), their windows and staff, service platforms, rating devices
and the halls' ancillary services. Tenant schema."""
from django.conf import settings
from django.db import models

from haochaping.core.models import TimestampedModel


class ServiceOrg(TimestampedModel):
    class Kind(models.TextChoices):
        HALL = "HALL", "政务服务大厅"
        CENTER = "CENTER", "政务服务中心"
        STATION = "STATION", "便民服务站点"

    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    code = models.CharField("编码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=100)
    address = models.CharField("地址", max_length=200, blank=True)
    opening_hours = models.CharField("办公时间", max_length=100, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
                               verbose_name="上级机构")
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "政务服务机构"
        verbose_name_plural = verbose_name
        ordering = ["code"]

    def __str__(self):
        return self.name


class Window(TimestampedModel):
    org = models.ForeignKey(ServiceOrg, on_delete=models.PROTECT, related_name="windows", verbose_name="所属机构")
    code = models.CharField("窗口号", max_length=16)
    name = models.CharField("名称", max_length=100)
    is_one_stop = models.BooleanField("综合窗口", default=False, help_text="受理多个部门事项的“一站式”综合窗口")
    items = models.ManyToManyField("items.ServiceItem", blank=True, related_name="windows", verbose_name="受理事项")
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "窗口"
        verbose_name_plural = verbose_name
        ordering = ["org__code", "code"]
        constraints = [models.UniqueConstraint(fields=["org", "code"], name="window_code_unique_in_org")]

    def __str__(self):
        return f"{self.org.name} {self.code} {self.name}"


class Staff(TimestampedModel):
    """A window staff member (工作人员): rated, sees only their own results."""

    employee_no = models.CharField("工号", max_length=32, unique=True)
    name = models.CharField("姓名", max_length=50)
    title = models.CharField("岗位", max_length=50, blank=True)
    org = models.ForeignKey(ServiceOrg, on_delete=models.PROTECT, related_name="staff", verbose_name="所属机构")
    windows = models.ManyToManyField(Window, blank=True, related_name="staff", verbose_name="所在窗口")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="staff_profile", verbose_name="登录账号")
    is_active = models.BooleanField("在岗", default=True)

    class Meta:
        verbose_name = "工作人员"
        verbose_name_plural = verbose_name
        ordering = ["employee_no"]

    def __str__(self):
        return f"{self.name}（{self.employee_no}）"


class ServicePlatform(TimestampedModel):
    class Kind(models.TextChoices):
        BUSINESS_SYSTEM = "BUSINESS_SYSTEM", "业务系统"
        HOTLINE = "HOTLINE", "热线电话平台"
        MOBILE_APP = "MOBILE_APP", "移动服务端"
        SELF_SERVICE = "SELF_SERVICE", "自助服务端"

    kind = models.CharField("类型", max_length=24, choices=Kind.choices)
    code = models.CharField("编码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=100)
    url = models.URLField("地址", blank=True)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "政务服务平台"
        verbose_name_plural = verbose_name
        ordering = ["code"]

    def __str__(self):
        return self.name


class RatingDevice(TimestampedModel):
    """评价器: a tablet or keypad paired to one window; it authenticates with its own API token."""

    serial = models.CharField("序列号", max_length=64, unique=True)
    name = models.CharField("名称", max_length=100)
    window = models.ForeignKey(Window, on_delete=models.PROTECT, related_name="devices", verbose_name="配对窗口")
    token = models.OneToOneField("accounts.ApiToken", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="device")
    paired_at = models.DateTimeField("配对时间", auto_now_add=True)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "评价器"
        verbose_name_plural = verbose_name
        ordering = ["serial"]

    def __str__(self):
        return f"{self.name}（{self.serial}）"


class AncillaryService(TimestampedModel):
    """文印、传真、邮寄… offered in a hall; a charged one must publish its fee."""

    org = models.ForeignKey(ServiceOrg, on_delete=models.CASCADE, related_name="ancillary_services",
                            verbose_name="所属大厅")
    name = models.CharField("名称", max_length=50)
    is_free = models.BooleanField("免费", default=True)
    fee = models.CharField("收费标准", max_length=100, blank=True)
    fee_basis = models.CharField("收费依据", max_length=200, blank=True)

    class Meta:
        verbose_name = "配套服务"
        verbose_name_plural = verbose_name
        ordering = ["org__code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["org", "name"], name="ancillary_name_unique_in_org"),
            models.CheckConstraint(condition=models.Q(is_free=True) | ~models.Q(fee=""), name="charged_service_has_fee"),
        ]

    def __str__(self):
        return self.name
