"""Concentrated problems (企业和群众反映集中的问题): the same item or window collecting bad reviews that share a topic
within a rolling period opens a tracked improvement case with a deadline (限期整改解决); the periodic scan escalates
it when overdue (the county sees it), and closing it publishes what was wrong and what was done on the portal."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from haochaping.core.errors import DomainError
from haochaping.evaluations.models import Evaluation
from haochaping.workcalendar.services import deadline
from tenants.resolution import current_tenant

from .comments import DIMENSIONS, topics
from .models import ImprovementCase

PERIOD_DAYS = getattr(settings, "CONCENTRATION_PERIOD_DAYS", 30)
MIN_REVIEWS = getattr(settings, "CONCENTRATION_MIN_REVIEWS", 3)
WORKING_DAYS = getattr(settings, "CONCENTRATION_WORKING_DAYS", 15)
SCAN_JOB = "analytics.concentration"


def detect(now: datetime | None = None) -> list[ImprovementCase]:
    """Open a case for each (item or window, topic) with MIN_REVIEWS bad reviews in the last PERIOD_DAYS, unless one
    is already open. Rejected (mistaken or malicious) reviews do not count."""
    now = now or timezone.now()
    bad = (Evaluation.objects.filter(is_bad=True, excluded_from_scores=False, rated_at__gte=now - timedelta(days=PERIOD_DAYS),
                                     rated_at__lte=now).exclude(comment="")
           .select_related("item__catalog_item", "window__org").order_by("rated_at"))
    groups: dict[tuple[str, int, str], list[Evaluation]] = defaultdict(list)
    for evaluation in bad:
        found = topics(evaluation.comment)
        for topic in found:
            if evaluation.item_id:
                groups[(ImprovementCase.Subject.ITEM, evaluation.item_id, topic)].append(evaluation)
            if evaluation.window_id:
                groups[(ImprovementCase.Subject.WINDOW, evaluation.window_id, topic)].append(evaluation)
    opened = []
    for (kind, subject_id, topic), evaluations in sorted(groups.items()):
        if len(evaluations) < MIN_REVIEWS:
            continue
        if ImprovementCase.objects.filter(subject_kind=kind, subject_id=subject_id, topic=topic,
                                          state=ImprovementCase.State.OPEN).exists():
            continue
        # Reviews already answered by a closed case are not raised again on their own.
        answered = set()
        for case in ImprovementCase.objects.filter(subject_kind=kind, subject_id=subject_id, topic=topic,
                                                   state=ImprovementCase.State.CLOSED):
            answered.update(case.evaluation_ids)
        fresh = [e for e in evaluations if e.pk not in answered]
        if len(fresh) < MIN_REVIEWS:
            continue
        first = fresh[0]
        name = (f"{first.item.catalog_item.name}" if kind == ImprovementCase.Subject.ITEM
                else f"{first.window.org.name} {first.window.name}")
        try:
            with transaction.atomic():
                opened.append(ImprovementCase.objects.create(
                    subject_kind=kind, subject_id=subject_id, subject_name=name, topic=topic,
                    review_count=len(fresh), evaluation_ids=[e.pk for e in fresh], period_days=PERIOD_DAYS,
                    opened_at=now, due=deadline(now, WORKING_DAYS)))
        except IntegrityError:  # another scan opened it a moment ago
            continue
    for case in opened:
        _notify(case, "发现集中问题", f"{case.subject_name}在{PERIOD_DAYS}天内收到{case.review_count}条关于"
                                       f"“{DIMENSIONS[case.topic].label}”的差评，请于{timezone.localtime(case.due):%Y-%m-%d}前整改。")
    return opened


def escalate_overdue(now: datetime | None = None) -> list[ImprovementCase]:
    """Open cases past their deadline are escalated once; the county agency is told."""
    now = now or timezone.now()
    escalated = []
    for case in ImprovementCase.objects.filter(state=ImprovementCase.State.OPEN, due__lt=now, escalated_at__isnull=True):
        ImprovementCase.objects.filter(pk=case.pk, escalated_at__isnull=True).update(escalated_at=now)
        case.escalated_at = now
        escalated.append(case)
        _notify(case, "集中问题整改超期", f"{case.subject_name}关于“{DIMENSIONS[case.topic].label}”的集中问题已超过整改期限"
                                         f"（{timezone.localtime(case.due):%Y-%m-%d}），已升级督办。", county=True)
    return escalated


def close_case(case_id: int, outcome: str) -> ImprovementCase:
    """Record what was done; publishes the case (no personal data) in the same transaction."""
    from haochaping.disclosure.models import PublishedImprovement

    outcome = (outcome or "").strip()
    if not outcome:
        raise DomainError("REQUIRED", "请填写整改措施", "Say what was done", "outcome")
    if len(outcome) > 2000:
        raise DomainError("TOO_LONG", "整改措施不能超过2000字", "At most 2,000 characters", "outcome")
    with transaction.atomic():
        case = ImprovementCase.objects.select_for_update().filter(pk=case_id).first()
        if case is None:
            raise DomainError("NOT_FOUND", "未找到该集中问题", "No such improvement case", "id")
        if case.state != ImprovementCase.State.OPEN:
            raise DomainError("ALREADY_CLOSED", "该集中问题已整改完成", "This case is already closed", "id")
        case.state, case.closed_at, case.outcome = ImprovementCase.State.CLOSED, timezone.now(), outcome
        case.save(update_fields=["state", "closed_at", "outcome"])
        from haochaping.core.privacy import redact_text

        PublishedImprovement.objects.create(
            tenant=current_tenant(), case_id=case.pk, subject_name=case.subject_name, topic=case.topic,
            review_count=case.review_count, opened_at=case.opened_at, closed_at=case.closed_at,
            on_time=case.closed_at <= case.due, outcome=redact_text(outcome))
    return case


def _notify(case: ImprovementCase, title: str, body: str, *, county: bool = False) -> None:
    from haochaping.supervision.services import notify_tenant_admins

    tenant = current_tenant()
    notify_tenant_admins(tenant, subject=f"{title}：{case.subject_name}", body=body, purpose="improvement",
                         key=f"improvement:{case.pk}:{'escalated' if county else 'opened'}")
    if county:
        from django_tenants.utils import get_public_schema_name, schema_context

        from haochaping.accounts.models import PLATFORM_ROLES, User
        from haochaping.notifications.services import queue_notification

        with schema_context(get_public_schema_name()):
            recipients = list(User.objects.filter(role__in=PLATFORM_ROLES, is_active=True).exclude(email="")
                              .values_list("pk", "email"))
        for pk, email in recipients:
            queue_notification(channel="EMAIL", recipient=email, subject=f"{title}：{tenant.name} {case.subject_name}",
                               body=body, purpose="improvement", dedupe_key=f"improvement:{case.pk}:county:{pk}")


def scan(now: datetime | None = None) -> dict[str, int]:
    return {"opened": len(detect(now)), "escalated": len(escalate_overdue(now))}

