"""The GraphQL endpoint. CSRF is enforced whenever a session cookie authenticates the request (as Django
REST framework does); token-authenticated and anonymous requests need no CSRF token. Multipart uploads are
accepted only from an authenticated caller (session with CSRF, or token)."""
from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt
from strawberry.django.views import GraphQLView

from haochaping.accounts.tokens import authenticate_token
from schema.core.context import Principal


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


class HaochapingGraphQLView(GraphQLView):
    def dispatch(self, request, *args, **kwargs):
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
        return super().dispatch(request, *args, **kwargs)


def _view(schema):
    return csrf_exempt(HaochapingGraphQLView.as_view(
        schema=schema,
        graphql_ide="graphiql" if settings.GRAPHIQL_ENABLED else None,
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
