"""Tenants: every township, county department and the county service centre has its own schema."""
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin


class ManagementAgency(models.Model):
    """同级政务服务管理机构: approves rejections of bad reviews and is notified of them."""

    class Level(models.TextChoices):
        COUNTY = "COUNTY", "县级"
        TOWNSHIP = "TOWNSHIP", "乡镇级"

    name = models.CharField("名称", max_length=100, unique=True)
    level = models.CharField("层级", max_length=16, choices=Level.choices)

    class Meta:
        verbose_name = "政务服务管理机构"
        verbose_name_plural = verbose_name
        ordering = ["level", "name"]

    def __str__(self):
        return self.name


class Tenant(TenantMixin):
    class Kind(models.TextChoices):
        COUNTY = "COUNTY", "县级平台（公共）"
        CENTER = "CENTER", "县政务服务中心"
        TOWNSHIP = "TOWNSHIP", "乡镇"
        DEPARTMENT = "DEPARTMENT", "县直部门"

    name = models.CharField("名称", max_length=100, unique=True)
    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    official_code = models.CharField(
        "统一社会信用代码或行政区划代码", max_length=18, unique=True,
        help_text="县直部门和政务服务中心填统一社会信用代码；乡镇填行政区划代码。",
    )
    management_agency = models.ForeignKey(
        ManagementAgency, on_delete=models.PROTECT, null=True, blank=True,
        related_name="tenants", verbose_name="同级政务服务管理机构",
    )
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # Provisioning clones the base schema itself (tenants.services.create_tenant).
    auto_create_schema = False
    auto_drop_schema = True

    class Meta:
        verbose_name = "租户"
        verbose_name_plural = verbose_name
        ordering = ["kind", "official_code"]

    def __str__(self):
        return self.name

    @property
    def slug(self) -> str:
        return self.schema_name


class Domain(DomainMixin):
    class Meta:
        verbose_name = "域名"
        verbose_name_plural = verbose_name
