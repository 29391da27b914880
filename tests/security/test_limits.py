"""Operation count, estimated query cost and request body size on /graphql/: refused with stable codes."""
import json

import pytest
from graphql import parse

from schema.core.limits import query_cost

ORGS = "query Orgs($n: Int) { serviceOrgs(first: $n) { edges { node { code windows { code } } } } }"


def codes(body) -> list[str]:
    return [error.get("extensions", {}).get("code") for error in body.get("errors", [])]


def tenant_schema():
    from schema.tenant import schema

    return schema._schema


# --- the cost estimate ------------------------------------------------------------------------------------


@pytest.mark.parametrize("n, expected", [
    # serviceOrgs 1 + n × (edges, node, code, windows) + n × 20 (unpaged list) × windows.code
    (2, 1 + 2 * 4 + 2 * 20),
    (None, 1 + 100 * 4 + 100 * 20),  # no page size: the page cap (GRAPHQL_MAX_PAGE_SIZE) is assumed
])
def test_cost_counts_fields_times_page_sizes(n, expected):
    assert query_cost(tenant_schema(), parse(ORGS), None, {"n": n}) == expected


def test_cost_follows_fragments_and_literal_arguments():
    document = parse("""query { serviceOrgs(first: 3) { ...Page } myResults(first: 7) { __typename }
                        } fragment Page on ServiceOrgConnection { totalCount edges { node { code } } }""")
    # serviceOrgs 1 + 3 × (totalCount, edges, node, code) + myResults 1 (only __typename below, which is free)
    assert query_cost(tenant_schema(), document, None, {}) == 1 + 3 * 4 + 1


# --- refusals over HTTP -----------------------------------------------------------------------------------


def test_costly_query_is_refused_and_a_cheap_one_runs(settings, gql):
    settings.GRAPHQL_MAX_COST = 500
    viewer = gql("alpha", "VIEWER")
    cheap = viewer(ORGS, {"n": 2})
    assert [e["node"]["code"] for e in cheap["data"]["serviceOrgs"]["edges"]] == ["H01"]
    refused = viewer(ORGS, {"n": 100}, expect_errors=True)
    assert codes(refused) == ["QUERY_TOO_COSTLY"] and refused["data"] is None
    error = refused["errors"][0]
    assert error["extensions"]["cost"] == 1 + 100 * 4 + 100 * 20 and error["extensions"]["maxCost"] == 500
    assert "查询过于复杂" in error["message"] and "too costly" in error["message"]


def test_costly_mutation_is_refused_before_anything_runs(settings, gql):
    settings.GRAPHQL_MAX_COST = 1
    body = gql("alpha", "TENANT_ADMIN")(
        'mutation { issueSystemToken(name: "x", scopes: ["read"]) { secret errors { code } } }', expect_errors=True)
    assert codes(body) == ["QUERY_TOO_COSTLY"]
    from django_tenants.utils import schema_context

    from haochaping.accounts.models import ApiToken

    with schema_context("alpha"):
        assert not ApiToken.objects.filter(name="x").exists()


def test_too_many_operations_are_refused(settings, gql):
    settings.GRAPHQL_MAX_OPERATIONS = 2
    viewer = gql("alpha", "VIEWER")
    two = "query A { __typename } query B { __typename }"
    three = two + " query C { __typename }"
    body = viewer.client.post("/graphql/", data=json.dumps({"query": three, "operationName": "A"}),
                              content_type="application/json", HTTP_HOST=viewer.host).json()
    assert codes(body) == ["TOO_MANY_OPERATIONS"]
    assert body["errors"][0]["extensions"] == {"code": "TOO_MANY_OPERATIONS", "operations": 3, "maxOperations": 2}
    ok = viewer.client.post("/graphql/", data=json.dumps({"query": two, "operationName": "B"}),
                            content_type="application/json", HTTP_HOST=viewer.host).json()
    assert ok == {"data": {"__typename": "Query"}}


def test_batched_requests_are_refused(gql):
    client = gql("alpha")
    batch = [{"query": "{ __typename }"}, {"query": "{ __typename }"}]
    response = client.client.post("/graphql/", data=json.dumps(batch), content_type="application/json",
                                  HTTP_HOST=client.host)
    assert response.status_code == 400


def test_request_body_over_the_limit_is_refused(settings, gql):
    settings.GRAPHQL_MAX_BODY_BYTES = 2048
    client = gql("alpha")
    assert client.post("query($pad: String) { __typename }", {"pad": "x" * 1500}).status_code == 200
    response = client.post("query($pad: String) { __typename }", {"pad": "x" * 2100})
    assert response.status_code == 413
    body = response.json()
    assert codes(body) == ["REQUEST_TOO_LARGE"]
    assert "请求体过大" in body["errors"][0]["message"] and "too large" in body["errors"][0]["message"]


def test_uploads_keep_their_own_limit(settings, gql):
    """A multipart body larger than the JSON limit is not refused by it (the upload rules decide: here anonymous)."""
    settings.GRAPHQL_MAX_BODY_BYTES = 1024
    client = gql("alpha")
    operations = json.dumps({"query": "mutation($f: Upload!) { __typename }", "variables": {"f": None}})
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.client.post("/graphql/", data={"operations": operations, "map": json.dumps({"0": ["variables.f"]}),
                                                     "0": SimpleUploadedFile("a.pdf", b"%PDF-" + b"x" * 4096)},
                                  HTTP_HOST=client.host)
    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "UPLOAD_REQUIRES_LOGIN"


def test_uploads_over_their_own_limit_are_refused(settings, gql):
    """GRAPHQL_MAX_UPLOAD_BYTES bounds a multipart request by its declared length, before anything is read."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.GRAPHQL_MAX_UPLOAD_BYTES = 2048
    client = gql("alpha")
    operations = json.dumps({"query": "mutation($f: Upload!) { __typename }", "variables": {"f": None}})

    def post(size: int):
        return client.client.post("/graphql/", data={"operations": operations,
                                                     "map": json.dumps({"0": ["variables.f"]}),
                                                     "0": SimpleUploadedFile("a.pdf", b"%PDF-" + b"x" * size)},
                                  HTTP_HOST=client.host)

    refused = post(4096)
    assert refused.status_code == 413 and codes(refused.json()) == ["REQUEST_TOO_LARGE"]
    assert "2 KiB" in refused.json()["errors"][0]["message"]
    assert post(512).status_code == 403  # within the limit: on to the upload rules (anonymous here)
