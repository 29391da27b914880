"""一事一评 invitations: when a case completes, a signed single-use link goes to the applicant."""
from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.utils import timezone

from tenants.resolution import current_tenant
from haochaping.core.links import tenant_url
from haochaping.core.signing import make_token, read_token
from haochaping.notifications.models import Notification
from haochaping.notifications.services import queue_notification

from .models import Invitation, ServiceCase
from .policy import get_policy

INVITATION_PURPOSE = "invite"


def invitation_notification_key(invitation_id: int) -> str:
    return f"{connection.schema_name}:invitation:{invitation_id}"


def invitation_url(invitation: Invitation) -> str:
    return tenant_url(connection.schema_name, f"/e/{make_token(INVITATION_PURPOSE, i=invitation.pk)}/")


def invite_for_completed_case(case: ServiceCase, round: int = 1) -> list[Invitation]:
    """Idempotent: one invitation per case, round and channel, and none once the round is rated or its rating
    period is over (a backfilled old case gets no link that could only answer RATING_PERIOD_OVER)."""
    if case.evaluations.filter(round=round).exists():
        return []
    started = case.completed_at or case.accepted_at
    if timezone.now() > started + timedelta(days=get_policy().supplementary_days):
        return []
    created = []
    targets = [("SMS", case.applicant_phone), ("EMAIL", case.applicant_email)]
    for channel, address in targets:
        if not address:
            continue
        invitation, is_new = Invitation.objects.get_or_create(case=case, round=round, channel=channel)
        if not is_new:
            continue
        link = invitation_url(invitation)
        item = case.item.catalog_item.name
        body = (f"您在{current_tenant().name}办理的“{item}”（办件编号{case.case_number}）已办结，"
                f"请对本次服务进行评价：{link} 评价自愿，您的个人信息受保护。")
        queue_notification(channel=channel, recipient=address, body=body, purpose="invitation",
                           subject="政务服务“好差评”邀请您评价" if channel == "EMAIL" else "",
                           dedupe_key=invitation_notification_key(invitation.pk))
        created.append(invitation)
    return created


def invitation_from_token(token: str) -> Invitation:
    from haochaping.core.signing import InvalidToken

    values = read_token(INVITATION_PURPOSE, token, field="invitationToken")
    invitation = Invitation.objects.select_related("case__item__catalog_item").filter(pk=values.get("i")).first()
    if invitation is None:
        raise InvalidToken("invitationToken")
    return invitation


__all__ = ["Notification", "invitation_url", "invite_for_completed_case", "invitation_from_token"]
