"""County supervision actions: instructions to a tenant (督办意见), their acknowledgement, internal circulars
(内部通报), and the public escalation record the worker writes. The public rows carry no personal data; the
tenant's own rectification gets an append-only event for each instruction."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from haochaping.accounts.models import PLATFORM_ROLES, Role, User
from haochaping.core.errors import DomainError, ErrorCollector
from haochaping.notifications.services import queue_notification
from haochaping.rectification.models import Rectification, RectificationEvent
from haochaping.rectification.services import Actor
from tenants.models import Tenant

from .models import Circular, Escalation, SupervisionInstruction

MANAGER_ROLES = {Role.TENANT_ADMIN, Role.AGENCY}


def _not_allowed() -> DomainError:
    return DomainError("NOT_ALLOWED", "当前角色不允许此操作", "This action is not allowed for your role")


def _require_county(user: User) -> Actor:
    if user is None or user.role not in PLATFORM_ROLES or not user.is_active:
        raise _not_allowed()
    return Actor.county_user(user)


def notify_tenant_admins(tenant: Tenant, *, subject: str, body: str, purpose: str, key: str) -> int:
    """Email the tenant's active TENANT_ADMIN users (those with an address), through the tenant's outbox."""
    queued = 0
    with schema_context(tenant.schema_name):
        admins = User.objects.filter(role=Role.TENANT_ADMIN, is_active=True).exclude(email="")
        for admin in admins:
            if queue_notification(channel="EMAIL", recipient=admin.email, subject=subject, body=body,
                                  purpose=purpose, dedupe_key=f"{tenant.schema_name}:{key}:u{admin.pk}"[:120]):
                queued += 1
    return queued


def record_escalation(tenant: Tenant, r: Rectification, reason: str) -> Escalation:
    """The public record of an escalation (idempotent per rectification and escalation time)."""
    with schema_context(get_public_schema_name()):
        escalation, _ = Escalation.objects.get_or_create(
            tenant=tenant, rectification_id=r.pk, escalated_at=r.escalated_at,
            defaults=dict(case_number=r.case_number, item_name=r.item_name[:200], due=r.due, reason=reason),
        )
    return escalation


def issue_instruction(tenant: Tenant, rectification_id: int, text: str, county_user: User) -> SupervisionInstruction:
    """督办: a county user sends an instruction about one of the tenant's rectifications."""
    actor = _require_county(county_user)
    errors = ErrorCollector()
    errors.require(text, "text", "督办意见", "Instruction")
    errors.max_length(text, 2000, "text", "督办意见", "Instruction")
    errors.raise_if_any()
    text = text.strip()
    with transaction.atomic():
        with schema_context(tenant.schema_name):
            r = Rectification.objects.select_for_update().filter(pk=rectification_id).first()
            if r is None:
                raise DomainError("NOT_FOUND", "未找到该整改", "Rectification not found", "rectificationId")
        with schema_context(get_public_schema_name()):
            instruction = SupervisionInstruction.objects.create(tenant=tenant, rectification_id=r.pk, text=text,
                                                                issued_by=actor.label)
        with schema_context(tenant.schema_name):
            RectificationEvent.objects.create(rectification=r, actor=None, actor_label=actor.label,
                                              action="SUPERVISION_INSTRUCTION", from_state=r.state, to_state=r.state,
                                              note=text, data={"instruction_id": instruction.pk})
        notify_tenant_admins(
            tenant, subject=f"县级督办：整改#{r.pk}", purpose="supervision_instruction",
            body=f"县级政务服务管理机构对整改#{r.pk}（{r.case_number or r.item_name}）下发督办意见：{text}\n请登录平台签收并落实。",
            key=f"instruction:{instruction.pk}",
        )
    return instruction


def acknowledge_instruction(instruction_id: int, user: User, tenant: Tenant | None = None) -> SupervisionInstruction:
    """签收: a manager of the tenant the instruction went to (in that tenant's schema) acknowledges it, once."""
    from tenants.resolution import current_tenant

    tenant = tenant or current_tenant()
    if user is None or user.role not in MANAGER_ROLES | {Role.HANDLER} or not user.is_active:
        raise _not_allowed()
    actor = Actor.of(user)
    with transaction.atomic():
        with schema_context(get_public_schema_name()):
            instruction = (SupervisionInstruction.objects.select_for_update()
                           .filter(pk=instruction_id, tenant=tenant).first())
            if instruction is None:
                raise DomainError("NOT_FOUND", "未找到该督办意见", "Instruction not found", "id")
            if instruction.acknowledged_at is not None:
                return instruction
            instruction.acknowledged_at = timezone.now()
            instruction.acknowledged_by = f"{tenant.name}：{actor.label}"[:120]
            instruction.save(update_fields=["acknowledged_at", "acknowledged_by"])
        with schema_context(tenant.schema_name):
            r = Rectification.objects.filter(pk=instruction.rectification_id).first()
            if r is not None:
                RectificationEvent.objects.create(rectification=r, actor=user, actor_label=actor.label,
                                                  action="SUPERVISION_ACKNOWLEDGED", from_state=r.state,
                                                  to_state=r.state, data={"instruction_id": instruction.pk})
    return instruction


def issue_circular(*, title: str, body: str, county_user: User, tenants: list[Tenant] | None = None,
                   subject_tenant: Tenant | None = None, rectification_id: int | None = None) -> Circular:
    """内部通报 of a case with bad effect, to the named units (every active unit when none is named). Write no
    rater's name or phone in it."""
    from .selectors import supervised_tenants

    actor = _require_county(county_user)
    errors = ErrorCollector()
    errors.require(title, "title", "标题", "Title")
    errors.max_length(title, 200, "title", "标题", "Title")
    errors.require(body, "body", "内容", "Body")
    errors.raise_if_any()
    if rectification_id is not None and subject_tenant is None:
        raise DomainError("INVALID_REFERENCE", "涉及整改须同时指明单位", "A rectification needs its unit",
                          "subjectTenant")
    with transaction.atomic():
        with schema_context(get_public_schema_name()):
            circular = Circular.objects.create(title=title.strip(), body=body.strip(), issued_by=actor.label,
                                               subject_tenant=subject_tenant, rectification_id=rectification_id)
            if tenants:
                circular.tenants.set(tenants)
            recipients = list(tenants) if tenants else list(supervised_tenants())
        for tenant in recipients:
            notify_tenant_admins(tenant, subject=f"内部通报：{circular.title}"[:200], body=circular.body,
                                 purpose="circular", key=f"circular:{circular.pk}")
        if subject_tenant is not None and rectification_id is not None:
            with schema_context(subject_tenant.schema_name):
                r = Rectification.objects.filter(pk=rectification_id).first()
                if r is not None:
                    RectificationEvent.objects.create(rectification=r, actor=None, actor_label=actor.label,
                                                      action="CIRCULATED", from_state=r.state, to_state=r.state,
                                                      note=circular.title, data={"circular_id": circular.pk})
    return circular


__all__ = ["acknowledge_instruction", "issue_circular", "issue_instruction", "notify_tenant_admins",
           "record_escalation"]


def request_notice(circular_id: int, *, title: str, body: str, county_user: User) -> "PublicNotice":
    """Propose publishing a circular as a public notice (曝光). The text is redacted of personal data as stored."""
    from haochaping.core.privacy import redact_text

    from .models import PublicNotice

    _require_county(county_user)
    errors = ErrorCollector()
    errors.require(title, "title", "标题", "Title")
    errors.max_length(title, 200, "title", "标题", "Title")
    errors.require(body, "body", "内容", "Body")
    errors.max_length(body, 5000, "body", "内容", "Body")
    errors.raise_if_any()
    with schema_context(get_public_schema_name()), transaction.atomic():
        circular = Circular.objects.filter(pk=circular_id).first()
        if circular is None:
            raise DomainError("NOT_FOUND", "未找到该内部通报", "Circular not found", "circularId")
        if PublicNotice.objects.filter(circular=circular, state__in=["PENDING", "PUBLISHED"]).exists():
            raise DomainError("ALREADY_REQUESTED", "该通报已申请或已公开", "This circular is already proposed or published",
                              "circularId")
        return PublicNotice.objects.create(circular=circular, title=redact_text(title), body=redact_text(body),
                                           requested_by=county_user)


def decide_notice(notice_id: int, *, approve: bool, county_user: User) -> "PublicNotice":
    """A county admin other than the proposer approves (publishes) or refuses it: four eyes on what goes public."""
    from .models import PublicNotice

    if county_user is None or county_user.role != Role.COUNTY_ADMIN:
        raise _not_allowed()
    with schema_context(get_public_schema_name()), transaction.atomic():
        notice = PublicNotice.objects.select_for_update().filter(pk=notice_id).first()
        if notice is None:
            raise DomainError("NOT_FOUND", "未找到该曝光申请", "Notice not found", "id")
        if notice.state != PublicNotice.State.PENDING:
            raise DomainError("ALREADY_DECIDED", "该申请已审核", "This notice has already been decided", "id")
        if notice.requested_by_id == county_user.pk:
            raise DomainError("SAME_PERSON", "申请人不能审核自己的申请", "The proposer cannot approve their own notice", "id")
        notice.state = PublicNotice.State.PUBLISHED if approve else PublicNotice.State.REFUSED
        notice.decided_by, notice.decided_at = county_user, timezone.now()
        notice.save(update_fields=["state", "decided_by", "decided_at"])
        return notice
