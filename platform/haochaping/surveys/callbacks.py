"""回访调查: the county agency draws a stratified random sample of raters (good and bad reviews alike) and calls
them. Strata are unit × channel × window × good/bad; each non-empty stratum gives round(proportion × size),
at least 1. The draw is reproducible: each stratum's generator is seeded with the seed and the stratum, and
candidates are ordered by id, so the same seed over the same data draws the same raters. Only evaluations with a
contact can be called. The contact is shown only to the county user working the call, and every read is logged.
A rater who says they did not rate, or were pressed to rate well, raises a SuspicionFlag on that window."""
from __future__ import annotations

import random
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from haochaping.accounts.models import User
from haochaping.core.errors import DomainError, ErrorCollector, NotFound
from haochaping.evaluations.models import Evaluation
from haochaping.integrity.models import SuspicionFlag

from .county import require_county
from .models import CallBack, CallBackContactRead

MAX_WINDOW_DAYS = 366
CHANNELS = {c for c, _ in Evaluation._meta.get_field("channel").choices}

# The script shown to the caller (questions asked, in order).
SCRIPT = [
    ("reached", "是否联系上评价人？", "Did you reach the rater?"),
    ("did_rate", "您是否本人对该次服务进行了评价？", "Did you yourself rate this service?"),
    ("pressed_to_rate_well", "是否有工作人员要求或暗示您给好评？", "Did any staff ask or hint that you should rate well?"),
    ("satisfaction_confirmed", "您对该次服务的评价是否仍然如实反映您的满意程度？",
     "Does your rating still truly reflect how satisfied you are?"),
]


@dataclass(frozen=True)
class Stratum:
    tenant: str
    channel: str
    window_code: str
    is_bad: bool
    size: int
    drawn: list[int]

    @property
    def key(self) -> str:
        return f"{self.channel}|{self.window_code or '-'}|{'BAD' if self.is_bad else 'GOOD'}"


@dataclass(frozen=True)
class Draw:
    key: str
    seed: str
    proportion: Decimal
    strata: list[Stratum]

    @property
    def drawn(self) -> int:
        return sum(len(s.drawn) for s in self.strata)


def with_contact():
    return Q(rater_phone__gt="") | Q(case__applicant_phone__gt="")


def stratum_size(size: int, proportion: Decimal) -> int:
    if size <= 0:
        return 0
    return min(size, max(1, int((proportion * size).quantize(Decimal(1), rounding=ROUND_HALF_UP))))


def _candidates(start: date, end: date, channels: list[str] | None) -> dict[tuple, list[int]]:
    tz = timezone.get_current_timezone()
    qs = Evaluation.objects.filter(
        rated_at__gte=timezone.make_aware(datetime.combine(start, time.min), tz),
        rated_at__lt=timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz),
    ).filter(with_contact())
    if channels:
        qs = qs.filter(channel__in=channels)
    strata: dict[tuple, list[int]] = {}
    for pk, channel, window_code, is_bad in qs.values_list("pk", "channel", "window__code", "is_bad").order_by("pk"):
        strata.setdefault((channel, window_code or "", is_bad), []).append(pk)
    return strata


def validate_draw(start, end, proportion, channels) -> Decimal:
    errors = ErrorCollector()
    if start is None or end is None:
        errors.add("REQUIRED", "start", "抽样时间段不能为空", "The window is required")
    elif end < start:
        errors.add("INVALID_PERIOD", "end", "截止日期不能早于起始日期", "The end cannot be before the start")
    elif (end - start).days > MAX_WINDOW_DAYS:
        errors.add("INVALID_PERIOD", "end", "抽样时间段不能超过一年", "The window cannot exceed a year")
    try:
        p = Decimal(str(proportion))
    except Exception:  # noqa: BLE001 - reported as a typed error
        p = Decimal(-1)
    if not p.is_finite() or not Decimal(0) < p <= Decimal(1):
        errors.add("INVALID_PROPORTION", "proportion", "抽样比例须大于0且不超过1", "The proportion must be above 0 and at most 1")
    unknown = sorted(set(channels or []) - CHANNELS)
    if unknown:
        errors.add("INVALID_CHANNEL", "channels", "未知的评价渠道", f"Unknown channels: {', '.join(unknown)[:80]}")
    errors.raise_if_any()
    return p


def compute_sample(tenants, *, start: date, end: date, proportion, seed: str,
                   channels: list[str] | None = None) -> list[Stratum]:
    """The sample (no writes): per tenant and stratum, the drawn evaluation ids (sorted)."""
    p = validate_draw(start, end, proportion, channels)
    result = []
    for tenant in sorted(tenants, key=lambda t: t.schema_name):
        with schema_context(tenant.schema_name):
            candidates = _candidates(start, end, channels)
        for (channel, window_code, is_bad), ids in sorted(candidates.items()):
            rng = random.Random(f"{seed}|{tenant.schema_name}|{channel}|{window_code}|{int(is_bad)}")
            drawn = sorted(rng.sample(ids, stratum_size(len(ids), p)))
            result.append(Stratum(tenant.schema_name, channel, window_code, is_bad, len(ids), drawn))
    return result


def draw_call_backs(tenants, *, start: date, end: date, proportion, county_user: User, seed: str = "",
                    channels: list[str] | None = None) -> Draw:
    by = require_county(county_user)
    if not tenants:
        raise DomainError("REQUIRED", "至少选择一个单位", "Choose at least one unit", "tenants")
    seed = (seed or "").strip()[:64] or secrets.token_hex(8)
    strata = compute_sample(tenants, start=start, end=end, proportion=proportion, seed=seed, channels=channels)
    key, p = uuid.uuid4().hex, Decimal(str(proportion))
    by_slug = {t.schema_name: t for t in tenants}
    with transaction.atomic():
        for s in strata:
            with schema_context(by_slug[s.tenant].schema_name):
                for evaluation in Evaluation.objects.filter(pk__in=s.drawn).order_by("pk"):
                    CallBack.objects.create(draw_key=key, seed=seed, evaluation=evaluation, stratum=s.key,
                                            channel=s.channel, window_code=s.window_code, grade=evaluation.grade,
                                            is_bad=s.is_bad, drawn_by=by)
    return Draw(key=key, seed=seed, proportion=p, strata=strata)


def _call(call_id: int, *, lock: bool = False) -> CallBack:
    qs = CallBack.objects.select_related("evaluation__case")
    if lock:
        qs = qs.select_for_update(of=("self",))
    call = qs.filter(pk=call_id).first()
    if call is None:
        raise NotFound("回访", "Call-back")
    return call


def _claim(call: CallBack, user: User, label: str) -> None:
    if call.caller_id is not None and call.caller_id != user.pk:
        raise DomainError("NOT_YOUR_CALL", f"该回访由{call.caller_label}处理", "Another county user is working this call", "id")
    if call.caller_id is None:
        call.caller_id, call.caller_label = user.pk, label[:120]
        call.save(update_fields=["caller_id", "caller_label"])


def contact_of(call: CallBack) -> tuple[str, str]:
    e, case = call.evaluation, call.evaluation.case
    name = e.rater_name or (case.applicant_name if case else "")
    phone = e.rater_phone or (case.applicant_phone if case else "")
    return name, phone


def reveal_contact(tenant, call_id: int, county_user: User) -> tuple[str, str]:
    """The rater's name and phone for the caller working the call (the first reveal claims it); logged."""
    label = require_county(county_user)
    with transaction.atomic(), schema_context(tenant.schema_name):
        call = _call(call_id, lock=True)
        _claim(call, county_user, label)
        CallBackContactRead.objects.create(call=call, user_id=county_user.pk, user_label=label[:120])
        return contact_of(call)


@dataclass(frozen=True)
class Outcome:
    reached: bool | None
    did_rate: bool | None = None
    pressed_to_rate_well: bool | None = None
    satisfaction_confirmed: bool | None = None
    notes: str = ""


def _validate_outcome(o: Outcome) -> Outcome:
    errors = ErrorCollector()
    if o.reached is None:
        errors.add("REQUIRED", "reached", "请填写是否联系上", "Say whether the rater was reached")
    elif o.reached:
        if o.did_rate is None:
            errors.add("REQUIRED", "didRate", "请填写是否本人评价", "Say whether the rater rated this service")
        if o.pressed_to_rate_well is None:
            errors.add("REQUIRED", "pressedToRateWell", "请填写是否被要求给好评", "Say whether the rater was pressed")
        if o.did_rate and o.satisfaction_confirmed is None:
            errors.add("REQUIRED", "satisfactionConfirmed", "请填写满意度是否属实", "Say whether the rating is confirmed")
    errors.max_length(o.notes, 2000, "notes", "备注", "Notes")
    errors.raise_if_any()
    if not o.reached:  # nothing was asked
        return Outcome(reached=False, notes=(o.notes or "").strip())
    return Outcome(True, o.did_rate, o.pressed_to_rate_well, o.satisfaction_confirmed if o.did_rate else None,
                   (o.notes or "").strip())


def _raise_flag(tenant, call: CallBack, kind: str, detail: str) -> SuspicionFlag:
    """One open flag per unit, kind and window: a further call adds its evaluation to it."""
    with schema_context(get_public_schema_name()):
        flag = (SuspicionFlag.objects.select_for_update()
                .filter(tenant=tenant, kind=kind, window_code=call.window_code[:64], reviewed_at__isnull=True).first())
        if flag is None:
            return SuspicionFlag.objects.create(tenant=tenant, kind=kind, window_code=call.window_code[:64],
                                                detail=detail, evaluation_ids=[call.evaluation_id])
        if call.evaluation_id not in flag.evaluation_ids:
            flag.evaluation_ids = [*flag.evaluation_ids, call.evaluation_id]
            flag.save(update_fields=["evaluation_ids"])
        return flag


def record_outcome(tenant, call_id: int, outcome: Outcome, county_user: User) -> CallBack:
    label = require_county(county_user)
    outcome = _validate_outcome(outcome)
    with transaction.atomic():
        with schema_context(tenant.schema_name):
            call = _call(call_id, lock=True)
            if call.state == CallBack.State.DONE:
                raise DomainError("ALREADY_DONE", "该回访已记录结果", "This call's outcome is already recorded", "id")
            _claim(call, county_user, label)
            call.reached, call.did_rate = outcome.reached, outcome.did_rate
            call.pressed_to_rate_well, call.satisfaction_confirmed = outcome.pressed_to_rate_well, outcome.satisfaction_confirmed
            call.notes, call.state, call.worked_at = outcome.notes, CallBack.State.DONE, timezone.now()
        flag = None
        if outcome.reached and outcome.did_rate is False:
            flag = _raise_flag(tenant, call, SuspicionFlag.Kind.CALLBACK_NOT_RATED,
                               f"回访：评价人称未对该次服务评价（窗口 {call.window_code or '—'}，渠道 {call.channel}）")
        elif outcome.reached and outcome.pressed_to_rate_well:
            flag = _raise_flag(tenant, call, SuspicionFlag.Kind.CALLBACK_PRESSURED,
                               f"回访：评价人称被要求给好评（窗口 {call.window_code or '—'}，渠道 {call.channel}）")
        with schema_context(tenant.schema_name):
            call.flag_id = flag.pk if flag else None
            call.save()
        return call


def calls(tenants, *, state: str | None = None, draw_key: str | None = None) -> list[tuple[object, CallBack]]:
    """(tenant, call) across the units, oldest first; no contact is read here."""
    rows = []
    for tenant in tenants:
        with schema_context(tenant.schema_name):
            qs = CallBack.objects.select_related("evaluation")
            if state:
                qs = qs.filter(state=state)
            if draw_key:
                qs = qs.filter(draw_key=draw_key)
            rows.extend((tenant, c) for c in qs)
    return sorted(rows, key=lambda r: (r[1].drawn_at, r[0].schema_name, r[1].pk))
