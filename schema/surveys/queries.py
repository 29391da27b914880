"""监督查评 reads: a unit's own surveys and results (tenant host); the county's surveys, their results across units
(free text redacted) and the call-backs (platform host)."""
from __future__ import annotations

import strawberry
from django_tenants.utils import schema_context

from haochaping.core.errors import DomainError
from haochaping.supervision.selectors import supervised_tenants
from haochaping.surveys import callbacks, selectors
from haochaping.surveys.models import Survey as SurveyModel
from schema.core.nodes import pk_for
from schema.core.permissions import TENANT_READERS, HasRole, allow, platform_reader
from schema.supervision.queries import supervised_tenant
from schema.tenancy.types import unit_ref

from .types import (CallBack, CallBackState, CountySurvey, Survey, SurveyResults, UnitSurveyResults, call_back,
                    results, survey, unit_results)

# Responses carry applicants' free text: signed-in readers of the unit, no read token.
READERS = lambda: allow(HasRole(*TENANT_READERS))  # noqa: E731


def survey_pk(node_id) -> int | None:
    try:
        return pk_for(node_id, "Survey", what_zh="调查", what_en="Survey")
    except DomainError:
        return None


@strawberry.type
class SurveyQueries:
    @strawberry.field(extensions=READERS(), description="本单位的政务服务调查（含县级发起的副本）")
    def surveys(self) -> list[Survey]:
        return [survey(row) for row in selectors.surveys()]

    @strawberry.field(extensions=READERS(), description="调查结果：回复率与各维度平均分、分布（合计与分事项）；"
                                                       "id 不属于本单位时为空")
    def survey_results(self, id: strawberry.ID) -> SurveyResults | None:
        pk = survey_pk(id)
        row = SurveyModel.objects.filter(pk=pk).first() if pk else None
        return results(selectors.survey_results(row)) if row else None


@strawberry.type
class CountySurveyQueries:
    @strawberry.field(extensions=platform_reader(), description="县级发起的调查")
    def county_surveys(self) -> list[CountySurvey]:
        return [CountySurvey(key=r["key"], title=r["title"], item_codes=r["item_codes"], period_start=r["period_start"],
                             period_end=r["period_end"], created_at=r["created_at"],
                             tenants=[unit_ref(t) for t in r["tenants"]])
                for r in selectors.county_surveys(list(supervised_tenants()))]

    @strawberry.field(extensions=platform_reader(), description="县级调查各单位的结果（意见建议已脱敏）")
    def county_survey_results(self, key: str) -> list[UnitSurveyResults]:
        return [unit_results(row) for row in selectors.county_results(key, list(supervised_tenants()))]

    @strawberry.field(extensions=platform_reader(), description="回访调查（不含联系方式）；可按单位、状态、抽样批次筛选")
    def call_backs(self, tenant: str | None = None, state: CallBackState | None = None,
                   draw_key: str | None = None) -> list[CallBack]:
        if tenant:
            unit = supervised_tenant(tenant)
            units = [unit] if unit else []
        else:
            units = list(supervised_tenants())
        return [call_back(t, row) for t, row in callbacks.calls(units, state=state.value if state else None,
                                                                 draw_key=draw_key)]


def call_pk(unit, node_id, field: str = "id") -> int:
    """Decode a call id in the unit's schema (an id minted in another unit is not found)."""
    with schema_context(unit.schema_name):
        return pk_for(node_id, "CallBack", what_zh="回访", what_en="Call-back", field=field)
