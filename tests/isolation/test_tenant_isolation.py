"""Tenant isolation: `alpha` and `beta` are seeded with identical primary keys, so an id minted on beta names
a real row of alpha by primary key. Every query and mutation run on alpha's host with beta's ids must find
nothing and change nothing (in either schema); the same call with alpha's own ids is the positive control."""
from __future__ import annotations

import base64
import re

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from haochaping.accounts.models import ApiToken
from haochaping.accounts.tokens import issue_evaluator_token
from haochaping.catalog.models import CatalogItem
from haochaping.items.models import ServiceItem
from haochaping.items.services import adopt_item
from haochaping.organizations import models as org_models
from haochaping.organizations import services as orgs
from schema.platform import schema as platform_schema
from schema.tenant import schema as tenant_schema

from conftest import guide_input

TENANT_LABELS = ("accounts", "organizations", "items")
PUBLIC_LABELS = ("accounts", "catalog", "tenants")
ERRORS = "errors { code message messageEn field }"
SECOND_ORG = 900  # far above anything a sequence reaches during a test run


# --------------------------------------------------------------------------------------------- helpers


def gid(type_name: str, schema: str, pk: int = 1) -> str:
    return base64.b64encode(f"{type_name}:{schema}:{pk}".encode()).decode()


def decode(global_id: str) -> tuple[str, str, int]:
    type_name, schema, pk = base64.b64decode(global_id).decode().split(":")
    return type_name, schema, int(pk)


def snapshot(schema: str) -> dict[str, list[dict]]:
    """Every row of every model (and many-to-many table) the schema holds, in primary-key order."""
    labels = PUBLIC_LABELS if schema == "public" else TENANT_LABELS
    with schema_context(schema):
        return {
            model._meta.label: list(model._default_manager.order_by("pk").values())
            for label in labels
            for model in apps.get_app_config(label).get_models(include_auto_created=True)
        }


def snapshot_all() -> dict[str, dict]:
    return {schema: snapshot(schema) for schema in ("public", "alpha", "beta")}


def walk(value):
    """Every (key, scalar) pair in a JSON response."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)):
                yield from walk(item)
            else:
                yield key, item
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def assert_only_schema(data, schema: str) -> None:
    """All ids in the response were minted in `schema`; no text mentions the other tenant."""
    other = {"alpha": ("beta", "乙镇"), "beta": ("alpha", "甲镇")}[schema]
    for key, value in walk(data):
        if key == "id" and value is not None:
            assert decode(value)[1] == schema, value
        if isinstance(value, str):
            assert not any(word in value for word in other), (key, value)


def nodes(data: dict, field: str) -> list[dict]:
    return [edge["node"] for edge in data[field]["edges"]]


def root_fields(schema, operation: str) -> set[str]:
    graphql_schema = schema._schema
    root = graphql_schema.query_type if operation == "query" else graphql_schema.mutation_type
    return set(root.fields)


# --------------------------------------------------------------------------------------------- fixtures


@pytest.fixture
def beta_extras(beta):
    """Rows only beta holds (created in the test transaction), so a leak into alpha would be visible."""
    with schema_context("beta"):
        org = orgs.save_org(orgs.OrgInput(kind="STATION", code="H09", name="beta独有站点"))
        window = orgs.save_window(orgs.WindowInput(org_id=org.pk, code="W09", name="beta独有窗口"))
        orgs.save_staff(orgs.StaffInput(employee_no="E009", name="beta独有员工", org_id=org.pk, window_ids=[window.pk]))
        orgs.create_platform(kind="MOBILE_APP", code="P09", name="beta独有移动端")
        orgs.create_ancillary_service(org_id=org.pk, name="beta独有复印", is_free=True)
        orgs.register_device(window_id=window.pk, serial="DEV009", name="beta独有评价器")
        adopt_item(catalog_code="TEST-003", guide=guide_input())
    connection.set_schema_to_public()


@pytest.fixture
def second_orgs(alpha, beta):
    """A second organisation with the same primary key in both tenants. The key is explicit: sequences are
    not rolled back with the test transaction, so rows created by earlier tests leave them out of step."""
    for slug in ("alpha", "beta"):
        with schema_context(slug):
            org_models.ServiceOrg.objects.create(pk=SECOND_ORG, kind="STATION", code="H02", name=f"{slug}站点")
    connection.set_schema_to_public()
    return SECOND_ORG


def test_tenants_share_primary_keys(alpha, beta):
    """The premise of this module: a beta pk always names an alpha row too."""
    for label in TENANT_LABELS:
        for model in apps.get_app_config(label).get_models():
            with schema_context("alpha"):
                alpha_pks = list(model._default_manager.order_by("pk").values_list("pk", flat=True))
            with schema_context("beta"):
                beta_pks = list(model._default_manager.order_by("pk").values_list("pk", flat=True))
            assert alpha_pks == beta_pks, model._meta.label
    with schema_context("alpha"):
        assert org_models.Window.objects.get(pk=1).name == "alpha综合窗口"
    with schema_context("beta"):
        assert org_models.Window.objects.get(pk=1).name == "beta综合窗口"


# --------------------------------------------------------------------------------------------- queries


def _names(model, field="name", **filters):
    return lambda: sorted(model._default_manager.filter(**filters).values_list(field, flat=True))


def _item_codes():
    return sorted(ServiceItem.objects.filter(is_active=True).values_list("catalog_item__code", flat=True))


# root field → (query, the node key compared, the expected values from the ORM of the host's schema)
LIST_QUERIES = {
    "serviceOrgs": ("{ serviceOrgs { edges { node { id code name parent { id } windows { id name } } } } }",
                    "name", _names(org_models.ServiceOrg, is_active=True)),
    "windows": ("{ windows { totalCount edges { node { id name org { id name } items { id code } } } } }",
                "name", _names(org_models.Window, is_active=True)),
    "servicePlatforms": ("{ servicePlatforms { edges { node { id code name } } } }",
                         "name", _names(org_models.ServicePlatform, is_active=True)),
    "ancillaryServices": ("{ ancillaryServices { edges { node { id name fee } } } }",
                          "name", _names(org_models.AncillaryService)),
    "staff": ("{ staff { edges { node { id name org { id name } windows { id name } } } } }",
              "name", _names(org_models.Staff, is_active=True)),
    "ratingDevices": ("{ ratingDevices { edges { node { id serial name window { id name } } } } }",
                      "name", _names(org_models.RatingDevice)),
    "serviceItems": ("{ serviceItems { edges { node { id code name guide { version handlingUnit } } } } }",
                     "code", _item_codes),
    "catalogItems": ("{ catalogItems { edges { node { id code name } } } }",
                     "code", _names(CatalogItem, "code", is_active=True)),
    "apiTokens": ("{ apiTokens { edges { node { id name prefix } } } }",
                  "prefix", _names(ApiToken, "prefix")),
}
SINGLE_QUERIES = {
    "tenant": ("{ tenant { slug name officialCode managementAgency { name } } }",
               lambda slug: {"slug": slug, "name": {"alpha": "甲镇", "beta": "乙镇"}[slug],
                             "officialCode": {"alpha": "411325901", "beta": "411325902"}[slug],
                             "managementAgency": {"name": {"alpha": "甲镇政务服务管理办公室",
                                                           "beta": "乙镇政务服务管理办公室"}[slug]}}),
    "me": ("{ me { username role tokenName } }",
           lambda slug: {"username": "tenant_admin", "role": "TENANT_ADMIN", "tokenName": None}),
}


def test_every_tenant_query_is_covered():
    assert root_fields(tenant_schema, "query") == set(LIST_QUERIES) | set(SINGLE_QUERIES)


@pytest.mark.usefixtures("beta_extras")
@pytest.mark.parametrize("field", sorted(LIST_QUERIES))
def test_list_query_returns_only_the_hosts_rows(gql, field):
    query, key, expected = LIST_QUERIES[field]
    for slug in ("alpha", "beta"):  # alpha is the case under test; beta is the positive control
        data = gql(slug, "tenant_admin")(query)["data"]
        with schema_context(slug):
            want = expected()
        connection.set_schema_to_public()
        got = sorted(node[key] for node in nodes(data, field))
        assert got == want, slug
        assert got, f"{field} on {slug} is empty: the check would be vacuous"
        assert_only_schema(data, slug)
    with schema_context("alpha"):
        alpha_rows = expected()
    with schema_context("beta"):
        beta_rows = expected()
    if field != "catalogItems":  # the base catalog is shared by design (public schema)
        assert alpha_rows != beta_rows, "beta_extras should make beta's rows differ"


@pytest.mark.parametrize("field", sorted(SINGLE_QUERIES))
def test_single_query_answers_for_the_host(gql, field):
    query, expected = SINGLE_QUERIES[field]
    for slug in ("alpha", "beta"):
        data = gql(slug, "tenant_admin")(query)["data"]
        assert data[field] == expected(slug)
        assert_only_schema(data, slug)


@pytest.mark.parametrize("field", ["windows", "staff"])
def test_query_filtered_by_beta_org_id_finds_nothing_on_alpha(gql, field):
    query = f"query($org: ID) {{ {field}(orgId: $org) {{ totalCount edges {{ node {{ id name }} }} }} }}"
    alpha = gql("alpha", "tenant_admin")

    miss = alpha(query, {"org": gid("ServiceOrg", "beta")})["data"][field]
    assert miss == {"totalCount": 0, "edges": []}
    wrong_type = alpha(query, {"org": gid("Window", "alpha")})["data"][field]
    assert wrong_type == {"totalCount": 0, "edges": []}
    malformed = alpha(query, {"org": "xyz"})["data"][field]
    assert malformed == {"totalCount": 0, "edges": []}

    # Positive controls: alpha's own id on alpha, beta's id on beta.
    hit = alpha(query, {"org": gid("ServiceOrg", "alpha")})["data"][field]
    assert hit["totalCount"] == 1 and "alpha" in hit["edges"][0]["node"]["name"]
    assert_only_schema(hit, "alpha")
    beta_hit = gql("beta", "tenant_admin")(query, {"org": gid("ServiceOrg", "beta")})["data"][field]
    assert beta_hit["totalCount"] == 1 and "beta" in beta_hit["edges"][0]["node"]["name"]


# --------------------------------------------------------------------------------------------- mutations

G = dict(handlingUnit="便民服务中心", caseKind="PROMISED", statutoryLimitDays=20, promisedLimitDays=3,
         channels=["WINDOW"], evaluationChannels=["QR_CODE"])

# name → (mutation, variables built from the id owner's schema, error field expected for beta's ids,
#         payload field that must be null on error and set on success)
CROSS_ID_MUTATIONS = {
    "createServiceOrg.parentId": (
        "mutation($p: ID){ createServiceOrg(input:{kind:STATION, code:\"H03\", name:\"新站点\", parentId:$p}) "
        f"{{ {ERRORS} org {{ id parent {{ id }} }} }} }}",
        lambda s: {"p": gid("ServiceOrg", s)}, "parentId", "org"),
    "updateServiceOrg.id": (
        f"mutation($id: ID!){{ updateServiceOrg(id:$id, input:{{name:\"改名中心\"}}) {{ {ERRORS} org {{ id name }} }} }}",
        lambda s: {"id": gid("ServiceOrg", s)}, "id", "org"),
    "updateServiceOrg.parentId": (
        "mutation($id: ID!, $p: ID){ updateServiceOrg(id:$id, input:{parentId:$p}) "
        f"{{ {ERRORS} org {{ id parent {{ id }} }} }} }}",
        lambda s: {"id": gid("ServiceOrg", "alpha"), "p": gid("ServiceOrg", s, SECOND_ORG)}, "parentId", "org"),
    "createWindow.orgId": (
        f"mutation($org: ID!){{ createWindow(input:{{orgId:$org, code:\"W02\", name:\"新窗口\"}}) {{ {ERRORS} window {{ id }} }} }}",
        lambda s: {"org": gid("ServiceOrg", s)}, "orgId", "window"),
    "createWindow.itemIds": (
        "mutation($org: ID!, $items: [ID!]!){ createWindow(input:{orgId:$org, code:\"W02\", name:\"新窗口\", "
        f"itemIds:$items}}) {{ {ERRORS} window {{ id items {{ id }} }} }} }}",
        lambda s: {"org": gid("ServiceOrg", "alpha"), "items": [gid("ServiceItem", s, 2)]}, "itemIds", "window"),
    "updateWindow.id": (
        f"mutation($id: ID!){{ updateWindow(id:$id, input:{{name:\"改名窗口\"}}) {{ {ERRORS} window {{ id name }} }} }}",
        lambda s: {"id": gid("Window", s)}, "id", "window"),
    "updateWindow.itemIds": (
        "mutation($id: ID!, $items: [ID!]){ updateWindow(id:$id, input:{itemIds:$items}) "
        f"{{ {ERRORS} window {{ id items {{ id }} }} }} }}",
        lambda s: {"id": gid("Window", "alpha"), "items": [gid("ServiceItem", s, 2)]}, "itemIds", "window"),
    "createStaff.orgId": (
        "mutation($org: ID!){ createStaff(input:{employeeNo:\"E002\", name:\"新员工\", orgId:$org}) "
        f"{{ {ERRORS} staff {{ id }} }} }}",
        lambda s: {"org": gid("ServiceOrg", s)}, "orgId", "staff"),
    "createStaff.windowIds": (
        "mutation($org: ID!, $w: [ID!]!){ createStaff(input:{employeeNo:\"E002\", name:\"新员工\", orgId:$org, "
        f"windowIds:$w}}) {{ {ERRORS} staff {{ id windows {{ id }} }} }} }}",
        lambda s: {"org": gid("ServiceOrg", "alpha"), "w": [gid("Window", s)]}, "windowIds", "staff"),
    "updateStaff.id": (
        f"mutation($id: ID!){{ updateStaff(id:$id, input:{{title:\"组长\"}}) {{ {ERRORS} staff {{ id title }} }} }}",
        lambda s: {"id": gid("Staff", s)}, "id", "staff"),
    "updateStaff.orgId": (
        f"mutation($id: ID!, $org: ID){{ updateStaff(id:$id, input:{{orgId:$org}}) {{ {ERRORS} staff {{ id }} }} }}",
        lambda s: {"id": gid("Staff", "alpha"), "org": gid("ServiceOrg", s, SECOND_ORG)}, "orgId", "staff"),
    "updateStaff.windowIds": (
        f"mutation($id: ID!, $w: [ID!]){{ updateStaff(id:$id, input:{{windowIds:$w}}) {{ {ERRORS} staff {{ id }} }} }}",
        lambda s: {"id": gid("Staff", "alpha"), "w": [gid("Window", s)]}, "windowIds", "staff"),
    "createAncillaryService.orgId": (
        "mutation($org: ID!){ createAncillaryService(orgId:$org, name:\"邮寄\", isFree:false, fee:\"10元/件\") "
        f"{{ {ERRORS} service {{ id }} }} }}",
        lambda s: {"org": gid("ServiceOrg", s)}, "orgId", "service"),
    "registerRatingDevice.windowId": (
        "mutation($w: ID!){ registerRatingDevice(windowId:$w, serial:\"DEV002\", name:\"新评价器\") "
        f"{{ {ERRORS} device {{ id }} token }} }}",
        lambda s: {"w": gid("Window", s)}, "windowId", "device"),
    "publishServiceGuide.itemId": (
        "mutation($item: ID!, $g: ServiceGuideInput!){ publishServiceGuide(itemId:$item, guide:$g) "
        f"{{ {ERRORS} guide {{ version }} }} }}",
        lambda s: {"item": gid("ServiceItem", s), "g": G}, "itemId", "guide"),
    "setServiceItemUnits.itemId": (
        "mutation($item: ID!){ setServiceItemUnits(itemId:$item, cooperatingUnits:[\"beta\"]) "
        f"{{ {ERRORS} item {{ id cooperatingUnits {{ kind }} }} }} }}",
        lambda s: {"item": gid("ServiceItem", s)}, "itemId", "item"),
    "revokeApiToken.id": (
        f"mutation($id: ID!){{ revokeApiToken(id:$id) {{ {ERRORS} apiToken {{ id revokedAt }} }} }}",
        lambda s: {"id": gid("ApiToken", s)}, "id", "apiToken"),
}

# Mutations without id arguments: a row beta alone holds must not block the same row on alpha, and the
# write on alpha must leave beta untouched.
NO_ID_MUTATIONS = {
    "createServicePlatform": (
        f"mutation{{ createServicePlatform(kind:MOBILE_APP, code:\"P09\", name:\"甲镇移动端\") {{ {ERRORS} platform {{ id code }} }} }}",
        "platform"),
    "adoptServiceItem": (
        "mutation($g: ServiceGuideInput!){ adoptServiceItem(catalogCode:\"TEST-003\", guide:$g) "
        f"{{ {ERRORS} item {{ id code }} }} }}", "item"),
    "issueSystemToken": (
        f"mutation{{ issueSystemToken(name:\"甲镇业务系统\", scopes:[\"read\"]) {{ {ERRORS} apiToken {{ id }} secret }} }}",
        "apiToken"),
    "createServiceOrg": (
        f"mutation{{ createServiceOrg(input:{{kind:STATION, code:\"H09\", name:\"甲镇站点\"}}) {{ {ERRORS} org {{ id }} }} }}",
        "org"),
    "createWindow": (
        "mutation($org: ID!){ createWindow(input:{orgId:$org, code:\"W09\", name:\"甲镇新窗口\"}) "
        f"{{ {ERRORS} window {{ id }} }} }}", "window"),
    "createStaff": (
        "mutation($org: ID!){ createStaff(input:{employeeNo:\"E009\", name:\"甲镇新员工\", orgId:$org}) "
        f"{{ {ERRORS} staff {{ id }} }} }}", "staff"),
    "registerRatingDevice": (
        f"mutation($w: ID!){{ registerRatingDevice(windowId:$w, serial:\"DEV009\", name:\"甲镇评价器\") {{ {ERRORS} device {{ id }} }} }}",
        "device"),
}


def test_every_tenant_mutation_is_covered():
    covered = {name.split(".")[0] for name in CROSS_ID_MUTATIONS} | set(NO_ID_MUTATIONS)
    assert root_fields(tenant_schema, "mutation") == covered


def _assert_not_found(body: dict, mutation: str, payload: str, field: str) -> None:
    result = body["data"][mutation]
    assert result[payload] is None
    assert [(e["code"], e["field"]) for e in result["errors"]] == [("NOT_FOUND", field)]
    error = result["errors"][0]
    assert re.search(r"[\u4e00-\u9fff]", error["message"]) and "not found" in error["messageEn"]


@pytest.mark.usefixtures("second_orgs")
@pytest.mark.parametrize("case", sorted(CROSS_ID_MUTATIONS))
def test_mutation_with_beta_ids_finds_nothing_and_changes_nothing(gql, case):
    query, variables, field, payload = CROSS_ID_MUTATIONS[case]
    mutation = case.split(".")[0]
    client = gql("alpha", "tenant_admin")

    before = snapshot_all()
    body = client(query, variables("beta"))
    _assert_not_found(body, mutation, payload, field)
    assert snapshot_all() == before, "a refused mutation changed a row"

    # Positive control: the same call with alpha's own ids succeeds, changes alpha and leaves beta alone.
    body = client(query, variables("alpha"))
    result = body["data"][mutation]
    assert result["errors"] == [] and result[payload] is not None
    assert_only_schema(result, "alpha")
    after = snapshot_all()
    assert after["alpha"] != before["alpha"]
    assert after["beta"] == before["beta"]


@pytest.mark.usefixtures("beta_extras")
@pytest.mark.parametrize("mutation", sorted(NO_ID_MUTATIONS))
def test_mutation_without_ids_writes_only_the_hosts_schema(gql, mutation):
    query, payload = NO_ID_MUTATIONS[mutation]
    variables = {"g": G, "org": gid("ServiceOrg", "alpha"), "w": gid("Window", "alpha")}
    used = {name: value for name, value in variables.items() if f"${name}" in query}
    before = snapshot_all()
    result = gql("alpha", "tenant_admin")(query, used)["data"][mutation]
    assert result["errors"] == [] and result[payload] is not None
    assert_only_schema(result, "alpha")
    after = snapshot_all()
    assert after["alpha"] != before["alpha"]
    assert after["beta"] == before["beta"]
    assert after["public"]["tenants.Tenant"] == before["public"]["tenants.Tenant"]


def test_system_token_issued_on_alpha_is_refused_on_beta(gql):
    result = gql("alpha", "tenant_admin")(NO_ID_MUTATIONS["issueSystemToken"][0])["data"]["issueSystemToken"]
    secret = result["secret"]
    assert gql("alpha", token=secret)("{ me { tokenName } }")["data"]["me"] == {"tokenName": "甲镇业务系统"}
    response = gql("beta", token=secret).post("{ me { tokenName } }")
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_TOKEN"


# --------------------------------------------------------------------------------------------- hosts and principals


def test_token_from_beta_is_refused_on_alpha(gql, system_token):
    secret = system_token("beta", scopes=["read"])
    before = snapshot_all()
    response = gql("alpha", token=secret).post("{ me { tokenName } windows { totalCount } }")
    assert response.status_code == 401
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "INVALID_TOKEN"
    assert "data" not in body
    assert snapshot_all() == before  # not even last_used_at was touched
    # Positive control: beta's host accepts it.
    data = gql("beta", token=secret)("{ me { tokenName scopes } windows { totalCount } }")["data"]
    assert data["me"] == {"tokenName": "测试业务系统", "scopes": ["read"]}
    assert data["windows"]["totalCount"] == 1


def _copy_session(source: Client) -> Client:
    """A second browser holding the same cookies (the worst case: host-only cookies would not even be sent)."""
    copy = Client()
    copy.cookies[settings.SESSION_COOKIE_NAME] = source.cookies[settings.SESSION_COOKIE_NAME].value
    return copy


def test_beta_session_is_anonymous_on_alpha(gql):
    client = Client()
    beta = gql("beta", "tenant_admin", client=client)
    assert beta("{ me { username role } }")["data"]["me"] == {"username": "tenant_admin", "role": "TENANT_ADMIN"}

    alpha = gql("alpha", client=_copy_session(client))  # beta's session cookie presented to alpha's host
    assert alpha("{ me { username } }")["data"]["me"] is None
    denied = alpha("{ ratingDevices { totalCount } }", expect_errors=True)
    assert denied["data"] is None
    assert denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"

    before = snapshot_all()
    alpha.client.cookies = _copy_session(client).cookies  # alpha's answer deleted the unknown session cookie
    denied = alpha(f"mutation{{ createServicePlatform(kind:HOTLINE, code:\"P02\", name:\"x\") {{ {ERRORS} }} }}",
                   expect_errors=True)
    assert denied["data"] is None and denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert snapshot_all() == before
    # Positive control: the session still works on beta.
    assert beta("{ ratingDevices { totalCount } }")["data"]["ratingDevices"]["totalCount"] == 1


def test_platform_session_is_anonymous_on_alpha(gql):
    client = Client()
    public = gql("public", "county_admin", client=client)
    assert public("{ me { username } }")["data"]["me"] == {"username": "county_admin"}
    alpha = gql("alpha", client=_copy_session(client))
    assert alpha("{ me { username } }")["data"]["me"] is None
    alpha.client.cookies = _copy_session(client).cookies  # alpha's answer deleted the unknown session cookie
    assert alpha("{ apiTokens { totalCount } }", expect_errors=True)["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


def test_unknown_host_is_404(gql):
    response = gql("nosuch").post("{ tenant { slug } }")
    assert response.status_code == 404
    assert gql("alpha").post("{ tenant { slug } }").status_code == 200  # positive control


TENANT_ONLY_FIELDS = sorted(root_fields(tenant_schema, "query") - root_fields(platform_schema, "query"))


def test_platform_schema_lacks_tenant_fields():
    assert {"tenant", "windows", "staff", "serviceOrgs", "ratingDevices", "serviceItems"} <= set(TENANT_ONLY_FIELDS)
    assert not {"createWindow", "createStaff", "adoptServiceItem"} & root_fields(platform_schema, "mutation")


@pytest.mark.parametrize("field", TENANT_ONLY_FIELDS)
def test_public_host_does_not_serve_tenant_fields(gql, field):
    query = f"{{ {field} {{ __typename }} }}"
    body = gql("public", "county_admin")(query, expect_errors=True)
    assert body.get("data") is None
    assert f"Cannot query field '{field}' on type 'Query'" in body["errors"][0]["message"]
    assert "errors" not in gql("alpha", "tenant_admin")(query)  # positive control


def test_public_host_does_not_serve_tenant_mutations(gql):
    public = gql("public", "county_admin")
    before = snapshot_all()
    body = public(
        f"mutation{{ createServicePlatform(kind:HOTLINE, code:\"P02\", name:\"x\") {{ {ERRORS} }} }}", expect_errors=True)
    assert "Cannot query field 'createServicePlatform' on type 'Mutation'" in body["errors"][0]["message"]
    assert snapshot_all() == before


@pytest.mark.parametrize("direction", ["tenant id on public host", "public id on tenant host"])
def test_revoke_token_across_the_public_boundary(gql, direction):
    with schema_context("public"):
        evaluator = issue_evaluator_token(name="第三方评估", tenant_slugs=["alpha"])
    connection.set_schema_to_public()
    if direction == "tenant id on public host":
        client, foreign, own = gql("public", "county_admin"), gid("ApiToken", "alpha"), gid("ApiToken", "public", evaluator.token.pk)
    else:
        client, foreign, own = gql("alpha", "tenant_admin"), gid("ApiToken", "public", evaluator.token.pk), gid("ApiToken", "alpha")
    query = CROSS_ID_MUTATIONS["revokeApiToken.id"][0]
    before = snapshot_all()
    _assert_not_found(client(query, {"id": foreign}), "revokeApiToken", "apiToken", "id")
    assert snapshot_all() == before
    result = client(query, {"id": own})["data"]["revokeApiToken"]
    assert result["errors"] == [] and result["apiToken"]["revokedAt"]

