"""The rectification workflow. Each action checks the role and the state, writes one append-only event and
bumps the version under a row lock, so of two handlers acting at once one wins and the other gets a clear error."""
from __future__ import annotations

import mimetypes
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from haochaping.accounts.models import Role, User
from haochaping.core.errors import DomainError, ErrorCollector
from haochaping.disclosure.services import publish_rectification
from haochaping.notifications.services import queue_notification
from tenants.models import Tenant
from tenants.resolution import current_tenant

from . import clocks
from .models import ContactAccess, Evidence, FollowUp, Rectification, RectificationEvent

S, O = Rectification.State, Rectification.Outcome
WORKERS = {Role.TENANT_ADMIN, Role.HANDLER}
MANAGERS = {Role.TENANT_ADMIN, Role.AGENCY}
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
EVIDENCE_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}
SIGNATURES = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n", "application/pdf": b"%PDF-"}


@dataclass(frozen=True)
class Actor:
    """Who acts: a user of this schema, a county-agency user (public schema) or the system."""

    user: User | None
    label: str
    role: str | None
    county: bool = False

    @classmethod
    def of(cls, user: User) -> "Actor":
        return cls(user=user, label=f"{user.display_name or user.username}（{user.get_role_display()}）", role=user.role)

    @classmethod
    def county_user(cls, user: User) -> "Actor":
        return cls(user=None, label=f"县级：{user.display_name or user.username}", role=user.role, county=True)


SYSTEM = Actor(user=None, label="系统", role=None)


def _refuse(code: str, zh: str, en: str, field_name: str | None = None) -> DomainError:
    return DomainError(code, zh, en, field_name)


def _not_allowed() -> DomainError:
    return _refuse("TRANSITION_NOT_ALLOWED", "当前角色或状态不允许此操作", "This action is not allowed for your role or in this state")


def _event(r: Rectification, actor: Actor, action: str, before: str, note: str = "", **data) -> None:
    RectificationEvent.objects.create(rectification=r, actor=actor.user, actor_label=actor.label, action=action,
                                      from_state=before, to_state=r.state, note=note, data=data)


def _act(rectification_id: int, version: int | None, actor: Actor, action: str, allowed_states: set[str],
         roles: set[str] | None, change, note: str = "", **data) -> Rectification:
    """Lock, check version/role/state, apply `change`, save, and record the event."""
    with transaction.atomic():
        r = Rectification.objects.select_for_update().filter(pk=rectification_id).first()
        if r is None:
            raise _refuse("NOT_FOUND", "未找到该整改", "Rectification not found", "id")
        if version is not None and version != r.version:
            raise _refuse("CONFLICT", "该整改已被他人更新，请刷新后重试", "Someone else changed this rectification; reload and retry", "version")
        if roles is not None and (actor.role not in roles or actor.county):
            raise _not_allowed()
        if r.state not in allowed_states:
            raise _not_allowed()
        before = r.state
        change(r)
        r.version += 1
        r.save()
        _event(r, actor, action, before, note, **data)
        publish_rectification(r)
    return r


# ---------------------------------------------------------------------------------------------- opening


def open_for_evaluation(evaluation, owner: Tenant, *, source: str = Rectification.Source.BAD_REVIEW) -> Rectification:
    """Called in the rating's own transaction. Owned by the handling unit; handed off there when it is another
    tenant (the centre's one-stop windows), carrying what the follow-up needs."""
    rating_unit = current_tenant()
    follow_up_due, due, estimated = clocks.deadlines(evaluation.rated_at)
    values = dict(
        source=source, rating_unit=rating_unit, source_evaluation_id=evaluation.pk, owner_unit=owner,
        case_number=evaluation.case.case_number if evaluation.case_id else "",
        item_name=evaluation.item.catalog_item.name if evaluation.item_id else "",
        window_name=str(evaluation.window) if evaluation.window_id else "",
        grade=evaluation.grade, channel=evaluation.channel, comment=evaluation.comment,
        rater_name=evaluation.rater_name, rater_phone=evaluation.rater_phone, is_real_name=evaluation.is_real_name,
        rated_at=evaluation.rated_at, follow_up_due=follow_up_due, due=due,
    )
    note = "工作日历缺少该年份，期限按周一至周五估算" if estimated else ""
    if owner.pk == rating_unit.pk:
        r = Rectification.objects.create(evaluation=evaluation, **values)
        _event(r, SYSTEM, "OPENED", "", note)
        publish_rectification(r, receipt_code=evaluation.receipt_code)
        return r
    with schema_context(owner.schema_name):  # same transaction, the owner's schema
        r = Rectification.objects.create(**values)
        _event(r, SYSTEM, "HANDED_OFF", "", note or f"由{rating_unit.name}转交（谁办理、谁负责）",
               rating_unit=rating_unit.schema_name)
        publish_rectification(r, receipt_code=evaluation.receipt_code)
    return r


def reopen_on_dispute(case_number: str, rating_unit: Tenant, evaluation) -> Rectification | None:
    """追评: a rater who disputes the fix reopens the rectification and it escalates; a good one confirms it."""
    r = Rectification.objects.select_for_update().filter(case_number=case_number, rating_unit=rating_unit).order_by("-pk").first()
    if r is None:
        return None
    before = r.state
    if evaluation.is_bad:
        r.rater_confirmed = False
        if r.state == S.CLOSED:
            r.state, r.outcome, r.closed_at = S.VERIFYING, "", None
            r.reopened_count += 1
            _, r.due, _ = clocks.deadlines(evaluation.rated_at)
        r.escalated_at = r.escalated_at or timezone.now()
        r.version += 1
        r.save()
        _event(r, SYSTEM, "DISPUTED", before, "评价人追评不认可整改，重新整改并升级督办", grade=evaluation.grade)
        publish_rectification(r)
    else:
        r.rater_confirmed = True
        r.version += 1
        r.save()
        _event(r, SYSTEM, "CONFIRMED", before, "评价人追评认可整改", grade=evaluation.grade)
    return r


# ------------------------------------------------------------------------------------------- the workflow


def assign_handler(rid: int, version: int | None, actor: Actor, handler: User) -> Rectification:
    if handler.role not in WORKERS or not handler.is_active:
        raise _refuse("INVALID_HANDLER", "专人须为本单位的整改专人或单位管理员（不能是被评价的窗口人员）",
                      "The handler must be this unit's handler or admin (never the rated staff member)", "handlerId")
    return _act(rid, version, actor, "ASSIGNED", {S.OPEN, S.VERIFYING, S.LEDGER}, MANAGERS,
                lambda r: setattr(r, "handler", handler), note=f"指定专人：{handler}")


def record_follow_up(rid: int, version: int | None, actor: Actor, *, method: str, rater_said: str,
                     contacted_at: datetime | None = None) -> Rectification:
    errors = ErrorCollector()
    if method not in FollowUp.Method.values:
        errors.add("INVALID_METHOD", "method", "回访方式无效", "Unknown follow-up method")
    errors.require(rater_said, "raterSaid", "评价人反映的情况", "What the rater said")
    errors.max_length(rater_said, 2000, "raterSaid", "评价人反映的情况", "What the rater said")
    when = contacted_at or timezone.now()
    if when > timezone.now() + timezone.timedelta(minutes=5):
        errors.add("INVALID_TIME", "contactedAt", "回访时间不能晚于现在", "The contact time cannot be in the future")
    errors.raise_if_any()

    def change(r):
        FollowUp.objects.create(rectification=r, contacted_at=when, method=method, contacted_by=actor.user,
                                rater_said=rater_said.strip())
        r.followed_up_at = r.followed_up_at or when
        if r.state == S.OPEN:
            r.state = S.VERIFYING

    return _act(rid, version, actor, "FOLLOWED_UP", {S.OPEN, S.VERIFYING, S.LEDGER}, WORKERS, change,
                note=rater_said.strip(), method=method)


def _require_feedback(feedback: str) -> str:
    errors = ErrorCollector()
    errors.require(feedback, "feedback", "反馈内容", "Feedback")
    errors.max_length(feedback, 1000, "feedback", "反馈内容", "Feedback")
    errors.raise_if_any()
    return feedback.strip()


def _close(r: Rectification, outcome: str, feedback: str) -> None:
    r.state, r.outcome, r.closed_at, r.feedback = S.CLOSED, outcome, timezone.now(), feedback
    _send_feedback(r)


def _send_feedback(r: Rectification) -> None:
    """Feedback to the rater through the outbox; an anonymous rater reads it with the receipt code."""
    if r.rater_phone:
        queue_notification(channel="SMS", recipient=r.rater_phone, purpose="rectification_feedback",
                           body=f"您对“{r.item_name or r.window_name}”的评价已核实处理：{r.feedback[:200]}",
                           dedupe_key=f"{connection.schema_name}:rectification:{r.pk}:feedback:{r.reopened_count}")
    r.feedback_sent_at = timezone.now()


def _has_evidence(r: Rectification) -> bool:
    return r.evidence.exists()


def fix_now(rid: int, version: int | None, actor: Actor, *, feedback: str) -> Rectification:
    """立行立改: fixed at once; needs evidence and feedback to the rater."""
    text = _require_feedback(feedback)

    def change(r):
        if not _has_evidence(r):
            raise _refuse("EVIDENCE_REQUIRED", "立行立改须上传整改证明材料", "A fix needs evidence (photo or document)", "evidence")
        _close(r, O.FIXED_NOW, text)

    return _act(rid, version, actor, "FIXED_NOW", {S.VERIFYING}, WORKERS, change, note=text)


def open_ledger(rid: int, version: int | None, actor: Actor, *, plan: str) -> Rectification:
    """建立台账: a complex case gets a ledger entry, progress updates and the deadline."""
    errors = ErrorCollector()
    errors.require(plan, "plan", "整改计划", "Plan")
    errors.raise_if_any()
    return _act(rid, version, actor, "LEDGER_OPENED", {S.VERIFYING}, WORKERS,
                lambda r: setattr(r, "state", S.LEDGER), note=plan.strip())


def add_progress(rid: int, version: int | None, actor: Actor, *, note: str) -> Rectification:
    errors = ErrorCollector()
    errors.require(note, "note", "进展", "Progress note")
    errors.raise_if_any()
    return _act(rid, version, actor, "PROGRESS", {S.LEDGER}, WORKERS, lambda r: None, note=note.strip())


def close_ledger(rid: int, version: int | None, actor: Actor, *, feedback: str) -> Rectification:
    text = _require_feedback(feedback)

    def change(r):
        if not _has_evidence(r):
            raise _refuse("EVIDENCE_REQUIRED", "整改完成须上传证明材料", "Completing a fix needs evidence", "evidence")
        _close(r, O.LEDGER_FIXED, text)

    return _act(rid, version, actor, "LEDGER_FIXED", {S.LEDGER}, WORKERS, change, note=text)


def explain(rid: int, version: int | None, actor: Actor, *, feedback: str) -> Rectification:
    """缺乏法定依据，做好解释说明."""
    text = _require_feedback(feedback)
    return _act(rid, version, actor, "EXPLAINED", {S.VERIFYING, S.LEDGER}, WORKERS,
                lambda r: _close(r, O.EXPLAINED, text), note=text)


def request_rejection(rid: int, version: int | None, actor: Actor, *, kind: str, reason: str) -> Rectification:
    """误评 / 恶意差评: needs a reason and the approval of the unit's management agency."""
    errors = ErrorCollector()
    if kind not in (O.REJECTED_MISTAKEN, O.REJECTED_MALICIOUS):
        errors.add("INVALID_KIND", "kind", "须为误评或恶意差评", "Must be REJECTED_MISTAKEN or REJECTED_MALICIOUS")
    errors.require(reason, "reason", "理由", "Reason")
    errors.raise_if_any()

    def change(r):
        r.state, r.rejection_kind, r.rejection_reason = S.REJECTION_PENDING, kind, reason.strip()
        _notify_agency(r)

    return _act(rid, version, actor, "REJECTION_REQUESTED", {S.VERIFYING}, WORKERS, change, note=reason.strip(), kind=kind)


def _is_management_agency(actor: Actor) -> bool:
    """The unit's 同级 management agency: a township's own AGENCY users; the county agency (public-schema users)
    for departments and the centre. Never the unit whose score benefits."""
    if current_tenant().kind == Tenant.Kind.TOWNSHIP:
        return actor.role == Role.AGENCY and not actor.county
    return actor.county and actor.role in (Role.COUNTY_ADMIN, Role.COUNTY_SUPERVISOR)


def decide_rejection(rid: int, version: int | None, actor: Actor, *, approve: bool, note: str = "") -> Rectification:
    """Decided by the unit's management agency (see _is_management_agency)."""
    allowed = _is_management_agency(actor)

    def change(r):
        if not allowed:
            raise _not_allowed()
        if approve:
            _close(r, r.rejection_kind, r.feedback or "经核实，该评价为误评或恶意差评，不予采纳。")
            _exclude_from_scores(r)
        else:
            r.state, r.rejection_kind = S.VERIFYING, ""

    return _act(rid, version, actor, "REJECTION_APPROVED" if approve else "REJECTION_DENIED", {S.REJECTION_PENDING},
                None, change, note=note.strip())


def _exclude_from_scores(r: Rectification) -> None:
    from haochaping.evaluations.models import Evaluation

    with schema_context(r.rating_unit.schema_name):
        Evaluation.objects.filter(pk=r.source_evaluation_id).update(excluded_from_scores=True)


def _notify_agency(r: Rectification) -> None:
    """The agency is told of every rejection request (and sees it in its queue)."""
    from haochaping.jobs.services import enqueue

    enqueue("rectification.agency_notice", {"rectification_id": r.pk, "kind": r.rejection_kind},
            dedupe_key=f"rejection:{r.pk}:{r.version}")


def request_extension(rid: int, version: int | None, actor: Actor, *, days: int, reason: str) -> Rectification:
    errors = ErrorCollector()
    if not 1 <= days <= 30:
        errors.add("INVALID_DAYS", "days", "延期须为1到30个工作日", "An extension is 1 to 30 working days")
    errors.require(reason, "reason", "延期理由", "Reason")
    errors.raise_if_any()

    def change(r):
        r.extension_requested_days, r.extension_reason = days, reason.strip()

    return _act(rid, version, actor, "EXTENSION_REQUESTED", {S.VERIFYING, S.LEDGER}, WORKERS, change,
                note=reason.strip(), days=days)


def decide_extension(rid: int, version: int | None, actor: Actor, *, approve: bool) -> Rectification:
    allowed = _is_management_agency(actor)

    def change(r):
        if not allowed:
            raise _not_allowed()
        if not r.extension_requested_days:
            raise _refuse("NO_EXTENSION_REQUESTED", "没有待审批的延期申请", "No extension is waiting for approval")
        if approve:
            r.due = clocks.extended(r.due, r.extension_requested_days)
        r.extension_requested_days = None

    return _act(rid, version, actor, "EXTENSION_APPROVED" if approve else "EXTENSION_DENIED", {S.VERIFYING, S.LEDGER},
                None, change)


def read_contact(rid: int, actor: Actor) -> tuple[str, str]:
    """The rater's contact for the follow-up: only handlers and managers, and every read is logged."""
    if actor.role not in WORKERS | MANAGERS or actor.user is None:
        raise _not_allowed()
    r = Rectification.objects.filter(pk=rid).first()
    if r is None:
        raise _refuse("NOT_FOUND", "未找到该整改", "Rectification not found", "id")
    ContactAccess.objects.create(rectification=r, user=actor.user)
    return r.rater_name, r.rater_phone


def add_evidence(rid: int, actor: Actor, *, name: str, content: bytes, content_type: str | None = None) -> Evidence:
    """Photos (JPEG/PNG) or PDF, at most 10 MB, checked by their first bytes, stored under the tenant's path."""
    if actor.role not in WORKERS or actor.user is None:
        raise _not_allowed()
    kind = content_type or mimetypes.guess_type(name)[0] or ""
    if kind not in EVIDENCE_TYPES or not content.startswith(SIGNATURES[kind]):
        raise _refuse("INVALID_FILE_TYPE", "仅支持 JPG、PNG 图片或 PDF 文件", "Only JPEG or PNG images or PDF files", "file")
    if len(content) > MAX_EVIDENCE_BYTES:
        raise _refuse("FILE_TOO_LARGE", "文件不能超过10MB", "Files must be at most 10 MB", "file")
    with transaction.atomic():
        r = Rectification.objects.select_for_update().filter(pk=rid).first()
        if r is None:
            raise _refuse("NOT_FOUND", "未找到该整改", "Rectification not found", "id")
        if r.state not in (S.VERIFYING, S.LEDGER):
            raise _not_allowed()
        stored = f"{secrets.token_hex(12)}{EVIDENCE_TYPES[kind]}"
        evidence = Evidence(rectification=r, stored_name=stored, original_name=name[:200], content_type=kind,
                            size=len(content), uploaded_by=actor.user)
        evidence.file.save(stored, ContentFile(content), save=False)
        evidence.save()
        _event(r, actor, "EVIDENCE_ADDED", r.state, name[:200], evidence_id=evidence.pk)
    return evidence


def pause(rid: int, version: int | None, actor: Actor, *, reason: str) -> Rectification:
    """Stop the clock while waiting on the rater (e.g. for documents they promised)."""
    errors = ErrorCollector()
    errors.require(reason, "reason", "暂停理由", "Reason")
    errors.raise_if_any()

    def change(r):
        if r.paused_at is not None:
            raise _refuse("ALREADY_PAUSED", "计时已暂停", "The clock is already paused")
        r.paused_at = timezone.now()

    return _act(rid, version, actor, "PAUSED", {S.VERIFYING, S.LEDGER}, WORKERS, change, note=reason.strip())


def resume(rid: int, version: int | None, actor: Actor) -> Rectification:
    """Restart the clock: the deadlines move by the working days spent waiting."""
    def change(r):
        if r.paused_at is None:
            raise _refuse("NOT_PAUSED", "计时未暂停", "The clock is not paused")
        waited = clocks.working_days_between(r.paused_at, timezone.now())
        if waited:
            r.due = clocks.extended(r.due, waited)
        r.paused_at = None

    return _act(rid, version, actor, "RESUMED", {S.VERIFYING, S.LEDGER}, WORKERS, change)


COMPLAINT_CHANNELS = {"HOTLINE": "热线", "WEB": "网上", "WINDOW": "窗口", "LETTER": "信件", "EMAIL": "电子邮件", "MAILBOX": "意见箱"}


def open_complaint(*, text: str, channel: str, complainant_name: str = "", complainant_phone: str = "",
                   case_number: str | None = None, actor: Actor, verified: bool = True) -> Rectification:
    """投诉 opens a rectification exactly like a bad review: same clocks, same owner rule (谁办理、谁负责)."""
    from haochaping.evaluations.cases import PHONE_RE
    from haochaping.evaluations.models import ServiceCase

    errors = ErrorCollector()
    errors.require(text, "text", "投诉内容", "Complaint")
    errors.max_length(text, 2000, "text", "投诉内容", "Complaint")
    errors.max_length(complainant_name, 100, "complainantName", "投诉人", "Complainant")
    if channel not in COMPLAINT_CHANNELS:
        errors.add("INVALID_CHANNEL", "channel", "投诉渠道无效", "Unknown complaint channel")
    phone = (complainant_phone or "").strip()
    if phone and not PHONE_RE.match(phone):
        errors.add("INVALID_PHONE", "complainantPhone", "联系电话格式不正确", "The phone number is not valid")
    case = None
    if case_number:
        case = ServiceCase.objects.select_related("handling_unit", "item__catalog_item", "window").filter(
            case_number=case_number.strip()).first()
        if case is None:
            errors.add("UNKNOWN_CASE", "caseNumber", "未找到该办件", "No such case")
    errors.raise_if_any()
    # A system intake (综合点评 from the public: no user, no role) may open one too.
    if actor.role not in WORKERS | MANAGERS and not actor.county and not (actor.user is None and actor.role is None):
        raise _not_allowed()
    rating_unit = current_tenant()
    owner = case.handling_unit if case else rating_unit
    now = timezone.now()
    follow_up_due, due, estimated = clocks.deadlines(now)
    values = dict(source=Rectification.Source.COMPLAINT, rating_unit=rating_unit, source_evaluation_id=None,
                  owner_unit=owner, case_number=case.case_number if case else "",
                  item_name=case.item.catalog_item.name if case else "", window_name=str(case.window) if case and case.window else "",
                  grade=None, channel=channel, comment=text.strip(), rater_name=complainant_name.strip(), rater_phone=phone,
                  # 实名 only when someone vouched for the contact (staff taking the complaint); a name and phone
                  # typed into a public form are not verified (DESIGN §4).
                  is_real_name=verified and bool(complainant_name.strip() and phone), rated_at=now, follow_up_due=follow_up_due, due=due)
    note = f"{COMPLAINT_CHANNELS[channel]}投诉，由{actor.label}登记" + ("；期限按周一至周五估算" if estimated else "")
    with transaction.atomic():
        if owner.pk == rating_unit.pk:
            r = Rectification.objects.create(**values)
            _event(r, actor, "COMPLAINT_OPENED", "", note)
            publish_rectification(r)
            return r
        with schema_context(owner.schema_name):
            r = Rectification.objects.create(**values)
            _event(r, actor, "HANDED_OFF", "", note + f"；由{rating_unit.name}转交", rating_unit=rating_unit.schema_name)
            publish_rectification(r)
    return r
