"""Dashboards: the tenant's own (from its counts, filterable by period, item, window and channel) and the county's
(from the public counts, filterable by period, unit and channel), with the same series and breakdowns."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Sum
from django.utils import timezone

from .metrics import GradeCounts, grade_counts

MAX_DAYS = 366


@dataclass
class Dashboard:
    start: date
    end: date
    totals: GradeCounts
    daily: list[tuple[date, GradeCounts]]
    by_channel: list[tuple[str, GradeCounts]]
    by_unit: list[tuple[str, GradeCounts]]  # windows (tenant) or tenants (county)
    topics: dict[str, int] = field(default_factory=dict)


def _grouped(queryset, key: str) -> dict:
    groups: dict = {}
    for row in queryset.values_list(key, "grade", "excluded").annotate(total=Sum("n")).order_by():
        groups.setdefault(row[0], []).append(row[1:])
    return {k: grade_counts(v) for k, v in groups.items()}


def _series(queryset, start: date, end: date) -> list[tuple[date, GradeCounts]]:
    by_day = _grouped(queryset, "day")
    days, day = [], start
    while day <= end:
        days.append((day, by_day.get(day, GradeCounts())))
        day += timedelta(days=1)
    return days


def _channels(queryset) -> list[tuple[str, GradeCounts]]:
    return sorted(_grouped(queryset, "channel").items(), key=lambda kv: -kv[1].counted)


def clamp_period(start: date | None, end: date | None) -> tuple[date, date]:
    """Default: the last 30 days; at most MAX_DAYS; end never before start."""
    end = end or timezone.localdate()
    start = start or end - timedelta(days=29)
    if start > end:
        start, end = end, start
    return max(start, end - timedelta(days=MAX_DAYS - 1)), end


def tenant_dashboard(start: date, end: date, *, window_id: int | None = None, item_id: int | None = None,
                     channel: str | None = None) -> Dashboard:
    from haochaping.evaluations.models import Evaluation
    from haochaping.organizations.models import Window

    from .comments import topic_frequencies
    from .models import TenantCount

    cells = TenantCount.objects.filter(day__gte=start, day__lte=end)
    raw = Evaluation.objects.filter(rated_at__gte=timezone.make_aware(datetime.combine(start, time.min)),
                                    rated_at__lt=timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min)),
                                    is_bad=True, excluded_from_scores=False).exclude(comment="")
    for column, value in (("window_id", window_id), ("item_id", item_id), ("channel", channel)):
        if value:
            cells = cells.filter(**{column: value})
            raw = raw.filter(**{column: value})
    names = {w.pk: f"{w.org.name} {w.name}" for w in Window.objects.select_related("org")}
    by_window = sorted(((names.get(pk, "—"), counts) for pk, counts in _grouped(cells.exclude(window=None), "window_id").items()),
                       key=lambda kv: -kv[1].counted)
    return Dashboard(start=start, end=end, totals=grade_counts(cells.values_list("grade", "excluded")
                                                               .annotate(total=Sum("n")).order_by()),
                     daily=_series(cells, start, end), by_channel=_channels(cells), by_unit=by_window,
                     topics=topic_frequencies(raw.values_list("comment", flat=True)[:5000]))


def county_dashboard(start: date, end: date, *, tenant_id: int | None = None, channel: str | None = None) -> Dashboard:
    """From the public rollups only (disclosure.rollup): daily totals per tenant, monthly counts per channel."""
    from haochaping.disclosure.rollup import daily_totals, period_counts
    from tenants.models import Tenant

    names = dict(Tenant.objects.values_list("pk", "name"))
    by_day = daily_totals(start, end, group=("day",), tenant_id=tenant_id, channel=channel)
    by_tenant = daily_totals(start, end, group=("tenant_id",), tenant_id=tenant_id, channel=channel)
    channels = period_counts(start, end, group=("channel",), tenant_id=tenant_id, channel=channel)
    totals = GradeCounts()
    for counts in by_tenant.values():
        for grade, n in counts.by_grade.items():
            totals.by_grade[grade] = totals.by_grade.get(grade, 0) + n
        totals.excluded += counts.excluded
    days, day = [], start
    while day <= end:
        days.append((day, by_day.get((day,), GradeCounts())))
        day += timedelta(days=1)
    return Dashboard(start=start, end=end, totals=totals, daily=days,
                     by_channel=sorted(((ch, counts) for (ch,), counts in channels.items()), key=lambda kv: -kv[1].counted),
                     by_unit=sorted(((names.get(pk, "—"), counts) for (pk,), counts in by_tenant.items()),
                                    key=lambda kv: -kv[1].counted))
