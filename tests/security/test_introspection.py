"""Introspection and GraphiQL: open in development; in production only for a signed-in user or an API token."""
import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from haochaping.accounts.models import User
from haochaping.accounts.tokens import issue_token
from conftest import host_of

INTROSPECT = "{ __schema { queryType { name } } }"
HIDDEN_IN_FRAGMENT = 'query Q { ...F } fragment F on Query { __type(name: "Query") { name } }'


@pytest.fixture
def production(settings):
    settings.ENVIRONMENT = "production"
    return settings


def codes(body) -> list[str]:
    return [error.get("extensions", {}).get("code") for error in body.get("errors", [])]


@pytest.mark.parametrize("slug", ["alpha", "public"])
@pytest.mark.parametrize("query", [INTROSPECT, HIDDEN_IN_FRAGMENT])
def test_anonymous_introspection_is_refused_in_production(production, gql, slug, query):
    body = gql(slug)(query, expect_errors=True)
    assert codes(body) == ["INTROSPECTION_DISABLED"]
    assert body["data"] is None
    assert "API 令牌" in body["errors"][0]["message"] and "API token" in body["errors"][0]["message"]


def test_typename_stays_open_in_production(production, gql):
    assert gql("alpha")("{ __typename }")["data"] == {"__typename": "Query"}


@pytest.mark.parametrize("slug, role", [("alpha", "VIEWER"), ("alpha", "STAFF"), ("public", "COUNTY_SUPERVISOR")])
def test_signed_in_users_may_introspect_in_production(production, gql, slug, role):
    assert gql(slug, role)(INTROSPECT)["data"]["__schema"]["queryType"]["name"] == "Query"


def test_api_tokens_may_introspect_in_production(production, gql):
    with schema_context("alpha"):
        issued = issue_token(name="业务系统", kind="SYSTEM", scopes=["cases:write"])
    connection.set_schema_to_public()
    body = gql("alpha", token=issued.secret)(HIDDEN_IN_FRAGMENT)
    assert body["data"]["__type"]["name"] == "Query"
    # The same secret means nothing on beta's host: refused before any introspection.
    assert gql("beta", token=issued.secret).post(INTROSPECT).status_code == 401


def test_introspection_stays_open_in_development(settings, gql):
    settings.ENVIRONMENT = "development"
    assert gql("alpha")(INTROSPECT)["data"]["__schema"]["queryType"]["name"] == "Query"


def open_graphiql(client: Client, slug: str):
    return client.get("/graphql/", HTTP_HOST=host_of(slug), HTTP_ACCEPT="text/html")


def test_graphiql_needs_a_signed_in_user_in_production(production, db):
    refused = open_graphiql(Client(), "alpha")
    assert refused.status_code == 403 and refused.json()["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"
    client = Client()
    with schema_context("alpha"):
        client.force_login(User.objects.get(username="viewer"))
    connection.set_schema_to_public()
    page = open_graphiql(client, "alpha")
    assert page.status_code == 200 and b"graphiql" in page.content.lower()


def test_graphiql_is_open_in_development_and_can_be_switched_off(settings, db):
    settings.ENVIRONMENT = "development"
    assert open_graphiql(Client(), "alpha").status_code == 200
    settings.GRAPHIQL_ENABLED = False
    assert open_graphiql(Client(), "alpha").status_code == 404
