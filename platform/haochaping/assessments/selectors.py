"""Reads: what an evaluator may see through its grant (aggregates and redacted outcomes only, every call logged),
what the granting party sees of its grants and their logs, and the published reports on the portal."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from django.db.models import Prefetch
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from haochaping.accounts.models import ApiToken
from haochaping.disclosure.models import PublishedRectification
from haochaping.disclosure.rollup import period_counts
from tenants.models import Tenant

from .models import Assessment, AssessmentAttachment, EvaluatorGrant, EvaluatorOrg, EvaluatorQuery
from .services import authorize, grant_of, log_query

LEVELS = {"TENANT": "tenant", "ITEM": "item", "WINDOW": "window"}


@dataclass(frozen=True)
class CountRow:
    """Grade counts of one tenant, item or window (and channel) in the period: codes only, no staff or raters."""

    tenant: str
    item_code: str
    org_code: str
    window_code: str
    channel: str
    grades: list[int]  # counts of grades 1..5
    counted: int
    excluded: int
    satisfaction_rate: float | None
    bad_review_rate: float | None


@dataclass(frozen=True)
class OutcomeRow:
    """A rectification's public outcome without the rater, the receipt or the feedback text."""

    item_name: str
    source: str
    state: str
    outcome: str
    opened_at: datetime
    due: datetime
    closed_at: datetime | None
    on_time: bool | None


def evaluator_grant(token: ApiToken | None) -> EvaluatorGrant:
    """The calling token's own grant (logged like every evaluator query; refused once revoked or expired)."""
    grant = authorize(token, "evaluatorGrant", {})
    log_query(grant, "evaluatorGrant", {}, "OK", 1)
    return grant


def grade_counts(token: ApiToken | None, *, tenant: str, start: date, end: date, level: str = "TENANT",
                 by_channel: bool = False) -> list[CountRow]:
    variables = {"tenant": tenant, "start": start, "end": end, "level": level, "byChannel": by_channel}
    grant = authorize(token, "evaluatorGradeCounts", variables, tenant=tenant, start=start, end=end)
    with schema_context(get_public_schema_name()):
        unit = grant.tenants.get(schema_name=tenant.strip().lower())
        keys = {"TENANT": (), "ITEM": ("item_code",), "WINDOW": ("org_code", "window_code")}[level]
        group = ("tenant_id", *keys, *(("channel",) if by_channel else ()))
        counts = period_counts(start, end, level=LEVELS[level], group=group, tenant_id=unit.pk)
    rows = []
    for key, c in sorted(counts.items(), key=lambda kv: tuple(str(k) for k in kv[0])):
        values = dict(zip(group, key))
        rows.append(CountRow(
            tenant=unit.schema_name, item_code=values.get("item_code", ""), org_code=values.get("org_code", ""),
            window_code=values.get("window_code", ""), channel=values.get("channel", ""),
            grades=[c.by_grade.get(g, 0) for g in range(1, 6)], counted=c.counted, excluded=c.excluded,
            satisfaction_rate=c.satisfaction_rate, bad_review_rate=c.bad_review_rate))
    log_query(grant, "evaluatorGradeCounts", variables, "OK", len(rows))
    return rows


def rectification_outcomes(token: ApiToken | None, *, tenant: str, start: date, end: date) -> list[OutcomeRow]:
    """Rectifications opened in the period, as published (disclosure.PublishedRectification), redacted further."""
    variables = {"tenant": tenant, "start": start, "end": end}
    grant = authorize(token, "evaluatorRectificationOutcomes", variables, tenant=tenant, start=start, end=end)
    zone = timezone.get_current_timezone()
    low = datetime.combine(start, time.min, tzinfo=zone)
    high = datetime.combine(end, time.max, tzinfo=zone)
    with schema_context(get_public_schema_name()):
        unit = grant.tenants.get(schema_name=tenant.strip().lower())
        published = (PublishedRectification.objects.filter(tenant=unit, opened_at__gte=low, opened_at__lte=high)
                     .order_by("opened_at", "pk")
                     .values_list("item_name", "source", "state", "outcome", "opened_at", "due", "closed_at"))
        rows = [OutcomeRow(item_name=item, source=source, state=state, outcome=outcome, opened_at=opened, due=due,
                           closed_at=closed, on_time=None if closed is None else closed <= due)
                for item, source, state, outcome, opened, due, closed in published]
    log_query(grant, "evaluatorRectificationOutcomes", variables, "OK", len(rows))
    return rows


# ------------------------------------------------------------------------------------------- the granting party

def orgs(owner_tenant: Tenant | None = None, *, county: bool = True):
    """County: every organisation. A tenant: the ones it registered."""
    with schema_context(get_public_schema_name()):
        rows = EvaluatorOrg.objects.select_related("owner_tenant")
        if not county:
            rows = rows.filter(owner_tenant=owner_tenant)
        return list(rows)


def grants(owner_tenant: Tenant | None = None, *, county: bool = True) -> list[EvaluatorGrant]:
    """County: every grant (it operates the platform). A tenant: the grants it gave."""
    with schema_context(get_public_schema_name()):
        rows = (EvaluatorGrant.objects.select_related("org", "owner_tenant")
                .prefetch_related(Prefetch("tenants", queryset=Tenant.objects.order_by("schema_name"))))
        if not county:
            rows = rows.filter(owner_tenant=owner_tenant)
        return list(rows)


def query_log(grant_id: int, owner_tenant: Tenant | None = None, *, county: bool = True,
              limit: int = 100) -> list[EvaluatorQuery]:
    with schema_context(get_public_schema_name()):
        rows = EvaluatorQuery.objects.filter(grant_id=grant_id)
        if not county:
            rows = rows.filter(grant__owner_tenant=owner_tenant)
        return list(rows.select_related("grant__org")[: max(0, min(limit, 500))])


def assessments(state: str | None = None) -> list[Assessment]:
    with schema_context(get_public_schema_name()):
        rows = Assessment.objects.select_related("org").prefetch_related("tenants", "findings__tenant", "attachments")
        if state:
            rows = rows.filter(state=state)
        return list(rows)


def assessments_of(token: ApiToken | None) -> list[Assessment]:
    """The calling evaluator organisation's own reports."""
    grant = grant_of(token)
    with schema_context(get_public_schema_name()):
        return list(Assessment.objects.filter(org=grant.org).prefetch_related("tenants", "findings__tenant",
                                                                              "attachments"))


# ------------------------------------------------------------------------------------------- the public portal

def published_assessments() -> list[Assessment]:
    return list(Assessment.objects.filter(state=Assessment.State.PUBLISHED).select_related("org")
                .prefetch_related("tenants").order_by("-decided_at", "-id"))


def published_assessment(pk: int) -> Assessment | None:
    return (Assessment.objects.filter(pk=pk, state=Assessment.State.PUBLISHED).select_related("org")
            .prefetch_related("tenants", "findings__tenant", "attachments").first())


def published_attachment(assessment_pk: int, attachment_pk: int) -> AssessmentAttachment | None:
    """Downloadable only once its report is published."""
    return AssessmentAttachment.objects.filter(pk=attachment_pk, assessment_id=assessment_pk,
                                               assessment__state=Assessment.State.PUBLISHED).first()
