"""API tokens: `hcp_<prefix>_<secret>`, sent as `Authorization: Bearer <token>`."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from haochaping.audit.services import record as audit
from haochaping.core.errors import DomainError, ErrorCollector

from .models import ApiToken, User

TOKEN_SCOPES = {
    "read": ("读取参考数据", "Read reference data"),
    "cases:write": ("推送办件", "Push service cases"),
    "evaluations:write": ("提交评价", "Submit evaluations"),
    "assessments:write": ("提交专业评估", "Submit professional assessments"),
    "comments:write": ("提交综合点评（Open311）", "Submit public comments (Open311)"),
    "workorders:write": ("12345工单派单与回访", "Dispatch and call back 12345 work orders"),
}


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # the whole bearer value; shown once, never stored


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def issue_token(*, name: str, kind: str, scopes: list[str], tenant_schemas: list[str] | None = None,
                expires_at: datetime | None = None, created_by: User | None = None) -> IssuedToken:
    if expires_at is not None and timezone.is_naive(expires_at):
        expires_at = timezone.make_aware(expires_at)  # an offset-less DateTime means local time (TIME_ZONE)
    errors = ErrorCollector()
    errors.require(name, "name", "名称", "Name")
    errors.max_length(name, 100, "name", "名称", "Name")
    if kind not in ApiToken.Kind.values:
        errors.add("INVALID_KIND", "kind", "令牌类型无效", "Unknown token kind")
    unknown = sorted(set(scopes) - set(TOKEN_SCOPES))
    if unknown:
        errors.add("INVALID_SCOPE", "scopes", f"未知的权限范围：{', '.join(unknown)}", f"Unknown scopes: {', '.join(unknown)}")
    if not scopes:
        errors.add("REQUIRED", "scopes", "至少需要一个权限范围", "At least one scope is required")
    if expires_at is not None and expires_at <= timezone.now():
        errors.add("INVALID_EXPIRY", "expiresAt", "过期时间须晚于现在", "Expiry must be in the future")
    errors.raise_if_any()
    prefix = secrets.token_hex(4)
    secret = f"hcp_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        token = ApiToken.objects.create(
            prefix=prefix, digest=_digest(secret), name=name.strip(), kind=kind, scopes=sorted(set(scopes)),
            tenant_schemas=sorted(set(tenant_schemas or [])), expires_at=expires_at, created_by=created_by,
        )
        audit("token.issue", token, target_type="ApiToken",
              detail={"kind": kind, "scopes": token.scopes, "tenants": token.tenant_schemas,
                      "expiresAt": expires_at.isoformat() if expires_at else None})
    return IssuedToken(token, secret)


def authenticate_token(bearer: str) -> ApiToken | None:
    """The usable token in the current schema matching this bearer value, or None."""
    parts = bearer.split("_")
    if len(parts) < 3 or parts[0] != "hcp":
        return None
    token = ApiToken.objects.filter(prefix=parts[1]).first()
    if token is None or not hmac.compare_digest(token.digest, _digest(bearer)) or not token.is_usable():
        return None
    # Cheap enough per request; skipped when already marked within the minute.
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def revoke_token(token: ApiToken) -> ApiToken:
    if token.revoked_at is not None:
        raise DomainError("ALREADY_REVOKED", "该令牌已被吊销", "This token is already revoked")
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit("token.revoke", token, target_type="ApiToken", detail={"kind": token.kind})
    return token


def issue_evaluator_token(*, name: str, tenant_slugs: list[str], expires_at: datetime | None = None,
                          created_by: User | None = None) -> IssuedToken:
    """A third-party evaluator's read-only token, limited to the named tenants."""
    from tenants.models import Tenant

    known = set(Tenant.objects.filter(schema_name__in=tenant_slugs).exclude(schema_name="public")
                .values_list("schema_name", flat=True))
    unknown = sorted(set(tenant_slugs) - known)
    if unknown or not tenant_slugs:
        raise DomainError("NOT_FOUND", f"未找到租户：{', '.join(unknown) or '（空）'}",
                          f"Unknown tenants: {', '.join(unknown) or '(none)'}", "tenantSlugs")
    return issue_token(name=name, kind=ApiToken.Kind.EVALUATOR, scopes=["read"], tenant_schemas=sorted(known),
                       expires_at=expires_at, created_by=created_by)
