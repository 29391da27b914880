"""综合点评 writes. Every intake (suggestion box, hotline agent, Open311, and later e-mail and 12345) calls
`submit_comment`; answering, hiding and county re-routing (转办) are here too. Each write records a CommentEvent
and refreshes the redacted public copy (feedback_portal.PublishedComment) in the same transaction."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from haochaping.accounts.models import Role, User
from haochaping.core import ratelimit
from haochaping.core.errors import DomainError, ErrorCollector, NotFound, PermissionDenied
from haochaping.core.privacy import digest, redact_text
from haochaping.disclosure.services import receipt_digest
from tenants.models import Tenant

from . import routing
from .models import Category, Channel, CommentEvent, PublicComment
from .portal.models import PublishedComment

S = PublicComment.Status
MAX_TEXT = 1000
MAX_ANSWER = 2000
ANSWER_ROLES = {Role.TENANT_ADMIN, Role.AGENCY, Role.HANDLER}
HOTLINE_ROLES = ANSWER_ROLES
HIDE_ROLES = {Role.TENANT_ADMIN, Role.AGENCY}
CONTACT_ROLES = ANSWER_ROLES  # the handling workflow: the only ones who see name and phone whole
COUNTY_ROLES = {Role.COUNTY_ADMIN, Role.COUNTY_SUPERVISOR}
# Channels a member of the public uses directly: throttled per client IP and per phone.
SELF_SERVICE = {Channel.SUGGESTION_BOX, Channel.OPEN311}
# How a complaint's rectification names its channel (rectification.services.COMPLAINT_CHANNELS).
COMPLAINT_CHANNEL = {Channel.SUGGESTION_BOX: "MAILBOX", Channel.HOTLINE: "HOTLINE", Channel.EMAIL: "EMAIL",
                     Channel.HOTLINE_12345: "HOTLINE", Channel.OPEN311: "WEB", Channel.SUPERVISION_PLATFORM: "WEB"}


def _limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _phone_re():
    from haochaping.evaluations.cases import PHONE_RE

    return PHONE_RE


@dataclass(frozen=True)
class Submitted:
    comment: PublicComment
    tenant: Tenant
    receipt_code: str
    route: str
    rectification_id: int | None


def submit_comment(*, channel: str, text: str, category: str, contact_name: str = "", contact_phone: str = "",
                   contact_email: str = "", allow_publish: bool = False, unit: str | None = None, item_code: str = "", org_code: str = "",
                   host_tenant: Tenant | None = None, client_ip: str | None = None, entered_by: User | None = None,
                   trusted: bool = False, submitted_at: datetime | None = None) -> Submitted:
    """Take in one comment from any channel and store it in the schema of the unit it belongs to.

    channel       one of `Channel` (SUGGESTION_BOX, HOTLINE, EMAIL, HOTLINE_12345, OPEN311, SUPERVISION_PLATFORM).
    text          the comment, required, at most 1000 characters.
    category      one of `Category` (SUGGESTION, COMPLAINT, PRAISE, CONSULTATION); COMPLAINT opens a rectification
                  (same clocks and supervision as a bad review) once the comment has a unit.
    contact_*     optional name, phone and e-mail (masked outside the handling workflow, never published); the
                  answer is sent to the phone (SMS) and the e-mail address when there are any.
    allow_publish the commenter's consent to publish the (redacted) answer on the portal.
    unit / item_code / org_code / host_tenant   routing hints, see `routing.route`; `host_tenant` is the unit whose
                  own page or agent took the comment (it wins). org_code is "<unit slug>/<org code>".
    client_ip     the submitter's address; with a self-service channel (unless `trusted`, e.g. an API token of
                  a known system) submissions are limited per IP and per phone.
    entered_by    the agent who recorded it (hotline); a user of `host_tenant`'s schema.
    Returns the stored comment (in the unit's schema) and its receipt code. Raises DomainError and stores
    nothing on bad input, an unknown unit/item/organisation, or when a limit is reached."""
    text = (text or "").strip()
    contact_name, contact_phone = (contact_name or "").strip(), (contact_phone or "").strip()
    contact_email = (contact_email or "").strip()
    errors = ErrorCollector()
    if channel not in Channel.values:
        errors.add("INVALID_CHANNEL", "channel", "渠道无效", "Unknown channel")
    if category not in Category.values:
        errors.add("INVALID_CATEGORY", "category", "类别须为建议、投诉、表扬或咨询",
                   "Category must be SUGGESTION, COMPLAINT, PRAISE or CONSULTATION")
    errors.require(text, "text", "内容", "Text")
    errors.max_length(text, MAX_TEXT, "text", "内容", "Text")
    errors.max_length(contact_name, 50, "contactName", "姓名", "Name")
    if contact_phone and not _phone_re().match(contact_phone):
        errors.add("INVALID_PHONE", "contactPhone", "联系电话格式不正确", "The phone number is not valid")
    if contact_email:
        try:
            validate_email(contact_email)
        except ValidationError:
            errors.add("INVALID_EMAIL", "contactEmail", "电子邮箱格式不正确", "The e-mail address is not valid")
    errors.max_length(item_code, 64, "itemCode", "事项编码", "Item code")
    errors.raise_if_any()
    if channel in SELF_SERVICE and not trusted:
        _throttle(client_ip, contact_phone)
    routed = routing.route(text=text, unit=unit, item_code=item_code, org_code=org_code, host_tenant=host_tenant)
    code = secrets.token_hex(6).upper()
    with transaction.atomic(), schema_context(routed.tenant.schema_name):
        comment = PublicComment.objects.create(
            receipt_code=code, channel=channel, category=category, text=text, contact_name=contact_name,
            contact_phone=contact_phone, contact_email=contact_email, allow_publish=bool(allow_publish), item_code=(item_code or "").strip(),
            item_name=routed.item_name, org_name=routed.org_name, route=routed.route,
            submitted_at=submitted_at or timezone.now(), entered_by=entered_by)
        label = f"{entered_by.display_name or entered_by.username}（热线登记）" if entered_by else Channel(channel).label
        _event(comment, entered_by, label, "RECEIVED", "", route=routed.route, channel=channel)
        if comment.category == Category.COMPLAINT and routed.route != PublicComment.Route.FALLBACK:
            _open_rectification(comment, entered_by)
        _publish(comment, routed.tenant)
        if contact_email:
            _notify(comment, "comment-received", "您的意见已收到",
                    f"您的意见已收到，回执码 {code}。答复后我们会再通知您，也可凭回执码在门户查询。")
    return Submitted(comment, routed.tenant, code, routed.route, comment.rectification_id)


def _notify(comment: PublicComment, purpose: str, subject: str, body: str) -> None:
    """To the commenter's e-mail and phone, through the outbox of the comment's schema (sent after commit)."""
    from haochaping.notifications.services import queue_notification

    if comment.contact_email:
        queue_notification(channel="EMAIL", recipient=comment.contact_email, subject=subject, body=body,
                           purpose=purpose, dedupe_key=f"comment:{comment.pk}:{purpose}:{comment.version}:email")
    if comment.contact_phone and purpose != "comment-received":  # an SMS only for what they wait for: the answer
        queue_notification(channel="SMS", recipient=comment.contact_phone, body=f"{subject}：{body}"[:300],
                           purpose=purpose, dedupe_key=f"comment:{comment.pk}:{purpose}:{comment.version}:sms")


def _throttle(client_ip: str | None, phone: str) -> None:
    # County-wide counters (public schema keys): the same person on another unit's host shares the limit.
    with schema_context(get_public_schema_name()):
        ip_ok = ratelimit.within_limit("comment-ip", digest(client_ip or "unknown", "ip"),
                                       _limit("FEEDBACK_PER_IP", 5), _limit("FEEDBACK_IP_WINDOW_SECONDS", 600))
        phone_ok = not phone or ratelimit.within_limit("comment-phone", digest(phone, "phone"),
                                                       _limit("FEEDBACK_PER_PHONE", 3),
                                                       _limit("FEEDBACK_PHONE_WINDOW_SECONDS", 3600))
    if not (ip_ok and phone_ok):
        raise DomainError("RATE_LIMITED", "提交过于频繁，请稍后再试", "Too many submissions; please try again later")


def _event(comment: PublicComment, user: User | None, label: str, action: str, note: str = "", **data) -> None:
    CommentEvent.objects.create(comment=comment, actor=user, actor_label=label[:120], action=action, note=note, data=data)


def _label(user: User) -> str:
    return f"{user.display_name or user.username}（{user.get_role_display()}）"


def _open_rectification(comment: PublicComment, user: User | None) -> None:
    """投诉 → the rectification path complaints already take (rectification.services.open_complaint): same
    clocks, same owner rule, same supervision. The receipt code also reads its progress on /receipt/."""
    from haochaping.disclosure.services import publish_rectification
    from haochaping.rectification import services as rect

    actor = (rect.Actor.of(user) if user is not None
             else rect.Actor(user=None, label=f"综合点评（{Channel(comment.channel).label}）", role=None))
    r = rect.open_complaint(text=comment.text, channel=COMPLAINT_CHANNEL[comment.channel],
                            complainant_name=comment.contact_name, complainant_phone=comment.contact_phone, actor=actor,
                            verified=comment.channel == Channel.HOTLINE and user is not None)
    publish_rectification(r, receipt_code=comment.receipt_code)
    comment.rectification_id = r.pk
    comment.save(update_fields=["rectification_id"])
    _event(comment, user, actor.label, "RECTIFICATION_OPENED", "", rectification_id=r.pk)


def _publish(comment: PublicComment, tenant: Tenant) -> None:
    """The public copy: redacted, no name or phone; the text and answer go on the portal only with consent."""
    hidden = comment.is_hidden
    answered = comment.status == S.ANSWERED
    values = dict(tenant=tenant, comment_id=comment.pk, category=comment.category, channel=comment.channel,
                  status="HIDDEN" if hidden else comment.status, item_name=comment.item_name,
                  text=redact_text(comment.text) if comment.allow_publish and not hidden else "",
                  answer=redact_text(comment.answer) if answered and not hidden else "",
                  submitted_at=comment.submitted_at, answered_at=comment.answered_at,
                  is_public=bool(comment.allow_publish and answered and not hidden))
    PublishedComment.objects.update_or_create(receipt_digest=receipt_digest(comment.receipt_code), defaults=values)


def _locked(comment_id: int) -> PublicComment:
    comment = PublicComment.objects.select_for_update().filter(pk=comment_id).first()
    if comment is None:
        raise NotFound("该点评", "Comment")
    return comment


def _current_tenant() -> Tenant:
    from tenants.resolution import current_tenant

    return current_tenant()


def _not_allowed_state() -> DomainError:
    return DomainError("NOT_ALLOWED", "该点评已转办或已屏蔽，不能再处理", "This comment was transferred or hidden")


def answer_comment(comment_id: int, *, user: User, answer: str) -> PublicComment:
    """答复 (or amend the answer). Published on the portal, redacted, only if the commenter consented."""
    if user is None or user.role not in ANSWER_ROLES:
        raise PermissionDenied()
    answer = (answer or "").strip()
    errors = ErrorCollector()
    errors.require(answer, "answer", "答复内容", "Answer")
    errors.max_length(answer, MAX_ANSWER, "answer", "答复内容", "Answer")
    errors.raise_if_any()
    with transaction.atomic():
        comment = _locked(comment_id)
        if comment.status == S.TRANSFERRED or comment.is_hidden:
            raise _not_allowed_state()
        amended = comment.status == S.ANSWERED
        comment.answer, comment.answered_by, comment.answered_at = answer, user, timezone.now()
        comment.status = S.ANSWERED
        comment.version += 1
        comment.save()
        _event(comment, user, _label(user), "ANSWER_AMENDED" if amended else "ANSWERED", answer)
        _publish(comment, _current_tenant())
        from .workorders import reply_with_answer

        reply_with_answer(comment, user)  # 回单 to 12345 when the comment came as a work order
        _notify(comment, "comment-answer", "您的意见已答复", f"回执码 {comment.receipt_code}：{answer}")
    return comment


def hide_comment(comment_id: int, *, user: User, reason: str) -> PublicComment:
    """屏蔽 abuse (insults, spam, personal attacks): never shown on the portal; the reason is audited."""
    if user is None or user.role not in HIDE_ROLES:
        raise PermissionDenied()
    reason = (reason or "").strip()
    errors = ErrorCollector()
    errors.require(reason, "reason", "屏蔽理由", "Reason")
    errors.max_length(reason, 500, "reason", "屏蔽理由", "Reason")
    errors.raise_if_any()
    with transaction.atomic():
        comment = _locked(comment_id)
        if comment.is_hidden:
            raise DomainError("ALREADY_HIDDEN", "该点评已屏蔽", "This comment is already hidden")
        comment.is_hidden, comment.hidden_reason, comment.hidden_at = True, reason, timezone.now()
        comment.version += 1
        comment.save()
        _event(comment, user, _label(user), "HIDDEN", reason)
        _publish(comment, _current_tenant())
    return comment


def read_contact(comment_id: int, *, user: User) -> tuple[str, str]:
    """The commenter's name and phone, whole: only the handling workflow, and every read is logged."""
    if user is None or user.role not in CONTACT_ROLES:
        raise PermissionDenied()
    comment = PublicComment.objects.filter(pk=comment_id).first()
    if comment is None:
        raise NotFound("该点评", "Comment")
    if comment.status == S.TRANSFERRED:  # the receiving unit handles it now; the copy here holds no contact
        raise _not_allowed_state()
    _event(comment, user, _label(user), "CONTACT_READ")
    return comment.contact_name, comment.contact_phone


def transfer_comment(source: Tenant, comment_id: int, target: Tenant, *, county_user: User, reason: str) -> PublicComment:
    """转办 by a county user (public-schema COUNTY_ADMIN / COUNTY_SUPERVISOR): the comment is copied into the
    target unit's schema, the original is marked transferred, both sides keep an audit event. A complaint opens
    its rectification in the target. Returns the copy (in the target's schema)."""
    if county_user is None or county_user.role not in COUNTY_ROLES:
        raise PermissionDenied()
    reason = (reason or "").strip()
    errors = ErrorCollector()
    errors.require(reason, "reason", "转办理由", "Reason")
    errors.max_length(reason, 500, "reason", "转办理由", "Reason")
    errors.raise_if_any()
    if target.pk == source.pk:
        raise DomainError("SAME_UNIT", "不能转办给本单位", "The comment is already with this unit", "toTenant")
    label = f"县级：{county_user.display_name or county_user.username}"
    with transaction.atomic():
        with schema_context(source.schema_name):
            original = _locked(comment_id)
            if original.status != S.OPEN or original.is_hidden:
                raise DomainError("NOT_ALLOWED", "只有待答复且未屏蔽的点评可以转办",
                                  "Only open, visible comments can be transferred")
            if original.rectification_id is not None:
                # Its rectification runs here (clocks, supervision); the unit hands it over or rejects it there.
                raise DomainError("HAS_RECTIFICATION", "该投诉已在本单位开启整改，请在整改流程中处理",
                                  "This complaint already has a rectification in this unit; handle it there")
            original.status, original.transferred_to = S.TRANSFERRED, target
            original.version += 1
            original.save()
            _event(original, None, label, "TRANSFERRED_OUT", reason, to=target.schema_name)
        with schema_context(target.schema_name):
            copy = PublicComment.objects.select_for_update().filter(receipt_code=original.receipt_code).first()
            fields = dict(channel=original.channel, category=original.category, text=original.text,
                          contact_name=original.contact_name, contact_phone=original.contact_phone,
                          contact_email=original.contact_email, allow_publish=original.allow_publish, item_code=original.item_code,
                          item_name=original.item_name, org_name=original.org_name, route=PublicComment.Route.TRANSFER,
                          status=S.OPEN, submitted_at=original.submitted_at, transferred_from=source,
                          transferred_to=None, rectification_id=None)
            if copy is None:  # a comment sent back to a unit it once left reuses that unit's row
                copy = PublicComment.objects.create(receipt_code=original.receipt_code, **fields)
            else:
                for name, value in fields.items():
                    setattr(copy, name, value)
                copy.version += 1
                copy.save()
            _event(copy, None, label, "TRANSFERRED_IN", reason, source=source.schema_name)
            if copy.category == Category.COMPLAINT:
                _open_rectification(copy, None)
            _publish(copy, target)
        from .workorders import follow_transfer

        follow_transfer(source, original, target, copy)  # a 12345 work order moves with its comment
        with schema_context(source.schema_name):  # the contact now lives with the unit handling it, only there
            PublicComment.objects.filter(pk=original.pk).update(contact_name="", contact_phone="", contact_email="")
    return copy
