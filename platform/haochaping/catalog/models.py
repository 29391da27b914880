"""基本目录: the provincial base catalog, in the public schema. Tenants adopt items from it; the four
basic elements (name, code, legal basis, type) are read from here so they stay uniform everywhere."""
from django.db import models


class ItemType(models.TextChoices):
    ADMINISTRATIVE_LICENSE = "ADMINISTRATIVE_LICENSE", "行政许可"
    ADMINISTRATIVE_CONFIRMATION = "ADMINISTRATIVE_CONFIRMATION", "行政确认"
    ADMINISTRATIVE_PAYMENT = "ADMINISTRATIVE_PAYMENT", "行政给付"
    ADMINISTRATIVE_LEVY = "ADMINISTRATIVE_LEVY", "行政征收"
    ADMINISTRATIVE_AWARD = "ADMINISTRATIVE_AWARD", "行政奖励"
    OTHER_POWER = "OTHER_POWER", "其他行政权力"
    PUBLIC_SERVICE = "PUBLIC_SERVICE", "公共服务"


class CatalogItem(models.Model):
    code = models.CharField("事项编码", max_length=40, unique=True)
    name = models.CharField("事项名称", max_length=200)
    legal_basis = models.TextField("设定依据")
    item_type = models.CharField("事项类型", max_length=32, choices=ItemType.choices)
    is_active = models.BooleanField("有效", default=True, help_text="从目录中移除的事项保留记录但不再可认领。")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "基本目录事项"
        verbose_name_plural = verbose_name
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class CatalogImport(models.Model):
    """One import of a provincial catalog file and what it changed."""

    file_name = models.CharField(max_length=255)
    imported_at = models.DateTimeField(auto_now_add=True)
    added = models.JSONField(default=list)
    updated = models.JSONField(default=list)  # [{"code", "changes": {field: [old, new]}}]
    deactivated = models.JSONField(default=list)
    unchanged_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "目录导入记录"
        verbose_name_plural = verbose_name
        ordering = ["-imported_at"]
