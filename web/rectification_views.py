"""差评整改 pages: the ledger (台账), one rectification's detail with its timeline and action forms, the evidence
download (this tenant's files only) and the anonymous rater's receipt lookup (回执查询). Thin views: every write is
a call to haochaping.rectification.services, which checks role, state and version."""
from __future__ import annotations

import mimetypes
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from haochaping.accounts.models import Role, User
from haochaping.core import ratelimit
from haochaping.core.errors import DomainError, FieldError
from haochaping.core.privacy import digest, mask_name, mask_phone
from haochaping.evaluations.models import Channel, Evaluation
from haochaping.rectification import selectors, services
from haochaping.rectification.models import Evidence, FollowUp, Rectification
from haochaping.rectification.services import Actor
from tenants.models import Tenant

from .tables import Table, minute, page_or_download, yes_no

S, O = Rectification.State, Rectification.Outcome
LEDGER_ROLES = (Role.TENANT_ADMIN, Role.AGENCY, Role.HANDLER, Role.VIEWER)
RECEIPT_LOOKUPS_PER_WINDOW = 10
RECEIPT_WINDOW_SECONDS = 600

STATE_LABELS = {
    S.OPEN: gettext_lazy("待回访核实"), S.VERIFYING: gettext_lazy("核实中"), S.LEDGER: gettext_lazy("台账整改中"),
    S.REJECTION_PENDING: gettext_lazy("不予采纳待审批"), S.CLOSED: gettext_lazy("已办结"),
}
OUTCOME_LABELS = {
    O.FIXED_NOW: gettext_lazy("立行立改"), O.LEDGER_FIXED: gettext_lazy("台账整改完成"),
    O.EXPLAINED: gettext_lazy("解释说明"), O.REJECTED_MISTAKEN: gettext_lazy("误评，不予采纳"),
    O.REJECTED_MALICIOUS: gettext_lazy("恶意差评，不予采纳"),
}
METHOD_LABELS = {
    FollowUp.Method.PHONE: gettext_lazy("电话"), FollowUp.Method.SMS: gettext_lazy("短信"),
    FollowUp.Method.VISIT: gettext_lazy("上门"), FollowUp.Method.IN_PERSON: gettext_lazy("当面"),
}
EVENT_LABELS = {
    "OPENED": gettext_lazy("开启整改"), "HANDED_OFF": gettext_lazy("转交责任单位"), "ASSIGNED": gettext_lazy("指定专人"),
    "FOLLOWED_UP": gettext_lazy("回访核实"), "EVIDENCE_ADDED": gettext_lazy("上传证明材料"),
    "FIXED_NOW": gettext_lazy("立行立改"), "LEDGER_OPENED": gettext_lazy("建立台账"), "PROGRESS": gettext_lazy("整改进展"),
    "LEDGER_FIXED": gettext_lazy("台账整改完成"), "EXPLAINED": gettext_lazy("解释说明"),
    "REJECTION_REQUESTED": gettext_lazy("申请不予采纳"), "REJECTION_APPROVED": gettext_lazy("同意不予采纳"),
    "REJECTION_DENIED": gettext_lazy("驳回不予采纳"), "EXTENSION_REQUESTED": gettext_lazy("申请延期"),
    "EXTENSION_APPROVED": gettext_lazy("同意延期"), "EXTENSION_DENIED": gettext_lazy("驳回延期"),
    "DISPUTED": gettext_lazy("评价人不认可"), "CONFIRMED": gettext_lazy("评价人认可"),
    "ESCALATED": gettext_lazy("升级督办"),
}


def _english() -> bool:
    return (translation.get_language() or "").startswith("en")


def ledger_roles_required(view):
    """Signed in on this tenant's host (else the login page) with a ledger role (else 403)."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if getattr(request.user, "role", None) not in LEDGER_ROLES:
            return render(request, "web/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def _is_overdue(r: Rectification, now) -> bool:
    return r.state != S.CLOSED and r.due < now


def _channel_label(code: str) -> str:
    try:
        return Channel(code).label
    except ValueError:
        return code


# --- 台账 --------------------------------------------------------------------------------------------------------


@ledger_roles_required
def ledger(request):
    state = request.GET.get("state", "")
    state = state if state in S.values else ""
    overdue_only = request.GET.get("overdue") == "1"
    mine = request.GET.get("mine") == "1"
    rows = selectors.ledger(state=state or None, overdue=True if overdue_only else None,
                            handler_id=request.user.pk if mine else None)
    now = timezone.now()
    items = [{"r": r, "overdue": _is_overdue(r, now), "state_label": STATE_LABELS.get(r.state, r.state),
              "channel_label": _channel_label(r.channel)} for r in rows[:500]]
    return page_or_download(request, "web/rect_ledger.html", {
        "rows": items, "state": state, "overdue_only": overdue_only, "mine": mine,
        "states": list(STATE_LABELS.items()), "now": now,
    }, [_ledger_table(items)], name=f"{connection.schema_name}-rectifications")


def _ledger_table(items) -> Table:
    """The ledger's columns; like the page, no rater name, phone or comment."""
    headers = [_("办件编号"), _("事项"), _("等级"), _("渠道"), _("开启时间"), _("回访期限"), _("整改反馈期限"),
               _("已超期"), _("状态"), _("整改专人"), _("升级督办时间")]
    rows = ((row["r"].case_number, row["r"].item_name or row["r"].window_name, row["r"].grade or _("投诉"),
             row["channel_label"], minute(row["r"].opened_at), minute(row["r"].follow_up_due), minute(row["r"].due),
             yes_no(row["overdue"]), row["state_label"], str(row["r"].handler or ""), minute(row["r"].escalated_at))
            for row in items)
    return Table("ledger", _("差评整改台账"), headers, rows)


# --- 详情与办理 -------------------------------------------------------------------------------------------------


def _get(pk: int) -> Rectification:
    r = Rectification.objects.select_related("handler", "owner_unit", "rating_unit").filter(pk=pk).first()
    if r is None:
        raise Http404(_("未找到该整改"))
    return r


def _version(post) -> int:
    raw = (post.get("version") or "").strip()
    if not raw.isdigit():
        raise DomainError("CONFLICT", "该整改已被他人更新，请刷新后重试",
                          "Someone else changed this rectification; reload and retry", "version")
    return int(raw)


def _handler(post) -> User:
    raw = (post.get("handler") or "").strip()
    user = User.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
    if user is None:
        raise DomainError("INVALID_HANDLER", "请选择整改专人", "Choose a handler", "handlerId")
    return user


def _approve(post) -> bool:
    return post.get("decision") == "approve"


def _days(post) -> int:
    raw = (post.get("days") or "").strip()
    return int(raw) if raw.isdigit() else 0


# action name → (call, success message)
ACTIONS = {
    "assign": (lambda pk, v, a, p, f: services.assign_handler(pk, v, a, _handler(p)), gettext_lazy("已指定整改专人")),
    "follow_up": (lambda pk, v, a, p, f: services.record_follow_up(pk, v, a, method=p.get("method", ""),
                                                                    rater_said=p.get("rater_said", "")),
                  gettext_lazy("已记录回访")),
    "fix_now": (lambda pk, v, a, p, f: services.fix_now(pk, v, a, feedback=p.get("feedback", "")),
                gettext_lazy("已立行立改并反馈评价人")),
    "open_ledger": (lambda pk, v, a, p, f: services.open_ledger(pk, v, a, plan=p.get("plan", "")),
                    gettext_lazy("已建立整改台账")),
    "progress": (lambda pk, v, a, p, f: services.add_progress(pk, v, a, note=p.get("note", "")),
                 gettext_lazy("已记录整改进展")),
    "close_ledger": (lambda pk, v, a, p, f: services.close_ledger(pk, v, a, feedback=p.get("feedback", "")),
                     gettext_lazy("台账整改已完成并反馈评价人")),
    "explain": (lambda pk, v, a, p, f: services.explain(pk, v, a, feedback=p.get("feedback", "")),
                gettext_lazy("已解释说明并反馈评价人")),
    "request_rejection": (lambda pk, v, a, p, f: services.request_rejection(pk, v, a, kind=p.get("kind", ""),
                                                                            reason=p.get("reason", "")),
                          gettext_lazy("已提交不予采纳申请，等待管理机构审批")),
    "decide_rejection": (lambda pk, v, a, p, f: services.decide_rejection(pk, v, a, approve=_approve(p),
                                                                          note=p.get("note", "")),
                         gettext_lazy("已审批不予采纳申请")),
    "request_extension": (lambda pk, v, a, p, f: services.request_extension(pk, v, a, days=_days(p),
                                                                            reason=p.get("reason", "")),
                          gettext_lazy("已提交延期申请")),
    "decide_extension": (lambda pk, v, a, p, f: services.decide_extension(pk, v, a, approve=_approve(p)),
                         gettext_lazy("已审批延期申请")),
}


def _upload_evidence(pk: int, actor: Actor, files) -> None:
    upload = files.get("file")
    if upload is None:
        raise DomainError("REQUIRED", "请选择要上传的文件", "Choose a file to upload", "file")
    if upload.size > services.MAX_EVIDENCE_BYTES:
        raise DomainError("FILE_TOO_LARGE", "文件不能超过10MB", "Files must be at most 10 MB", "file")
    content_type = mimetypes.guess_type(upload.name)[0]  # by the name; the service checks the first bytes
    services.add_evidence(pk, actor, name=upload.name, content=upload.read(), content_type=content_type)


def _detail_context(request, r: Rectification) -> dict:
    role = request.user.role
    workers = role in services.WORKERS
    managers = role in services.MANAGERS
    township_agency = role == Role.AGENCY and connection.tenant.kind == Tenant.Kind.TOWNSHIP
    st = r.state
    events = [{"e": e, "label": EVENT_LABELS.get(e.action, e.action),
               "from_label": STATE_LABELS.get(e.from_state, e.from_state),
               "to_label": STATE_LABELS.get(e.to_state, e.to_state)} for e in r.events.all()]
    follow_ups = [{"f": f, "method_label": METHOD_LABELS.get(f.method, f.method)}
                  for f in r.follow_ups.select_related("contacted_by").order_by("contacted_at", "pk")]
    can = {
        "assign": managers and st in (S.OPEN, S.VERIFYING, S.LEDGER),
        "follow_up": workers and st in (S.OPEN, S.VERIFYING, S.LEDGER),
        "evidence": workers and st in (S.VERIFYING, S.LEDGER),
        "fix_now": workers and st == S.VERIFYING,
        "open_ledger": workers and st == S.VERIFYING,
        "progress": workers and st == S.LEDGER,
        "close_ledger": workers and st == S.LEDGER,
        "explain": workers and st in (S.VERIFYING, S.LEDGER),
        "request_rejection": workers and st == S.VERIFYING,
        "decide_rejection": township_agency and st == S.REJECTION_PENDING,
        "request_extension": workers and st in (S.VERIFYING, S.LEDGER) and not r.extension_requested_days,
        "decide_extension": township_agency and st in (S.VERIFYING, S.LEDGER) and bool(r.extension_requested_days),
        "contact": (workers or managers) and bool(r.rater_name or r.rater_phone),
    }
    return {
        "r": r, "english": _english(), "events": events, "follow_ups": follow_ups,
        "evidence": r.evidence.select_related("uploaded_by").order_by("uploaded_at", "pk"),
        "state_label": STATE_LABELS.get(st, st), "outcome_label": OUTCOME_LABELS.get(r.outcome, r.outcome),
        "channel_label": _channel_label(r.channel), "overdue": _is_overdue(r, timezone.now()),
        "masked_name": mask_name(r.rater_name), "masked_phone": mask_phone(r.rater_phone),
        "can": can, "any_action": any(v for k, v in can.items() if k != "contact"),
        "handlers": User.objects.filter(role__in=services.WORKERS, is_active=True).order_by("username"),
        "methods": list(METHOD_LABELS.items()),
        "rejection_kinds": [(O.REJECTED_MISTAKEN, OUTCOME_LABELS[O.REJECTED_MISTAKEN]),
                            (O.REJECTED_MALICIOUS, OUTCOME_LABELS[O.REJECTED_MALICIOUS])],
    }


@ledger_roles_required
@require_http_methods(["GET", "POST"])
def detail(request, pk: int):
    r = _get(pk)
    status, errors, failed_action, contact = 200, [], "", None
    if request.method == "POST":
        action = request.POST.get("action", "")
        actor = Actor.of(request.user)
        try:
            if action == "contact":  # shown once in this response, never stored in the page's state
                name, phone = services.read_contact(pk, actor)
                contact = {"name": name, "phone": phone}
            elif action == "evidence":
                _upload_evidence(pk, actor, request.FILES)
                messages.success(request, _("已上传证明材料"))
                return redirect("web:rectification", pk=pk)
            elif action in ACTIONS:
                call, done = ACTIONS[action]
                call(pk, _version(request.POST), actor, request.POST, request.FILES)
                messages.success(request, str(done))
                return redirect("web:rectification", pk=pk)
            else:
                errors, status = [FieldError("UNKNOWN_ACTION", "未知操作", "Unknown action", "action")], 400
        except DomainError as error:
            errors, failed_action = list(error.errors), action
            codes = {e.code for e in errors}
            status = 409 if "CONFLICT" in codes else 404 if "NOT_FOUND" in codes else \
                403 if "TRANSITION_NOT_ALLOWED" in codes and action == "contact" else 400
        r = _get(pk)  # what is stored now (after a conflict: the other person's change)
    context = _detail_context(request, r)
    context.update(errors=errors, failed_action=failed_action, contact=contact,
                   conflict=any(e.code == "CONFLICT" for e in errors),
                   values=request.POST if errors else {})
    return render(request, "web/rect_detail.html", context, status=status)


@ledger_roles_required
def evidence_download(request, pk: int, evidence_id: int):
    """Only this tenant's evidence, from this tenant's folder under MEDIA_ROOT: anything else is a 404."""
    evidence = Evidence.objects.filter(pk=evidence_id, rectification_id=pk).first()
    if evidence is None:
        raise Http404(_("未找到该证明材料"))
    name = evidence.file.name or ""
    prefix = f"tenants/{connection.schema_name}/rectification/{pk}/"
    root = (Path(settings.MEDIA_ROOT) / "tenants" / connection.schema_name).resolve()
    path = (Path(settings.MEDIA_ROOT) / name).resolve()
    if not name.startswith(prefix) or ".." in Path(name).parts or not path.is_relative_to(root) or not path.is_file():
        raise Http404(_("未找到该证明材料"))
    response = FileResponse(path.open("rb"), content_type=evidence.content_type or "application/octet-stream")
    inline = evidence.content_type in ("image/jpeg", "image/png", "application/pdf")
    response["Content-Disposition"] = content_disposition_header(not inline, evidence.original_name or path.name)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- 回执查询（匿名） -----------------------------------------------------------------------------------------------


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


@require_http_methods(["GET", "POST"])
def receipt(request):
    """An anonymous rater enters the receipt code and sees how the follow-up stands; once closed, the outcome and
    the feedback. No staff names and no personal data. Lookups are limited per IP address."""
    context = {"english": _english(), "code": "", "errors": [], "result": None}
    status = 200
    if request.method == "POST":
        code = (request.POST.get("code") or "").strip().upper()[:16]
        context["code"] = code
        if not ratelimit.within_limit("receipt", digest(_client_ip(request), "ip"), RECEIPT_LOOKUPS_PER_WINDOW,
                                      RECEIPT_WINDOW_SECONDS):
            context["errors"] = [FieldError("RATE_LIMITED", "查询过于频繁，请稍后再试",
                                            "Too many lookups; please try again later", "code")]
            status = 429
        elif not code:
            context["errors"] = [FieldError("REQUIRED", "请输入回执码", "Enter the receipt code", "code")]
            status = 400
        else:
            evaluation = Evaluation.objects.select_related("case__handling_unit").filter(receipt_code=code).first()
            if evaluation is None:
                context["errors"] = [FieldError("NOT_FOUND", "未找到该回执码，请核对后重新输入",
                                                "No rating has this receipt code; check it and try again", "code")]
                status = 404
            else:
                summary = selectors.summary_for_evaluation(evaluation)
                context["result"] = {
                    "rated_at": evaluation.rated_at, "is_bad": evaluation.is_bad, "summary": summary,
                    "state_label": STATE_LABELS.get(summary.state, summary.state) if summary else "",
                    "closed": bool(summary and summary.state == S.CLOSED),
                    "outcome_label": OUTCOME_LABELS.get(summary.outcome, summary.outcome) if summary else "",
                }
    return render(request, "web/rect_receipt.html", context, status=status)
