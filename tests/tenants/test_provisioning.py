"""Provisioning tenants (GraphQL `createTenant` and the `create_county_tenant` command) and host routing.

Every test runs inside the `db` fixture's transaction; schema creation is transactional DDL in PostgreSQL,
so the schemas created here roll back with the test."""
from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_exists

from haochaping.core.codes import uscc_check_char
from tenants.models import Domain, ManagementAgency, Tenant
from tenants.services import base_schema_name

CREATE = """
mutation Create($input: CreateTenantInput!) {
  createTenant(input: $input) {
    tenant { slug name kind officialCode url managementAgency { name level } }
    errors { code field message messageEn }
  }
}
"""
TENANT_SELF = "{ tenant { slug name kind officialCode managementAgency { name level } } }"


def valid_uscc(body17: str = "12411325MB0123456") -> str:
    return body17 + uscc_check_char(body17)


def invalid_uscc(body17: str = "12411325MB0123456") -> str:
    good = uscc_check_char(body17)
    wrong = "0" if good != "0" else "1"
    return body17 + wrong


def tables_in(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_type = 'BASE TABLE'",
            [schema],
        )
        return {row[0] for row in cursor.fetchall()}


def migrations_in(schema: str) -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations')
        return set(cursor.fetchall())


def create_via_graphql(gql, **input_values) -> dict:
    body = gql("public", "county_admin")(CREATE, {"input": input_values})
    return body["data"]["createTenant"]


def assert_provisioned(gql, slug: str, name: str) -> None:
    connection.set_schema_to_public()
    assert schema_exists(slug)
    tables = tables_in(slug)
    for table in ("organizations_window", "organizations_serviceorg", "items_serviceitem", "items_serviceguide",
                  "accounts_user", "django_migrations"):
        assert table in tables, table
    assert tables == tables_in(base_schema_name())
    assert migrations_in(slug) == migrations_in(base_schema_name())
    assert migrations_in(slug)  # the base schema is migrated, so the clone carries real rows
    domain = Domain.objects.get(tenant__schema_name=slug)
    assert domain.domain == f"{slug}.localhost" and domain.is_primary
    data = gql(slug)(TENANT_SELF)["data"]["tenant"]
    assert data["slug"] == slug and data["name"] == name


# --- creating tenants -------------------------------------------------------------------------------------


def test_create_township_via_graphql(gql):
    result = create_via_graphql(gql, slug="gamma", name="丙镇", kind="TOWNSHIP", officialCode="411325903",
                                agencyName="丙镇政务服务管理办公室")
    assert result["errors"] == []
    tenant = result["tenant"]
    assert tenant["slug"] == "gamma" and tenant["kind"] == "TOWNSHIP" and tenant["officialCode"] == "411325903"
    assert tenant["url"].startswith("http://gamma.localhost")
    # A township gets its own agency at its own level.
    assert tenant["managementAgency"] == {"name": "丙镇政务服务管理办公室", "level": "TOWNSHIP"}
    assert ManagementAgency.objects.get(name="丙镇政务服务管理办公室").level == ManagementAgency.Level.TOWNSHIP
    assert_provisioned(gql, "gamma", "丙镇")
    # The new tenant's schema is empty of business data and separate from alpha's.
    body = gql("gamma")("{ windows { totalCount } serviceItems { totalCount } }")
    assert body["data"] == {"windows": {"totalCount": 0}, "serviceItems": {"totalCount": 0}}


def test_township_without_agency_name_gets_a_default_agency(gql):
    result = create_via_graphql(gql, slug="delta", name="丁镇", kind="TOWNSHIP", officialCode="411325904")
    assert result["errors"] == []
    assert result["tenant"]["managementAgency"]["level"] == "TOWNSHIP"
    assert result["tenant"]["managementAgency"]["name"]
    assert result["tenant"]["managementAgency"]["name"] != "测试县政务服务管理局"


@pytest.mark.parametrize("kind", ["DEPARTMENT", "CENTER"])
def test_department_and_centre_get_the_county_agency(gql, kind):
    code = valid_uscc("12411325MB012345" + ("6" if kind == "DEPARTMENT" else "7"))
    result = create_via_graphql(gql, slug=f"unit{kind.lower()}", name=f"测试{kind}", kind=kind, officialCode=code,
                                agencyName="会被忽略的机构")
    assert result["errors"] == []
    assert result["tenant"]["managementAgency"] == {"name": "测试县政务服务管理局", "level": "COUNTY"}
    assert not ManagementAgency.objects.filter(name="会被忽略的机构").exists()
    assert_provisioned(gql, f"unit{kind.lower()}", f"测试{kind}")


def test_create_tenant_needs_county_admin(gql):
    variables = {"input": {"slug": "epsilon", "name": "戊镇", "kind": "TOWNSHIP", "officialCode": "411325905"}}
    for client in (gql("public"), gql("public", "county_supervisor")):
        body = client(CREATE, variables, expect_errors=True)
        assert body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    # A tenant admin on its own host has no such mutation at all.
    body = gql("alpha", "tenant_admin")(CREATE, variables, expect_errors=True)
    assert "errors" in body
    assert not Tenant.objects.filter(schema_name="epsilon").exists()
    assert not schema_exists("epsilon")


def test_create_via_command(db):
    out = StringIO()
    call_command("create_county_tenant", "--slug", "zeta", "--name", "己镇", "--kind", "TOWNSHIP",
                 "--code", "411325906", "--agency", "己镇便民服务管理所", stdout=out)
    assert "zeta.localhost" in out.getvalue()
    connection.set_schema_to_public()
    tenant = Tenant.objects.get(schema_name="zeta")
    assert tenant.name == "己镇" and tenant.kind == Tenant.Kind.TOWNSHIP
    assert tenant.management_agency.name == "己镇便民服务管理所"
    assert tenant.management_agency.level == ManagementAgency.Level.TOWNSHIP
    assert schema_exists("zeta")
    assert "organizations_window" in tables_in("zeta")
    assert migrations_in("zeta") == migrations_in(base_schema_name())


def test_command_creates_department_with_county_agency(gql):
    code = valid_uscc("11411325MB0000001")
    call_command("create_county_tenant", "--slug", "finance", "--name", "县财政局", "--kind", "DEPARTMENT",
                 "--code", code.lower(), stdout=StringIO())
    connection.set_schema_to_public()
    tenant = Tenant.objects.get(schema_name="finance")
    assert tenant.official_code == code  # normalised to upper case
    assert tenant.management_agency.level == ManagementAgency.Level.COUNTY
    assert_provisioned(gql, "finance", "县财政局")


# --- refusals ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"slug": "alpha"}, "DUPLICATE_SLUG", "slug"),
        ({"slug": "ALPHA"}, "DUPLICATE_SLUG", "slug"),
        ({"name": "甲镇"}, "DUPLICATE_NAME", "name"),
        ({"officialCode": "411325901"}, "DUPLICATE_OFFICIAL_CODE", "officialCode"),
        ({"slug": "tenant_base"}, "INVALID_SLUG", "slug"),
        ({"slug": "public"}, "INVALID_SLUG", "slug"),
        ({"officialCode": "41132"}, "INVALID_OFFICIAL_CODE", "officialCode"),
    ],
)
def test_graphql_refuses_duplicates_and_invalid_input(gql, overrides, code, field):
    values = {"slug": "eta", "name": "庚镇", "kind": "TOWNSHIP", "officialCode": "411325907"} | overrides
    before = Tenant.objects.count()
    result = create_via_graphql(gql, **values)
    assert result["tenant"] is None
    found = [(e["code"], e["field"]) for e in result["errors"]]
    assert found[0] == (code, field)
    # A taken slug also means a taken host name; nothing else may be reported.
    assert {c for c, _ in found} - {code} <= {"DUPLICATE_DOMAIN"}
    assert all(e["message"] and e["messageEn"] for e in result["errors"])
    connection.set_schema_to_public()
    assert Tenant.objects.count() == before
    assert not schema_exists("eta")


def test_graphql_reports_every_duplicate_at_once(gql):
    result = create_via_graphql(gql, slug="alpha", name="甲镇", kind="TOWNSHIP", officialCode="411325901")
    assert {e["code"] for e in result["errors"]} >= {"DUPLICATE_SLUG", "DUPLICATE_NAME", "DUPLICATE_OFFICIAL_CODE"}


def test_invalid_uscc_check_digit_is_refused(gql):
    good = valid_uscc()
    bad = invalid_uscc()
    assert good != bad
    result = create_via_graphql(gql, slug="theta", name="县某局", kind="DEPARTMENT", officialCode=bad)
    assert [e["code"] for e in result["errors"]] == ["INVALID_OFFICIAL_CODE"]
    assert result["errors"][0]["field"] == "officialCode"
    connection.set_schema_to_public()
    assert not Tenant.objects.filter(schema_name="theta").exists()
    # A township code is not a USCC: a department with a division code is refused too.
    result = create_via_graphql(gql, slug="theta", name="县某局", kind="DEPARTMENT", officialCode="411325908")
    assert [e["code"] for e in result["errors"]] == ["INVALID_OFFICIAL_CODE"]
    # The same code with the right check digit is accepted.
    result = create_via_graphql(gql, slug="theta", name="县某局", kind="DEPARTMENT", officialCode=good)
    assert result["errors"] == []


def test_duplicate_after_a_successful_create(gql):
    first = create_via_graphql(gql, slug="iota", name="辛镇", kind="TOWNSHIP", officialCode="411325909")
    assert first["errors"] == []
    again = create_via_graphql(gql, slug="iota", name="辛镇", kind="TOWNSHIP", officialCode="411325909")
    assert {e["code"] for e in again["errors"]} >= {"DUPLICATE_SLUG", "DUPLICATE_NAME", "DUPLICATE_OFFICIAL_CODE"}


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--slug", "alpha", "--name", "壬镇", "--code", "411325910"], "DUPLICATE_SLUG", "租户标识“alpha”已被使用"),
        (["--slug", "kappa", "--name", "甲镇", "--code", "411325910"], "DUPLICATE_NAME", "名称“甲镇”已存在"),
        (["--slug", "kappa", "--name", "壬镇", "--code", "411325901"], "DUPLICATE_OFFICIAL_CODE", "该代码已登记为其他租户"),
    ],
)
def test_command_refuses_duplicates_with_chinese_message(db, args, code, message):
    with pytest.raises(CommandError) as raised:
        call_command("create_county_tenant", *args, "--kind", "TOWNSHIP", stdout=StringIO())
    text = str(raised.value)
    assert f"[{code}]" in text
    assert message in text
    connection.set_schema_to_public()
    assert not Tenant.objects.filter(schema_name="kappa").exists()
    assert not schema_exists("kappa")


def test_command_refuses_bad_uscc(db):
    with pytest.raises(CommandError) as raised:
        call_command("create_county_tenant", "--slug", "lambdax", "--name", "县某中心", "--kind", "CENTER",
                     "--code", invalid_uscc(), stdout=StringIO())
    assert "[INVALID_OFFICIAL_CODE]" in str(raised.value)
    assert "统一社会信用代码无效" in str(raised.value)


# --- host routing -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["nowhere.localhost", "gamma.localhost", "tenant_base.localhost", "unknown.example"])
@pytest.mark.parametrize("path", ["/", "/graphql/", "/admin/", "/accounts/login/"])
def test_unknown_host_is_404_never_public(db, host, path):
    client = Client()
    response = client.get(path, HTTP_HOST=host)
    assert response.status_code in (400, 404), (host, path, response.status_code)
    assert "测试县" not in response.content.decode(errors="replace")


def test_unknown_host_graphql_post_is_404(db):
    response = Client().post("/graphql/", data='{"query": "{ tenants { totalCount } }"}',
                             content_type="application/json", HTTP_HOST="nowhere.localhost")
    assert response.status_code == 404


def test_public_host_serves_the_portal(db):
    response = Client().get("/", HTTP_HOST="localhost")
    assert response.status_code == 200
    html = response.content.decode()
    assert "测试县" in html and "甲镇" in html and "乙镇" in html


def test_public_host_with_port_and_www(db):
    for host in ("localhost:8000", "www.localhost"):
        response = Client().get("/", HTTP_HOST=host)
        assert response.status_code == 200, host
        assert "甲镇" in response.content.decode()


def test_tenant_host_serves_the_tenant_home(db):
    response = Client().get("/", HTTP_HOST="alpha.localhost")
    assert response.status_code == 200
    html = response.content.decode()
    assert "甲镇" in html and "alpha便民服务中心" in html
    assert "beta便民服务中心" not in html


def test_tenant_graphql_answers_for_its_own_host(gql):
    assert gql("alpha")(TENANT_SELF)["data"]["tenant"]["slug"] == "alpha"
    assert gql("beta")(TENANT_SELF)["data"]["tenant"]["slug"] == "beta"


def test_inactive_tenant_host_is_404(gql, alpha):
    alpha.is_active = False
    alpha.save(update_fields=["is_active"])
    client = Client()
    for path in ("/", "/graphql/", "/items/", "/accounts/login/"):
        assert client.get(path, HTTP_HOST="alpha.localhost").status_code == 404, path
    response = gql("alpha").post(TENANT_SELF)
    assert response.status_code == 404
    # Other tenants are unaffected, and the portal no longer lists it.
    assert client.get("/", HTTP_HOST="beta.localhost").status_code == 200
    portal = client.get("/", HTTP_HOST="localhost").content.decode()
    assert "乙镇" in portal and "甲镇" not in portal
