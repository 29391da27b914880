"""What the county agency reads across tenants. For now computed by visiting each tenant schema (aggregates
published to the public schema come later); the metrics themselves are defined in metrics.py."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from haochaping.rectification.models import Rectification
from tenants.models import Tenant

from . import metrics
from .models import Circular, Escalation, SupervisionInstruction


@dataclass(frozen=True)
class RejectionSummary:
    rectification_id: int
    kind: str
    state: str
    reason: str


@dataclass(frozen=True)
class TenantOverview:
    tenant: Tenant
    open: int
    overdue: int
    escalated: int
    closed: int
    on_time: metrics.Rate
    real_name_follow_up_rectification: metrics.Rate
    rejection_count: int
    rejections: list[RejectionSummary] = field(default_factory=list)


def supervised_tenants() -> QuerySet[Tenant]:
    """Every active unit with a schema of its own (not the county platform itself, not the base schema)."""
    with schema_context(get_public_schema_name()):
        return (Tenant.objects.filter(is_active=True)
                .exclude(schema_name__in=[get_public_schema_name(), settings.TENANT_BASE_SCHEMA])
                .order_by("kind", "official_code"))


def tenant_overview(tenant: Tenant, now: datetime | None = None) -> TenantOverview:
    now = now or timezone.now()
    with schema_context(tenant.schema_name):
        qs = Rectification.objects.all()
        rejected = [RejectionSummary(r.pk, r.rejection_kind or r.outcome, r.state, r.rejection_reason)
                    for r in metrics.rejections(qs).order_by("pk")]
        return TenantOverview(
            tenant=tenant,
            open=metrics.open_cases(qs).count(),
            overdue=metrics.overdue(qs, now).count(),
            escalated=metrics.escalated(qs).count(),
            closed=metrics.closed(qs).count(),
            on_time=metrics.on_time_rate(qs),
            real_name_follow_up_rectification=metrics.real_name_follow_up_rectification_rate(qs),
            rejection_count=len(rejected),
            rejections=rejected,
        )


def county_overview(now: datetime | None = None) -> list[TenantOverview]:
    """Per tenant: open, overdue, escalated and closed cases, the on-time rate, the real-name follow-up-and-
    rectification rate and the rejections with their reasons."""
    now = now or timezone.now()
    return [tenant_overview(tenant, now) for tenant in list(supervised_tenants())]


LEDGER_FIELDS = ("id", "source", "case_number", "item_name", "window_name", "grade", "channel", "is_real_name",
                 "rated_at", "state", "outcome", "rejection_kind", "follow_up_due", "followed_up_at", "due",
                 "closed_at", "escalated_at", "reopened_count")


def tenant_ledger(tenant: Tenant) -> list[dict]:
    """A tenant's rectification ledger for the county: no rater name, phone or comment."""
    with schema_context(tenant.schema_name):
        return list(Rectification.objects.order_by("due", "id").values(*LEDGER_FIELDS))


def escalations(*, tenant: Tenant | None = None) -> QuerySet[Escalation]:
    qs = Escalation.objects.select_related("tenant")
    return qs.filter(tenant=tenant) if tenant else qs


def instructions_for(tenant: Tenant, *, unacknowledged: bool = False) -> QuerySet[SupervisionInstruction]:
    qs = SupervisionInstruction.objects.filter(tenant=tenant)
    return qs.filter(acknowledged_at__isnull=True) if unacknowledged else qs


def circulars_for(tenant: Tenant) -> QuerySet[Circular]:
    """Circulars addressed to this tenant, or to every unit (none named)."""
    from django.db.models import Count, Q

    return (Circular.objects.annotate(addressed=Count("tenants"))
            .filter(Q(tenants=tenant) | Q(addressed=0)).distinct())
