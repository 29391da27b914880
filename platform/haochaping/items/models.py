"""Service items a tenant adopts from the base catalog, with their versioned service guides. Tenant schema.

The four basic elements (code, name, legal basis, type) are read through the catalog foreign key, so
they are read-only here and catalog updates reach every adopting tenant at once."""
from django.conf import settings
from django.db import models

from haochaping.core.channels import CHANNEL_LABELS_EN, EvaluationChannel
from haochaping.core.models import TimestampedModel

# Where a matter can be handled (办理渠道) and rated (评价渠道).
HANDLING_CHANNELS = {
    "WINDOW": ("窗口办理", "At a window"),
    "ONLINE": ("网上办理", "Online"),
    "MOBILE": ("移动端办理", "Mobile app"),
    "SELF_SERVICE": ("自助终端办理", "Self-service terminal"),
    "POST": ("邮寄办理", "By post"),
}
EVALUATION_CHANNELS = {c.value: (c.label, CHANNEL_LABELS_EN[c.value]) for c in EvaluationChannel}


class ServiceItem(TimestampedModel):
    catalog_item = models.OneToOneField("catalog.CatalogItem", on_delete=models.PROTECT, related_name="+",
                                        verbose_name="基本目录事项")
    is_active = models.BooleanField("在办", default=True)
    # 跨部门事项: the lead unit organises; cooperating units each do their part. Empty lead = this tenant.
    lead_unit = models.ForeignKey("tenants.Tenant", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name="牵头单位")
    cooperating_units = models.ManyToManyField("tenants.Tenant", blank=True, related_name="+",
                                               verbose_name="配合单位")

    class Meta:
        verbose_name = "政务服务事项"
        verbose_name_plural = verbose_name
        ordering = ["catalog_item__code"]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def code(self) -> str:
        return self.catalog_item.code

    @property
    def name(self) -> str:
        return self.catalog_item.name

    @property
    def legal_basis(self) -> str:
        return self.catalog_item.legal_basis

    @property
    def item_type(self) -> str:
        return self.catalog_item.item_type


class ServiceGuide(models.Model):
    """办事指南. Append-only: every change publishes a new version; the highest version is current."""

    class CaseKind(models.TextChoices):
        IMMEDIATE = "IMMEDIATE", "即办件"
        PROMISED = "PROMISED", "承诺件"

    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="guides", verbose_name="事项")
    version = models.PositiveIntegerField("版本")
    handling_unit = models.CharField("受理单位", max_length=100)
    channels = models.JSONField("办理渠道", default=list)
    conditions = models.TextField("申请条件", blank=True)
    materials = models.JSONField("申请材料", default=list)
    procedure = models.TextField("办理程序", blank=True)
    case_kind = models.CharField("办件类型", max_length=16, choices=CaseKind.choices)
    statutory_limit_days = models.PositiveIntegerField("法定时限（工作日）")
    promised_limit_days = models.PositiveIntegerField("承诺时限（工作日）")
    fees = models.CharField("收费标准", max_length=200, blank=True)
    fee_basis = models.CharField("收费依据", max_length=200, blank=True)
    evaluation_channels = models.JSONField("评价渠道", default=list)
    published_at = models.DateTimeField("发布时间", auto_now_add=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")

    class Meta:
        verbose_name = "办事指南"
        verbose_name_plural = verbose_name
        ordering = ["item", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["item", "version"], name="guide_version_unique"),
            models.CheckConstraint(condition=models.Q(promised_limit_days__lte=models.F("statutory_limit_days")),
                                   name="promised_within_statutory"),
        ]

    def __str__(self):
        return f"{self.item} v{self.version}"
