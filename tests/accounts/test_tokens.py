"""API tokens: only a digest is stored, unusable tokens get 401 INVALID_TOKEN, scopes are enforced, and a
freshly issued secret is shown exactly once."""
from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from haochaping.accounts import tokens
from haochaping.accounts.models import ApiToken

STAFF = "{ staff { totalCount } }"
ME = "{ me { username role tokenName tokenKind scopes } }"
ISSUE = """mutation($name: String!, $scopes: [String!]!, $expiresAt: DateTime) {
  issueSystemToken(name: $name, scopes: $scopes, expiresAt: $expiresAt) {
    apiToken { id name kind prefix scopes expiresAt revokedAt lastUsedAt }
    secret
    errors { code field message messageEn }
  }
}"""
REVOKE = "mutation($id: ID!) { revokeApiToken(id: $id) { apiToken { prefix revokedAt } errors { code } } }"
LIST = "{ apiTokens { totalCount edges { node { id name kind prefix scopes lastUsedAt } } } }"


def host(slug: str) -> str:
    return "localhost" if slug == "public" else f"{slug}.localhost"


def call(slug: str, query: str, authorization: str | None, variables: dict | None = None):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}
    return Client().post("/graphql/", data=json.dumps({"query": query, "variables": variables or {}}),
                         content_type="application/json", HTTP_HOST=host(slug), **headers)


def bearer(secret: str) -> str:
    return f"Bearer {secret}"


def issue(slug: str = "alpha", scopes=("read",), **kwargs) -> tokens.IssuedToken:
    with schema_context(slug):
        issued = tokens.issue_token(name="测试业务系统", kind="SYSTEM", scopes=list(scopes), **kwargs)
    connection.set_schema_to_public()
    return issued


def row(slug: str, prefix: str) -> ApiToken:
    with schema_context(slug):
        return ApiToken.objects.get(prefix=prefix)


def raw_row(slug: str, prefix: str) -> str:
    """The whole stored row as PostgreSQL sees it (every column, as text)."""
    with schema_context(slug), connection.cursor() as cursor:
        cursor.execute(f'SELECT row_to_json(t)::text FROM "{ApiToken._meta.db_table}" t WHERE prefix = %s', [prefix])
        return cursor.fetchone()[0]


def assert_invalid_token(response):
    assert response.status_code == 401, response.content
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "INVALID_TOKEN"
    assert " / " in body["errors"][0]["message"]
    assert "data" not in body


pytestmark = pytest.mark.django_db


# --- what is stored -----------------------------------------------------------------------------------

def test_the_database_holds_only_a_digest_and_the_public_prefix():
    issued = issue()
    scheme, prefix, random_part = issued.secret.split("_", 2)
    assert scheme == "hcp" and len(prefix) == 8 and len(random_part) >= 32
    token = row("alpha", prefix)
    assert token.prefix == prefix
    assert token.digest == hashlib.sha256(issued.secret.encode()).hexdigest()
    stored = raw_row("alpha", prefix)
    assert issued.secret not in stored
    assert random_part not in stored
    for value in (random_part[:12], random_part[-12:]):  # not even a fragment of the private part
        assert value not in stored


def test_the_token_type_exposes_no_secret_or_digest():
    from schema.accounts.types import ApiToken as ApiTokenType

    names = {f.name for f in ApiTokenType.__strawberry_definition__.fields}
    assert not names & {"digest", "secret"}


# --- refused tokens: 401 INVALID_TOKEN -----------------------------------------------------------------

def test_a_valid_token_is_accepted():
    response = call("alpha", STAFF, bearer(issue().secret))
    assert response.status_code == 200
    assert response.json() == {"data": {"staff": {"totalCount": 1}}}


def test_a_revoked_token_is_refused():
    issued = issue()
    with schema_context("alpha"):
        tokens.revoke_token(issued.token)
    assert_invalid_token(call("alpha", STAFF, bearer(issued.secret)))


def test_an_expired_token_is_refused():
    issued = issue(expires_at=timezone.now() + timedelta(hours=1))
    assert call("alpha", STAFF, bearer(issued.secret)).status_code == 200
    with schema_context("alpha"):
        ApiToken.objects.filter(pk=issued.token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_invalid_token(call("alpha", STAFF, bearer(issued.secret)))


def test_a_wrong_secret_with_a_right_prefix_is_refused():
    issued = issue()
    _, prefix, random_part = issued.secret.split("_", 2)
    forged = f"hcp_{prefix}_{'A' * len(random_part)}"
    assert_invalid_token(call("alpha", STAFF, bearer(forged)))
    assert_invalid_token(call("alpha", STAFF, bearer(issued.secret[:-1])))  # truncated
    assert_invalid_token(call("alpha", STAFF, bearer(issued.secret + "x")))  # extended
    assert row("alpha", prefix).last_used_at is None  # failed attempts do not count as use


@pytest.mark.parametrize("header", [
    "Bearer",
    "Bearer ",
    "Bearer hcp",
    "Bearer hcp_",
    "Bearer hcp__",
    "Bearer nothcp_abcd1234_secret",
    "Basic dXNlcjpwYXNz",
    "Token {secret}",
    "{secret}",
    "Bearer{secret}",
    "Bearer {secret} extra",
])
def test_a_malformed_authorization_header_is_refused(header):
    secret = issue().secret
    assert_invalid_token(call("alpha", STAFF, header.format(secret=secret)))


def test_the_scheme_is_case_insensitive():
    response = call("alpha", STAFF, f"bearer {issue().secret}")
    assert response.status_code == 200
    assert response.json()["data"]["staff"]["totalCount"] == 1


def test_a_token_only_works_in_its_own_schema():
    alpha_secret = issue("alpha").secret
    assert_invalid_token(call("beta", STAFF, bearer(alpha_secret)))
    assert_invalid_token(call("public", "{ me { tokenKind } }", bearer(alpha_secret)))
    public_secret = issue("public").secret
    assert_invalid_token(call("alpha", STAFF, bearer(public_secret)))


def test_an_invalid_token_is_refused_even_for_public_fields():
    """A bad token is an error, not a silent downgrade to anonymous."""
    assert_invalid_token(call("alpha", "{ windows { totalCount } }", bearer("hcp_00000000_nope")))


# --- what a token may do -------------------------------------------------------------------------------

def test_me_reports_the_token_kind_and_scopes():
    issued = issue(scopes=("read", "cases:write"))
    response = call("alpha", ME, bearer(issued.secret))
    assert response.status_code == 200
    assert response.json()["data"]["me"] == {"username": None, "role": None, "tokenName": "测试业务系统",
                                             "tokenKind": "SYSTEM", "scopes": ["cases:write", "read"]}


def test_a_token_without_the_scope_is_denied_the_scoped_operation():
    secret = issue(scopes=("cases:write",)).secret
    response = call("alpha", STAFF, bearer(secret))
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    # ...while public fields stay readable with it.
    assert call("alpha", "{ windows { totalCount } }", bearer(secret)).json() == {"data": {"windows": {"totalCount": 1}}}


def test_a_token_cannot_do_what_only_a_role_may():
    secret = issue(scopes=sorted(tokens.TOKEN_SCOPES)).secret
    for query in ("{ ratingDevices { totalCount } }", "{ apiTokens { totalCount } }",
                  'mutation { issueSystemToken(name: "自我复制", scopes: ["read"]) { secret } }'):
        body = call("alpha", query, bearer(secret)).json()
        assert body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED", query
    with schema_context("alpha"):
        assert not ApiToken.objects.filter(name="自我复制").exists()


def test_last_used_at_is_set_on_use_and_refreshed_at_most_once_a_minute():
    issued = issue()
    prefix = issued.token.prefix
    assert row("alpha", prefix).last_used_at is None
    before = timezone.now()
    assert call("alpha", STAFF, bearer(issued.secret)).status_code == 200
    first = row("alpha", prefix).last_used_at
    assert first is not None and before <= first <= timezone.now()

    recent = timezone.now() - timedelta(seconds=30)
    with schema_context("alpha"):
        ApiToken.objects.filter(prefix=prefix).update(last_used_at=recent)
    call("alpha", STAFF, bearer(issued.secret))
    assert row("alpha", prefix).last_used_at == recent

    stale = timezone.now() - timedelta(minutes=5)
    with schema_context("alpha"):
        ApiToken.objects.filter(prefix=prefix).update(last_used_at=stale)
    call("alpha", STAFF, bearer(issued.secret))
    assert row("alpha", prefix).last_used_at > stale + timedelta(minutes=4)


# --- issuing and revoking through GraphQL --------------------------------------------------------------

def test_issue_system_token_returns_the_secret_once(gql):
    admin = gql("alpha", "tenant_admin")
    payload = admin(ISSUE, {"name": "办件推送系统", "scopes": ["read", "cases:write"]})["data"]["issueSystemToken"]
    assert payload["errors"] == []
    secret = payload["secret"]
    token = payload["apiToken"]
    assert secret.startswith(f"hcp_{token['prefix']}_")
    assert token["kind"] == "SYSTEM" and token["scopes"] == ["cases:write", "read"] and token["name"] == "办件推送系统"
    assert token["revokedAt"] is None and token["lastUsedAt"] is None

    # The stored row cannot reproduce the secret: only its SHA-256 digest and public prefix are kept.
    stored = row("alpha", token["prefix"])
    assert stored.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert stored.created_by.username == "tenant_admin"
    raw = raw_row("alpha", token["prefix"])
    assert secret not in raw and secret.split("_", 2)[2] not in raw

    # Nothing later shows it again.
    listing = admin(LIST)
    assert secret not in json.dumps(listing, ensure_ascii=False)
    assert secret.split("_", 2)[2] not in json.dumps(listing, ensure_ascii=False)
    assert token["prefix"] in {e["node"]["prefix"] for e in listing["data"]["apiTokens"]["edges"]}

    # ...and the secret works.
    me = call("alpha", ME, bearer(secret)).json()["data"]["me"]
    assert me["tokenName"] == "办件推送系统" and me["scopes"] == ["cases:write", "read"]


def test_issue_system_token_with_an_expiry(gql):
    expires = (timezone.now() + timedelta(days=30)).replace(microsecond=0)
    payload = gql("alpha", "tenant_admin")(ISSUE, {"name": "限期系统", "scopes": ["read"],
                                                   "expiresAt": expires.isoformat()})["data"]["issueSystemToken"]
    assert payload["errors"] == []
    assert row("alpha", payload["apiToken"]["prefix"]).expires_at == expires


def test_issue_system_token_with_a_naive_expiry_is_read_in_local_time(gql):
    """A DateTime without an offset is taken in TIME_ZONE (Asia/Shanghai), not a server error."""
    payload = gql("alpha", "tenant_admin")(ISSUE, {"name": "本地时间系统", "scopes": ["read"],
                                                   "expiresAt": "2099-01-01T08:00:00"})["data"]["issueSystemToken"]
    assert payload["errors"] == [], payload
    stored = row("alpha", payload["apiToken"]["prefix"]).expires_at
    assert stored.isoformat() == "2099-01-01T00:00:00+00:00"


def test_issue_system_token_with_a_past_naive_expiry_is_a_user_error(gql):
    payload = gql("alpha", "tenant_admin")(ISSUE, {"name": "过期系统", "scopes": ["read"],
                                                   "expiresAt": "2000-01-01T00:00:00"})["data"]["issueSystemToken"]
    assert payload["secret"] is None
    assert [e["code"] for e in payload["errors"]] == ["INVALID_EXPIRY"]


def test_issue_system_token_rejects_bad_input_and_stores_nothing(gql):
    with schema_context("alpha"):
        count = ApiToken.objects.count()
    payload = gql("alpha", "tenant_admin")(ISSUE, {
        "name": "坏令牌", "scopes": ["read", "admin:everything"],
        "expiresAt": (timezone.now() - timedelta(days=1)).isoformat()})["data"]["issueSystemToken"]
    assert payload["apiToken"] is None and payload["secret"] is None
    assert {e["code"] for e in payload["errors"]} == {"INVALID_SCOPE", "INVALID_EXPIRY"}
    assert all(e["message"] and e["messageEn"] for e in payload["errors"])
    with schema_context("alpha"):
        assert ApiToken.objects.count() == count


def test_revoking_through_graphql_stops_the_token_at_once(gql):
    admin = gql("alpha", "tenant_admin")
    issued = admin(ISSUE, {"name": "待吊销系统", "scopes": ["read"]})["data"]["issueSystemToken"]
    assert call("alpha", STAFF, bearer(issued["secret"])).status_code == 200
    revoked = admin(REVOKE, {"id": issued["apiToken"]["id"]})["data"]["revokeApiToken"]
    assert revoked["errors"] == [] and revoked["apiToken"]["revokedAt"]
    assert_invalid_token(call("alpha", STAFF, bearer(issued["secret"])))
    again = admin(REVOKE, {"id": issued["apiToken"]["id"]})["data"]["revokeApiToken"]
    assert [e["code"] for e in again["errors"]] == ["ALREADY_REVOKED"]


def test_a_token_id_from_another_tenant_cannot_be_revoked(gql):
    issued = gql("alpha", "tenant_admin")(ISSUE, {"name": "甲镇系统", "scopes": ["read"]})["data"]["issueSystemToken"]
    # beta holds a token with the same primary key, so only the schema in the id protects alpha's token.
    issue("beta")
    result = gql("beta", "tenant_admin")(REVOKE, {"id": issued["apiToken"]["id"]})["data"]["revokeApiToken"]
    assert [e["code"] for e in result["errors"]] == ["NOT_FOUND"]
    assert call("alpha", STAFF, bearer(issued["secret"])).status_code == 200


def test_issue_evaluator_token_with_a_naive_expiry(gql):
    payload = gql("public", "county_admin")(
        'mutation { issueEvaluatorToken(name: "评估机构", tenantSlugs: ["alpha", "beta"], '
        'expiresAt: "2099-06-30T23:59:59") { apiToken { prefix kind scopes tenantSchemas } secret errors { code } } }'
    )["data"]["issueEvaluatorToken"]
    assert payload["errors"] == [], payload
    assert payload["apiToken"]["kind"] == "EVALUATOR" and payload["apiToken"]["scopes"] == ["read"]
    assert payload["apiToken"]["tenantSchemas"] == ["alpha", "beta"]
    stored = row("public", payload["apiToken"]["prefix"])
    assert stored.expires_at.isoformat() == "2099-06-30T15:59:59+00:00"
    assert payload["secret"] not in raw_row("public", payload["apiToken"]["prefix"])
