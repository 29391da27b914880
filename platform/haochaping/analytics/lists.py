"""Rewards and accountability (奖惩): who to commend for consistently high satisfaction, who to hold to account for
repeated bad reviews, complaints or fraud flags, and the performance-assessment table (绩效评价) per unit and period.
All from the current tenant's counts; the thresholds are parameters with the defaults below."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Sum
from django.utils import timezone

from haochaping.organizations.models import Staff, Window

from .metrics import GradeCounts, grade_counts
from .models import TenantCount

COMMEND_MIN_RATE = 0.98
COMMEND_MIN_RATINGS_PER_MONTH = 20
ACCOUNT_MIN_BAD = 3


@dataclass
class Party:
    kind: str  # WINDOW or STAFF
    pk: int
    code: str
    name: str
    counts: GradeCounts = field(default_factory=GradeCounts)
    months: dict[str, GradeCounts] = field(default_factory=dict)
    complaints: int = 0
    fraud_flags: int = 0
    reasons: list[str] = field(default_factory=list)


def _months(start: date, end: date) -> list[tuple[date, date]]:
    months, first = [], start.replace(day=1)
    while first <= end:
        following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        months.append((max(first, start), min(following - timedelta(days=1), end)))
        first = following
    return months


def _parties(start: date, end: date) -> dict[tuple[str, int], Party]:
    windows = {w.pk: w for w in Window.objects.select_related("org")}
    staff = {s.pk: s for s in Staff.objects.all()}
    parties: dict[tuple[str, int], Party] = {}
    rows = defaultdict(list)
    month_rows = defaultdict(list)
    for window_id, staff_id, day, grade, excluded, total in (
            TenantCount.objects.filter(day__gte=start, day__lte=end)
            .values_list("window_id", "staff_id", "day", "grade", "excluded").annotate(total=Sum("n")).order_by()):
        month = day.strftime("%Y-%m")
        for kind, pk in (("WINDOW", window_id), ("STAFF", staff_id)):
            if pk is not None:
                rows[(kind, pk)].append((grade, excluded, total))
                month_rows[(kind, pk, month)].append((grade, excluded, total))
    for (kind, pk), values in rows.items():
        if kind == "WINDOW" and pk in windows:
            w = windows[pk]
            party = Party("WINDOW", pk, f"{w.org.code}/{w.code}", f"{w.org.name} {w.name}")
        elif kind == "STAFF" and pk in staff:
            party = Party("STAFF", pk, staff[pk].employee_no, staff[pk].name)
        else:
            continue
        party.counts = grade_counts(values)
        parties[(kind, pk)] = party
    for (kind, pk, month), values in month_rows.items():
        if (kind, pk) in parties:
            parties[(kind, pk)].months[month] = grade_counts(values)
    return parties


def commendation_list(start: date, end: date, *, min_rate: float = COMMEND_MIN_RATE,
                      min_ratings_per_month: int = COMMEND_MIN_RATINGS_PER_MONTH) -> list[Party]:
    """Windows and staff whose satisfaction rate reached `min_rate` in EVERY month of the period, each month on at
    least `min_ratings_per_month` counted ratings (consistently high, not one lucky month)."""
    months = [s.strftime("%Y-%m") for s, _ in _months(start, end)]
    chosen = []
    for party in _parties(start, end).values():
        if all(m in party.months and party.months[m].counted >= min_ratings_per_month
               and (party.months[m].satisfaction_rate or 0) >= min_rate for m in months):
            party.reasons = [f"{len(months)}个月好评率均不低于{min_rate:.0%}"]
            chosen.append(party)
    return sorted(chosen, key=lambda p: (-(p.counts.satisfaction_rate or 0), -p.counts.counted, p.code))


def accountability_list(start: date, end: date, *, min_bad: int = ACCOUNT_MIN_BAD) -> list[Party]:
    """Windows and staff with at least `min_bad` counted bad reviews in the period, or complaints, or fraud flags
    (windows only: flags name the window)."""
    from haochaping.integrity.models import SuspicionFlag
    from haochaping.rectification.models import Rectification
    from tenants.resolution import current_tenant

    parties = _parties(start, end)
    since = timezone.make_aware(datetime.combine(start, time.min))
    until = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min))
    windows = {f"{w.org.code}/{w.code}": w for w in Window.objects.select_related("org")}
    flags = (SuspicionFlag.objects.filter(tenant=current_tenant(), created_at__gte=since, created_at__lt=until)
             .exclude(window_code="").values_list("window_code", flat=True))
    for code in flags:
        window = windows.get(code)
        if window is not None:
            party = parties.setdefault(("WINDOW", window.pk), Party("WINDOW", window.pk, code,
                                                                     f"{window.org.name} {window.name}"))
            party.fraud_flags += 1
    by_name = {f"{w.org.name} {w.name}": w for w in windows.values()}
    for name in (Rectification.objects.filter(source=Rectification.Source.COMPLAINT, opened_at__gte=since,
                                              opened_at__lt=until).exclude(window_name="")
                 .values_list("window_name", flat=True)):
        window = by_name.get(name) or next((w for w in windows.values() if w.name == name), None)
        if window is not None:
            party = parties.setdefault(("WINDOW", window.pk), Party("WINDOW", window.pk, f"{window.org.code}/{window.code}",
                                                                     f"{window.org.name} {window.name}"))
            party.complaints += 1
    chosen = []
    for party in parties.values():
        reasons = []
        if party.counts.bad >= min_bad:
            reasons.append(f"差评{party.counts.bad}条")
        if party.complaints:
            reasons.append(f"投诉{party.complaints}件")
        if party.fraud_flags:
            reasons.append(f"疑似刷评{party.fraud_flags}次")
        if reasons:
            party.reasons = reasons
            chosen.append(party)
    return sorted(chosen, key=lambda p: (-(p.counts.bad + p.complaints * 2 + p.fraud_flags * 2), p.code))


PERFORMANCE_HEADERS = ["类型", "编码", "名称", "计入统计评价数", "好评率", "差评率", "平均等级", "非常满意", "满意", "基本满意",
                       "不满意", "非常不满意", "不予采纳"]


def performance_rows(start: date, end: date):
    """绩效评价: one row per window and staff member rated in the period, then the unit's total."""
    def row(kind, code, name, c: GradeCounts):
        rate = lambda value: "" if value is None else round(value, 4)  # noqa: E731
        return [kind, code, name, c.counted, rate(c.satisfaction_rate), rate(c.bad_review_rate), rate(c.average_grade),
                *(c.by_grade.get(g, 0) for g in (5, 4, 3, 2, 1)), c.excluded]

    parties = sorted(_parties(start, end).values(), key=lambda p: (p.kind != "WINDOW", p.code))
    for party in parties:
        yield row("窗口" if party.kind == "WINDOW" else "工作人员", party.code, party.name, party.counts)
    total = grade_counts(TenantCount.objects.filter(day__gte=start, day__lte=end)
                         .values_list("grade", "excluded").annotate(total=Sum("n")).order_by())
    from tenants.resolution import current_tenant

    yield row("单位合计", current_tenant().schema_name, current_tenant().name, total)
