"""Third-party evaluators read aggregates and redacted outcomes through a scoped, expiring, revocable grant on the
platform endpoint; everything outside the grant is a typed error with no data, and every query is logged."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from haochaping.accounts.models import ApiToken
from haochaping.accounts.tokens import issue_evaluator_token
from haochaping.assessments import selectors, services
from haochaping.assessments.models import EvaluatorGrant, EvaluatorQuery
from haochaping.core.errors import DomainError
from haochaping.disclosure.models import PublishedRectification
from tests.assessments.assessment_support import make_grant  # noqa: F401 - a fixture
from tests.conftest import public_count

COUNTS = ("query($t: String!, $s: Date!, $e: Date!, $l: EvaluatorLevel!, $c: Boolean!) {"
          " evaluatorGradeCounts(tenant: $t, start: $s, end: $e, level: $l, byChannel: $c) {"
          " rows { tenant itemCode orgCode windowCode channel grades counted excluded satisfactionRate badReviewRate }"
          " errors { code message messageEn field } } }")
OUTCOMES = ("query($t: String!, $s: Date!, $e: Date!) { evaluatorRectificationOutcomes(tenant: $t, start: $s, end: $e) {"
            " rows { itemName source state outcome openedAt due closedAt onTime } errors { code field } } }")
EXPIRES = (timezone.now() + timedelta(days=60)).isoformat()
MARCH = {"t": "alpha", "s": "2026-03-01", "e": "2026-03-31", "l": "ITEM", "c": True}


@pytest.fixture
def counts(alpha, beta):
    day = date(2026, 3, 5)
    public_count(alpha, day, grade=5, n=3, item_code="TEST-001", org_code="H01", window_code="W01")
    public_count(alpha, day, grade=1, n=1, item_code="TEST-001", org_code="H01", window_code="W01", channel="WEB")
    public_count(beta, day, grade=2, n=7, item_code="TEST-001", org_code="H01", window_code="W01")
    public_count(alpha, date(2025, 12, 20), grade=5, n=50, item_code="TEST-001")  # outside the grant's period


def _rows(body, field="evaluatorGradeCounts"):
    return body["data"][field]


def test_grade_counts_inside_the_grant_are_the_tenants_own(gql, make_grant, counts):
    grant, secret = make_grant(["alpha"])
    result = _rows(gql("public", token=secret)(COUNTS, MARCH))
    assert result["errors"] == []
    assert result["rows"] == [
        {"tenant": "alpha", "itemCode": "TEST-001", "orgCode": "", "windowCode": "", "channel": "QR_CODE",
         "grades": [0, 0, 0, 0, 3], "counted": 3, "excluded": 0, "satisfactionRate": 1.0, "badReviewRate": 0.0},
        {"tenant": "alpha", "itemCode": "TEST-001", "orgCode": "", "windowCode": "", "channel": "WEB",
         "grades": [1, 0, 0, 0, 0], "counted": 1, "excluded": 0, "satisfactionRate": 0.0, "badReviewRate": 1.0}]
    whole = _rows(gql("public", token=secret)(COUNTS, {**MARCH, "l": "TENANT", "c": False}))["rows"]
    assert [(r["tenant"], r["grades"]) for r in whole] == [("alpha", [1, 0, 0, 0, 3])]
    log = list(EvaluatorQuery.objects.filter(grant=grant).order_by("pk"))
    assert [(q.operation, q.outcome, q.rows) for q in log] == [("evaluatorGradeCounts", "OK", 2),
                                                                ("evaluatorGradeCounts", "OK", 1)]
    assert log[0].variables == {"tenant": "alpha", "start": "2026-03-01", "end": "2026-03-31", "level": "ITEM",
                                "byChannel": True}


@pytest.mark.parametrize("overrides, code, field", [
    ({"t": "beta"}, "OUT_OF_SCOPE", "tenant"),          # another tenant
    ({"t": "nosuch"}, "OUT_OF_SCOPE", "tenant"),        # unknown tenants look the same
    ({"t": "public"}, "OUT_OF_SCOPE", "tenant"),
    ({"s": "2025-12-01"}, "OUT_OF_PERIOD", "start"),   # before the grant's period
    ({"e": "2026-07-01"}, "OUT_OF_PERIOD", "end"),     # after it
    ({"s": "2026-04-01", "e": "2026-03-01"}, "INVALID_PERIOD", "end"),
])
def test_outside_the_grant_is_a_typed_error_with_no_data_and_is_logged(gql, make_grant, counts, overrides, code, field):
    grant, secret = make_grant(["alpha"])
    for query, name in ((COUNTS, "evaluatorGradeCounts"), (OUTCOMES, "evaluatorRectificationOutcomes")):
        variables = {**MARCH, **overrides}
        if name == "evaluatorRectificationOutcomes":
            variables = {k: variables[k] for k in ("t", "s", "e")}
        result = _rows(gql("public", token=secret)(query, variables), name)
        assert result["rows"] is None
        assert [(e["code"], e["field"]) for e in result["errors"]] == [(code, field)]
        entry = EvaluatorQuery.objects.filter(grant=grant).latest("pk")
        assert (entry.operation, entry.outcome, entry.rows) == (name, code, 0)
        assert entry.variables["tenant"] == variables["t"]
    assert EvaluatorQuery.objects.filter(grant=grant).count() == 2


def test_a_grant_for_alpha_cannot_read_beta_and_a_beta_grant_reads_beta(gql, make_grant, counts):
    _, alpha_secret = make_grant(["alpha"])
    _, beta_secret = make_grant(["beta"])
    denied = _rows(gql("public", token=alpha_secret)(COUNTS, {**MARCH, "t": "beta"}))
    assert denied["rows"] is None and denied["errors"][0]["code"] == "OUT_OF_SCOPE"
    allowed = _rows(gql("public", token=beta_secret)(COUNTS, {**MARCH, "t": "beta", "c": False}))
    assert [(r["tenant"], r["grades"]) for r in allowed["rows"]] == [("beta", [0, 7, 0, 0, 0])]
    denied = _rows(gql("public", token=beta_secret)(COUNTS, MARCH))
    assert denied["rows"] is None and denied["errors"][0]["code"] == "OUT_OF_SCOPE"


def test_evaluator_tokens_are_refused_on_tenant_hosts(gql, make_grant):
    _, secret = make_grant(["alpha"])
    response = gql("alpha", token=secret).post("{ me { tokenName } }")
    assert response.status_code == 401 and response.json()["errors"][0]["extensions"]["code"] == "INVALID_TOKEN"


def test_revocation_takes_effect_immediately(gql, make_grant, counts):
    grant, secret = make_grant(["alpha"])
    evaluator = gql("public", token=secret)
    assert _rows(evaluator(COUNTS, MARCH))["errors"] == []
    revoke = gql("public", "county_admin")(
        "mutation($id: ID!) { revokeEvaluatorGrant(id: $id) { grant { revokedAt } errors { code } } }",
        {"id": _gid("EvaluatorGrant", grant.pk)})["data"]["revokeEvaluatorGrant"]
    assert revoke["errors"] == [] and revoke["grant"]["revokedAt"]
    response = evaluator.post(COUNTS, MARCH)
    assert response.status_code == 401
    body = response.json()
    assert "data" not in body and body["errors"][0]["extensions"]["code"] == "INVALID_TOKEN"
    assert ApiToken.objects.get(pk=grant.token_id).revoked_at is not None


def test_a_revoked_or_expired_grant_refuses_even_while_its_token_works(gql, make_grant, counts):
    """Defence in depth: the grant is checked on every query, not only the token."""
    grant, secret = make_grant(["alpha"])
    EvaluatorGrant.objects.filter(pk=grant.pk).update(revoked_at=timezone.now())
    result = _rows(gql("public", token=secret)(COUNTS, MARCH))
    assert result["rows"] is None and result["errors"][0]["code"] == "GRANT_REVOKED"
    assert EvaluatorQuery.objects.filter(grant=grant).latest("pk").outcome == "GRANT_REVOKED"

    grant, secret = make_grant(["alpha"])
    token = ApiToken.objects.get(pk=grant.token_id)
    later = grant.expires_at + timedelta(seconds=1)
    with pytest.raises(DomainError) as refused:
        services.authorize(token, "evaluatorGradeCounts", {"tenant": "alpha"}, now=later, tenant="alpha")
    assert refused.value.codes == ["GRANT_EXPIRED"]
    assert EvaluatorQuery.objects.filter(grant=grant).latest("pk").outcome == "GRANT_EXPIRED"


def test_an_expired_token_gets_a_typed_error_and_no_data(gql, make_grant, counts):
    grant, secret = make_grant(["alpha"])
    ApiToken.objects.filter(pk=grant.token_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = gql("public", token=secret).post(COUNTS, MARCH)
    assert response.status_code == 401
    assert "data" not in response.json() and response.json()["errors"][0]["extensions"]["code"] == "INVALID_TOKEN"


def test_tokens_without_a_grant_are_refused(gql, system_token):
    legacy = issue_evaluator_token(name="旧令牌", tenant_slugs=["alpha"]).secret  # read-only, no grant
    connection.set_schema_to_public()
    result = _rows(gql("public", token=legacy)(COUNTS, MARCH))
    assert result["rows"] is None and result["errors"][0]["code"] == "NO_GRANT"
    body = gql("public", token=system_token("public", ("read",)))(COUNTS, MARCH, expect_errors=True)
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


def test_outcomes_carry_no_personal_data(gql, make_grant, alpha, beta):
    opened = timezone.make_aware(datetime(2026, 3, 10, 9))
    for tenant, rid in ((alpha, 1), (beta, 2)):
        PublishedRectification.objects.create(
            tenant=tenant, rectification_id=rid, receipt_digest="d" * 64, source="EVALUATION", item_name="测试事项1",
            state="CLOSED", outcome="FIXED_NOW", feedback="张先生您好，已回电13812345678，窗口工作人员李四已整改",
            opened_at=opened, due=opened + timedelta(days=21), closed_at=opened + timedelta(days=2))
    _, secret = make_grant(["alpha"])
    body = gql("public", token=secret)(OUTCOMES, {"t": "alpha", "s": "2026-03-01", "e": "2026-03-31"})
    rows = body["data"]["evaluatorRectificationOutcomes"]["rows"]
    assert len(rows) == 1 and rows[0]["outcome"] == "FIXED_NOW" and rows[0]["onTime"] is True
    text = json.dumps(body, ensure_ascii=False)
    for secret_value in ("13812345678", "张先生", "李四", "d" * 64, "已回电"):
        assert secret_value not in text


def test_evaluator_result_types_expose_no_personal_fields():
    from schema.platform import schema

    personal = ("rater", "phone", "staff", "feedback", "receipt", "contact", "applicant", "comment")
    for type_name in ("EvaluatorCountRow", "EvaluatorOutcomeRow"):
        fields = {f.lower() for f in schema._schema.type_map[type_name].fields}
        assert fields and not [f for f in fields if any(word in f for word in personal)], (type_name, fields)
        assert not [f for f in fields if "name" in f and f != "itemname"], (type_name, fields)


def test_every_query_is_logged_and_visible_to_the_granting_party_only(gql, make_grant, alpha, counts):
    county_grant, county_secret = make_grant(["alpha"])
    # alpha registers an evaluator for itself and grants it access to alpha only.
    admin = gql("alpha", "tenant_admin")
    org = admin('mutation { registerEvaluatorOrg(name: "甲镇社工协会", kind: SOCIAL) { org { id owner { slug } } errors { code } } }'
                )["data"]["registerEvaluatorOrg"]
    assert org["errors"] == [] and org["org"]["owner"] == {"slug": "alpha"}
    issued = admin("mutation($o: ID!, $x: DateTime!) { grantEvaluatorAccess(orgId: $o, periodStart: \"2026-01-01\", periodEnd: \"2026-06-30\","
                   " expiresAt: $x) { grant { id tenants { slug } } secret errors { code } } }",
                   {"o": org["org"]["id"], "x": EXPIRES})["data"]["grantEvaluatorAccess"]
    assert issued["errors"] == [] and issued["grant"]["tenants"] == [{"slug": "alpha"}]
    connection.set_schema_to_public()
    own = gql("public", token=issued["secret"])
    own(COUNTS, MARCH)
    own(COUNTS, {**MARCH, "t": "beta"})
    own("{ evaluatorGrant { grant { periodStart periodEnd tenants { slug } } errors { code } } }")
    log = "query($g: ID!) { evaluatorQueryLog(grantId: $g) { operation outcome variables rows } }"
    seen = admin(log, {"g": issued["grant"]["id"]})["data"]["evaluatorQueryLog"]
    assert [(e["operation"], e["outcome"]) for e in seen] == [
        ("evaluatorGrant", "OK"), ("evaluatorGradeCounts", "OUT_OF_SCOPE"), ("evaluatorGradeCounts", "OK")]
    assert seen[1]["variables"]["tenant"] == "beta"
    # The county grant's log is not alpha's to read (even with alpha's id encoding of its pk), nor is alpha's beta's.
    gql("public", token=county_secret)(COUNTS, MARCH)
    assert admin(log, {"g": _gid("EvaluatorGrant", county_grant.pk, "alpha")})["data"]["evaluatorQueryLog"] == []
    assert admin(log, {"g": _gid("EvaluatorGrant", county_grant.pk, "public")})["data"]["evaluatorQueryLog"] == []
    beta_pk = int(_decode(issued["grant"]["id"]).rsplit(":", 1)[1])
    assert gql("beta", "tenant_admin")(log, {"g": _gid("EvaluatorGrant", beta_pk, "beta")})["data"]["evaluatorQueryLog"] == []
    assert gql("beta", "tenant_admin")("{ evaluatorGrants { id } }")["data"]["evaluatorGrants"] == []
    assert gql("beta", "tenant_admin")("{ evaluatorOrgs { id } }")["data"]["evaluatorOrgs"] == []
    assert [o["name"] for o in admin("{ evaluatorOrgs { name } }")["data"]["evaluatorOrgs"]] == ["甲镇社工协会"]
    assert len(admin("{ evaluatorGrants { id } }")["data"]["evaluatorGrants"]) == 1
    # The county sees both logs.
    county = gql("public", "county_admin")
    assert len(county(log, {"g": _gid("EvaluatorGrant", beta_pk, "public")})["data"]["evaluatorQueryLog"]) == 3
    assert len(county(log, {"g": _gid("EvaluatorGrant", county_grant.pk, "public")})["data"]["evaluatorQueryLog"]) == 1
    # beta cannot revoke alpha's grant; alpha can, and the token stops at once.
    revoke = "mutation($id: ID!) { revokeEvaluatorGrant(id: $id) { grant { revokedAt } errors { code } } }"
    refused = gql("beta", "tenant_admin")(revoke, {"id": _gid("EvaluatorGrant", beta_pk, "beta")})["data"]["revokeEvaluatorGrant"]
    assert refused["errors"] == [{"code": "NOT_FOUND"}]
    assert admin(revoke, {"id": issued["grant"]["id"]})["data"]["revokeEvaluatorGrant"]["errors"] == []
    connection.set_schema_to_public()
    assert own.post(COUNTS, MARCH).status_code == 401


def test_a_tenant_cannot_grant_an_organisation_it_did_not_register(gql, make_grant):
    county_org = services.register_org(name="县级登记机构", kind="FIRM", by="测试")
    connection.set_schema_to_public()
    result = gql("alpha", "tenant_admin")(
        "mutation($o: ID!, $x: DateTime!) { grantEvaluatorAccess(orgId: $o, periodStart: \"2026-01-01\", periodEnd: \"2026-06-30\","
        " expiresAt: $x) { grant { id } secret errors { code field } } }",
        {"o": _gid("EvaluatorOrg", county_org.pk, "alpha"), "x": EXPIRES})["data"]["grantEvaluatorAccess"]
    assert result == {"grant": None, "secret": None, "errors": [{"code": "NOT_FOUND", "field": "orgId"}]}
    assert not EvaluatorGrant.objects.exists()


def _gid(type_name: str, pk: int, schema: str = "public") -> str:
    import base64

    return base64.b64encode(f"{type_name}:{schema}:{pk}".encode()).decode()


def _decode(value: str) -> str:
    import base64

    return base64.b64decode(value).decode()
