"""Evaluator reads on the platform host (scoped by the token's grant, every call logged), the county's view of
organisations, grants, logs and reports, and a tenant's view of the grants it gave (tenant host)."""
from __future__ import annotations

from datetime import date

import strawberry

from haochaping.accounts.models import Role
from haochaping.assessments import selectors
from schema.core.context import principal
from schema.core.errors import UserError, attempt
from schema.core.nodes import local_pk
from schema.core.permissions import HasRole, allow, platform_reader
from tenants.resolution import current_tenant

from .permissions import evaluator_reader
from .types import (Assessment, AssessmentState, EvaluatorCountRow, EvaluatorGrant, EvaluatorLevel, EvaluatorOrg,
                    EvaluatorOutcomeRow, EvaluatorQueryEntry, assessment, grant, org, query_entry)


@strawberry.type
class EvaluatorGrantPayload:
    grant: EvaluatorGrant | None
    errors: list[UserError]


@strawberry.type
class EvaluatorCountsPayload:
    rows: list[EvaluatorCountRow] | None = strawberry.field(description="授权范围外时为空，并给出错误")
    errors: list[UserError]


@strawberry.type
class EvaluatorOutcomesPayload:
    rows: list[EvaluatorOutcomeRow] | None = strawberry.field(description="授权范围外时为空，并给出错误")
    errors: list[UserError]


def _grant_pk(grant_id: strawberry.ID) -> int | None:
    try:
        gid = strawberry.relay.GlobalID.from_id(str(grant_id))
    except Exception:  # noqa: BLE001 - malformed ids find nothing
        return None
    return local_pk(gid.node_id) if gid.type_name == "EvaluatorGrant" else None


@strawberry.type
class EvaluatorQueries:
    @strawberry.field(extensions=evaluator_reader(), description="第三方评估：本令牌的授权范围")
    def evaluator_grant(self, info: strawberry.Info) -> EvaluatorGrantPayload:
        row, errors = attempt(lambda: selectors.evaluator_grant(principal(info).token))
        return EvaluatorGrantPayload(grant=grant(row) if row else None, errors=errors)

    @strawberry.field(extensions=evaluator_reader(),
                      description="第三方评估：授权单位在授权期间内的评价等级计数和比率（按单位、事项或窗口，可按渠道）")
    def evaluator_grade_counts(self, info: strawberry.Info, tenant: str, start: date, end: date,
                               level: EvaluatorLevel = EvaluatorLevel.TENANT,
                               by_channel: bool = False) -> EvaluatorCountsPayload:
        rows, errors = attempt(lambda: selectors.grade_counts(principal(info).token, tenant=tenant, start=start,
                                                              end=end, level=level.value, by_channel=by_channel))
        return EvaluatorCountsPayload(rows=None if errors else [EvaluatorCountRow(**vars(r)) for r in rows],
                                      errors=errors)

    @strawberry.field(extensions=evaluator_reader(),
                      description="第三方评估：授权单位在授权期间内开启的整改及其结果（不含个人信息）")
    def evaluator_rectification_outcomes(self, info: strawberry.Info, tenant: str, start: date,
                                         end: date) -> EvaluatorOutcomesPayload:
        rows, errors = attempt(lambda: selectors.rectification_outcomes(principal(info).token, tenant=tenant,
                                                                        start=start, end=end))
        return EvaluatorOutcomesPayload(rows=None if errors else [EvaluatorOutcomeRow(**vars(r)) for r in rows],
                                        errors=errors)

    @strawberry.field(extensions=evaluator_reader(), description="第三方评估：本机构提交的评估报告")
    def my_assessments(self, info: strawberry.Info) -> list[Assessment]:
        rows, errors = attempt(lambda: selectors.assessments_of(principal(info).token))
        return [assessment(r) for r in rows or []]

    @strawberry.field(extensions=platform_reader(), description="已登记的第三方评估机构")
    def evaluator_orgs(self) -> list[EvaluatorOrg]:
        return [org(r) for r in selectors.orgs()]

    @strawberry.field(extensions=platform_reader(), description="第三方评估授权（县级与各单位授予的）")
    def evaluator_grants(self) -> list[EvaluatorGrant]:
        return [grant(r) for r in selectors.grants()]

    @strawberry.field(extensions=platform_reader(), description="某授权下第三方评估机构的查询日志（最近的在前）")
    def evaluator_query_log(self, grant_id: strawberry.ID, first: int = 100) -> list[EvaluatorQueryEntry]:
        pk = _grant_pk(grant_id)
        return [] if pk is None else [query_entry(r) for r in selectors.query_log(pk, limit=first)]

    @strawberry.field(extensions=platform_reader(), description="专业评估报告（含待审核的）")
    def assessments(self, state: AssessmentState | None = None) -> list[Assessment]:
        return [assessment(r) for r in selectors.assessments(state.value if state else None)]


TENANT_GRANTORS = allow(HasRole(Role.TENANT_ADMIN, Role.AGENCY))


@strawberry.type
class TenantEvaluatorQueries:
    @strawberry.field(extensions=TENANT_GRANTORS, description="本单位登记的第三方评估机构")
    def evaluator_orgs(self) -> list[EvaluatorOrg]:
        return [org(r) for r in selectors.orgs(current_tenant(), county=False)]

    @strawberry.field(extensions=TENANT_GRANTORS, description="本单位授予的第三方评估授权")
    def evaluator_grants(self) -> list[EvaluatorGrant]:
        return [grant(r) for r in selectors.grants(current_tenant(), county=False)]

    @strawberry.field(extensions=TENANT_GRANTORS, description="本单位所授授权下的查询日志（最近的在前）")
    def evaluator_query_log(self, grant_id: strawberry.ID, first: int = 100) -> list[EvaluatorQueryEntry]:
        pk = _grant_pk(grant_id)
        return [] if pk is None else [query_entry(r) for r in
                                      selectors.query_log(pk, current_tenant(), county=False, limit=first)]
