"""People and machine access. This app lives in the public schema (county agency users, evaluator
tokens) and in every tenant schema (the tenant's own users, system and device tokens)."""
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    # Public schema (the county agency, platform operator)
    COUNTY_ADMIN = "COUNTY_ADMIN", "县级平台管理员"
    COUNTY_SUPERVISOR = "COUNTY_SUPERVISOR", "县级监督人员"
    # Tenant schemas
    TENANT_ADMIN = "TENANT_ADMIN", "单位管理员"
    AGENCY = "AGENCY", "政务服务管理机构"
    HANDLER = "HANDLER", "整改专人"
    VIEWER = "VIEWER", "查看人员"
    STAFF = "STAFF", "窗口工作人员"


PLATFORM_ROLES = {Role.COUNTY_ADMIN, Role.COUNTY_SUPERVISOR}
TENANT_ROLES = {Role.TENANT_ADMIN, Role.AGENCY, Role.HANDLER, Role.VIEWER, Role.STAFF}


# Which Django-admin permissions a role carries: app label → actions. Admin pages of other apps stay hidden.
_KEEP = {"view", "add", "change", "delete"}
ROLE_ADMIN_PERMISSIONS: dict[str, dict[str, set[str]]] = {
    Role.COUNTY_ADMIN: {"tenants": {"view", "change"}, "catalog": _KEEP, "accounts": _KEEP, "jobs": {"view"},
                        "audit": {"view"}},
    Role.COUNTY_SUPERVISOR: {"tenants": {"view"}, "catalog": {"view"}},
    Role.TENANT_ADMIN: {"organizations": _KEEP, "items": _KEEP, "accounts": _KEEP, "notifications": {"view"},
                        "boards": {"view", "add", "change"}, "audit": {"view"}},
    Role.AGENCY: {"organizations": {"view"}, "items": {"view"}, "boards": {"view"}},
    Role.HANDLER: {"organizations": {"view"}, "items": {"view"}},
    Role.VIEWER: {"organizations": {"view"}, "items": {"view"}},
}


class User(AbstractUser):
    role = models.CharField("角色", max_length=24, choices=Role.choices, default=Role.VIEWER)
    display_name = models.CharField("姓名", max_length=50, blank=True)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = verbose_name

    def __str__(self):
        return self.display_name or self.username

    def has_perm(self, perm, obj=None):
        """Admin permissions follow the role (Django's per-user permission rows are not used)."""
        if self.is_active and self.is_superuser:
            return True
        if not self.is_active or "." not in perm:
            return False
        app_label, codename = perm.split(".", 1)
        action = codename.split("_", 1)[0]
        return action in ROLE_ADMIN_PERMISSIONS.get(self.role, {}).get(app_label, set())

    def has_module_perms(self, app_label):
        if self.is_active and self.is_superuser:
            return True
        return self.is_active and bool(ROLE_ADMIN_PERMISSIONS.get(self.role, {}).get(app_label))


class ApiToken(models.Model):
    """Machine access. Only a SHA-256 digest of the secret is stored; the secret is shown once."""

    class Kind(models.TextChoices):
        SYSTEM = "SYSTEM", "业务系统"
        DEVICE = "DEVICE", "评价器"
        EVALUATOR = "EVALUATOR", "第三方评估机构"

    prefix = models.CharField(max_length=12, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    scopes = models.JSONField("权限范围", default=list, blank=True)
    # Public-schema evaluator tokens: which tenants (schema names) they may read.
    tenant_schemas = models.JSONField("可访问租户", default=list, blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField("过期时间", null=True, blank=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API 令牌"
        verbose_name_plural = verbose_name
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix})"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes
