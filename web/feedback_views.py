"""综合点评 pages. Public host: the suggestion box (意见箱, the citizen picks the unit or leaves it to routing), the
receipt page and the published answers. Tenant host: the unit's own suggestion box, the staff list, one comment
(answer, hide, the logged contact read) and the hotline agent's entry form. Thin: writes are
haochaping.feedback.services calls; the public pages read only the public schema."""
from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_tenants.utils import get_public_schema_name, schema_context

from haochaping.accounts.models import Role
from haochaping.core import ratelimit
from haochaping.core.errors import DomainError, FieldError
from haochaping.core.privacy import digest, mask_name, mask_phone
from haochaping.feedback import routing, selectors, services
from haochaping.feedback.models import Category, Channel, PublicComment

READER_ROLES = (Role.TENANT_ADMIN, Role.AGENCY, Role.HANDLER, Role.VIEWER)
RECEIPT_LOOKUPS = 20
RECEIPT_WINDOW = 600

CATEGORY_LABELS = {Category.SUGGESTION: gettext_lazy("建议"), Category.COMPLAINT: gettext_lazy("投诉"),
                   Category.PRAISE: gettext_lazy("表扬"), Category.CONSULTATION: gettext_lazy("咨询")}
CHANNEL_LABELS = {Channel.SUGGESTION_BOX: gettext_lazy("意见箱"), Channel.HOTLINE: gettext_lazy("热线电话"),
                  Channel.EMAIL: gettext_lazy("电子邮箱"), Channel.HOTLINE_12345: gettext_lazy("12345热线"),
                  Channel.OPEN311: gettext_lazy("Open311接口"), Channel.SUPERVISION_PLATFORM: gettext_lazy("监督平台")}
STATUS_LABELS = {"OPEN": gettext_lazy("待答复"), "ANSWERED": gettext_lazy("已答复"),
                 "TRANSFERRED": gettext_lazy("已转办"), "HIDDEN": gettext_lazy("已处理")}
EVENT_LABELS = {"RECEIVED": gettext_lazy("收到点评"), "RECTIFICATION_OPENED": gettext_lazy("投诉开启整改"),
                "ANSWERED": gettext_lazy("答复"), "ANSWER_AMENDED": gettext_lazy("修改答复"),
                "HIDDEN": gettext_lazy("屏蔽"), "CONTACT_READ": gettext_lazy("查看联系方式"),
                "TRANSFERRED_OUT": gettext_lazy("转出"), "TRANSFERRED_IN": gettext_lazy("转入")}


def _english() -> bool:
    return (translation.get_language() or "").startswith("en")


def _is_public() -> bool:
    return connection.schema_name == get_public_schema_name()


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _categories():
    return [(value, CATEGORY_LABELS[value]) for value in Category.values]


def _attempt(action):
    try:
        return action(), []
    except DomainError as error:
        return None, list(error.errors)


# --- 意见箱 (both hosts) ----------------------------------------------------------------------------------------


def _suggest_choices(tenant) -> dict:
    from haochaping.disclosure.models import PublicName, PublishedItem

    with schema_context(get_public_schema_name()):
        units = list(routing.units())
        items = PublishedItem.objects.filter(is_active=True, tenant__in=units).select_related("tenant")
        if tenant is not None:
            items = items.filter(tenant=tenant)
        item_choices = {}
        for item in items.order_by("item_code"):
            item_choices.setdefault(item.item_code, item.name)
        orgs = [] if tenant is not None else [
            (f"{o.tenant.schema_name}/{o.code}", f"{o.tenant.name} · {o.name}")
            for o in PublicName.objects.filter(kind=PublicName.Kind.ORG, tenant__in=units).select_related("tenant")
            .order_by("tenant__official_code", "code")]
    return {"units": units if tenant is None else [], "items": sorted(item_choices.items()), "orgs": orgs}


@require_http_methods(["GET", "POST"])
def suggest(request):
    """意见箱: on the public host the citizen chooses the unit (or leaves it to routing); on a unit's host it goes
    to that unit."""
    tenant = None if _is_public() else connection.tenant
    context = {"english": _english(), "categories": _categories(), "errors": [], "values": {}, "tenant": tenant,
               "max_text": services.MAX_TEXT, **_suggest_choices(tenant)}
    status = 200
    if request.method == "POST":
        post = request.POST
        result, errors = _attempt(lambda: services.submit_comment(
            channel=Channel.SUGGESTION_BOX, text=post.get("text", ""), category=post.get("category", ""),
            contact_name=post.get("name", ""), contact_phone=post.get("phone", ""),
            allow_publish=post.get("publish") == "on", unit=None if tenant else post.get("unit", ""),
            item_code=post.get("item", ""), org_code="" if tenant else post.get("org", ""), host_tenant=tenant,
            client_ip=_client_ip(request)))
        if result is not None:
            return redirect("web:suggest_receipt", code=result.receipt_code)
        context.update(errors=errors, values=post)
        status = 429 if any(e.code == "RATE_LIMITED" for e in errors) else 400
    return render(request, "web/suggest.html", context, status=status)


def receipt_summary(code: str):
    """The public copy behind a receipt code, with labels (no personal data)."""
    row = selectors.by_receipt(code)
    if row is None:
        return None
    return {"row": row, "unit": row.tenant.name, "category": CATEGORY_LABELS.get(row.category, row.category),
            "channel": CHANNEL_LABELS.get(row.channel, row.channel), "status": STATUS_LABELS.get(row.status, row.status),
            "answered": row.status == "ANSWERED"}


@require_http_methods(["GET"])
def suggest_receipt(request, code: str):
    """What the holder of a receipt code may read: unit, status and the (redacted) answer. Limited per IP."""
    code = (code or "").strip().upper()[:16]
    with schema_context(get_public_schema_name()):
        allowed = ratelimit.within_limit("comment-receipt", digest(_client_ip(request), "ip"), RECEIPT_LOOKUPS,
                                         RECEIPT_WINDOW)
    if not allowed:
        errors = [FieldError("RATE_LIMITED", "查询过于频繁，请稍后再试", "Too many lookups; please try again later")]
        return render(request, "web/suggest_receipt.html", {"english": _english(), "errors": errors, "code": code},
                      status=429)
    summary = receipt_summary(code)
    if summary is None:
        raise Http404("未找到该回执码 / No comment has this receipt code")
    return render(request, "web/suggest_receipt.html", {"english": _english(), "code": code, "s": summary,
                                                        "errors": []})


def portal_comments(request):
    """公开答复: answered comments whose authors allowed publishing, by unit (public host, public schema only)."""
    slug = (request.GET.get("unit") or "").strip().lower()[:63]
    rows = selectors.published(unit_slug=slug or None)
    with schema_context(get_public_schema_name()):
        units = list(routing.units())
    return render(request, "web/portal_comments.html", {
        "rows": [{"row": r, "category": CATEGORY_LABELS.get(r.category, r.category),
                  "channel": CHANNEL_LABELS.get(r.channel, r.channel)} for r in rows],
        "units": units, "unit": slug})


# --- staff pages (tenant host) ---------------------------------------------------------------------------------


def readers_only(view):
    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if _is_public() or getattr(request.user, "role", None) not in READER_ROLES:
            return render(request, "web/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def _row(c: PublicComment) -> dict:
    return {"c": c, "category": CATEGORY_LABELS.get(c.category, c.category),
            "channel": CHANNEL_LABELS.get(c.channel, c.channel),
            "status": STATUS_LABELS.get(c.status, c.status), "name": mask_name(c.contact_name),
            "phone": mask_phone(c.contact_phone)}


@readers_only
def comment_list(request):
    g = request.GET
    status = g.get("status") if g.get("status") in PublicComment.Status.values else ""
    category = g.get("category") if g.get("category") in Category.values else ""
    channel = g.get("channel") if g.get("channel") in Channel.values else ""
    hidden = {"yes": True, "no": False}.get(g.get("hidden", ""))
    query = (g.get("q") or "").strip()[:100]
    rows = selectors.comments(status=status or None, category=category or None, channel=channel or None,
                              hidden=hidden, query=query)[:200]
    return render(request, "web/comment_list.html", {
        "rows": [_row(c) for c in rows], "status": status, "category": category, "channel": channel,
        "hidden": g.get("hidden", ""), "q": query, "categories": _categories(),
        "statuses": [(v, STATUS_LABELS[v]) for v in PublicComment.Status.values],
        "channels": [(v, CHANNEL_LABELS[v]) for v in Channel.values]})


@readers_only
@require_http_methods(["GET", "POST"])
def comment_detail(request, pk: int):
    comment = selectors.comment(pk)
    if comment is None:
        raise Http404("未找到该点评 / Comment not found")
    errors, contact = [], None
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "answer":
            result, errors = _attempt(lambda: services.answer_comment(pk, user=request.user,
                                                                      answer=request.POST.get("answer", "")))
        elif action == "hide":
            result, errors = _attempt(lambda: services.hide_comment(pk, user=request.user,
                                                                    reason=request.POST.get("reason", "")))
        elif action == "contact":
            contact, errors = _attempt(lambda: services.read_contact(pk, user=request.user))
            result = contact
        else:
            result, errors = None, [FieldError("INVALID_ACTION", "未知操作", "Unknown action")]
        if result is not None and action != "contact":
            messages.success(request, _("已保存"))
            return redirect("web:comment", pk=pk)
        if errors:
            status = 403 if any(e.code == "PERMISSION_DENIED" for e in errors) else 400
        comment = selectors.comment(pk)
    role = request.user.role
    return render(request, "web/comment_detail.html", {
        "english": _english(), "row": _row(comment), "errors": errors, "contact": contact,
        "can_answer": role in services.ANSWER_ROLES and comment.status != PublicComment.Status.TRANSFERRED
        and not comment.is_hidden,
        "can_hide": role in services.HIDE_ROLES and not comment.is_hidden,
        "can_contact": (role in services.CONTACT_ROLES and comment.status != comment.Status.TRANSFERRED
                        and bool(comment.contact_name or comment.contact_phone or comment.contact_email)),
        "events": [(e, EVENT_LABELS.get(e.action, e.action)) for e in comment.events.all()],
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def comment_hotline(request):
    """热线登记: an agent records a comment taken by phone (channel HOTLINE), for this unit."""
    if _is_public() or getattr(request.user, "role", None) not in services.HOTLINE_ROLES:
        return render(request, "web/forbidden.html", status=403)
    context = {"english": _english(), "categories": _categories(), "errors": [], "values": {}, "result": None,
               "max_text": services.MAX_TEXT, **_suggest_choices(connection.tenant)}
    status = 200
    if request.method == "POST":
        post = request.POST
        result, errors = _attempt(lambda: services.submit_comment(
            channel=Channel.HOTLINE, text=post.get("text", ""), category=post.get("category", ""),
            contact_name=post.get("name", ""), contact_phone=post.get("phone", ""),
            allow_publish=post.get("publish") == "on", item_code=post.get("item", ""), host_tenant=connection.tenant,
            entered_by=request.user))
        context.update(result=result, errors=errors, values=post if errors else {})
        status = 400 if errors else 200
    return render(request, "web/comment_hotline.html", context, status=status)
