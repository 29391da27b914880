"""Evaluator organisations and grants (county on the platform host; a tenant for itself on its own host), the
evaluator's report submission and attachments, and the county's publication decision."""
from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry.file_uploads import Upload

from haochaping.assessments import services
from schema.core.context import principal
from schema.core.errors import UserError, attempt
from schema.core.nodes import pk_for
from schema.core.permissions import platform_admin, tenant_admin
from tenants.resolution import current_tenant

from .permissions import evaluator_writer
from .types import (Assessment, AssessmentAttachment, EvaluatorGrant, EvaluatorOrg, EvaluatorOrgKind,
                    FindingSubjectKind, assessment, attachment, grant, org)


@strawberry.type
class EvaluatorOrgPayload:
    org: EvaluatorOrg | None
    errors: list[UserError]


@strawberry.type
class EvaluatorGrantIssuedPayload:
    grant: EvaluatorGrant | None
    secret: str | None = strawberry.field(description="令牌全文，只显示这一次 / shown once")
    errors: list[UserError]


@strawberry.type
class RevokeEvaluatorGrantPayload:
    grant: EvaluatorGrant | None
    errors: list[UserError]


@strawberry.type
class AssessmentPayload:
    assessment: Assessment | None
    errors: list[UserError]


@strawberry.type
class AssessmentAttachmentPayload:
    attachment: AssessmentAttachment | None
    errors: list[UserError]


@strawberry.input(description="分项得分：维度（guidance、procedure、materials、interface、attitude、waiting、overall）与 0–100 分")
class ScoreInput:
    dimension: str
    score: float


@strawberry.input(description="评估发现的问题：所属单位、事项编码或窗口（<机构编码>/<窗口号>）、问题类别、描述")
class FindingInput:
    tenant: str
    subject_kind: FindingSubjectKind
    subject_code: str
    dimension: str
    description: str


@strawberry.input(description="专业评估报告")
class SubmitAssessmentInput:
    title: str
    period_start: date
    period_end: date
    tenants: list[str]
    scores: list[ScoreInput]
    summary: str = ""
    findings: list[FindingInput] = strawberry.field(default_factory=list)


def _by(info, tenant=None) -> str:
    return services.actor_label(principal(info).user, tenant)


def _register(info, name, kind, credit_code, tenant) -> EvaluatorOrgPayload:
    row, errors = attempt(lambda: services.register_org(name=name, kind=kind.value, credit_code=credit_code,
                                                        owner_tenant=tenant, by=_by(info, tenant)))
    return EvaluatorOrgPayload(org=org(row) if row else None, errors=errors)


def _grant(info, org_id, tenants, period_start, period_end, expires_at, tenant) -> EvaluatorGrantIssuedPayload:
    def run():
        pk = pk_for(org_id, "EvaluatorOrg", what_zh="评估机构", what_en="Evaluator organisation", field="orgId")
        return services.grant_access(org_id=pk, tenant_slugs=tenants, period_start=period_start,
                                     period_end=period_end, expires_at=expires_at, owner_tenant=tenant,
                                     by=_by(info, tenant), created_by=None if tenant else principal(info).user)

    issued, errors = attempt(run)
    return EvaluatorGrantIssuedPayload(grant=grant(issued.grant) if issued else None,
                                       secret=issued.secret if issued else None, errors=errors)


def _revoke(info, id, tenant) -> RevokeEvaluatorGrantPayload:
    def run():
        pk = pk_for(id, "EvaluatorGrant", what_zh="评估授权", what_en="Evaluator grant")
        return services.revoke_grant(pk, owner_tenant=tenant, by=_by(info, tenant))

    row, errors = attempt(run)
    return RevokeEvaluatorGrantPayload(grant=grant(row) if row else None, errors=errors)


@strawberry.type
class EvaluatorMutations:
    @strawberry.mutation(extensions=platform_admin(), description="登记第三方评估机构（社会组织、中介机构、科研院所、第三方机构）")
    def register_evaluator_org(self, info: strawberry.Info, name: str, kind: EvaluatorOrgKind,
                               credit_code: str = "") -> EvaluatorOrgPayload:
        return _register(info, name, kind, credit_code, None)

    @strawberry.mutation(extensions=platform_admin(),
                         description="授予第三方评估机构只读访问：单位、数据期间、到期时间；返回只显示一次的令牌")
    def grant_evaluator_access(self, info: strawberry.Info, org_id: strawberry.ID, tenants: list[str],
                               period_start: date, period_end: date,
                               expires_at: datetime) -> EvaluatorGrantIssuedPayload:
        return _grant(info, org_id, tenants, period_start, period_end, expires_at, None)

    @strawberry.mutation(extensions=platform_admin(), description="撤销第三方评估授权（立即失效）")
    def revoke_evaluator_grant(self, info: strawberry.Info, id: strawberry.ID) -> RevokeEvaluatorGrantPayload:
        return _revoke(info, id, None)

    @strawberry.mutation(extensions=platform_admin(), description="审核专业评估报告：同意则在门户公开，否则不予公开")
    def decide_assessment(self, info: strawberry.Info, id: strawberry.ID, approve: bool) -> AssessmentPayload:
        def run():
            pk = pk_for(id, "Assessment", what_zh="评估报告", what_en="Assessment")
            return services.decide_assessment(pk, approve=approve, by=_by(info))

        row, errors = attempt(run)
        return AssessmentPayload(assessment=assessment(row) if row else None, errors=errors)

    @strawberry.mutation(extensions=evaluator_writer(),
                         description="提交专业评估报告；每个问题在所属单位开启集中问题整改")
    def submit_assessment(self, info: strawberry.Info, input: SubmitAssessmentInput) -> AssessmentPayload:
        data = services.AssessmentInput(
            title=input.title, period_start=input.period_start, period_end=input.period_end, tenants=input.tenants,
            scores={s.dimension: s.score for s in input.scores}, summary=input.summary,
            findings=[services.FindingInput(tenant=f.tenant, subject_kind=f.subject_kind.value,
                                            subject_code=f.subject_code, dimension=f.dimension,
                                            description=f.description) for f in input.findings])
        row, errors = attempt(lambda: services.submit_assessment(principal(info).token, data))
        return AssessmentPayload(assessment=assessment(row) if row else None, errors=errors)

    @strawberry.mutation(extensions=evaluator_writer(), description="上传评估报告附件（PDF/JPG/PNG，不超过10MB；审核前）")
    def upload_assessment_attachment(self, info: strawberry.Info, id: strawberry.ID,
                                     file: Upload) -> AssessmentAttachmentPayload:
        def run():
            pk = pk_for(id, "Assessment", what_zh="评估报告", what_en="Assessment")
            return services.add_attachment(principal(info).token, pk, name=getattr(file, "name", "") or "attachment",
                                           content=file.read(), content_type=getattr(file, "content_type", None))

        row, errors = attempt(run)
        return AssessmentAttachmentPayload(attachment=attachment(row) if row else None, errors=errors)


@strawberry.type
class TenantEvaluatorMutations:
    @strawberry.mutation(extensions=tenant_admin(), description="本单位登记第三方评估机构")
    def register_evaluator_org(self, info: strawberry.Info, name: str, kind: EvaluatorOrgKind,
                               credit_code: str = "") -> EvaluatorOrgPayload:
        return _register(info, name, kind, credit_code, current_tenant())

    @strawberry.mutation(extensions=tenant_admin(),
                         description="授予本单位登记的评估机构只读访问本单位数据：数据期间、到期时间；返回只显示一次的令牌")
    def grant_evaluator_access(self, info: strawberry.Info, org_id: strawberry.ID, period_start: date,
                               period_end: date, expires_at: datetime) -> EvaluatorGrantIssuedPayload:
        return _grant(info, org_id, None, period_start, period_end, expires_at, current_tenant())

    @strawberry.mutation(extensions=tenant_admin(), description="撤销本单位授予的第三方评估授权（立即失效）")
    def revoke_evaluator_grant(self, info: strawberry.Info, id: strawberry.ID) -> RevokeEvaluatorGrantPayload:
        return _revoke(info, id, current_tenant())
