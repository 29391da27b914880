"""Hall boards: board links, the per-hall event sequence, what a board may see (snapshot and rating events,
anonymised), and the threshold alerts for the hall's managers.

Board messages (version 1, `MESSAGE_VERSION`):
  rating   {"v", "type": "rating", "hall", "seq", "rating": {...}}      sent to t.<schema>.hall.<code>
  snapshot {"v", "type": "snapshot", "hall", "seq", "date", ...}       on connect and on request
  alert    {"v", "type": "alert", "hall", "alert": {...}}              managers only
A board applies rating events in `seq` order; a gap (or a reconnect) means: fetch a snapshot, whose `seq` says
which events it already contains."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q
from django.db.models.functions import ExtractHour
from django.utils import timezone

from haochaping.accounts.models import Role, User
from haochaping.core.errors import DomainError
from haochaping.core.ids import global_id
from haochaping.core.links import tenant_url
from haochaping.core.privacy import redact_text
from haochaping.core.signing import InvalidToken, make_token, read_token
from haochaping.evaluations import grades
from haochaping.evaluations.models import Evaluation
from haochaping.evaluations.policy import get_policy
from haochaping.notifications.services import queue_notification
from haochaping.organizations.models import ServiceOrg, Window
from tenants.resolution import current_tenant

from . import publisher
from .models import BoardAlert, HallBoard

BOARD_PURPOSE = "board.hall"
LATEST_COUNT = 12
COMMENT_LIMIT = 40
MANAGER_ROLES = {Role.TENANT_ADMIN, Role.AGENCY}


def _not_found() -> DomainError:
    return DomainError("NOT_FOUND", "未找到该大厅", "No such hall", "hallCode")


def hall_by_code(code: str) -> ServiceOrg:
    org = ServiceOrg.objects.filter(code=(code or "").strip(), is_active=True).first()
    if org is None:
        raise _not_found()
    return org


def _board(org: ServiceOrg) -> HallBoard:
    board, _ = HallBoard.objects.get_or_create(org=org)
    return board


# --- board links --------------------------------------------------------------------------------------------


def board_token(org: ServiceOrg) -> str:
    """The token in a board's URL: signed, carries the schema and the hall, revoked by `rotate_board_token`."""
    return make_token(BOARD_PURPOSE, o=org.pk, v=_board(org).token_version)


def board_url(org: ServiceOrg) -> str:
    return tenant_url(current_tenant().slug, f"/board/{org.code}/?t={board_token(org)}")


def rotate_board_token(org: ServiceOrg) -> str:
    HallBoard.objects.get_or_create(org=org)
    HallBoard.objects.filter(org=org).update(token_version=F("token_version") + 1)
    return board_url(org)


def hall_for_board_token(code: str, token: str) -> ServiceOrg:
    """The hall a board token opens; refused (typed) for another hall, another tenant, or a revoked link."""
    values = read_token(BOARD_PURPOSE, token or "", field="boardToken")
    org = hall_by_code(code)
    board = HallBoard.objects.filter(org=org).first()
    version = board.token_version if board else 1
    if values.get("o") != org.pk or values.get("v") != version:
        raise InvalidToken("boardToken")
    return org


def is_hall_manager(user: User | None, org: ServiceOrg) -> bool:
    if user is None or not user.is_active:
        return False
    if user.is_superuser or user.role in MANAGER_ROLES:
        return True
    return HallBoard.objects.filter(org=org, managers=user).exists()


# --- what a board sees --------------------------------------------------------------------------------------


def _day_bounds(day) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, start + timedelta(days=1)


def _counted_today(evaluation: Evaluation) -> bool:
    return (not evaluation.excluded_from_scores
            and timezone.localdate(evaluation.rated_at) == timezone.localdate())


def _rating_view(evaluation: Evaluation, window: Window, label_set: str) -> dict:
    """One rating as a board shows it: no names, phones or personal data in the comment."""
    return {
        "window": window.code,
        "windowName": window.name,
        "grade": evaluation.grade,
        "label": grades.LABELS[label_set][evaluation.grade],
        "labelEn": grades.LABELS_EN[label_set][evaluation.grade],
        "bad": evaluation.is_bad,
        "counted": _counted_today(evaluation),
        "ratedAt": timezone.localtime(evaluation.rated_at).isoformat(timespec="seconds"),
        "comment": redact_text(evaluation.comment, COMMENT_LIMIT),
    }


def _rates(counts: dict[int, int]) -> dict:
    total = sum(counts.values())
    good = sum(n for grade, n in counts.items() if not grades.is_bad(grade))
    return {
        "counts": {str(g): counts.get(g, 0) for g in grades.GRADES},
        "total": total,
        "bad": total - good,
        # 好评率 = grades 3–5 ÷ counted (docs/metrics.md); None when nothing was counted.
        "satisfaction": round(good / total, 4) if total else None,
    }


def snapshot(org: ServiceOrg, *, include_alerts: bool = False) -> dict:
    """Today's figures for the hall in ONE repeatable-read transaction, so `seq` names exactly the rating events
    already counted in it."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:  # inside a caller's transaction its isolation applies
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        board = HallBoard.objects.filter(org=org).first()
        today = timezone.localdate()
        start, end = _day_bounds(today)
        label_set = get_policy().label_set
        windows = list(Window.objects.filter(org=org, is_active=True).order_by("code"))
        counted = Evaluation.objects.filter(window__org=org, rated_at__gte=start, rated_at__lt=end,
                                            excluded_from_scores=False)
        per_window: dict[int, dict[int, int]] = {}
        for row in counted.values("window_id", "grade").annotate(n=Count("id")).order_by():
            per_window.setdefault(row["window_id"], {})[row["grade"]] = row["n"]
        hall_counts: dict[int, int] = {}
        for counts in per_window.values():
            for grade, n in counts.items():
                hall_counts[grade] = hall_counts.get(grade, 0) + n
        trend = {hour: {"hour": hour, "good": 0, "bad": 0} for hour in range(24)}
        hours = (counted.annotate(hour=ExtractHour("rated_at", tzinfo=timezone.get_current_timezone()))
                 .values("hour").annotate(bad=Count("id", filter=Q(is_bad=True)), total=Count("id")).order_by())
        for row in hours:
            trend[row["hour"]]["bad"] = row["bad"]
            trend[row["hour"]]["good"] = row["total"] - row["bad"]
        by_pk = {w.pk: w for w in windows}
        recent = (Evaluation.objects.filter(window__org=org).select_related("window")
                  .order_by("-created_at")[:LATEST_COUNT])
        payload = {
            "v": publisher.MESSAGE_VERSION,
            "type": "snapshot",
            "hall": org.code,
            "hallName": org.name,
            "tenantName": current_tenant().name,
            "seq": board.seq if board else 0,
            "date": today.isoformat(),
            "labels": {str(g): grades.LABELS[label_set][g] for g in grades.GRADES},
            "labelsEn": {str(g): grades.LABELS_EN[label_set][g] for g in grades.GRADES},
            "windows": [{"code": w.code, "name": w.name, **_rates(per_window.get(w.pk, {}))} for w in windows],
            "totals": _rates(hall_counts),
            "trend": [trend[h] for h in range(24)],
            "latest": [_rating_view(e, by_pk.get(e.window_id, e.window), label_set) for e in recent],
        }
        if include_alerts:
            payload["alerts"] = [alert_view(a) for a in
                                 BoardAlert.objects.filter(org=org, state=BoardAlert.State.OPEN).select_related("window")]
        return payload


# --- a rating arrives ---------------------------------------------------------------------------------------


def record_rating(evaluation: Evaluation, policy=None) -> None:
    """Called inside the rating's transaction (last, to hold the hall's sequence row as briefly as possible):
    numbers the event, checks the alert threshold, and publishes both after commit."""
    window = evaluation.window
    if window is None:
        return
    org = window.org
    policy = policy or get_policy()
    label_set = policy.label_set
    alert = _check_threshold(evaluation, window, org, policy) if evaluation.is_bad else None
    with connection.cursor() as cursor:
        # One statement: creates the hall's board row on its first rating, else raises its sequence.
        cursor.execute(
            f"INSERT INTO {HallBoard._meta.db_table} (org_id, seq, token_version) VALUES (%s, 1, 1) "
            f"ON CONFLICT (org_id) DO UPDATE SET seq = {HallBoard._meta.db_table}.seq + 1 RETURNING seq",
            [org.pk])
        seq = cursor.fetchone()[0]
    schema = connection.schema_name
    event = {"v": publisher.MESSAGE_VERSION, "type": "rating", "hall": org.code, "seq": seq,
             "rating": _rating_view(evaluation, window, label_set)}
    transaction.on_commit(lambda: publisher.publish(publisher.hall_group(schema, org.code), "board.event", event))
    if alert is not None:
        message = {"v": publisher.MESSAGE_VERSION, "type": "alert", "hall": org.code, "alert": alert_view(alert)}
        transaction.on_commit(lambda: publisher.publish(publisher.manager_group(schema, org.code), "board.event", message))


def _check_threshold(evaluation: Evaluation, window: Window, org: ServiceOrg, policy) -> BoardAlert | None:
    """Bad share at this window over the rolling period (only a bad rating can push it over). One open alert per
    window; after an acknowledgement a new one needs a full period of its own."""
    since = evaluation.rated_at - timedelta(minutes=policy.board_alert_minutes)
    stats = Evaluation.objects.filter(window=window, rated_at__gt=since, rated_at__lte=evaluation.rated_at,
                                      excluded_from_scores=False).aggregate(
        total=Count("id"), bad=Count("id", filter=Q(is_bad=True)))
    total, bad = stats["total"], stats["bad"]
    if total < policy.board_alert_min_ratings or bad * 100 < policy.board_alert_bad_percent * total:
        return None
    if BoardAlert.objects.filter(window=window).filter(
            Q(state=BoardAlert.State.OPEN) | Q(raised_at__gt=timezone.now() - timedelta(minutes=policy.board_alert_minutes))).exists():
        return None
    try:
        with transaction.atomic():
            alert = BoardAlert.objects.create(
                org=org, window=window, raised_at=timezone.now(), ratings=total, bad_ratings=bad,
                period_minutes=policy.board_alert_minutes, threshold_percent=policy.board_alert_bad_percent)
    except IntegrityError:  # a concurrent bad rating raised it first
        return None
    subject = f"差评预警：{org.name} {window.code}号窗口"
    body = (f"{org.name}{window.name}（{window.code}号窗口）最近{policy.board_alert_minutes}分钟内{total}条评价中"
            f"有{bad}条差评，已超过{policy.board_alert_bad_percent}%的预警线。请到现场了解情况，并在评价屏管理页确认。"
            f"\n{tenant_url(current_tenant().slug, f'/board/{org.code}/manage/')}")
    for manager in _alert_recipients(org):
        queue_notification(channel="EMAIL", recipient=manager.email, subject=subject, body=body,
                           purpose="board_alert", dedupe_key=f"board_alert:{alert.pk}:{manager.pk}")
    return alert


def _alert_recipients(org: ServiceOrg) -> list[User]:
    board = HallBoard.objects.filter(org=org).first()
    managers = list(board.managers.filter(is_active=True).exclude(email="")) if board else []
    if not managers:
        managers = list(User.objects.filter(is_active=True, role__in=MANAGER_ROLES).exclude(email=""))
    return managers


def alert_view(alert: BoardAlert) -> dict:
    return {
        "id": global_id("BoardAlert", alert.pk),
        "window": alert.window.code,
        "windowName": alert.window.name,
        "raisedAt": timezone.localtime(alert.raised_at).isoformat(timespec="seconds"),
        "ratings": alert.ratings,
        "badRatings": alert.bad_ratings,
        "periodMinutes": alert.period_minutes,
        "thresholdPercent": alert.threshold_percent,
        "state": alert.state,
        "acknowledgedAt": timezone.localtime(alert.acknowledged_at).isoformat(timespec="seconds") if alert.acknowledged_at else None,
        "note": alert.note,
    }


def acknowledge_alert(alert_id: int, user: User, note: str = "") -> BoardAlert:
    note = (note or "").strip()
    if len(note) > 500:
        raise DomainError("TOO_LONG", "处理说明不能超过500字", "The note must be at most 500 characters", "note")
    with transaction.atomic():
        alert = BoardAlert.objects.select_for_update().select_related("window", "org").filter(pk=alert_id).first()
        if alert is None or not is_hall_manager(user, alert.org):
            raise DomainError("NOT_FOUND", "未找到该预警", "No such alert", "id")
        if alert.state != BoardAlert.State.OPEN:
            raise DomainError("ALREADY_ACKNOWLEDGED", "该预警已确认", "This alert has already been acknowledged", "id")
        alert.state, alert.acknowledged_by, alert.acknowledged_at = BoardAlert.State.ACKNOWLEDGED, user, timezone.now()
        alert.note = note
        alert.save(update_fields=["state", "acknowledged_by", "acknowledged_at", "note"])
        schema, code = connection.schema_name, alert.org.code
        message = {"v": publisher.MESSAGE_VERSION, "type": "alert", "hall": code, "alert": alert_view(alert)}
        transaction.on_commit(lambda: publisher.publish(publisher.manager_group(schema, code), "board.event", message))
    return alert


def alerts(org: ServiceOrg):
    return BoardAlert.objects.filter(org=org).select_related("window").order_by("-raised_at")
