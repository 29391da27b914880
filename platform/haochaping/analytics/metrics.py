"""The metrics, each defined once (docs/metrics.md explains them). Rates are fractions in [0, 1], or None when the
denominator is zero ("no data" is not 0%). Rejected reviews (mistaken or malicious, `excluded`) are left out of every
rate and counted on their own."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from haochaping.evaluations import grades

from .models import TenantCount


def ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


@dataclass
class GradeCounts:
    """Counted evaluations by grade, and the excluded ones beside them."""

    by_grade: dict[int, int] = field(default_factory=dict)
    excluded: int = 0

    @property
    def counted(self) -> int:
        return sum(self.by_grade.values())

    @property
    def good(self) -> int:
        return sum(n for g, n in self.by_grade.items() if not grades.is_bad(g))

    @property
    def bad(self) -> int:
        return self.counted - self.good

    @property
    def satisfaction_rate(self) -> float | None:
        """好评率 = evaluations graded 3–5 ÷ evaluations counted."""
        return ratio(self.good, self.counted)

    @property
    def bad_review_rate(self) -> float | None:
        """差评率 = evaluations graded 1–2 ÷ evaluations counted."""
        return ratio(self.bad, self.counted)

    @property
    def average_grade(self) -> float | None:
        """Mean grade of the evaluations counted."""
        return ratio(sum(g * n for g, n in self.by_grade.items()), self.counted)


def grade_counts(rows) -> GradeCounts:
    """From rows of (grade, excluded, n), e.g. TenantCount or PublicCount values."""
    result = GradeCounts()
    for grade, excluded, n in rows:
        if excluded:
            result.excluded += n
        else:
            result.by_grade[grade] = result.by_grade.get(grade, 0) + n
    return result


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start, end] as local days → an aware half-open datetime range."""
    return (timezone.make_aware(datetime.combine(start, time.min)),
            timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min)))


def tenant_grade_counts(start: date, end: date, **filters) -> GradeCounts:
    """The current tenant's counts in [start, end], optionally for one item, org, window, staff, platform or channel
    (filters on TenantCount fields, e.g. window_id=3)."""
    rows = (TenantCount.objects.filter(day__gte=start, day__lte=end, **filters)
            .values_list("grade", "excluded").annotate(total=Sum("n")).order_by())
    return grade_counts(rows)


@dataclass
class ServiceMetrics:
    """Case and rectification metrics of one tenant over a period (the raw rows, not the counts)."""

    completed_cases: int
    rated_cases: int
    bad_and_complaints: int
    followed_up: int
    opened: int
    closed_with_outcome: int
    closed: int
    closed_on_time: int
    real_name_bad: int
    real_name_followed_up_and_closed: int

    @property
    def rating_rate(self) -> float | None:
        """参评率 = completed cases with a first-round evaluation ÷ completed cases."""
        return ratio(self.rated_cases, self.completed_cases)

    @property
    def follow_up_rate(self) -> float | None:
        """回访率 = bad reviews and complaints with a recorded follow-up ÷ all of them."""
        return ratio(self.followed_up, self.bad_and_complaints)

    @property
    def rectification_rate(self) -> float | None:
        """整改率 = rectifications closed with an outcome ÷ rectifications opened."""
        return ratio(self.closed_with_outcome, self.opened)

    @property
    def on_time_rate(self) -> float | None:
        """按期办结率 = rectifications closed by their deadline ÷ rectifications closed."""
        return ratio(self.closed_on_time, self.closed)

    @property
    def real_name_rate(self) -> float | None:
        """实名差评回访整改率 = real-name bad reviews both followed up and closed ÷ real-name bad reviews (target 100%)."""
        return ratio(self.real_name_followed_up_and_closed, self.real_name_bad)


REJECTED = ("REJECTED_MISTAKEN", "REJECTED_MALICIOUS")


def service_metrics(start: date, end: date) -> ServiceMetrics:
    """Cases completed and rectifications opened in [start, end] in the current tenant schema. Rectifications
    rejected as mistaken or malicious are left out of every rate."""
    from haochaping.evaluations.models import ServiceCase
    from haochaping.rectification.models import Rectification

    since, until = _bounds(start, end)
    cases = ServiceCase.objects.filter(status=ServiceCase.Status.COMPLETED, completed_at__gte=since,
                                       completed_at__lt=until)
    case_stats = cases.aggregate(total=Count("id"),
                                 rated=Count("id", filter=Q(evaluations__round=1), distinct=True))
    rects = Rectification.objects.filter(opened_at__gte=since, opened_at__lt=until).exclude(outcome__in=REJECTED)
    closed = Q(state=Rectification.State.CLOSED)
    followed = Q(followed_up_at__isnull=False)
    real_name_bad = Q(is_real_name=True, source=Rectification.Source.BAD_REVIEW)
    stats = rects.aggregate(
        opened=Count("id"),
        followed=Count("id", filter=followed),
        closed_with_outcome=Count("id", filter=closed & ~Q(outcome="")),
        closed=Count("id", filter=closed),
        on_time=Count("id", filter=closed & Q(closed_at__lte=F("due"))),
        real_name_bad=Count("id", filter=real_name_bad),
        real_name_done=Count("id", filter=real_name_bad & followed & closed),
    )
    return ServiceMetrics(
        completed_cases=case_stats["total"], rated_cases=case_stats["rated"],
        bad_and_complaints=stats["opened"], followed_up=stats["followed"], opened=stats["opened"],
        closed_with_outcome=stats["closed_with_outcome"], closed=stats["closed"], closed_on_time=stats["on_time"],
        real_name_bad=stats["real_name_bad"], real_name_followed_up_and_closed=stats["real_name_done"])
