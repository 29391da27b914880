"""What the public portal's unit pages, item search, monthly report, widget and open-data feed show. Reads only the
public schema (published, redacted copies and the fold's counts; DESIGN §6). A unit or month with fewer than
MIN_RATINGS counted ratings shows its count but no rate: a tiny cell says nothing fair and could expose raters."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, Q
from django.utils import timezone

from haochaping.analytics.metrics import GradeCounts
from tenants.models import Tenant

from .models import (PublishedFee, PublishedImprovement, PublishedItem, PublishedOverdueReason,
                     PublishedRectification)
from .rollup import period_counts
from .rankings import MIN_RATINGS, month_bounds, monthly_competition, rankings

HISTORY_MONTHS = 12
REJECTED = ("REJECTED_MISTAKEN", "REJECTED_MALICIOUS")


def shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def _aware_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start, end] as local days → an aware half-open datetime range."""
    return (timezone.make_aware(datetime.combine(start, time.min)),
            timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min)))


def suppressed_rate(counts: GradeCounts) -> float | None:
    """The satisfaction rate, or None when fewer than MIN_RATINGS ratings were counted."""
    return counts.satisfaction_rate if counts.counted >= MIN_RATINGS else None


@dataclass
class MonthFigure:
    year: int
    month: int
    counts: GradeCounts = field(default_factory=GradeCounts)

    @property
    def label(self) -> str:
        return f"{self.year}-{self.month:02d}"

    @property
    def ratings(self) -> int:
        return self.counts.counted

    @property
    def excluded(self) -> int:
        return self.counts.excluded

    @property
    def scored(self) -> bool:
        return self.ratings >= MIN_RATINGS

    @property
    def satisfaction_rate(self) -> float | None:
        return suppressed_rate(self.counts)


def units():
    """Tenants with a portal page: every active unit but the county platform itself."""
    return Tenant.objects.exclude(schema_name="public").filter(is_active=True).order_by("kind", "official_code")


def unit(slug: str) -> Tenant | None:
    return units().filter(schema_name=slug).first()


def months_of(tenant: Tenant | None, year: int, month: int, n: int = HISTORY_MONTHS) -> list[MonthFigure]:
    """The n months ending with (year, month), oldest first; tenant None = the whole county."""
    first = shift_month(year, month, -(n - 1))
    start, _ = month_bounds(*first)
    _, end = month_bounds(year, month)
    cells = period_counts(start, end, group=("month",), tenant_id=tenant.pk if tenant else None)
    return [MonthFigure(y, m, cells.get((date(y, m, 1),), GradeCounts()))
            for y, m in (shift_month(*first, k) for k in range(n))]


def position(tenant: Tenant, year: int, month: int) -> tuple[int | None, int]:
    """The tenant's place in the month's ranking of units, and how many units were ranked."""
    start, end = month_bounds(year, month)
    rows = rankings("tenant", start, end)
    ranked = sum(1 for r in rows if r.rank is not None)
    mine = next((r.rank for r in rows if r.key == str(tenant.pk)), None)
    return mine, ranked


def rectification_summary(queryset) -> dict[str, int]:
    return queryset.aggregate(
        total=Count("pk"), closed=Count("pk", filter=Q(state="CLOSED")),
        on_time=Count("pk", filter=Q(state="CLOSED", closed_at__lte=F("due"))),
        mistaken=Count("pk", filter=Q(outcome="REJECTED_MISTAKEN")),
        malicious=Count("pk", filter=Q(outcome="REJECTED_MALICIOUS")))


def search_items(query: str = "", *, tenant: Tenant | None = None, limit: int = 200):
    """Published active items (name or code contains `query`), every tenant's or one's."""
    qs = PublishedItem.objects.filter(is_active=True, tenant__is_active=True).select_related("tenant")
    if tenant is not None:
        qs = qs.filter(tenant=tenant)
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(item_code__icontains=query) | Q(tenant__name__icontains=query))
    return qs.order_by("item_code", "tenant__official_code")[:limit]


def published_item(slug: str, code: str) -> PublishedItem | None:
    return (PublishedItem.objects.select_related("tenant")
            .filter(tenant__schema_name=slug, tenant__is_active=True, item_code=code, is_active=True).first())


def unit_page(tenant: Tenant, today: date, query: str = "") -> dict:
    """Everything the unit page shows, for the month containing `today` and the 11 before it."""
    months = months_of(tenant, today.year, today.month)
    rank, ranked = position(tenant, today.year, today.month)
    rectifications = PublishedRectification.objects.filter(tenant=tenant)
    start, end = month_bounds(today.year, today.month)
    low, high = _aware_bounds(start, end)
    return {
        "months": months, "this_month": months[-1], "rank": rank, "ranked": ranked,
        "year_counts": _sum(m.counts for m in months),
        "rect_summary": rectification_summary(rectifications),
        "rect_month": rectification_summary(rectifications.filter(opened_at__gte=low, opened_at__lt=high)),
        # Public fields only: no feedback text (that is for the receipt holder), no rater or staff.
        "rectifications": list(rectifications.only("item_name", "source", "state", "outcome", "opened_at", "due",
                                                   "closed_at").order_by("-opened_at")[:30]),
        "improvements": list(PublishedImprovement.objects.filter(tenant=tenant).order_by("-closed_at")[:20]),
        "items": list(search_items(query, tenant=tenant)),
        "item_total": PublishedItem.objects.filter(tenant=tenant, is_active=True).count(),
        "fees": list(PublishedFee.objects.filter(tenant=tenant).order_by("org_code", "service_name")),
        "overdue": list(PublishedOverdueReason.objects.filter(tenant=tenant).order_by("-completed_at", "-pk")[:50]),
    }


def _sum(counts) -> GradeCounts:
    total = GradeCounts()
    for c in counts:
        for grade, n in c.by_grade.items():
            total.by_grade[grade] = total.by_grade.get(grade, 0) + n
        total.excluded += c.excluded
    return total


def county_counts(start: date, end: date, tenant: Tenant | None = None) -> GradeCounts:
    cells = period_counts(start, end, group=(), tenant_id=tenant.pk if tenant else None)
    return cells.get((), GradeCounts())


def monthly_report(year: int, month: int) -> dict:
    """The county's monthly report: totals, satisfaction, the league table, improvements and rectifications."""
    start, end = month_bounds(year, month)
    low, high = _aware_bounds(start, end)
    totals = county_counts(start, end)
    by_channel = {channel: counts for (channel,), counts in period_counts(start, end, group=("channel",)).items()}
    rectifications = PublishedRectification.objects.all()
    return {
        "totals": totals, "satisfaction_rate": suppressed_rate(totals),
        "channels": sorted(by_channel.items(),
                           key=lambda pair: -pair[1].counted),
        "competition": monthly_competition(year, month),
        "improvements": list(PublishedImprovement.objects.select_related("tenant")
                             .filter(closed_at__gte=low, closed_at__lt=high).order_by("-closed_at")),
        "rect_opened": rectification_summary(rectifications.filter(opened_at__gte=low, opened_at__lt=high)),
        "rect_closed": rectification_summary(rectifications.filter(closed_at__gte=low, closed_at__lt=high)),
        "overdue_reasons": PublishedOverdueReason.objects.filter(completed_at__gte=low, completed_at__lt=high).count(),
    }


def units_open_data(year: int, month: int) -> list[dict]:
    """Per unit for the month: counted ratings, excluded reviews, satisfaction rate (None if tiny), rectifications
    closed in the month."""
    start, end = month_bounds(year, month)
    low, high = _aware_bounds(start, end)
    cells = {tenant_id: counts for (tenant_id,), counts in period_counts(start, end).items()}
    closed = dict(PublishedRectification.objects.filter(state="CLOSED", closed_at__gte=low, closed_at__lt=high)
                  .values_list("tenant_id").annotate(n=Count("pk")).order_by())
    rows = []
    for t in units():
        counts = cells.get(t.pk, GradeCounts())
        rows.append({"slug": t.schema_name, "name": t.name, "kind": t.kind, "officialCode": t.official_code,
                     "month": f"{year}-{month:02d}", "ratings": counts.counted, "excluded": counts.excluded,
                     "satisfactionRate": suppressed_rate(counts), "rectificationsClosed": closed.get(t.pk, 0)})
    return rows
