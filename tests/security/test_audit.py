"""The audit trail: privileged GraphQL mutations append an AuditEvent (who, what, target, when, tenant) in the same
transaction as the change; the rows are append-only and readable by admins in the Django admin."""
import json
from datetime import date, timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from conftest import host_of
from haochaping.accounts.models import User
from haochaping.audit.models import AuditEvent

ISSUE = """mutation($name: String!, $scopes: [String!]!) {
  issueSystemToken(name: $name, scopes: $scopes) { apiToken { id } secret errors { code } } }"""
REVOKE = "mutation($id: ID!) { revokeApiToken(id: $id) { apiToken { id } errors { code } } }"


def events(schema: str, **filters) -> list[AuditEvent]:
    with schema_context(schema):
        rows = list(AuditEvent.objects.filter(**filters).order_by("id"))
    connection.set_schema_to_public()
    return rows


def user_pk(schema: str, username: str) -> int:
    with schema_context(schema):
        pk = User.objects.get(username=username).pk
    connection.set_schema_to_public()
    return pk


def test_token_issue_and_revoke_are_audited_in_the_tenant(gql):
    admin = gql("alpha", "TENANT_ADMIN")
    issued = admin(ISSUE, {"name": "办件推送系统", "scopes": ["cases:write"]})["data"]["issueSystemToken"]
    assert issued["errors"] == []
    (event,) = events("alpha", action="token.issue", target_label__startswith="办件推送系统")
    assert event.actor_kind == "USER" and event.actor == f"tenant_admin#{user_pk('alpha', 'tenant_admin')}"
    assert event.tenant == "alpha" and event.target_type == "ApiToken"
    assert event.detail["kind"] == "SYSTEM" and event.detail["scopes"] == ["cases:write"]
    assert issued["secret"] not in json.dumps(event.detail, ensure_ascii=False)  # never the secret
    assert abs((timezone.now() - event.at).total_seconds()) < 60
    assert events("beta", action="token.issue", target_label__startswith="办件推送系统") == []

    revoked = admin(REVOKE, {"id": issued["apiToken"]["id"]})["data"]["revokeApiToken"]
    assert revoked["errors"] == []
    (event,) = events("alpha", action="token.revoke", target_id=event.target_id)
    assert event.actor.startswith("tenant_admin#")


def test_refused_actions_leave_no_audit_row(gql):
    before = len(events("alpha", action="token.issue"))
    body = gql("alpha", "TENANT_ADMIN")(ISSUE, {"name": "坏令牌", "scopes": ["no-such-scope"]})
    assert [e["code"] for e in body["data"]["issueSystemToken"]["errors"]] == ["INVALID_SCOPE"]
    denied = gql("alpha", "VIEWER")(ISSUE, {"name": "越权", "scopes": ["read"]}, expect_errors=True)
    assert denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert len(events("alpha", action="token.issue")) == before


def test_evaluator_grants_are_audited_on_the_platform(gql):
    county = gql("public", "COUNTY_ADMIN")
    org = county('mutation { registerEvaluatorOrg(name: "审计测试评估所", kind: FIRM) { org { id } errors { code } } }')
    org_id = org["data"]["registerEvaluatorOrg"]["org"]["id"]
    grant = county("""mutation($org: ID!, $start: Date!, $end: Date!, $exp: DateTime!) {
        grantEvaluatorAccess(orgId: $org, tenants: ["alpha"], periodStart: $start, periodEnd: $end, expiresAt: $exp) {
          grant { id } secret errors { code } } }""",
                   {"org": org_id, "start": "2026-01-01", "end": "2026-06-30",
                    "exp": (timezone.now() + timedelta(days=30)).isoformat()})["data"]["grantEvaluatorAccess"]
    assert grant["errors"] == []
    county("mutation($id: ID!) { revokeEvaluatorGrant(id: $id) { errors { code } } }", {"id": grant["grant"]["id"]})
    rows = events("public", target_label__contains="审计测试评估所")
    assert [e.action for e in rows] == ["evaluator_org.register", "token.issue", "evaluator_grant.issue",
                                        "evaluator_grant.revoke"]
    county_admin = f"county_admin#{user_pk('public', 'county_admin')}"
    assert {e.actor for e in rows} == {county_admin} and {e.tenant for e in rows} == {"public"}
    issue = rows[2]
    assert issue.detail["tenants"] == ["alpha"] and issue.detail["periodEnd"] == date(2026, 6, 30).isoformat()
    assert grant["secret"] not in json.dumps(issue.detail)


def test_tenant_creation_is_audited(gql):
    body = gql("public", "COUNTY_ADMIN")("""mutation { createTenant(input: {slug: "audittown", name: "审计镇",
        kind: TOWNSHIP, officialCode: "411325909"}) { tenant { slug } errors { code } } }""")
    assert body["data"]["createTenant"]["errors"] == []
    (event,) = events("public", action="tenant.create", tenant="audittown")
    assert event.actor.startswith("county_admin#") and event.target_label == "审计镇 (audittown)"


@pytest.mark.parametrize("schema", ["public", "alpha"])
def test_audit_rows_are_append_only(db, schema):
    from haochaping.audit.services import record

    with schema_context(schema):
        event = record("test.append_only", "x", target_type="Test")
        for attempt in (lambda: AuditEvent.objects.filter(pk=event.pk).update(action="changed"),
                        lambda: AuditEvent.objects.filter(pk=event.pk).delete()):
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                attempt()
        assert AuditEvent.objects.get(pk=event.pk).action == "test.append_only"
        assert event.actor_kind == "SYSTEM"  # no request: the system acted


def test_admins_read_the_trail_in_the_admin(gql):
    gql("alpha", "TENANT_ADMIN")(ISSUE, {"name": "后台可见令牌", "scopes": ["read"]})
    with schema_context("alpha"):
        User.objects.filter(username__in=["tenant_admin", "viewer"]).update(is_staff=True)
        admin_user, viewer = User.objects.get(username="tenant_admin"), User.objects.get(username="viewer")
    connection.set_schema_to_public()
    client = Client()
    with schema_context("alpha"):
        client.force_login(admin_user)
    connection.set_schema_to_public()
    page = client.get("/admin/audit/auditevent/", HTTP_HOST=host_of("alpha"))
    assert page.status_code == 200 and "后台可见令牌" in page.content.decode()
    (event,) = events("alpha", action="token.issue", target_label__startswith="后台可见令牌")
    url = f"/admin/audit/auditevent/{event.pk}/change/"
    assert client.get(url, HTTP_HOST=host_of("alpha")).status_code == 200  # view only
    assert client.post(url, {"action": "changed"}, HTTP_HOST=host_of("alpha")).status_code == 403
    assert client.get(f"/admin/audit/auditevent/{event.pk}/delete/", HTTP_HOST=host_of("alpha")).status_code == 403
    other = Client()
    with schema_context("alpha"):
        other.force_login(viewer)
    connection.set_schema_to_public()
    assert other.get("/admin/audit/auditevent/", HTTP_HOST=host_of("alpha")).status_code == 403
