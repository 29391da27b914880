"""submitEvaluation, for every channel: validate, then store the evaluation and everything it causes in one
transaction (a bad review opens its rectification there too). Retries with the same idempotency key return
the first result and store nothing twice."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.resolution import current_tenant
from haochaping.accounts.models import ApiToken, Role, User
from haochaping.boards.services import record_rating
from haochaping.core import ratelimit
from haochaping.core.errors import DomainError, ErrorCollector
from haochaping.core.privacy import digest
from haochaping.core.signing import read_token
from haochaping.exchange.services import queue_exchange
from haochaping.integrity.models import SuspicionFlag
from haochaping.integrity.services import raise_flag
from haochaping.notifications.services import cancel_pending
from haochaping.items.models import ServiceItem
from haochaping.organizations.models import RatingDevice, ServicePlatform, Staff, Window
from haochaping.rectification.services import open_for_evaluation, reopen_on_dispute

from . import grades
from .cases import PHONE_RE
from .invitations import invitation_from_token, invitation_notification_key
from .models import Channel, DevicePrompt, Evaluation, Invitation, PaperForm, ServiceCase
from .phone import verified_phone
from .policy import get_policy
from .questionnaires import clean_answers, current_questionnaire, saved_questionnaire

QR_PURPOSE = "qr.window"
ENTRY_ROLES = {Role.TENANT_ADMIN, Role.AGENCY, Role.HANDLER}
SYSTEM_CHANNELS = {Channel.WEB, Channel.MOBILE_APP, Channel.SELF_SERVICE, Channel.HOTLINE, Channel.SMS}
MAX_COMMENT = 1000
MAX_CLOCK_SKEW = timedelta(minutes=5)
MAX_OFFLINE_AGE = timedelta(days=3)


@dataclass
class Submitter:
    """Who is submitting: exactly what the request authenticated, nothing more."""

    device: RatingDevice | None = None
    token: ApiToken | None = None
    user: User | None = None
    client_ip: str = ""

    @property
    def fingerprint(self) -> str:
        if self.device:
            return f"device:{self.device.pk}"
        if self.token:
            return f"token:{self.token.pk}"
        if self.user:
            return f"user:{self.user.pk}"
        return "anonymous"


@dataclass
class EvaluationInput:
    grade: int
    channel: str
    idempotency_key: str | None = None
    round: int = 1
    case_number: str | None = None
    phone_last4: str | None = None
    window_token: str | None = None
    invitation_token: str | None = None
    paper_serial: str | None = None
    prompt_id: int | None = None
    window_id: int | None = None
    staff_id: int | None = None
    item_id: int | None = None
    platform_id: int | None = None
    answers: dict = field(default_factory=dict)
    comment: str = ""
    rater_name: str = ""
    rater_phone: str = ""
    phone_verification_token: str | None = None
    rated_at: datetime | None = None


@dataclass
class SubmitResult:
    evaluation: Evaluation
    replayed: bool


def window_qr_token(window: Window) -> str:
    from haochaping.core.signing import make_token

    return make_token(QR_PURPOSE, w=window.pk)


def _error(code: str, zh: str, en: str, field_name: str | None = None) -> DomainError:
    return DomainError(code, zh, en, field_name)


NOT_ALLOWED = ("CHANNEL_NOT_ALLOWED", "该渠道不能提交此评价", "This evaluation cannot be submitted on this channel", "channel")
TOO_MANY = ("TOO_MANY_ATTEMPTS", "评价过于频繁，请稍后再试", "Too many attempts; please try again later", None)


@dataclass
class _Targets:
    case: ServiceCase | None = None
    window: Window | None = None
    staff: Staff | None = None
    item: ServiceItem | None = None
    platform: ServicePlatform | None = None
    device: RatingDevice | None = None
    prompt: DevicePrompt | None = None
    invitation: Invitation | None = None
    paper_form: PaperForm | None = None
    applicant_linked: bool = False
    entered_by: User | None = None


def _case_by_number(number: str | None) -> ServiceCase:
    case = ServiceCase.objects.select_related("item__catalog_item", "handling_unit").filter(case_number=(number or "").strip()).first()
    if case is None:
        raise _error("UNKNOWN_CASE", "未找到该办件", "No such case", "caseNumber")
    return case


def _channel_targets(data: EvaluationInput, who: Submitter) -> _Targets:
    """Authorise the channel for this submitter and find what is rated."""
    t = _Targets()
    channel = data.channel
    if channel == Channel.WINDOW_DEVICE:
        if who.device is None or not who.device.is_active:
            raise _error(*NOT_ALLOWED)
        t.device, t.window = who.device, who.device.window
        if data.prompt_id is not None:
            t.prompt = (DevicePrompt.objects.select_related("case").filter(
                pk=data.prompt_id, device=who.device).first())
            # A prompt the device did not answer in time is expired even before anyone marked it so.
            pressed = timezone.now()
            if data.rated_at is not None and timezone.is_aware(data.rated_at):
                pressed = min(data.rated_at, pressed)  # an offline press replayed later counts at its own time
            if t.prompt is None or t.prompt.state != DevicePrompt.State.PENDING or t.prompt.expires_at <= pressed:
                raise _error("PROMPT_NOT_PENDING", "该评价邀请已完成或已过期", "This rating prompt is done or expired", "promptId")
            t.case, t.applicant_linked = t.prompt.case, True
    elif channel == Channel.QR_CODE:
        values = read_token(QR_PURPOSE, data.window_token or "", field="windowToken")
        t.window = Window.objects.filter(pk=values.get("w"), is_active=True).first()
        if t.window is None:
            raise _error("INVALID_TOKEN", "链接无效或已过期", "The link is invalid or has expired", "windowToken")
        if data.case_number:
            case = ServiceCase.objects.filter(case_number=data.case_number.strip()).first()
            # Case number plus the last four digits of the applicant's phone ties the rating to the case.
            if case is None or not case.applicant_phone or case.applicant_phone[-4:] != (data.phone_last4 or ""):
                raise _error("UNKNOWN_CASE", "办件编号或手机号后四位不正确", "Case number or phone digits do not match", "caseNumber")
            t.case, t.applicant_linked = _case_by_number(data.case_number), True
    elif data.invitation_token:
        if channel not in (Channel.WEB, Channel.SMS):
            raise _error(*NOT_ALLOWED)
        t.invitation = invitation_from_token(data.invitation_token)
        if t.invitation.state != Invitation.State.PENDING or t.invitation.round != data.round:
            raise _error("ALREADY_RATED", "该办件已评价，感谢您的参与", "This case has already been rated", "invitationToken")
        t.case, t.applicant_linked = t.invitation.case, True
    elif channel == Channel.PAPER_FORM:
        if who.user is None or who.user.role not in ENTRY_ROLES:
            raise _error(*NOT_ALLOWED)
        t.paper_form = PaperForm.objects.select_related("org").filter(serial=(data.paper_serial or "").strip()).first()
        if t.paper_form is None:
            raise _error("UNKNOWN_PAPER_FORM", "未找到该书面评价表编号", "No paper form has that serial", "paperSerial")
        if Evaluation.objects.filter(paper_form=t.paper_form).exists():
            raise _error("ALREADY_RATED", "该书面评价表已录入", "This paper form has already been entered", "paperSerial")
        t.entered_by = who.user
    elif channel in SYSTEM_CHANNELS:
        entering_agent = who.user is not None and who.user.role in ENTRY_ROLES and channel == Channel.HOTLINE
        system = who.token is not None and who.token.kind == ApiToken.Kind.SYSTEM and who.token.has_scope("evaluations:write")
        if not (entering_agent or system):
            raise _error(*NOT_ALLOWED)
        t.entered_by = who.user if entering_agent else None
        if data.case_number:
            t.case = _case_by_number(data.case_number)
            # The business system authenticated its applicant; a hotline agent did not.
            t.applicant_linked = system and channel != Channel.HOTLINE
    else:
        raise _error("INVALID_CHANNEL", "评价渠道无效", "Unknown channel", "channel")
    return t


def _explicit_targets(data: EvaluationInput, t: _Targets, errors: ErrorCollector) -> None:
    """Window, staff, item and platform named directly (paper, hotline, system channels, walk-up)."""
    if data.window_id is not None and t.window is None:
        t.window = Window.objects.filter(pk=data.window_id, is_active=True).first()
        if t.window is None:
            errors.add("NOT_FOUND", "windowId", "未找到窗口", "Window not found")
    if t.paper_form and t.window and t.window.org_id != t.paper_form.org_id:
        errors.add("NOT_FOUND", "windowId", "该窗口不属于此书面评价表的站点", "That window is not at this form's station")
    if data.staff_id is not None:
        t.staff = Staff.objects.filter(pk=data.staff_id, is_active=True).first()
        if t.staff is None or (t.window and not t.staff.windows.filter(pk=t.window.pk).exists()):
            errors.add("NOT_FOUND", "staffId", "未找到该窗口的工作人员", "No such staff member at this window")
    if data.item_id is not None:
        t.item = ServiceItem.objects.filter(pk=data.item_id, is_active=True).first()
        if t.item is None:
            errors.add("NOT_FOUND", "itemId", "未找到事项", "Service item not found")
    if data.platform_id is not None:
        t.platform = ServicePlatform.objects.filter(pk=data.platform_id, is_active=True).first()
        if t.platform is None:
            errors.add("NOT_FOUND", "platformId", "未找到平台", "Platform not found")
    if t.case is not None:
        t.item = t.case.item
        t.window = t.window or t.case.window
        t.staff = t.staff or t.case.staff
        t.platform = t.platform or t.case.platform
    if t.staff is None and t.window is not None:
        on_duty = list(t.window.staff.filter(is_active=True)[:2])
        if len(on_duty) == 1:  # walk-up rating: the window's only staff member is the one rated
            t.staff = on_duty[0]
    if not any([t.case, t.window, t.staff, t.item, t.platform]):
        errors.add("NO_TARGET", "caseNumber", "请指明评价的办件、窗口、人员、事项或平台",
                   "Say what is rated: a case, window, staff member, item or platform")


def _check_case_rules(data: EvaluationInput, t: _Targets, policy, now, errors: ErrorCollector) -> bool:
    """Round, period and already-rated. Returns whether this is a supplementary rating."""
    if data.round not in (1, 2):
        errors.add("INVALID_ROUND", "round", "评价次数只能是1（首次）或2（追评）", "Round must be 1 (first) or 2 (follow-up)")
        return False
    if t.case is None:
        if data.round == 2:
            errors.add("FOLLOW_UP_NOT_ALLOWED", "round", "追评须针对已整改的办件", "A follow-up needs a rectified case")
        return False
    if Evaluation.objects.filter(case=t.case, round=data.round).exists():
        errors.add("ALREADY_RATED", "caseNumber", "该办件已评价，感谢您的参与", "This case has already been rated")
        return False
    if data.round == 2:
        # A bad first review always opens a rectification; only then is there a fix to confirm or dispute.
        if not Evaluation.objects.filter(case=t.case, round=1, is_bad=True).exists():
            errors.add("FOLLOW_UP_NOT_ALLOWED", "round", "只有差评整改后才能追评", "A follow-up rating is only possible after a rectification")
        return False
    started = t.case.completed_at or t.case.accepted_at
    if now > started + timedelta(days=policy.supplementary_days):
        errors.add("RATING_PERIOD_OVER", "caseNumber", f"已超过补充评价期限（办结后{policy.supplementary_days}天）",
                   f"The rating period ({policy.supplementary_days} days after completion) is over")
    return timezone.localdate(now) > timezone.localdate(started)


def _rated_at(data: EvaluationInput, t: _Targets, now: datetime, errors: ErrorCollector) -> datetime:
    if data.rated_at is None or t.device is None:  # only devices replay offline presses
        return now
    rated = data.rated_at if timezone.is_aware(data.rated_at) else timezone.make_aware(data.rated_at)
    if rated > now + MAX_CLOCK_SKEW or rated < now - MAX_OFFLINE_AGE:
        errors.add("INVALID_TIME", "ratedAt", "评价时间无效", "The rating time is not plausible")
    return min(rated, now)


def _check_device_interval(device: RatingDevice, policy, rated_at: datetime) -> None:
    # Against every stored press of the device, not only the latest: offline queues replay older presses.
    gap = timedelta(seconds=policy.device_min_interval_seconds)
    if gap and Evaluation.objects.filter(device=device, rated_at__gt=rated_at - gap, rated_at__lt=rated_at + gap).exists():
        raise _error(*TOO_MANY)


def _rate_limits(data: EvaluationInput, t: _Targets, who: Submitter, policy, rated_at: datetime) -> None:
    if t.device is not None:
        _check_device_interval(t.device, policy, rated_at)
        if not ratelimit.within_limit("device", str(t.device.pk), policy.device_max_per_hour, 3600):
            raise _refuse_rate_limited(f"device:{t.device.serial}",
                                       f"评价器{t.device.serial}每小时评价超过{policy.device_max_per_hour}次")
    elif who.token is None and who.user is None and who.client_ip:
        if not ratelimit.within_limit("ip", digest(who.client_ip, "ip"), policy.ip_max_per_hour, 3600):
            ip_key = digest(who.client_ip, "ip")[:12]
            raise _refuse_rate_limited(f"ip:{ip_key}", f"同一来源（{ip_key}）每小时评价超过{policy.ip_max_per_hour}次")
    phone = (data.rater_phone or "").strip()
    if phone and not ratelimit.within_limit("phone", digest(phone, "phone"), policy.phone_max_per_day, 86400):
        phone_key = digest(phone, "phone")[:12]
        raise _refuse_rate_limited(f"phone:{phone_key}", f"同一手机号（{phone_key}）每天评价超过{policy.phone_max_per_day}次")


def _flag_streak(evaluation: Evaluation, policy) -> None:
    """An all-5 streak at one window faster than people can walk up is flagged, never dropped."""
    if evaluation.grade != 5 or evaluation.window_id is None or policy.streak_length < 2:
        return
    since = evaluation.rated_at - timedelta(seconds=policy.streak_seconds)
    recent = list(Evaluation.objects.filter(window_id=evaluation.window_id, rated_at__gte=since)
                  .order_by("-rated_at").values_list("pk", "grade")[: policy.streak_length])
    if len(recent) < policy.streak_length or any(grade != 5 for _, grade in recent):
        return
    raise_flag(SuspicionFlag.Kind.FAST_TOP_STREAK, subject=f"{evaluation.window.org.code}/{evaluation.window.code}",
               evaluation_ids=[pk for pk, _ in recent], quiet_seconds=policy.streak_seconds,
               detail=f"{evaluation.window}在{policy.streak_seconds}秒内连续{policy.streak_length}条“非常满意”")


DUPLICATE_WINDOW = timedelta(minutes=30)
DUPLICATE_MIN_LENGTH = 6


def _flag_duplicate(evaluation: Evaluation) -> None:
    """The same comment again within half an hour (copy-paste campaigns): flagged, both ratings kept."""
    if len(evaluation.comment) < DUPLICATE_MIN_LENGTH:
        return
    # By arrival time (indexed), so the look-back stays a small range scan on a large table.
    twins = list(Evaluation.objects.filter(created_at__gte=timezone.now() - DUPLICATE_WINDOW, comment=evaluation.comment)
                 .exclude(pk=evaluation.pk).values_list("pk", flat=True)[:20])
    if twins:
        raise_flag(SuspicionFlag.Kind.DUPLICATE_CONTENT, subject=f"comment:{digest(evaluation.comment, 'comment')[:16]}",
                   evaluation_ids=[evaluation.pk, *twins], quiet_seconds=int(DUPLICATE_WINDOW.total_seconds()),
                   detail=f"{len(twins) + 1}条评价意见内容相同：“{evaluation.comment[:40]}”")


def _refuse_rate_limited(subject: str, detail: str) -> DomainError:
    # Refused, and flagged once an hour per source: pressure on one device, address or phone is visible.
    raise_flag(SuspicionFlag.Kind.RATE_LIMITED, subject=subject, detail=detail)
    return _error(*TOO_MANY)


def _existing(key: str | None) -> Evaluation | None:
    return Evaluation.objects.filter(idempotency_key=key).first() if key else None


IDEMPOTENCY_KEY_LENGTH = (16, 64)


def submit_evaluation(data: EvaluationInput, who: Submitter) -> SubmitResult:
    if data.idempotency_key is not None:
        low, high = IDEMPOTENCY_KEY_LENGTH
        # Keys are kept per device, token or user; anonymous raters share one namespace, where a short key
        # could collide with another rater's (and a replay returns the first rater's receipt).
        low = low if who.fingerprint == "anonymous" else 1
        if not low <= len(data.idempotency_key.strip()) <= high:
            raise _error("INVALID_IDEMPOTENCY_KEY", f"幂等键须为{low}–{high}个字符（建议使用UUID）",
                         f"The idempotency key must be {low}–{high} characters (use a UUID)", "idempotencyKey")
    key = f"{who.fingerprint}:{data.idempotency_key.strip()}"[:80] if data.idempotency_key else None
    if (first := _existing(key)) is not None:
        return SubmitResult(first, replayed=True)
    try:
        return _submit(data, who, key)
    except DomainError:
        # A retry with the same key may have committed while this one was validating (the case then looks
        # rated, the device too recent): that is the first result to return, not a refusal.
        if (first := _existing(key)) is not None:
            return SubmitResult(first, replayed=True)
        raise


def _submit(data: EvaluationInput, who: Submitter, key: str | None) -> SubmitResult:
    errors = ErrorCollector()
    if not isinstance(data.grade, int) or data.grade not in grades.GRADES:
        raise _error("INVALID_GRADE", "评价等级须为1到5", "Grade must be 1 to 5", "grade")
    if data.channel not in Channel.values:
        raise _error("INVALID_CHANNEL", "评价渠道无效", "Unknown channel", "channel")
    now = timezone.now()
    policy = get_policy()
    targets = _channel_targets(data, who)
    _explicit_targets(data, targets, errors)
    supplementary = _check_case_rules(data, targets, policy, now, errors)
    if targets.item is not None:
        guide = targets.item.guides.order_by("-version").first()
        if guide is not None and data.channel not in guide.evaluation_channels:
            errors.add(NOT_ALLOWED[0], "channel", NOT_ALLOWED[1], NOT_ALLOWED[2])
    comment = (data.comment or "").strip()
    if len(comment) > MAX_COMMENT:
        errors.add("TOO_LONG", "comment", f"意见不能超过{MAX_COMMENT}字", f"Comment must be at most {MAX_COMMENT} characters")
    phone = (data.rater_phone or "").strip()
    if phone and not PHONE_RE.match(phone):
        errors.add("INVALID_PHONE", "raterPhone", "手机号格式不正确", "The phone number is not valid")
    errors.max_length(data.rater_name, 100, "raterName", "姓名", "Name")
    questionnaire = current_questionnaire(targets.item.pk if targets.item else None)
    answers = clean_answers(questionnaire, data.answers, errors)
    rated_at = _rated_at(data, targets, now, errors)
    basis = Evaluation.RealNameBasis.APPLICANT if targets.applicant_linked else Evaluation.RealNameBasis.NONE
    if data.phone_verification_token:
        verified = verified_phone(data.phone_verification_token)
        if phone and verified != phone:
            errors.add("PHONE_NOT_VERIFIED", "raterPhone", "手机号与验证的号码不一致", "The phone differs from the verified one")
        phone = verified
        basis = basis if targets.applicant_linked else Evaluation.RealNameBasis.SMS_VERIFIED
    errors.raise_if_any()
    _rate_limits(data, targets, who, policy, rated_at)

    try:
        with transaction.atomic():
            if targets.device is not None:
                # Serialise presses per device; the interval is checked again under the lock.
                RatingDevice.objects.select_for_update().filter(pk=targets.device.pk).first()
                _check_device_interval(targets.device, policy, rated_at)
            evaluation = Evaluation.objects.create(
                case=targets.case, round=data.round, grade=data.grade, channel=data.channel, item=targets.item,
                window=targets.window, staff=targets.staff, platform=targets.platform, device=targets.device,
                questionnaire=saved_questionnaire(questionnaire), answers=answers, comment=comment, real_name_basis=basis,
                rater_name=(data.rater_name or "").strip(), rater_phone=phone,
                receipt_code=secrets.token_hex(6).upper(), idempotency_key=key, entered_by=targets.entered_by,
                paper_form=targets.paper_form, client_key=digest(who.client_ip, "ip") if who.client_ip else "",
                is_bad=grades.is_bad(data.grade), is_supplementary=supplementary, rated_at=rated_at,
            )
            _after_insert(evaluation, targets, policy)
    except IntegrityError:
        if (first := _existing(key)) is not None:  # a concurrent retry with the same key won
            return SubmitResult(first, replayed=True)
        if targets.case is not None and Evaluation.objects.filter(case=targets.case, round=data.round).exists():
            raise _error("ALREADY_RATED", "该办件已评价，感谢您的参与", "This case has already been rated", "caseNumber")
        raise
    return SubmitResult(evaluation, replayed=False)


def _after_insert(evaluation: Evaluation, t: _Targets, policy) -> None:
    if t.case is not None:
        # One evaluation per case and round whatever the channel: the other invitations are withdrawn.
        invitations = Invitation.objects.filter(case=t.case, round=evaluation.round, state=Invitation.State.PENDING)
        if t.invitation is not None:
            invitations.filter(pk=t.invitation.pk).update(state=Invitation.State.USED, used_at=evaluation.created_at)
        withdrawn = list(invitations.exclude(pk=getattr(t.invitation, "pk", None)).values_list("pk", flat=True))
        Invitation.objects.filter(pk__in=withdrawn).update(state=Invitation.State.WITHDRAWN)
        # An invitation not yet sent is not sent at all: the rater has already rated.
        cancel_pending([invitation_notification_key(pk) for pk in withdrawn])
        DevicePrompt.objects.filter(case=t.case, state=DevicePrompt.State.PENDING).update(state=DevicePrompt.State.DONE)
        queue_exchange(evaluation)  # the exchange outbox (national / provincial records), in this transaction
    owner = t.case.handling_unit if t.case is not None else current_tenant()
    if evaluation.round == 2:
        # 追评: confirms or disputes the fix of the first round's rectification, in the owner's schema.
        rating_unit = current_tenant()
        with schema_context(owner.schema_name):
            reopen_on_dispute(t.case.case_number, rating_unit, evaluation)
    elif evaluation.is_bad:
        open_for_evaluation(evaluation, owner)
    _flag_streak(evaluation, policy)
    _flag_duplicate(evaluation)
    record_rating(evaluation, policy)  # last: it holds the hall's sequence row until commit
