"""Reads of rectifications, including one handed off to another tenant's schema."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django_tenants.utils import schema_context

from tenants.models import Tenant
from tenants.resolution import current_tenant

from .models import Rectification


@dataclass(frozen=True)
class RectificationSummary:
    """What the rating side may know of a rectification, wherever it lives."""

    state: str
    owner_unit: Tenant
    follow_up_due: datetime
    due: datetime
    outcome: str
    feedback: str = ""  # what the rater was told once closed (the receipt page shows it; no staff names)


def summary_for_evaluation(evaluation) -> RectificationSummary | None:
    rating_unit = current_tenant()
    owner = evaluation.case.handling_unit if evaluation.case_id else rating_unit
    with schema_context(owner.schema_name):
        r = (Rectification.objects.select_related("owner_unit")
             .filter(rating_unit=rating_unit, source_evaluation_id=evaluation.pk).first())
        if r is None:
            return None
        return RectificationSummary(state=r.state, owner_unit=r.owner_unit, follow_up_due=r.follow_up_due, due=r.due,
                                    outcome=r.outcome, feedback=r.feedback if r.state == Rectification.State.CLOSED else "")


def ledger(*, state: str | None = None, overdue: bool | None = None, handler_id: int | None = None) -> QuerySet[Rectification]:
    from django.utils import timezone

    qs = Rectification.objects.select_related("owner_unit", "rating_unit", "handler")
    if state:
        qs = qs.filter(state=state)
    if handler_id:
        qs = qs.filter(handler_id=handler_id)
    if overdue is not None:
        late = qs.exclude(state=Rectification.State.CLOSED).filter(due__lt=timezone.now())
        qs = late if overdue else qs.exclude(pk__in=late.values("pk"))
    return qs.order_by("due")
