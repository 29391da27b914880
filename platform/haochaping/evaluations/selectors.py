"""Reads for rating pages, lists and a staff member's own results."""
from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet

from tenants.resolution import current_tenant
from haochaping.accounts.models import User
from haochaping.core.privacy import mask_name

from . import grades
from .invitations import invitation_from_token
from .models import Evaluation, Questionnaire, ServiceCase
from .policy import get_policy
from .questionnaires import current_questionnaire


@dataclass
class RatingContext:
    tenant_name: str
    channel: str
    org_name: str | None = None
    window_name: str | None = None
    staff_name: str | None = None
    item_name: str | None = None
    case_number: str | None = None
    questionnaire: Questionnaire | None = None
    labels: list[tuple[int, str, str]] | None = None


def _labels() -> list[tuple[int, str, str]]:
    label_set = get_policy().label_set
    return [(g, grades.LABELS[label_set][g], grades.LABELS_EN[label_set][g]) for g in grades.GRADES]


def rating_context(*, window_token: str | None = None, invitation_token: str | None = None) -> RatingContext:
    from haochaping.core.signing import read_token
    from haochaping.organizations.models import Window

    from .submission import QR_PURPOSE

    context = RatingContext(tenant_name=current_tenant().name, channel="WEB", labels=_labels())
    item_id = None
    if invitation_token:
        invitation = invitation_from_token(invitation_token)
        case = invitation.case
        context.channel = "SMS" if invitation.channel == "SMS" else "WEB"
        context.case_number = case.case_number
        context.item_name = case.item.catalog_item.name
        context.window_name = case.window.name if case.window else None
        context.org_name = case.window.org.name if case.window else None
        context.staff_name = case.staff.name if case.staff else None
        item_id = case.item_id
    elif window_token:
        values = read_token(QR_PURPOSE, window_token, field="windowToken")
        window = Window.objects.select_related("org").filter(pk=values.get("w"), is_active=True).first()
        if window is None:
            from haochaping.core.signing import InvalidToken

            raise InvalidToken("windowToken")
        on_duty = list(window.staff.filter(is_active=True))
        context.channel = "QR_CODE"
        context.window_name, context.org_name = window.name, window.org.name
        context.staff_name = "、".join(s.name for s in on_duty) or None
    context.questionnaire = current_questionnaire(item_id)
    return context


def cases(status: str | None = None, search: str | None = None) -> QuerySet[ServiceCase]:
    qs = ServiceCase.objects.select_related("item__catalog_item", "accepting_unit", "handling_unit")
    if status:
        qs = qs.filter(status=status)
    if search:
        qs = qs.filter(case_number__icontains=search)
    return qs


def evaluations(*, bad_only: bool = False) -> QuerySet[Evaluation]:
    qs = Evaluation.objects.select_related("case", "window", "staff", "item__catalog_item")
    return qs.filter(is_bad=True) if bad_only else qs


def staff_results(user: User) -> QuerySet[Evaluation]:
    """A staff member's own results; rater identity is never part of them."""
    profile = getattr(user, "staff_profile", None)
    if profile is None:
        return Evaluation.objects.none()
    return Evaluation.objects.filter(staff=profile).select_related("item__catalog_item").order_by("-rated_at")


__all__ = ["RatingContext", "rating_context", "cases", "evaluations", "staff_results", "mask_name"]
