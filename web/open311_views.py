"""Open311 GeoReport v2 (public host), beside the suggestion box: services.json, POST requests.json and
GET requests/<id>.json. service_request_id is the comment's receipt code; responses carry no personal data.
CSRF-exempt because it is an API with no cookie auth; anonymous posts are throttled per IP and phone (see
docs/api.md). An api_key, if sent, must be a usable public-schema token with the `comments:write` scope."""
from __future__ import annotations

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from haochaping.accounts.tokens import authenticate_token
from haochaping.core.errors import DomainError
from haochaping.feedback import selectors, services
from haochaping.feedback.models import Category, Channel

DESCRIPTIONS = {
    Category.SUGGESTION: "对政务服务的意见建议 / Suggestions about government services",
    Category.COMPLAINT: "对政务服务的投诉（开启整改）/ Complaints (open a rectification)",
    Category.PRAISE: "对政务服务的表扬 / Praise",
    Category.CONSULTATION: "政务服务咨询 / Questions",
}
SCOPE = "comments:write"


def _error(status: int, description: str) -> JsonResponse:
    return JsonResponse([{"code": status, "description": description}], status=status, safe=False)


def _public_only(request) -> JsonResponse | None:
    from django.db import connection

    if connection.schema_name != "public":
        return _error(404, "Open311 只在县级门户提供 / Open311 is served on the county portal only")
    return None


@require_GET
def services_json(request):
    refused = _public_only(request)
    if refused:
        return refused
    rows = [{"service_code": value, "service_name": label, "description": DESCRIPTIONS[value], "metadata": False,
             "type": "realtime", "keywords": "政务服务,好差评,综合点评", "group": "综合点评"}
            for value, label in Category.choices]
    return JsonResponse(rows, safe=False)


def _is_true(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "1", "yes", "on")


@csrf_exempt
def requests_json(request):
    refused = _public_only(request)
    if refused:
        return refused
    if request.method != "POST":
        return _error(405, "仅支持 POST / Only POST is supported")
    post = request.POST
    trusted = False
    if post.get("api_key"):
        token = authenticate_token(post["api_key"])
        if token is None or not token.has_scope(SCOPE):
            return _error(403, "api_key 无效或缺少 comments:write 权限 / Invalid api_key or missing comments:write scope")
        trusted = True
    service_code = (post.get("service_code") or "").strip()
    if not service_code:
        return _error(400, "service_code 不能为空 / service_code is required")
    if service_code not in Category.values:
        return _error(404, f"未知的 service_code：{service_code[:40]} / Unknown service_code")
    if not (post.get("description") or "").strip():
        return _error(400, "description 不能为空 / description is required")
    name = " ".join(part for part in ((post.get("last_name") or "").strip(), (post.get("first_name") or "").strip()) if part)
    try:
        result = services.submit_comment(
            channel=Channel.OPEN311, text=post.get("description", ""), category=service_code, contact_name=name,
            contact_phone=post.get("phone", ""), allow_publish=_is_true(post.get("attribute[publish_answer]")),
            unit=post.get("attribute[unit]") or None, item_code=post.get("attribute[item_code]", ""),
            client_ip=request.META.get("REMOTE_ADDR", ""), trusted=trusted)
    except DomainError as error:
        status = 429 if "RATE_LIMITED" in error.codes else 400
        return _error(status, "; ".join(f"{e.code}: {e.message} / {e.message_en}" for e in error.errors))
    return JsonResponse([{"service_request_id": result.receipt_code,
                          "service_notice": f"已转{result.tenant.name}办理 / Routed to {result.tenant.name}",
                          "account_id": None}], status=201, safe=False)


@require_GET
def request_json(request, service_request_id: str):
    refused = _public_only(request)
    if refused:
        return refused
    row = selectors.by_receipt(service_request_id)
    if row is None:
        return _error(404, "未找到该请求 / No such service request")
    closed = row.status in ("ANSWERED", "HIDDEN")
    return JsonResponse([{
        "service_request_id": service_request_id.strip().upper(), "status": "closed" if closed else "open",
        "status_notes": row.answer if row.status == "ANSWERED" else None,
        "service_name": Category(row.category).label, "service_code": row.category,
        "description": row.text or None, "agency_responsible": row.tenant.name, "service_notice": None,
        "requested_datetime": row.submitted_at.isoformat(),
        "updated_datetime": row.updated_at.isoformat(), "expected_datetime": None, "address": None,
        "address_id": None, "zipcode": None, "lat": None, "long": None, "media_url": None,
    }], safe=False)
