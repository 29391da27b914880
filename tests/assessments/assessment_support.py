"""Evaluator organisations and grants for the assessment tests (public schema, rolled back with each test)."""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from haochaping.assessments import services

PERIOD = (date(2026, 1, 1), date(2026, 6, 30))


@pytest.fixture
def make_grant(db):
    """make_grant(tenants, owner=None, expires_in=days) → (grant, bearer secret), registered by the county or a tenant."""

    def make(tenants=("alpha",), *, owner=None, period=PERIOD, name="县评估研究院", kind="RESEARCH"):
        org = services.register_org(name=f"{name}{services.EvaluatorOrg.objects.count()}", kind=kind,
                                    owner_tenant=owner, by="测试")
        issued = services.grant_access(org_id=org.pk, tenant_slugs=list(tenants), period_start=period[0],
                                       period_end=period[1], expires_at=timezone.now() + timedelta(days=30),
                                       owner_tenant=owner, by="测试")
        connection.set_schema_to_public()
        return issued.grant, issued.secret

    return make


def multipart(client, host: str, query: str, variables: dict, file_variable: str, upload, token: str):
    """A GraphQL multipart request (graphql-multipart-request spec) carrying one file."""
    operations = {"query": query, "variables": {**variables, file_variable: None}}
    return client.post("/graphql/", data={"operations": json.dumps(operations),
                                          "map": json.dumps({"0": [f"variables.{file_variable}"]}), "0": upload},
                       HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {token}")
