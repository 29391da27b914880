"""The county supervision metrics, defined once here. Each works on one tenant's rectifications (run it inside
that tenant's schema); a rate is a numerator over a denominator, with no value when the denominator is zero.

Rejections approved by the management agency (误评/恶意差评, not adopted) are excluded from the bad-review
counts, as they are from scores (DESIGN §4)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Q, QuerySet

from haochaping.rectification.models import Rectification

S, O = Rectification.State, Rectification.Outcome
REJECTED = (O.REJECTED_MISTAKEN, O.REJECTED_MALICIOUS)


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        """The fraction (0…1), or None when there is nothing to count."""
        return self.numerator / self.denominator if self.denominator else None

    @property
    def percent(self) -> float | None:
        """Percent rounded to one decimal (66.7), or None when there is nothing to count."""
        return None if self.value is None else round(self.value * 100, 1)


def open_cases(qs: QuerySet[Rectification]) -> QuerySet[Rectification]:
    """Not yet closed (any state but CLOSED)."""
    return qs.exclude(state=S.CLOSED)


def overdue(qs: QuerySet[Rectification], now: datetime) -> QuerySet[Rectification]:
    """Open and past the rectification-and-feedback deadline (`due`)."""
    return open_cases(qs).filter(due__lt=now)


def escalated(qs: QuerySet[Rectification]) -> QuerySet[Rectification]:
    """Open and escalated to the county agency (overdue, or disputed by 追评)."""
    return open_cases(qs).filter(escalated_at__isnull=False)


def closed(qs: QuerySet[Rectification]) -> QuerySet[Rectification]:
    return qs.filter(state=S.CLOSED)


def real_name_bad_reviews(qs: QuerySet[Rectification]) -> QuerySet[Rectification]:
    """Real-name (实名) bad reviews, less the rejections the agency approved."""
    return qs.filter(source=Rectification.Source.BAD_REVIEW, is_real_name=True).exclude(state=S.CLOSED,
                                                                                      outcome__in=REJECTED)


def real_name_follow_up_rectification_rate(qs: QuerySet[Rectification]) -> Rate:
    """实名差评回访整改率 = real-name bad reviews both followed up and closed ÷ real-name bad reviews. Target 100%."""
    base = real_name_bad_reviews(qs)
    done = base.filter(followed_up_at__isnull=False, state=S.CLOSED)
    return Rate(done.count(), base.count())


def on_time_rate(qs: QuerySet[Rectification]) -> Rate:
    """按期办结率 = closed by their deadline (closed_at ≤ due, the due date as extended) ÷ closed."""
    done = closed(qs)
    return Rate(done.filter(closed_at__lte=F("due")).count(), done.count())


def rejections(qs: QuerySet[Rectification]) -> QuerySet[Rectification]:
    """不予采纳: requested (awaiting the agency) or approved; a denied request goes back and is not counted."""
    return qs.filter(Q(state=S.REJECTION_PENDING) | Q(state=S.CLOSED, outcome__in=REJECTED))
