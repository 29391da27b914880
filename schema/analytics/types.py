"""Analytics types: counts and rates (fractions in [0, 1]; null = no data), coverage gaps, rankings."""
from __future__ import annotations

from datetime import datetime

import strawberry

from haochaping.analytics.coverage import GAP_TEXT
from haochaping.analytics.metrics import GradeCounts, ServiceMetrics
from schema.boards.types import GradeCount


@strawberry.type(description="计入统计的评价数（按等级）与各项比率；比率为 0–1 的小数，无数据时为空")
class EvaluationStats:
    counted: int
    excluded: int = strawberry.field(description="不予采纳（误评、恶意差评）的评价数，不计入任何比率")
    good: int
    bad: int
    satisfaction_rate: float | None = strawberry.field(description="好评率 = 3–5级 ÷ 计入统计的评价")
    bad_review_rate: float | None = strawberry.field(description="差评率 = 1–2级 ÷ 计入统计的评价")
    average_grade: float | None
    by_grade: list[GradeCount]

    @classmethod
    def of(cls, counts: GradeCounts) -> EvaluationStats:
        return cls(counted=counts.counted, excluded=counts.excluded, good=counts.good, bad=counts.bad,
                   satisfaction_rate=counts.satisfaction_rate, bad_review_rate=counts.bad_review_rate,
                   average_grade=counts.average_grade,
                   by_grade=[GradeCount(grade=g, count=counts.by_grade.get(g, 0)) for g in (5, 4, 3, 2, 1)])


@strawberry.type(description="办件与整改指标（docs/metrics.md）")
class ServiceMetricsType:
    completed_cases: int
    rated_cases: int
    rating_rate: float | None = strawberry.field(description="参评率")
    follow_up_rate: float | None = strawberry.field(description="回访率")
    rectification_rate: float | None = strawberry.field(description="整改率")
    on_time_rate: float | None = strawberry.field(description="按期办结率")
    real_name_rate: float | None = strawberry.field(description="实名差评回访整改率（目标100%）")

    @classmethod
    def of(cls, m: ServiceMetrics) -> ServiceMetricsType:
        return cls(completed_cases=m.completed_cases, rated_cases=m.rated_cases, rating_rate=m.rating_rate,
                   follow_up_rate=m.follow_up_rate, rectification_rate=m.rectification_rate,
                   on_time_rate=m.on_time_rate, real_name_rate=m.real_name_rate)


@strawberry.type(description="覆盖缺口的一个问题")
class CoverageProblem:
    code: str
    message: str
    message_en: str


@strawberry.type(description="三个全覆盖：不能在某渠道评价或期间内没有评价的对象")
class CoverageGap:
    kind: str = strawberry.field(description="ITEM, ORG, WINDOW, STAFF, PLATFORM")
    code: str
    name: str
    problems: list[CoverageProblem]

    @classmethod
    def of(cls, gap) -> CoverageGap:
        return cls(kind=gap.kind, code=gap.code, name=gap.name,
                   problems=[CoverageProblem(code=p, message=GAP_TEXT[p][0], message_en=GAP_TEXT[p][1])
                             for p in gap.problems])


@strawberry.type
class CoverageTotal:
    kind: str
    total: int
    gaps: int


@strawberry.type(description="本单位覆盖情况")
class CoverageReportType:
    fully_covered: bool
    totals: list[CoverageTotal]
    gaps: list[CoverageGap]

    @classmethod
    def of(cls, report) -> CoverageReportType:
        return cls(fully_covered=report.fully_covered,
                   totals=[CoverageTotal(kind=k, total=n, gaps=report.count(k)) for k, n in report.totals.items()],
                   gaps=[CoverageGap.of(g) for g in report.gaps])


@strawberry.type(description="排名的一行：评价少于5条不计分、不排名")
class RankingRow:
    rank: int | None
    key: str
    name: str
    tenant_name: str
    ratings: int
    excluded: int
    satisfaction_rate: float | None
    score: float | None = strawberry.field(description="好评率的威尔逊下限（95%）")

    @classmethod
    def of(cls, row) -> RankingRow:
        return cls(rank=row.rank, key=row.key, name=row.name, tenant_name=row.tenant_name, ratings=row.ratings,
                   excluded=row.counts.excluded, satisfaction_rate=row.satisfaction_rate, score=row.score)


@strawberry.type(description="集中问题整改（企业和群众反映集中的问题）")
class ImprovementCaseType:
    id: strawberry.ID
    subject_kind: str
    subject_name: str
    topic: str
    topic_label: str
    review_count: int
    opened_at: datetime
    due: datetime
    state: str
    escalated_at: datetime | None
    closed_at: datetime | None
    outcome: str

    @classmethod
    def of(cls, case) -> ImprovementCaseType:
        from haochaping.analytics.comments import DIMENSIONS
        from schema.core.nodes import global_id

        return cls(id=global_id("ImprovementCase", case.pk), subject_kind=case.subject_kind,
                   subject_name=case.subject_name, topic=case.topic,
                   topic_label=DIMENSIONS[case.topic].label if case.topic in DIMENSIONS else case.topic,
                   review_count=case.review_count, opened_at=case.opened_at, due=case.due, state=case.state,
                   escalated_at=case.escalated_at, closed_at=case.closed_at, outcome=case.outcome)


@strawberry.type(description="表扬或问责名单中的一个窗口或工作人员")
class ListedParty:
    kind: str = strawberry.field(description="WINDOW 或 STAFF")
    code: str
    name: str
    ratings: int
    satisfaction_rate: float | None
    bad: int
    complaints: int
    fraud_flags: int
    reasons: list[str]

    @classmethod
    def of(cls, party) -> ListedParty:
        return cls(kind=party.kind, code=party.code, name=party.name, ratings=party.counts.counted,
                   satisfaction_rate=party.counts.satisfaction_rate, bad=party.counts.bad, complaints=party.complaints,
                   fraud_flags=party.fraud_flags, reasons=party.reasons)
