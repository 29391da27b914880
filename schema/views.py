"""The GraphQL endpoint. CSRF is enforced whenever a session cookie authenticates the request (as Django
REST framework does); token-authenticated and anonymous requests need no CSRF token. Multipart uploads are
accepted only from an authenticated caller (session with CSRF, or token). JSON bodies are capped at
GRAPHQL_MAX_BODY_BYTES; GraphiQL, like introspection, is for authenticated callers outside development."""
from __future__ import annotations

import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt
from strawberry.django.views import GraphQLView

from haochaping.accounts.tokens import authenticate_token
from haochaping.audit.services import acting_as, actor_for
from schema.core.context import Principal
from schema.core.limits import introspection_allowed


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request, reason):
        return reason


def csrf_failure_reason(request) -> str | None:
    check = _CsrfCheck(lambda req: None)
    check.process_request(request)
    return check.process_view(request, None, (), {})


def _error(status: int, code: str, message: str, message_en: str) -> HttpResponse:
    body = {"errors": [{"message": f"{message} / {message_en}", "extensions": {"code": code}}]}
    return HttpResponse(json.dumps(body, ensure_ascii=False), status=status, content_type="application/json")


def _body_limit(request) -> int:
    return (settings.GRAPHQL_MAX_UPLOAD_BYTES if request.content_type == "multipart/form-data"
            else settings.GRAPHQL_MAX_BODY_BYTES)


def _body_too_large(request) -> bool:
    """JSON bodies over GRAPHQL_MAX_BODY_BYTES, multipart uploads over GRAPHQL_MAX_UPLOAD_BYTES (by their declared
    length: a multipart body is not read here; DATA_UPLOAD_MAX_MEMORY_SIZE bounds what Django reads of it)."""
    limit = _body_limit(request)
    if request.content_type == "multipart/form-data":
        try:
            return int(request.META.get("CONTENT_LENGTH") or 0) > limit
        except ValueError:
            return True
    try:
        if int(request.META.get("CONTENT_LENGTH") or 0) > limit:
            return True
        return len(request.body) > limit  # also catches a body sent without Content-Length
    except (ValueError, RequestDataTooBig):
        return True


class HaochapingGraphQLView(GraphQLView):
    def dispatch(self, request, *args, **kwargs):
        if _body_too_large(request):
            limit_kib = _body_limit(request) // 1024
            return _error(413, "REQUEST_TOO_LARGE", f"请求体过大（上限{limit_kib} KiB）",
                          f"The request body is too large (limit {limit_kib} KiB)")
        header = request.headers.get("Authorization", "")
        if header:
            scheme, _, value = header.partition(" ")
            token = authenticate_token(value.strip()) if scheme.lower() == "bearer" else None
            if token is None:
                return _error(401, "INVALID_TOKEN", "令牌无效、已过期或已吊销", "The token is invalid, expired or revoked")
            request.principal = Principal(token=token)
        elif request.user.is_authenticated:
            reason = csrf_failure_reason(request)
            if reason:
                return _error(403, "CSRF_FAILED", "CSRF 校验失败，请刷新页面后重试", f"CSRF check failed: {reason}")
            request.principal = Principal(user=request.user)
        else:
            if request.content_type == "multipart/form-data":
                return _error(403, "UPLOAD_REQUIRES_LOGIN", "上传文件须先登录或使用令牌",
                              "Uploads need a signed-in user or an API token")
            request.principal = Principal()
        # Privileged services record who acted in the audit trail (haochaping.audit).
        with acting_as(actor_for(request.principal.user, request.principal.token)):
            return super().dispatch(request, *args, **kwargs)

    def render_graphql_ide(self, request):
        if not settings.GRAPHIQL_ENABLED:
            return _error(404, "NOT_FOUND", "未启用接口调试页", "GraphiQL is not enabled")
        if not introspection_allowed(request.principal):
            return _error(403, "INTROSPECTION_DISABLED", "请先登录或使用 API 令牌再打开接口调试页",
                          "GraphiQL needs a signed-in user or an API token")
        return super().render_graphql_ide(request)


def _view(schema):
    return csrf_exempt(HaochapingGraphQLView.as_view(
        schema=schema,
        graphql_ide="graphiql",  # served per request: render_graphql_ide checks the setting and the caller
        multipart_uploads_enabled=True,
    ))


def _platform_schema():
    from schema.platform import schema

    return schema


def _tenant_schema():
    from schema.tenant import schema

    return schema


platform_graphql_view = _view(_platform_schema())
tenant_graphql_view = _view(_tenant_schema())
