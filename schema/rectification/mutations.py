"""The rectification workflow. Each action takes the id and the version the caller saw (optimistic lock: a stale
version is a CONFLICT); domain refusals come back as typed errors."""
from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.file_uploads import Upload

from haochaping.accounts.models import Role, User
from haochaping.core.errors import NotFound
from haochaping.rectification import services
from haochaping.rectification.models import Rectification
from schema.core.context import principal
from schema.core.errors import UserError, attempt
from schema.core.nodes import pk_for
from schema.core.permissions import HasRole, allow

from .queries import rectification_pk
from schema.tenancy.types import UnitRef, unit_ref

from .types import Evidence, FollowUpMethod, RaterContact, RectificationCase, RejectionKind

WORKERS = allow(HasRole(Role.TENANT_ADMIN, Role.HANDLER))
MANAGERS = allow(HasRole(Role.TENANT_ADMIN, Role.AGENCY))
# A township's own AGENCY decides rejections and extensions; the service refuses everyone else.
AGENCY = allow(HasRole(Role.AGENCY))
CONTACT_READERS = allow(HasRole(Role.TENANT_ADMIN, Role.AGENCY, Role.HANDLER))


@strawberry.type
class ComplaintPayload:
    """The complaint's rectification may live in the handling unit's schema: only its state, owner and due date."""

    state: str | None
    owner_unit: UnitRef | None
    due: datetime | None
    errors: list[UserError]


@strawberry.type
class RectificationPayload:
    rectification: RectificationCase | None
    errors: list[UserError]


@strawberry.type
class EvidencePayload:
    evidence: Evidence | None
    rectification: RectificationCase | None
    errors: list[UserError]


@strawberry.type
class RaterContactPayload:
    contact: RaterContact | None
    errors: list[UserError]


def _actor(info) -> services.Actor:
    return services.Actor.of(principal(info).user)


def _run(info, id: strawberry.ID, action) -> RectificationPayload:
    """Decode the id in this schema, run the service as the caller, map DomainError to errors."""
    result, errors = attempt(lambda: action(rectification_pk(id), _actor(info)))
    return RectificationPayload(rectification=result, errors=errors)


def _handler(handler_id: strawberry.ID) -> User:
    pk = pk_for(handler_id, "User", what_zh="整改专人", what_en="Handler", field="handlerId")
    user = User.objects.filter(pk=pk).first()
    if user is None:
        raise NotFound("整改专人", "Handler", "handlerId")
    return user


def _declared_type(file) -> str | None:
    """The client's content type only when it is one we accept; else guessed from the name (the first bytes decide)."""
    kind = getattr(file, "content_type", None)
    return kind if kind in services.EVIDENCE_TYPES else None


@strawberry.type
class RectificationMutations:
    @strawberry.mutation(extensions=MANAGERS, description="指定整改专人（本单位整改专人或单位管理员）")
    def assign_rectification_handler(self, info: strawberry.Info, id: strawberry.ID, version: int,
                                     handler_id: strawberry.ID) -> RectificationPayload:
        return _run(info, id, lambda pk, actor: services.assign_handler(pk, version, actor, _handler(handler_id)))

    @strawberry.mutation(extensions=WORKERS, description="记录回访核实（何时、何种方式、评价人所述）")
    def record_follow_up(self, info: strawberry.Info, id: strawberry.ID, version: int, method: FollowUpMethod,
                         rater_said: str, contacted_at: datetime | None = None) -> RectificationPayload:
        return _run(info, id, lambda pk, actor: services.record_follow_up(
            pk, version, actor, method=method.value, rater_said=rater_said, contacted_at=contacted_at))

    @strawberry.mutation(extensions=WORKERS, description="立行立改并反馈评价人（须已上传证明材料）")
    def fix_rectification_now(self, info: strawberry.Info, id: strawberry.ID, version: int,
                              feedback: str) -> RectificationPayload:
        return _run(info, id, lambda pk, actor: services.fix_now(pk, version, actor, feedback=feedback))

    @strawberry.mutation(extensions=WORKERS, description="建立整改台账（复杂问题）")
    def open_rectification_ledger(self, info: strawberry.Info, id: strawberry.ID, version: int,
                                  plan: str) -> RectificationPayload:
        return _run(info, id, lambda pk, actor: services.open_ledger(pk, version, actor, plan=plan))

    @strawberry.mutation(extensions=WORKERS, description="记录台账整改进展")
    def add_ledger_progress(self, info: strawberry.Info, id: strawberry.ID, version: int,
                            note: str) -> RectificationPayload:
        return _run(info, id, lambda pk, actor: services.add_progress(pk, version, actor, note=note))

    @strawberry.mutation(extensions=WORKERS, description="台账整改完成并反馈评价人（须已上传证明材料）")
    def close_rectification_ledger(self, info: strawberry.Info, id: strawberry.ID, version: int,
                                   feedback: str) -> RectificationPayload:
        return _run(info, id, lambda pk, actor: services.close_ledger(pk, version, actor, feedback=feedback))

    @strawberry.mutation(extensions=WORKERS, description="缺乏法定依据：做好解释说明并办结")
    def explain_rectification(self, info: strawberry.Info, id: strawberry.ID, version: int,
                              feedback: str) -> RectificationPayload:
        return _run(info, id, lambda pk, actor: services.explain(pk, version, actor, feedback=feedback))

    @strawberry.mutation(extensions=WORKERS, description="申请不予采纳（误评或恶意差评），报同级管理机构审批")
    def request_rejection(self, info: strawberry.Info, id: strawberry.ID, version: int, kind: RejectionKind,
                          reason: str) -> RectificationPayload:
        return _run(info, id, lambda pk, actor: services.request_rejection(pk, version, actor, kind=kind.value,
                                                                            reason=reason))

    @strawberry.mutation(extensions=AGENCY, description="审批不予采纳申请（乡镇本级管理机构；县直部门和中心由县级审批）")
    def decide_rejection(self, info: strawberry.Info, id: strawberry.ID, version: int, approve: bool,
                         note: str = "") -> RectificationPayload:
        return _run(info, id, lambda pk, actor: services.decide_rejection(pk, version, actor, approve=approve, note=note))

    @strawberry.mutation(extensions=allow(HasRole(Role.TENANT_ADMIN, Role.AGENCY, Role.HANDLER)),
                         description="登记投诉：与差评一样开启整改（同样的期限和督办），由办理单位负责")
    def file_complaint(self, info: strawberry.Info, text: str, channel: str, complainant_name: str = "",
                       complainant_phone: str = "", case_number: str | None = None) -> ComplaintPayload:
        def run():
            r = services.open_complaint(text=text, channel=channel, complainant_name=complainant_name,
                                        complainant_phone=complainant_phone, case_number=case_number, actor=_actor(info))
            return r.state, r.owner_unit, r.due

        result, errors = attempt(run)
        if result is None:
            return ComplaintPayload(state=None, owner_unit=None, due=None, errors=errors)
        state, owner, due = result
        return ComplaintPayload(state=state, owner_unit=unit_ref(owner), due=due, errors=[])

    @strawberry.mutation(extensions=WORKERS, description="等待评价人时暂停计时")
    def pause_rectification(self, info: strawberry.Info, id: strawberry.ID, version: int,
                            reason: str) -> RectificationPayload:
        return _run(info, id, lambda pk, actor: services.pause(pk, version, actor, reason=reason))

    @strawberry.mutation(extensions=WORKERS, description="恢复计时（期限顺延暂停的工作日）")
    def resume_rectification(self, info: strawberry.Info, id: strawberry.ID, version: int) -> RectificationPayload:
        return _run(info, id, lambda pk, actor: services.resume(pk, version, actor))

    @strawberry.mutation(extensions=WORKERS, description="申请延期（工作日）")
    def request_extension(self, info: strawberry.Info, id: strawberry.ID, version: int, days: int,
                          reason: str) -> RectificationPayload:
        return _run(info, id, lambda pk, actor: services.request_extension(pk, version, actor, days=days, reason=reason))

    @strawberry.mutation(extensions=AGENCY, description="审批延期申请（乡镇本级管理机构）")
    def decide_extension(self, info: strawberry.Info, id: strawberry.ID, version: int,
                         approve: bool) -> RectificationPayload:
        return _run(info, id, lambda pk, actor: services.decide_extension(pk, version, actor, approve=approve))

    @strawberry.mutation(extensions=WORKERS, description="上传整改证明材料（JPG/PNG/PDF，不超过10MB）")
    def upload_evidence(self, info: strawberry.Info, id: strawberry.ID, file: Upload) -> EvidencePayload:
        def run():
            pk = rectification_pk(id)
            content = file.read()
            evidence = services.add_evidence(pk, _actor(info), name=getattr(file, "name", "") or "evidence",
                                             content=content, content_type=_declared_type(file))
            return evidence

        evidence, errors = attempt(run)
        rectification = Rectification.objects.get(pk=evidence.rectification_id) if evidence else None
        return EvidencePayload(evidence=evidence, rectification=rectification, errors=errors)

    @strawberry.mutation(extensions=CONTACT_READERS,
                         description="查看评价人联系方式用于回访（整改专人和管理人员；每次读取均有记录）")
    def reveal_rater_contact(self, info: strawberry.Info, id: strawberry.ID) -> RaterContactPayload:
        result, errors = attempt(lambda: services.read_contact(rectification_pk(id), _actor(info)))
        contact = RaterContact(name=result[0], phone=result[1]) if result else None
        return RaterContactPayload(contact=contact, errors=errors)


# --------------------------------------------------------------------------------------------- platform side


@strawberry.type(description="县级审批后的整改状态（整改在该租户的模式中）")
class CountyRectificationDecision:
    tenant: str
    id: strawberry.ID
    state: str
    outcome: str | None
    version: int


@strawberry.type
class CountyDecisionPayload:
    rectification: CountyRectificationDecision | None
    errors: list[UserError]


def _tenant(slug: str):
    from django_tenants.utils import get_public_schema_name

    from tenants.models import Tenant

    tenant = (Tenant.objects.filter(schema_name=(slug or "").strip().lower(), is_active=True)
              .exclude(schema_name=get_public_schema_name()).first())
    if tenant is None:
        raise NotFound("租户", "Tenant", "tenant")
    return tenant


@strawberry.type
class CountyRectificationMutations:
    @strawberry.mutation(extensions=allow(HasRole(Role.COUNTY_ADMIN, Role.COUNTY_SUPERVISOR)),
                         description="县级审批县直部门、县政务服务中心的不予采纳申请（乡镇由本级管理机构审批）")
    def decide_rejection(self, info: strawberry.Info, tenant: str, id: strawberry.ID, version: int, approve: bool,
                         note: str = "") -> CountyDecisionPayload:
        from django_tenants.utils import schema_context

        from schema.core.nodes import global_id

        actor = services.Actor.county_user(principal(info).user)

        def run():
            unit = _tenant(tenant)
            with schema_context(unit.schema_name):  # the id decodes in that schema
                r = services.decide_rejection(rectification_pk(id), version, actor, approve=approve, note=note)
                return CountyRectificationDecision(tenant=unit.schema_name, id=global_id("Rectification", r.pk),
                                                   state=r.state, outcome=r.outcome or None, version=r.version)

        result, errors = attempt(run)
        return CountyDecisionPayload(rectification=result, errors=errors)
