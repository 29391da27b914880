"""Rectification jobs, run by the worker in the tenant schema each job names.

- `rectification.scan` (scheduled by run_worker for every active tenant): follow-up overdue, due-soon and
  overdue alerts to the handler, and escalation of overdue cases to the county agency (督办). Safe to run any
  number of times: each alert is deduped per rectification, kind and deadline; escalation happens once.
- `rectification.agency_notice` (enqueued by services._notify_agency): tells the unit's management agency that
  a rejection awaits its approval."""
from __future__ import annotations

import logging
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from haochaping.accounts.models import PLATFORM_ROLES, Role, User
from haochaping.jobs.services import job_handler
from haochaping.notifications.services import queue_notification
from haochaping.workcalendar.services import CalendarUnknown, WorkingCalendar
from tenants.models import Tenant
from tenants.resolution import current_tenant

from . import clocks
from .models import Rectification, RectificationEvent
from .services import SYSTEM, _event

log = logging.getLogger(__name__)
S = Rectification.State
SCAN_JOB = "rectification.scan"
AGENCY_NOTICE_JOB = "rectification.agency_notice"


class Alert:
    FOLLOW_UP_OVERDUE = "FOLLOW_UP_OVERDUE"
    DUE_SOON = "DUE_SOON"
    OVERDUE = "OVERDUE"


ALERT_TEXT = {
    Alert.FOLLOW_UP_OVERDUE: ("整改回访已超期", "未在回访期限（{deadline}）前回访核实，请立即联系评价人。"),
    Alert.DUE_SOON: ("整改即将到期", "整改反馈期限为{deadline}，请按期完成整改并反馈评价人。"),
    Alert.OVERDUE: ("整改已逾期并升级督办", "已超过整改反馈期限（{deadline}），已升级至县级政务服务管理机构督办。"),
}


def _local(dt: datetime) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M")


def _due_soon_limit(now: datetime) -> datetime:
    """The end of the DUE_SOON_WORKING_DAYS-th working day after today (Monday–Friday if the year is unknown)."""
    try:
        return WorkingCalendar.load().deadline(now, clocks.DUE_SOON_WORKING_DAYS)
    except CalendarUnknown:
        return WorkingCalendar({}, {now.year, now.year + 1}).deadline(now, clocks.DUE_SOON_WORKING_DAYS)


def _recipients(r: Rectification) -> list[User]:
    """The handler, or the unit's admins while no handler is assigned; only those with an email address."""
    if r.handler_id and r.handler.is_active:
        users = [r.handler]
    else:
        users = list(User.objects.filter(role=Role.TENANT_ADMIN, is_active=True))
    return [u for u in users if u.email]


def _alert(r: Rectification, kind: str, deadline: datetime) -> int:
    """Queue one alert per recipient; the dedupe key (rectification, kind, the deadline it is about, reopenings)
    means a rescan never sends it twice, while an extended or reopened deadline gets a fresh alert."""
    subject, text = ALERT_TEXT[kind]
    stamp = int(deadline.timestamp())
    queued = 0
    for user in _recipients(r):
        key = f"{connection.schema_name}:rect:{r.pk}:alert:{kind}:{stamp}:{r.reopened_count}:u{user.pk}"
        body = f"整改#{r.pk}（{r.case_number or r.item_name or r.window_name}）：{text.format(deadline=_local(deadline))}"
        if queue_notification(channel="EMAIL", recipient=user.email, subject=f"{subject}：整改#{r.pk}",
                              body=body, purpose=f"rectification_{kind.lower()}", dedupe_key=key[:120]):
            queued += 1
    return queued


def _escalation_reason(r: Rectification) -> str:
    from haochaping.supervision.models import Escalation

    last = (RectificationEvent.objects.filter(rectification=r, action__in=["ESCALATED", "DISPUTED"])
            .order_by("-at", "-id").values_list("action", flat=True).first())
    return Escalation.Reason.DISPUTED if last == "DISPUTED" else Escalation.Reason.OVERDUE


def escalate(rectification_id: int, tenant: Tenant, now: datetime) -> bool:
    """Escalate an overdue rectification once: escalated_at, an ESCALATED event, and the public Escalation row
    the county sees (no personal data). Returns whether it escalated now."""
    from haochaping.supervision.services import record_escalation

    with transaction.atomic():
        r = Rectification.objects.select_for_update().filter(pk=rectification_id).first()
        if r is None or r.state == S.CLOSED or r.escalated_at is not None or r.due >= now:
            return False
        before = r.state
        r.escalated_at = now
        r.version += 1
        r.save(update_fields=["escalated_at", "version"])
        _event(r, SYSTEM, "ESCALATED", before, f"超过整改反馈期限（{_local(r.due)}），升级督办", due=r.due.isoformat())
        record_escalation(tenant, r, "OVERDUE")
    return True


def scan(now: datetime | None = None) -> dict[str, int]:
    """One pass over this schema's open rectifications. Returns counts (for logs and tests)."""
    from haochaping.supervision.services import record_escalation

    now = now or timezone.now()
    tenant = current_tenant()
    soon = _due_soon_limit(now)
    counts = {"follow_up_overdue": 0, "due_soon": 0, "overdue": 0, "escalated": 0}
    open_rs = (Rectification.objects.select_related("handler").exclude(state=S.CLOSED)
               .filter(paused_at__isnull=True).order_by("due", "pk"))
    for r in open_rs:
        if r.followed_up_at is None and r.follow_up_due < now:
            counts["follow_up_overdue"] += _alert(r, Alert.FOLLOW_UP_OVERDUE, r.follow_up_due)
        if r.due < now:
            if escalate(r.pk, tenant, now):
                counts["escalated"] += 1
            counts["overdue"] += _alert(r, Alert.OVERDUE, r.due)
        elif r.due <= soon:
            counts["due_soon"] += _alert(r, Alert.DUE_SOON, r.due)
    # Escalations made elsewhere (a disputed fix, 追评) reach the county's list too; idempotent.
    for r in Rectification.objects.exclude(state=S.CLOSED).filter(escalated_at__isnull=False):
        record_escalation(tenant, r, _escalation_reason(r))
    return counts


@job_handler(SCAN_JOB)
def run_scan(payload: dict) -> None:
    counts = scan()
    if any(counts.values()):
        log.info("rectification scan in %s: %s", connection.schema_name, counts)


def _agency_recipients(tenant: Tenant) -> list[tuple[int, str]]:
    """A township's own AGENCY users; the county agency (public-schema county users) for departments and the
    centre (services._is_management_agency). Only those with an email address."""
    if tenant.kind == Tenant.Kind.TOWNSHIP:
        users = User.objects.filter(role=Role.AGENCY, is_active=True).exclude(email="")
        return [(u.pk, u.email) for u in users]
    with schema_context(get_public_schema_name()):
        users = User.objects.filter(role__in=PLATFORM_ROLES, is_active=True).exclude(email="")
        return [(u.pk, u.email) for u in users]


@job_handler(AGENCY_NOTICE_JOB)
def agency_notice(payload: dict) -> None:
    r = Rectification.objects.filter(pk=payload["rectification_id"]).first()
    if r is None or r.state != S.REJECTION_PENDING:
        return  # decided (or withdrawn) before the notice ran
    tenant = current_tenant()
    code = payload.get("kind") or r.rejection_kind
    kind = Rectification.Outcome(code).label if code in Rectification.Outcome.values else "不予采纳"
    schema = connection.schema_name
    where = "county" if tenant.kind != Tenant.Kind.TOWNSHIP else "tenant"
    for user_id, email in _agency_recipients(tenant):
        queue_notification(
            channel="EMAIL", recipient=email, purpose="rejection_approval",
            subject=f"待审批：{tenant.name}整改#{r.pk}申请不予采纳",
            body=(f"{tenant.name}对整改#{r.pk}（{r.case_number or r.item_name}）申请按“{kind}”不予采纳，"
                  f"理由：{r.rejection_reason}\n请登录平台审批。"),
            dedupe_key=f"{schema}:rect:{r.pk}:agency:{payload.get('job_id')}:{where}{user_id}"[:120],
        )
