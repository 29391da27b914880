"""Every root field declares who may call it, and the declarations hold over HTTP.

(a) A static walk over both schemas: each root query and mutation field carries a PermissionExtension, and
    the public ones are exactly PUBLIC_ALLOWLIST (making a field public is a deliberate, reviewed act).
(b) A role × operation matrix on a tenant host and on the platform host."""
from __future__ import annotations

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import schema_context
from strawberry.permission import PermissionExtension

from haochaping.organizations.models import ServicePlatform
from schema import platform as platform_schema
from schema import tenant as tenant_schema
from schema.realtime import realtime_schema
from schema.core.build import root_fields
from schema.core.permissions import _Permission, AnyOf, Public
from tenants.models import Tenant

SCHEMAS = {"tenant": tenant_schema.schema, "platform": platform_schema.schema, "realtime": realtime_schema}

# (schema, operation, GraphQL field name). Adding a public root field means adding it here, in review.
PUBLIC_ALLOWLIST = {
    ("tenant", "query", "tenant"),
    ("tenant", "query", "me"),
    ("tenant", "query", "serviceOrgs"),
    ("tenant", "query", "windows"),
    ("tenant", "query", "servicePlatforms"),
    ("tenant", "query", "ancillaryServices"),
    ("tenant", "query", "serviceItems"),
    ("tenant", "query", "catalogItems"),
    # Raters are anonymous citizens (DESIGN §2): the rating page, its labels and the submission itself, and
    # the SMS check that makes a rating real-name. Each guards itself (signed tokens, rate limits).
    ("tenant", "query", "ratingForm"),
    ("tenant", "query", "evaluationPolicy"),
    ("tenant", "mutation", "submitEvaluation"),
    ("tenant", "mutation", "requestPhoneCode"),
    ("tenant", "mutation", "verifyPhoneCode"),
    # A hall board's snapshot: anonymised figures, opened by the board's signed link (checked in the domain).
    ("tenant", "query", "hallBoard"),
    # Over websockets the connection authenticates in connection_init before any of these runs.
    ("realtime", "query", "hallBoard"),
    ("platform", "query", "me"),
    ("platform", "query", "catalogItems"),
    ("platform", "query", "tenants"),
    # The working-day calendar (holidays and 调休) is public information; only the county admin edits it.
    ("platform", "query", "calendarDays"),
    ("platform", "query", "calendarYears"),
    # Rankings are published data (public counts only, tiny cells unscored).
    ("platform", "query", "rankings"),
    # Notices are public once a county admin approved them (only PUBLISHED ones are listed).
    ("platform", "query", "publicNotices"),
}


# --------------------------------------------------------------------------------------------------
# (a) the schema walk


def _walk():
    for schema_name, schema in SCHEMAS.items():
        for operation, field in root_fields(schema):
            yield schema_name, operation, schema.config.name_converter.get_graphql_name(field), field


def _permissions(field) -> list:
    return [p for ext in field.extensions if isinstance(ext, PermissionExtension) for p in ext.permissions]


def _is_public(permission) -> bool:
    if isinstance(permission, Public):
        return True
    return isinstance(permission, AnyOf) and any(_is_public(p) for p in permission.permissions)


def test_the_walk_sees_both_schemas_roots():
    seen = {(s, op) for s, op, _, _ in _walk()}
    assert seen == {("tenant", "query"), ("tenant", "mutation"), ("tenant", "subscription"), ("platform", "query"),
                    ("platform", "mutation"), ("realtime", "query"), ("realtime", "subscription")}
    names = {(s, op, name) for s, op, name, _ in _walk()}
    # Spot checks, so a broken walk (e.g. an empty root) cannot pass vacuously.
    assert {("tenant", "query", "ratingDevices"), ("tenant", "mutation", "createServicePlatform"),
            ("platform", "mutation", "createTenant"), ("platform", "mutation", "importCatalog"),
            ("tenant", "subscription", "evaluationAdded"), ("realtime", "subscription", "evaluationAdded")} <= names


def test_every_root_field_declares_a_permission():
    missing = sorted(f"{s} {op} {name}" for s, op, name, field in _walk()
                     if not any(isinstance(ext, PermissionExtension) for ext in field.extensions))
    assert not missing, ("Root fields without a declared permission (use public(), tenant_reader(), tenant_admin(), "
                         f"platform_admin() or allow(...) from schema.core.permissions): {missing}")


def test_permissions_are_the_projects_own_classes():
    """A bare BasePermission (no bilingual message, no PERMISSION_DENIED code) or an empty list is a mistake."""
    bad = []
    for s, op, name, field in _walk():
        permissions = _permissions(field)
        if not permissions or not all(isinstance(p, _Permission) for p in permissions):
            bad.append(f"{s} {op} {name}: {permissions!r}")
    assert not bad, bad


def test_public_fields_are_exactly_the_allowlist():
    public = {(s, op, name) for s, op, name, field in _walk() if any(_is_public(p) for p in _permissions(field))}
    unlisted = sorted(public - PUBLIC_ALLOWLIST)
    assert not unlisted, f"Public root fields not in PUBLIC_ALLOWLIST (add them deliberately): {unlisted}"
    stale = sorted(PUBLIC_ALLOWLIST - public)
    assert not stale, f"PUBLIC_ALLOWLIST names fields that are not (or no longer) public: {stale}"


# The only mutations anyone may call: a rater's own submission and phone check. Nothing else is public.
PUBLIC_MUTATIONS = {("tenant", "submitEvaluation"), ("tenant", "requestPhoneCode"), ("tenant", "verifyPhoneCode")}


def test_only_the_raters_mutations_are_public():
    public_mutations = {(s, name) for s, op, name, field in _walk()
                        if op == "mutation" and any(_is_public(p) for p in _permissions(field))}
    assert public_mutations == PUBLIC_MUTATIONS
    assert {(s, name) for s, op, name in PUBLIC_ALLOWLIST if op == "mutation"} == PUBLIC_MUTATIONS


# --------------------------------------------------------------------------------------------------
# (b) the role × operation matrix

TENANT_ROLES = ("tenant_admin", "agency", "handler", "viewer", "staff")
COUNTY_ROLES = ("county_admin", "county_supervisor")
BILINGUAL = re.compile(r"[\u4e00-\u9fff].* / .*[A-Za-z]")

ANYONE = "anyone"
READERS = {"tenant_admin", "agency", "handler", "viewer", "token:read"}
TENANT_ADMIN = {"tenant_admin"}
COUNTY_ADMIN = {"county_admin"}
COUNTY_USERS = {"county_admin", "county_supervisor"}

TENANT_PRINCIPALS = ("anonymous", *TENANT_ROLES, "token:read",
                     # sessions from other hosts must count for nothing here
                     "beta:tenant_admin", "public:county_admin")
PLATFORM_PRINCIPALS = ("anonymous", *COUNTY_ROLES, "token:read", *(f"alpha:{role}" for role in TENANT_ROLES))

TENANT_OPERATIONS = {
    "windows": ("{ windows { totalCount edges { node { code } } } }", ANYONE),
    "staff": ("{ staff { totalCount edges { node { employeeNo } } } }", READERS),
    "ratingDevices": ("{ ratingDevices { totalCount edges { node { serial } } } }", TENANT_ADMIN),
    "createServicePlatform": (
        'mutation { createServicePlatform(kind: HOTLINE, code: "P99", name: "矩阵热线") '
        "{ platform { code name } errors { code } } }", TENANT_ADMIN),
    # Ratings carry rater data: signed-in readers only (no read token); staff see only their own results.
    "evaluations": ("{ evaluations { totalCount } }", READERS - {"token:read"}),
    "serviceCases": ("{ serviceCases { totalCount } }", READERS),
    # Rectifications carry (masked) rater data: signed-in readers only, like evaluations.
    "rectifications": ("{ rectifications { totalCount } }", READERS - {"token:read"}),
    "myResults": ("{ myResults { grade } }", {"staff"}),
    "evaluationPolicy": ("{ evaluationPolicy { labelSet } }", ANYONE),
    "updateEvaluationPolicy": (
        "mutation { updateEvaluationPolicy(input: {streakLength: 9}) { policy { streakLength } errors { code } } }",
        TENANT_ADMIN),
    # Only a business system's token with cases:write pushes cases: no signed-in role, no read token.
    "upsertServiceCase": (
        'mutation { upsertServiceCase(input: {caseNumber: "MATRIX-1", itemCode: "TEST-001", applicantKind: INDIVIDUAL, '
        'applicantName: "王小明", acceptedAt: "2026-11-02T09:00:00+08:00"}) { created errors { code } } }', set()),
    # County supervision (督办) as the tenant sees it: signed-in readers, no read token.
    "supervisionInstructions": ("{ supervisionInstructions { id text } }", READERS - {"token:read"}),
    # Hall boards: alerts for readers; the board link (a display credential) for the tenant admin only.
    "boardAlerts": ('{ boardAlerts(hallCode: "H01") { id } }', READERS),
    "hallBoardLink": ('mutation { hallBoardLink(hallCode: "H01") { url errors { code } } }', TENANT_ADMIN),
    # 综合点评 carry (masked) contact data: signed-in readers only, no read token.
    "publicComments": ("{ publicComments { totalCount } }", READERS - {"token:read"}),
}
# What an allowed call returns, for the operations not checked by their own branch below.
TENANT_VALUES = {
    "evaluations": {"totalCount": 0}, "serviceCases": {"totalCount": 0}, "rectifications": {"totalCount": 0},
    "myResults": [], "evaluationPolicy": {"labelSet": "SATISFACTION"},
    "updateEvaluationPolicy": {"policy": {"streakLength": 9}, "errors": []},
    "supervisionInstructions": [], "boardAlerts": [],
    "publicComments": {"totalCount": 0},
}

PLATFORM_OPERATIONS = {
    "tenants": ("{ tenants { totalCount edges { node { slug } } } }", ANYONE),
    "catalogItems": ("{ catalogItems { totalCount edges { node { code } } } }", ANYONE),
    "createTenant": (
        'mutation { createTenant(input: {slug: "gamma", name: "丙镇", kind: TOWNSHIP, officialCode: "411325903"}) '
        "{ tenant { slug } errors { code } } }", COUNTY_ADMIN),
    "issueEvaluatorToken": (
        'mutation { issueEvaluatorToken(name: "矩阵评估机构", tenantSlugs: ["alpha"]) '
        "{ apiToken { kind tenantSchemas } secret errors { code } } }", COUNTY_ADMIN),
    "importCatalog": (
        "mutation($file: Upload!) { importCatalog(file: $file, keepMissing: true) "
        "{ report { added } errors { code } } }", COUNTY_ADMIN),
    # County supervision (督办): both county roles read it and issue instructions and circulars.
    "countyOverview": ("{ countyOverview { slug open } }", COUNTY_USERS),
    "issueCircular": ('mutation { issueCircular(title: "矩阵通报", body: "内容", tenants: ["alpha"]) '
                      "{ circular { title } errors { code } } }", COUNTY_USERS),
}

UPLOADS = {"importCatalog"}
CSV = ("code,name,legal_basis,item_type\n"
       "TEST-900,矩阵测试事项,《测试条例》第九百条,PUBLIC_SERVICE\n").encode()


def multipart(client: Client, host: str, query: str, file_variable: str, upload: SimpleUploadedFile,
              token: str | None = None):
    """A GraphQL multipart request (the graphql-multipart-request spec) carrying one file."""
    operations = {"query": query, "variables": {file_variable: None}}
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post("/graphql/", data={"operations": json.dumps(operations),
                                          "map": json.dumps({"0": [f"variables.{file_variable}"]}), "0": upload},
                       HTTP_HOST=host, **headers)


@pytest.fixture
def caller(gql, system_token):
    """caller(slug, principal) → a GraphQLClient on `slug`'s host acting as that principal.

    principal: "anonymous", a role of that host, "token:read", or "<other slug>:<role>" (a session signed in on
    another host, whose cookie is then presented here)."""

    def make(slug: str, principal: str):
        if principal == "anonymous":
            return gql(slug)
        if principal == "token:read":
            return gql(slug, token=system_token(slug, ("read",)))
        if ":" in principal:
            home, role = principal.split(":")
            signed_in = gql(home, role)  # logs in on its home host
            return gql(slug, client=signed_in.client)
        return gql(slug, principal)

    return make


def _field_result(response, field: str):
    assert response.status_code == 200, response.content
    body = response.json()
    return body, (body.get("data") or {}).get(field)


def _assert_allowed(response, field: str):
    body, value = _field_result(response, field)
    assert "errors" not in body, body["errors"]
    assert value is not None
    if "errors" in value:  # a mutation payload: errors as data must be empty too
        assert value["errors"] == [], value
    return value


def _assert_denied(response, field: str):
    body, value = _field_result(response, field)
    assert value is None, body
    errors = body.get("errors") or []
    assert len(errors) == 1, body
    assert errors[0]["extensions"]["code"] == "PERMISSION_DENIED", errors[0]
    assert errors[0]["path"] == [field]
    assert BILINGUAL.search(errors[0]["message"]), errors[0]["message"]


def _expected_allowed(allowed, principal: str) -> bool:
    return allowed == ANYONE or principal in allowed


@pytest.mark.parametrize("principal", TENANT_PRINCIPALS)
@pytest.mark.parametrize("field", TENANT_OPERATIONS)
def test_tenant_host_matrix(caller, principal, field):
    query, allowed = TENANT_OPERATIONS[field]
    with schema_context("alpha"):
        platforms_before = ServicePlatform.objects.count()
    response = caller("alpha", principal).post(query)
    if _expected_allowed(allowed, principal):
        value = _assert_allowed(response, field)
        if field == "createServicePlatform":
            assert value["platform"] == {"code": "P99", "name": "矩阵热线"}
        elif field == "windows":
            assert value["edges"] == [{"node": {"code": "W01"}}]
        elif field == "hallBoardLink":
            assert "/board/H01/?t=" in value["url"] and value["url"].startswith("http")
        elif field in TENANT_VALUES:
            assert value == TENANT_VALUES[field]
        else:
            assert value["totalCount"] == 1
    else:
        _assert_denied(response, field)
    with schema_context("alpha"):
        expected = platforms_before + (1 if field == "createServicePlatform" and principal in allowed else 0)
        assert ServicePlatform.objects.count() == expected


@pytest.mark.parametrize("principal", PLATFORM_PRINCIPALS)
@pytest.mark.parametrize("field", PLATFORM_OPERATIONS)
def test_platform_host_matrix(caller, principal, field):
    from haochaping.catalog.models import CatalogItem
    from haochaping.supervision.models import Circular

    query, allowed = PLATFORM_OPERATIONS[field]
    client = caller("public", principal)
    if field in UPLOADS:
        response = multipart(client.client, client.host, query, "file",
                             SimpleUploadedFile("catalog.csv", CSV, content_type="text/csv"), token=client.token)
    else:
        response = client.post(query)

    signed_in = principal in COUNTY_ROLES or principal == "token:read"
    if _expected_allowed(allowed, principal):
        value = _assert_allowed(response, field)
        if field == "createTenant":
            assert value["tenant"] == {"slug": "gamma"}
        elif field == "issueEvaluatorToken":
            assert value["apiToken"] == {"kind": "EVALUATOR", "tenantSchemas": ["alpha"]}
            assert value["secret"].startswith("hcp_")
        elif field == "importCatalog":
            assert value["report"]["added"] == ["TEST-900"]
        elif field == "countyOverview":
            assert {row["slug"] for row in value} == {"alpha", "beta"}
        elif field == "issueCircular":
            assert value["circular"] == {"title": "矩阵通报"}
        elif field == "tenants":
            assert {edge["node"]["slug"] for edge in value["edges"]} >= {"alpha", "beta"}
        else:
            assert value["totalCount"] >= 5
    elif field in UPLOADS and not signed_in:
        # Anonymous multipart is refused before GraphQL runs (tenant sessions are anonymous here).
        assert response.status_code == 403, response.content
        assert response.json()["errors"][0]["extensions"]["code"] == "UPLOAD_REQUIRES_LOGIN"
    else:
        _assert_denied(response, field)

    if not _expected_allowed(allowed, principal):
        assert not Tenant.objects.filter(schema_name="gamma").exists()
        assert not CatalogItem.objects.filter(code="TEST-900").exists()
        assert not Circular.objects.exists()


def test_tenant_sessions_are_anonymous_on_the_platform_host(caller):
    body = caller("public", "alpha:tenant_admin")("{ me { username role } }")
    assert body["data"]["me"] is None


def test_platform_sessions_are_anonymous_on_a_tenant_host(caller):
    body = caller("alpha", "public:county_admin")("{ me { username role } }")
    assert body["data"]["me"] is None


@pytest.mark.parametrize("principal", ["tenant_admin", "viewer", "staff"])
def test_me_reports_the_signed_in_role(caller, principal):
    body = caller("alpha", principal)("{ me { username role tokenKind scopes } }")
    assert body["data"]["me"] == {"username": principal, "role": principal.upper(), "tokenKind": None, "scopes": []}
