from datetime import date
from enum import Enum

import strawberry

from haochaping.analytics import coverage as coverage_service
from haochaping.analytics import metrics
from haochaping.core.errors import DomainError
from haochaping.disclosure import rankings as ranking_service
from schema.core.errors import UserError, attempt
from schema.core.nodes import pk_for
from schema.core.permissions import platform_reader, public, tenant_reader

from .types import (CoverageReportType, EvaluationStats, ImprovementCaseType, ListedParty, RankingRow,
                    ServiceMetricsType)

MAX_DAYS = 366 * 3


def _period(start: date, end: date) -> None:
    if end < start:
        raise DomainError("INVALID_PERIOD", "结束日期不能早于开始日期", "The end date is before the start date", "end")
    if (end - start).days > MAX_DAYS:
        raise DomainError("INVALID_PERIOD", "统计期间不能超过三年", "The period cannot exceed three years", "end")


@strawberry.type
class StatsPayload:
    stats: EvaluationStats | None
    errors: list[UserError]


@strawberry.type
class ServiceMetricsPayload:
    metrics: ServiceMetricsType | None
    errors: list[UserError]


@strawberry.type
class CoveragePayload:
    report: CoverageReportType | None
    errors: list[UserError]


@strawberry.type
class ListPayload:
    parties: list[ListedParty]
    errors: list[UserError]


@strawberry.type
class TenantAnalyticsQueries:
    @strawberry.field(extensions=tenant_reader(), description="本单位评价统计，可按窗口、事项、人员、平台、渠道筛选")
    def evaluation_stats(self, start: date, end: date, window_id: strawberry.ID | None = None,
                         item_id: strawberry.ID | None = None, staff_id: strawberry.ID | None = None,
                         platform_id: strawberry.ID | None = None, channel: str | None = None) -> StatsPayload:
        def run():
            _period(start, end)
            filters = {}
            for value, type_name, column, zh, en, field in (
                    (window_id, "Window", "window_id", "窗口", "Window", "windowId"),
                    (item_id, "ServiceItem", "item_id", "事项", "Service item", "itemId"),
                    (staff_id, "Staff", "staff_id", "工作人员", "Staff member", "staffId"),
                    (platform_id, "ServicePlatform", "platform_id", "平台", "Platform", "platformId")):
                if value is not None:
                    filters[column] = pk_for(value, type_name, what_zh=zh, what_en=en, field=field)
            if channel:
                filters["channel"] = channel
            return metrics.tenant_grade_counts(start, end, **filters)

        counts, errors = attempt(run)
        return StatsPayload(stats=EvaluationStats.of(counts) if counts else None, errors=errors)

    @strawberry.field(extensions=tenant_reader(), description="参评率、回访率、整改率、按期办结率、实名差评回访整改率")
    def service_metrics(self, start: date, end: date) -> ServiceMetricsPayload:
        def run():
            _period(start, end)
            return metrics.service_metrics(start, end)

        result, errors = attempt(run)
        return ServiceMetricsPayload(metrics=ServiceMetricsType.of(result) if result else None, errors=errors)

    @strawberry.field(extensions=tenant_reader(), description="三个全覆盖：本单位不能评价或未被评价的事项、机构、窗口、人员、平台")
    def coverage_report(self, start: date, end: date) -> CoveragePayload:
        def run():
            _period(start, end)
            return coverage_service.coverage(start, end)

        report, errors = attempt(run)
        return CoveragePayload(report=CoverageReportType.of(report) if report else None, errors=errors)


    @strawberry.field(extensions=tenant_reader(), description="表扬名单：期间内每个月好评率都高且评价充足的窗口和人员")
    def commendation_list(self, start: date, end: date) -> ListPayload:
        from haochaping.analytics.lists import commendation_list

        def run():
            _period(start, end)
            return commendation_list(start, end)

        rows, errors = attempt(run)
        return ListPayload(parties=[ListedParty.of(p) for p in rows or []], errors=errors)

    @strawberry.field(extensions=tenant_reader(), description="问责名单：差评多、被投诉或疑似刷评的窗口和人员")
    def accountability_list(self, start: date, end: date) -> ListPayload:
        from haochaping.analytics.lists import accountability_list

        def run():
            _period(start, end)
            return accountability_list(start, end)

        rows, errors = attempt(run)
        return ListPayload(parties=[ListedParty.of(p) for p in rows or []], errors=errors)

    @strawberry.field(extensions=tenant_reader(), description="集中问题整改（最近的在前）")
    def improvement_cases(self, open_only: bool = False, first: int = 50) -> list[ImprovementCaseType]:
        from haochaping.analytics.models import ImprovementCase

        cases = ImprovementCase.objects.all()
        if open_only:
            cases = cases.filter(state=ImprovementCase.State.OPEN)
        return [ImprovementCaseType.of(c) for c in cases[: max(0, min(first, 100))]]


@strawberry.enum
class RankingLevel(Enum):
    TENANT = "tenant"
    ITEM = "item"
    WINDOW = "window"


@strawberry.type
class RankingPayload:
    rows: list[RankingRow]
    errors: list[UserError]


@strawberry.type
class PlatformAnalyticsQueries:
    @strawberry.field(extensions=public(), description="排名（公开数据）：好评率的威尔逊下限，评价少于5条不排名")
    def rankings(self, level: RankingLevel, start: date, end: date, first: int = 100) -> RankingPayload:
        def run():
            _period(start, end)
            return ranking_service.rankings(level.value, start, end, limit=max(1, min(first, 100)))

        rows, errors = attempt(run)
        return RankingPayload(rows=[RankingRow.of(r) for r in rows or []], errors=errors)

    @strawberry.field(extensions=platform_reader(), description="全县覆盖情况：各单位的缺口数")
    def county_coverage(self, start: date, end: date) -> list["TenantCoverage"]:
        try:
            _period(start, end)
        except DomainError:
            return []
        return [TenantCoverage(slug=slug, name=name, report=CoverageReportType.of(report))
                for slug, name, report in coverage_service.county_coverage(start, end)]


@strawberry.type
class TenantCoverage:
    slug: str
    name: str
    report: CoverageReportType
