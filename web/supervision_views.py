"""县级督办 pages, on the public host for the county agency (COUNTY_ADMIN, COUNTY_SUPERVISOR): the overview across
tenants (metrics, open escalations with the instruction form, rejections awaiting the county's decision for
departments and the centre, internal circulars) and one tenant's ledger. Thin views: reads go through
haochaping.supervision.selectors, writes through haochaping.supervision.services and
haochaping.rectification.services (which check role, state and version). No rater name, phone or comment is read
for these pages."""
from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_tenants.utils import schema_context

from haochaping.accounts.models import PLATFORM_ROLES
from haochaping.core.errors import DomainError
from haochaping.rectification import services as rect_services
from haochaping.rectification.models import Rectification
from haochaping.rectification.services import Actor
from haochaping.supervision import selectors, services
from haochaping.supervision.models import Circular, Escalation
from tenants.models import Tenant

from .rectification_views import OUTCOME_LABELS, STATE_LABELS, _english
from .tables import Table, minute, page_or_download, rate, yes_no

S = Rectification.State
TARGET_PERCENT = 100  # 实名差评回访整改率 target
REASON_LABELS = {Escalation.Reason.OVERDUE: gettext_lazy("逾期未整改"),
                 Escalation.Reason.DISPUTED: gettext_lazy("追评不认可整改")}
KIND_LABELS = {Tenant.Kind.CENTER: gettext_lazy("县政务服务中心"), Tenant.Kind.TOWNSHIP: gettext_lazy("乡镇"),
               Tenant.Kind.DEPARTMENT: gettext_lazy("县直部门"), Tenant.Kind.COUNTY: gettext_lazy("县级平台")}


def county_roles_required(view):
    """Signed in on the public host (else the login page) with a county role (else 403)."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if getattr(request.user, "role", None) not in PLATFORM_ROLES:
            return render(request, "web/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def _tenant(slug: str) -> Tenant | None:
    return selectors.supervised_tenants().filter(schema_name=slug).first()


def _int(raw) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() else None


def _kind_label(code: str) -> str:
    return str(OUTCOME_LABELS.get(code, code)) if code else "—"


# --- reads ----------------------------------------------------------------------------------------------------


def _overview_rows(tenants, now) -> list[dict]:
    rows = []
    for o in (selectors.tenant_overview(t, now) for t in tenants):
        rate = o.real_name_follow_up_rectification
        rows.append({
            "o": o, "kind_label": KIND_LABELS.get(o.tenant.kind, o.tenant.kind),
            "on_time": o.on_time.percent, "follow_up": rate.percent,
            "below_target": rate.percent is not None and rate.percent < TARGET_PERCENT,
            "rejections": [{"kind": _kind_label(x.kind), "state": STATE_LABELS.get(x.state, x.state),
                            "reason": x.reason, "id": x.rectification_id} for x in o.rejections],
        })
    return rows


def _open_escalations(tenants) -> list[dict]:
    """Open, escalated rectifications in each tenant, with the public record's reason and instructions so far."""
    rows = []
    for tenant in tenants:
        with schema_context(tenant.schema_name):
            open_ones = list(Rectification.objects.exclude(state=S.CLOSED).filter(escalated_at__isnull=False)
                             .order_by("due", "pk")
                             .values("id", "case_number", "item_name", "window_name", "due", "escalated_at", "state"))
        if not open_ones:
            continue
        ids = [r["id"] for r in open_ones]
        reasons = {}
        for e in selectors.escalations(tenant=tenant).filter(rectification_id__in=ids).order_by("escalated_at", "pk"):
            reasons[e.rectification_id] = e.reason  # the latest wins
        instructed = {}
        for i in selectors.instructions_for(tenant).filter(rectification_id__in=ids):
            instructed[i.rectification_id] = instructed.get(i.rectification_id, 0) + 1
        for r in open_ones:
            reason = reasons.get(r["id"], "")
            rows.append({"tenant": tenant, "r": r, "state_label": STATE_LABELS.get(r["state"], r["state"]),
                         "reason_label": REASON_LABELS.get(reason, reason or "—"),
                         "instructions": instructed.get(r["id"], 0)})
    return rows


def _pending_rejections(tenants) -> list[dict]:
    """Rejections awaiting the county's decision: departments' and the centre's (a township's agency decides its
    own). Case number, item, kind and reason only; no rater data."""
    rows = []
    for tenant in tenants:
        if tenant.kind == Tenant.Kind.TOWNSHIP:
            continue
        with schema_context(tenant.schema_name):
            pending = list(Rectification.objects.filter(state=S.REJECTION_PENDING).order_by("pk")
                           .values("id", "version", "case_number", "item_name", "window_name", "rejection_kind",
                                   "rejection_reason", "due"))
        rows += [{"tenant": tenant, "r": r, "kind_label": _kind_label(r["rejection_kind"])} for r in pending]
    return rows


def _overview_context(request) -> dict:
    now = timezone.now()
    tenants = list(selectors.supervised_tenants())
    return {
        "english": _english(), "now": now, "tenants": tenants, "target": TARGET_PERCENT,
        "rows": _overview_rows(tenants, now),
        "escalations": _open_escalations(tenants),
        "pending": _pending_rejections(tenants),
        "circulars": Circular.objects.prefetch_related("tenants").select_related("subject_tenant")[:50],
        "errors": [], "failed_action": "", "values": {},
    }


def _overview_tables(context: dict) -> list[Table]:
    """The overview's four tables, from the page's own rows (no rater data is read for them either)."""
    def overview():
        for row in context["rows"]:
            o, follow_up = row["o"], row["o"].real_name_follow_up_rectification
            rejections = "；".join(f"#{x['id']} {x['kind']}（{x['state']}）：{x['reason'] or '—'}"
                                  for x in row["rejections"])
            yield (o.tenant.name, row["kind_label"], o.open, o.overdue, o.escalated, o.closed, rate(o.on_time.value),
                   rate(follow_up.value), follow_up.numerator, follow_up.denominator, yes_no(row["below_target"]),
                   o.rejection_count, rejections)

    def escalations():
        for row in context["escalations"]:
            r = row["r"]
            yield (row["tenant"].name, r["id"], r["case_number"], r["item_name"] or r["window_name"], minute(r["due"]),
                   minute(r["escalated_at"]), row["reason_label"], row["state_label"], row["instructions"])

    def pending():
        for row in context["pending"]:
            r = row["r"]
            yield (row["tenant"].name, r["id"], r["case_number"], r["item_name"] or r["window_name"], row["kind_label"],
                   r["rejection_reason"])

    def circulars():
        for c in context["circulars"]:
            scope = "、".join(t.name for t in c.tenants.all()) or _("全部单位")
            yield minute(c.issued_at), c.title, c.body, scope, c.issued_by

    return [
        Table("overview", _("县级督办"),
              [_("单位"), _("类型"), _("未办结"), _("已超期"), _("升级督办"), _("已办结"), _("按期办结率"),
               _("实名差评回访整改率"), _("已回访整改的实名差评"), _("实名差评"), _("未达标"), _("不予采纳"),
               _("不予采纳明细")], overview()),
        Table("escalations", _("升级督办"),
              [_("单位"), _("整改编号"), _("办件编号"), _("事项"), _("整改反馈期限"), _("升级时间"), _("原因"), _("状态"),
               _("已督办次数")], escalations()),
        Table("rejections", _("不予采纳待县级审批"),
              [_("单位"), _("整改编号"), _("办件编号"), _("事项"), _("类型"), _("理由")], pending()),
        Table("circulars", _("内部通报"), [_("通报时间"), _("标题"), _("内容"), _("通报范围"), _("通报人")], circulars()),
    ]


# --- writes ---------------------------------------------------------------------------------------------------


def _unknown_tenant() -> DomainError:
    return DomainError("NOT_FOUND", "未找到该单位", "Unit not found", "tenant")


def _instruct(request) -> str:
    tenant = _tenant(request.POST.get("tenant", ""))
    rid = _int(request.POST.get("rectification_id"))
    if tenant is None or rid is None:
        raise _unknown_tenant() if tenant is None else DomainError("NOT_FOUND", "未找到该整改",
                                                                   "Rectification not found", "rectificationId")
    services.issue_instruction(tenant, rid, request.POST.get("text", ""), request.user)
    return _("已下发督办意见")


def _decide(request) -> str:
    tenant = _tenant(request.POST.get("tenant", ""))
    if tenant is None:
        raise _unknown_tenant()
    rid, version = _int(request.POST.get("rectification_id")), _int(request.POST.get("version"))
    if rid is None:
        raise DomainError("NOT_FOUND", "未找到该整改", "Rectification not found", "id")
    if version is None:
        raise DomainError("CONFLICT", "该整改已被他人更新，请刷新后重试",
                          "Someone else changed this rectification; reload and retry", "version")
    approve = request.POST.get("decision") == "approve"
    with schema_context(tenant.schema_name):
        rect_services.decide_rejection(rid, version, Actor.county_user(request.user), approve=approve,
                                       note=request.POST.get("note", ""))
    return _("已同意不予采纳") if approve else _("已驳回不予采纳申请")


def _circular(request) -> str:
    slugs = request.POST.getlist("tenants")
    chosen = list(selectors.supervised_tenants().filter(schema_name__in=slugs)) if slugs else []
    if len(chosen) != len(set(slugs)):
        raise _unknown_tenant()
    services.issue_circular(title=request.POST.get("title", ""), body=request.POST.get("body", ""),
                            county_user=request.user, tenants=chosen or None)
    return _("已发布内部通报")


ACTIONS = {"instruct": _instruct, "decide_rejection": _decide, "circular": _circular}


@county_roles_required
@require_http_methods(["GET", "POST"])
def overview(request):
    status, errors, action = 200, [], ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action not in ACTIONS:
                raise DomainError("UNKNOWN_ACTION", "未知操作", "Unknown action", "action")
            messages.success(request, ACTIONS[action](request))
            return redirect("web:supervision")
        except DomainError as error:
            errors = list(error.errors)
            codes = {e.code for e in errors}
            status = 409 if "CONFLICT" in codes else 404 if "NOT_FOUND" in codes else \
                403 if codes & {"NOT_ALLOWED", "TRANSITION_NOT_ALLOWED"} else 400
    context = _overview_context(request)
    context.update(errors=errors, failed_action=action, values=request.POST if errors else {})
    return page_or_download(request, "web/sup_overview.html", context, _overview_tables(context), name="supervision",
                            status=status)


@county_roles_required
def tenant_ledger(request, slug: str):
    tenant = _tenant(slug)
    if tenant is None:
        raise Http404(_("未找到该单位"))
    now = timezone.now()
    rows = [{"r": r, "overdue": r["state"] != S.CLOSED and r["due"] < now,
             "state_label": STATE_LABELS.get(r["state"], r["state"]),
             "outcome_label": OUTCOME_LABELS.get(r["outcome"], r["outcome"]) if r["outcome"] else ""}
            for r in selectors.tenant_ledger(tenant)]
    instructions = selectors.instructions_for(tenant)[:50]
    return page_or_download(request, "web/sup_ledger.html", {
        "tenant": tenant, "kind_label": KIND_LABELS.get(tenant.kind, tenant.kind), "rows": rows, "now": now,
        "overdue_count": sum(1 for r in rows if r["overdue"]), "instructions": instructions,
    }, _ledger_tables(tenant, rows, instructions), name=f"supervision-{tenant.schema_name}")


def _ledger_tables(tenant: Tenant, rows: list[dict], instructions) -> list[Table]:
    """One tenant's ledger and the county's instructions; like the page, no rater name, phone or comment."""
    def ledger():
        for row in rows:
            r = row["r"]
            yield (r["id"], r["case_number"], r["item_name"] or r["window_name"], r["grade"] or _("投诉"),
                   yes_no(r["is_real_name"]), minute(r["rated_at"]), minute(r["follow_up_due"]),
                   minute(r["followed_up_at"]), minute(r["due"]), yes_no(row["overdue"]), row["state_label"],
                   row["outcome_label"], minute(r["closed_at"]), minute(r["escalated_at"]), r["reopened_count"])

    issued = ((minute(i.issued_at), i.rectification_id, i.text, i.issued_by, minute(i.acknowledged_at),
               i.acknowledged_by) for i in instructions)
    return [
        Table("ledger", f"{tenant.name}{_('整改台账')}",
              [_("整改编号"), _("办件编号"), _("事项"), _("等级"), _("实名"), _("评价时间"), _("回访期限"), _("回访时间"),
               _("整改反馈期限"), _("已超期"), _("状态"), _("整改结果"), _("办结时间"), _("升级督办时间"),
               _("重新整改次数")], ledger()),
        Table("instructions", f"{tenant.name}{_('督办意见')}",
              [_("督办时间"), _("整改编号"), _("督办意见"), _("督办人"), _("签收时间"), _("签收人")], issued),
    ]

