"""CSRF on /graphql/: enforced when a session cookie authenticates (a browser could be tricked into sending
it); bearer-token and anonymous requests need no CSRF token; anonymous multipart uploads are refused."""
from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from haochaping.accounts.models import User
from haochaping.catalog.models import CatalogItem
from haochaping.organizations.models import ServicePlatform

CREATE_PLATFORM = ('mutation { createServicePlatform(kind: HOTLINE, code: "P42", name: "CSRF热线") '
                   "{ platform { code name } errors { code } } }")
IMPORT = ("mutation($file: Upload!) { importCatalog(file: $file, keepMissing: true) "
          "{ report { fileName added updated { code fields } deactivated unchangedCount } errors { code message } } }")
CSV = ("code,name,legal_basis,item_type\n"
       "TEST-777,上传测试事项,《测试条例》第七百七十七条,PUBLIC_SERVICE\n"
       "TEST-001,测试事项1,《测试条例》第1条,ADMINISTRATIVE_LICENSE\n").encode()


def host(slug: str) -> str:
    return "localhost" if slug == "public" else f"{slug}.localhost"


def strict_client(slug: str, username: str | None = None) -> Client:
    """A browser-like client that enforces CSRF, optionally signed in on `slug`'s host."""
    client = Client(enforce_csrf_checks=True)
    if username:
        with schema_context(slug):
            client.force_login(User.objects.get(username=username))
        connection.set_schema_to_public()
    return client


def csrf_token(client: Client, slug: str) -> str:
    """What a page would give the browser: the csrftoken cookie set by any form page."""
    response = client.get("/accounts/login/", HTTP_HOST=host(slug))
    assert response.status_code in (200, 302), response.status_code
    return client.cookies["csrftoken"].value


def post_json(client: Client, slug: str, query: str, **headers):
    return client.post("/graphql/", data=json.dumps({"query": query}), content_type="application/json",
                       HTTP_HOST=host(slug), **headers)


def post_upload(client: Client, slug: str, content: bytes = CSV, name: str = "catalog.csv", **headers):
    operations = {"query": IMPORT, "variables": {"file": None}}
    return client.post("/graphql/", data={
        "operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]}),
        "0": SimpleUploadedFile(name, content, content_type="text/csv"),
    }, HTTP_HOST=host(slug), **headers)


def error_code(response) -> str:
    return response.json()["errors"][0]["extensions"]["code"]


def platforms_in(slug: str) -> int:
    with schema_context(slug):
        return ServicePlatform.objects.filter(code="P42").count()


@pytest.mark.django_db
class TestSessionRequests:
    def test_without_csrf_token_is_refused_and_changes_nothing(self):
        client = strict_client("alpha", "tenant_admin")
        response = post_json(client, "alpha", CREATE_PLATFORM)
        assert response.status_code == 403
        assert error_code(response) == "CSRF_FAILED"
        message = response.json()["errors"][0]["message"]
        assert "CSRF" in message and " / " in message
        assert platforms_in("alpha") == 0

    def test_a_query_without_csrf_token_is_refused_too(self):
        """The rule is per request, not per operation: a session-authenticated query needs the token too."""
        client = strict_client("alpha", "viewer")
        response = post_json(client, "alpha", "{ staff { totalCount } }")
        assert response.status_code == 403
        assert error_code(response) == "CSRF_FAILED"

    def test_cookie_without_header_is_refused(self):
        client = strict_client("alpha", "tenant_admin")
        csrf_token(client, "alpha")  # the cookie alone is what a forged cross-site request would carry
        response = post_json(client, "alpha", CREATE_PLATFORM)
        assert response.status_code == 403
        assert error_code(response) == "CSRF_FAILED"
        assert platforms_in("alpha") == 0

    def test_wrong_header_is_refused(self):
        client = strict_client("alpha", "tenant_admin")
        csrf_token(client, "alpha")
        response = post_json(client, "alpha", CREATE_PLATFORM, HTTP_X_CSRFTOKEN="x" * 32)
        assert response.status_code == 403
        assert error_code(response) == "CSRF_FAILED"
        assert platforms_in("alpha") == 0

    def test_foreign_origin_is_refused_even_with_the_token(self):
        client = strict_client("alpha", "tenant_admin")
        token = csrf_token(client, "alpha")
        response = post_json(client, "alpha", CREATE_PLATFORM, HTTP_X_CSRFTOKEN=token,
                             HTTP_ORIGIN="http://evil.example")
        assert response.status_code == 403
        assert error_code(response) == "CSRF_FAILED"
        assert platforms_in("alpha") == 0

    def test_with_cookie_and_header_the_mutation_works(self):
        client = strict_client("alpha", "tenant_admin")
        token = csrf_token(client, "alpha")
        response = post_json(client, "alpha", CREATE_PLATFORM, HTTP_X_CSRFTOKEN=token)
        assert response.status_code == 200, response.content
        body = response.json()
        assert "errors" not in body, body
        assert body["data"]["createServicePlatform"] == {"platform": {"code": "P42", "name": "CSRF热线"}, "errors": []}
        assert platforms_in("alpha") == 1
        assert platforms_in("beta") == 0


@pytest.mark.django_db
class TestTokenAndAnonymousRequests:
    def test_bearer_token_needs_no_csrf(self, system_token):
        client = Client(enforce_csrf_checks=True)
        response = post_json(client, "alpha", "{ staff { totalCount } me { tokenKind } }",
                             HTTP_AUTHORIZATION=f"Bearer {system_token('alpha')}")
        assert response.status_code == 200, response.content
        assert response.json() == {"data": {"staff": {"totalCount": 1}, "me": {"tokenKind": "SYSTEM"}}}

    def test_bearer_token_takes_precedence_over_a_session_cookie(self, system_token):
        """The token authenticates; the session is not consulted, so no CSRF token is needed."""
        client = strict_client("alpha", "tenant_admin")
        response = post_json(client, "alpha", "{ me { username tokenKind } }",
                             HTTP_AUTHORIZATION=f"Bearer {system_token('alpha')}")
        assert response.status_code == 200, response.content
        assert response.json()["data"]["me"] == {"username": None, "tokenKind": "SYSTEM"}

    def test_anonymous_query_needs_no_csrf(self):
        client = Client(enforce_csrf_checks=True)
        response = post_json(client, "alpha", "{ windows { totalCount } }")
        assert response.status_code == 200, response.content
        assert response.json() == {"data": {"windows": {"totalCount": 1}}}

    def test_anonymous_mutation_meets_the_permission_check_not_csrf(self):
        client = Client(enforce_csrf_checks=True)
        response = post_json(client, "alpha", CREATE_PLATFORM)
        assert response.status_code == 200
        assert error_code(response) == "PERMISSION_DENIED"
        assert platforms_in("alpha") == 0


@pytest.mark.django_db
class TestUploads:
    def test_anonymous_multipart_upload_is_refused(self):
        response = post_upload(Client(enforce_csrf_checks=True), "public")
        assert response.status_code == 403
        assert error_code(response) == "UPLOAD_REQUIRES_LOGIN"
        assert not CatalogItem.objects.filter(code="TEST-777").exists()

    def test_anonymous_multipart_upload_is_refused_on_tenant_hosts_too(self):
        response = post_upload(Client(enforce_csrf_checks=True), "alpha")
        assert response.status_code == 403
        assert error_code(response) == "UPLOAD_REQUIRES_LOGIN"

    def test_session_upload_without_csrf_is_refused(self):
        client = strict_client("public", "county_admin")
        response = post_upload(client, "public")
        assert response.status_code == 403
        assert error_code(response) == "CSRF_FAILED"
        assert not CatalogItem.objects.filter(code="TEST-777").exists()

    def test_session_upload_with_csrf_imports_and_reports(self):
        client = strict_client("public", "county_admin")
        token = csrf_token(client, "public")
        response = post_upload(client, "public", HTTP_X_CSRFTOKEN=token)
        assert response.status_code == 200, response.content
        body = response.json()
        assert "errors" not in body, body
        payload = body["data"]["importCatalog"]
        assert payload["errors"] == []
        assert payload["report"] == {"fileName": "catalog.csv", "added": ["TEST-777"], "updated": [
            {"code": "TEST-001", "fields": ["item_type"]}], "deactivated": [], "unchangedCount": 0}
        item = CatalogItem.objects.get(code="TEST-777")
        assert item.name == "上传测试事项" and item.item_type == "PUBLIC_SERVICE"
        assert CatalogItem.objects.get(code="TEST-001").item_type == "ADMINISTRATIVE_LICENSE"
        assert CatalogItem.objects.filter(code__startswith="TEST-", is_active=True).count() == 6

    def test_session_upload_of_a_bad_file_reports_errors_and_changes_nothing(self):
        client = strict_client("public", "county_admin")
        token = csrf_token(client, "public")
        bad = "code,name,legal_basis,item_type\nTEST-778,坏行,,NOT_A_TYPE\n".encode()
        response = post_upload(client, "public", content=bad, HTTP_X_CSRFTOKEN=token)
        assert response.status_code == 200, response.content
        payload = response.json()["data"]["importCatalog"]
        assert payload["report"] is None
        assert [e["code"] for e in payload["errors"]] == ["REQUIRED"]
        assert not CatalogItem.objects.filter(code="TEST-778").exists()

    def test_token_upload_passes_the_gate_and_meets_the_permission_check(self, system_token):
        response = post_upload(Client(enforce_csrf_checks=True), "public",
                               HTTP_AUTHORIZATION=f"Bearer {system_token('public')}")
        assert response.status_code == 200, response.content
        assert error_code(response) == "PERMISSION_DENIED"
        assert not CatalogItem.objects.filter(code="TEST-777").exists()


@pytest.mark.django_db
def test_a_mutation_over_get_is_not_executed_even_with_a_session():
    """GET needs no CSRF token, so GET must never change anything."""
    client = strict_client("alpha", "tenant_admin")
    response = client.get("/graphql/", {"query": CREATE_PLATFORM}, HTTP_HOST=host("alpha"))
    assert response.status_code in (400, 405), response.content
    assert platforms_in("alpha") == 0
