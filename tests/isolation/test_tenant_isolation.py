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
from haochaping.evaluations import models as eval_models
from haochaping.evaluations.cases import CaseInput, upsert_case
from haochaping.evaluations.policy import update_policy
from haochaping.evaluations.prompts import request_rating
from haochaping.rectification.models import Rectification
from haochaping.rectification.services import open_for_evaluation
from haochaping.items.models import ServiceItem
from haochaping.items.services import adopt_item
from haochaping.organizations import models as org_models
from haochaping.notifications.models import Notification
from haochaping.organizations import services as orgs
from schema.platform import schema as platform_schema
from schema.tenant import schema as tenant_schema

from conftest import guide_input

TENANT_LABELS = ("accounts", "organizations", "items", "evaluations", "rectification", "notifications", "boards",
                 "analytics", "exchange")
PUBLIC_LABELS = ("accounts", "catalog", "tenants", "integrity", "jobs", "supervision", "disclosure")
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
    root = {"query": graphql_schema.query_type, "mutation": graphql_schema.mutation_type,
            "subscription": graphql_schema.subscription_type}[operation]
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
        _rated_case("BETA-ONLY-1", "beta独有差评", grade=1)
    connection.set_schema_to_public()


@pytest.fixture
def rated_cases(alpha, beta):
    """A rated case in each tenant (a bad review with its rectification), so rating lists are never empty."""
    for slug in ("alpha", "beta"):
        with schema_context(slug):
            _rated_case(f"{slug.upper()}-CASE-1", f"{slug}差评", grade=2)
    connection.set_schema_to_public()


def _completed_case(number: str) -> eval_models.ServiceCase:
    """A completed case at W01 (in the current schema), nobody has rated yet."""
    from django.utils import timezone

    now = timezone.now()
    case, _ = upsert_case(CaseInput(case_number=number, item_code="TEST-001", applicant_kind="INDIVIDUAL",
                                    applicant_name="王小明", accepted_at=now - timezone.timedelta(hours=2),
                                    status="COMPLETED", completed_at=now - timezone.timedelta(hours=1),
                                    window="H01/W01"))
    return case


def _rated_case(number: str, comment: str, grade: int, staff=None) -> eval_models.Evaluation:
    from django.utils import timezone

    case = _completed_case(number)
    evaluation = eval_models.Evaluation.objects.create(
        case=case, grade=grade, channel="MOBILE_APP", item=case.item, window=case.window, staff=staff,
        comment=comment, receipt_code=f"R{number[-12:]}", rated_at=timezone.now(), is_bad=grade <= 2)
    if evaluation.is_bad:
        open_for_evaluation(evaluation, case.handling_unit)
    return evaluation


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
    "serviceCases": ("{ serviceCases { edges { node { id caseNumber item { id code } handlingUnit { slug } } } } }",
                     "caseNumber", _names(eval_models.ServiceCase, "case_number")),
    "evaluations": ("{ evaluations { edges { node { id comment caseNumber window { id name } rectification { state ownerUnit { slug } } } } } }",
                    "comment", _names(eval_models.Evaluation, "comment")),
    "rectifications": ("{ rectifications { edges { node { id state ownerUnit { slug } } } } }",
                       "id", lambda: sorted(gid("Rectification", connection.schema_name, pk)
                                            for pk in Rectification.objects.values_list("pk", flat=True))),
}
SINGLE_QUERIES = {
    "tenant": ("{ tenant { slug name officialCode managementAgency { name } } }",
               lambda slug: {"slug": slug, "name": {"alpha": "甲镇", "beta": "乙镇"}[slug],
                             "officialCode": {"alpha": "411325901", "beta": "411325902"}[slug],
                             "managementAgency": {"name": {"alpha": "甲镇政务服务管理办公室",
                                                           "beta": "乙镇政务服务管理办公室"}[slug]}}),
    "me": ("{ me { username role tokenName } }",
           lambda slug: {"username": "tenant_admin", "role": "TENANT_ADMIN", "tokenName": None}),
    # beta_policy gives beta other settings than alpha's defaults.
    "evaluationPolicy": ("{ evaluationPolicy { labelSet supplementaryDays } }",
                         lambda slug: {"alpha": {"labelSet": "SATISFACTION", "supplementaryDays": 15},
                                       "beta": {"labelSet": "QUALITY", "supplementaryDays": 20}}[slug]),
    "ratingForm": ("{ ratingForm { form { tenantName labels { grade label } } errors { code } } }",
                   lambda slug: {"form": {"tenantName": {"alpha": "甲镇", "beta": "乙镇"}[slug],
                                          "labels": [{"grade": 5, "label": {"alpha": "非常满意", "beta": "很好"}[slug]},
                                                     {"grade": 4, "label": {"alpha": "满意", "beta": "好"}[slug]},
                                                     {"grade": 3, "label": {"alpha": "基本满意", "beta": "一般"}[slug]},
                                                     {"grade": 2, "label": {"alpha": "不满意", "beta": "差"}[slug]},
                                                     {"grade": 1, "label": {"alpha": "非常不满意", "beta": "很差"}[slug]}]},
                                 "errors": []}),
}
# Queries that answer for the caller itself (a device, a clerk, a staff member): each has its own test below.
PRINCIPAL_QUERIES = {
    "devicePrompt": "test_device_prompt_is_the_calling_devices_own",
    "ratingRequestState": "test_rating_request_state_of_a_beta_prompt_is_unknown_on_alpha",
    "myResults": "test_my_results_are_the_hosts_staff_members_own",
    "rectification": "test_rectification_by_beta_id_is_not_found_on_alpha",
}


# County supervision rows live in the public schema, addressed to a unit: each has its own test below.
SUPERVISION_QUERIES = {
    "supervisionInstructions": "test_supervision_instructions_are_the_hosts_own",
    "circulars": "test_circulars_are_those_addressed_to_the_host",
}


# Hall boards (queries, mutations, the subscription and websocket groups): tests/boards/, with alpha and beta
# holding the same hall code and primary keys.
BOARD_FIELDS = {
    "hallBoard": "tests/boards/test_board_graphql.py::test_snapshot_without_a_valid_link_is_refused_for_anonymous",
    "boardAlerts": "tests/boards/test_board_graphql.py::test_board_alerts_and_acknowledge_on_the_hosts_own_rows",
    "acknowledgeBoardAlert": "tests/boards/test_board_graphql.py::test_board_alerts_and_acknowledge_on_the_hosts_own_rows",
    "hallBoardLink": "tests/boards/test_board_graphql.py::test_board_link_rotation_is_per_tenant",
    "evaluationAdded": "tests/boards/test_board_socket.py::test_subscription_with_a_board_token_streams_its_hall_only",
}


# Analytics read the host schema's own counts; each has its own test with alpha and beta side by side.
ANALYTICS_FIELDS = {
    "evaluationStats": "tests/analytics/test_analytics_graphql.py::test_stats_are_the_hosts_own_and_filter_by_window",
    "serviceMetrics": "tests/analytics/test_analytics_graphql.py::test_service_metrics_and_coverage_for_readers",
    "coverageReport": "tests/analytics/test_coverage.py::test_county_report_has_every_tenant_and_keeps_them_apart",
    "improvementCases": "tests/analytics/test_analytics_graphql.py::test_improvement_cases_are_the_hosts_own",
    "commendationList": "tests/analytics/test_analytics_graphql.py::test_lists_are_the_hosts_own",
    "accountabilityList": "tests/analytics/test_analytics_graphql.py::test_lists_are_the_hosts_own",
    "closeImprovementCase": "tests/analytics/test_analytics_graphql.py::test_improvement_cases_are_the_hosts_own",
}

# Third-party evaluators a tenant registers and grants for itself (public-schema rows owned by the tenant): beta sees
# none of alpha's grants or logs and cannot use or revoke them; tests/assessments/ has alpha and beta side by side.
ASSESSMENT_FIELDS = {
    name: "tests/assessments/test_evaluator_access.py::test_every_query_is_logged_and_visible_to_the_granting_party_only"
    for name in ("evaluatorOrgs", "evaluatorGrants", "evaluatorQueryLog", "registerEvaluatorOrg", "grantEvaluatorAccess",
                 "revokeEvaluatorGrant")
}
ASSESSMENT_FIELDS["grantEvaluatorAccess"] = (
    "tests/assessments/test_evaluator_access.py::test_a_tenant_cannot_grant_an_organisation_it_did_not_register")


# 监督查评: a unit's surveys (alpha and beta side by side; beta's ids NOT_FOUND on alpha): tests/surveys/.
SURVEY_FIELDS = {
    "surveys": "tests/surveys/test_surveys.py::test_graphql_survey_flow_permissions_and_isolation",
    "surveyResults": "tests/surveys/test_surveys.py::test_graphql_survey_flow_permissions_and_isolation",
    "createSurvey": "tests/surveys/test_surveys.py::test_graphql_survey_flow_permissions_and_isolation",
    "reviseSurvey": "tests/surveys/test_surveys.py::test_graphql_survey_flow_permissions_and_isolation",
    "sendSurvey": "tests/surveys/test_surveys.py::test_graphql_survey_flow_permissions_and_isolation",
}


# 综合点评: alpha and beta side by side; beta's comment ids are NOT_FOUND on alpha (tests/feedback/).
FEEDBACK_FIELDS = {
    name: "tests/feedback/test_feedback.py::test_alpha_staff_never_see_or_answer_betas_comments"
    for name in ("publicComments", "publicComment", "answerPublicComment", "hidePublicComment")
} | {"recordHotlineComment": "tests/feedback/test_feedback.py::test_hotline_graphql_mutation"}


def test_feedback_fields_name_real_tests():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for target in FEEDBACK_FIELDS.values():
        path, name = target.split("::")
        assert f"def {name}(" in (root / path).read_text(), target


def test_survey_fields_name_real_tests():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for target in SURVEY_FIELDS.values():
        path, name = target.split("::")
        assert f"def {name}(" in (root / path).read_text(), target


def test_board_fields_name_real_tests():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for target in [*BOARD_FIELDS.values(), *ANALYTICS_FIELDS.values(), *ASSESSMENT_FIELDS.values()]:
        path, name = target.split("::")
        assert f"def {name}(" in (root / path).read_text(), target
    assert root_fields(tenant_schema, "subscription") == {"evaluationAdded"}


def test_every_tenant_query_is_covered():
    assert root_fields(tenant_schema, "query") == (set(LIST_QUERIES) | set(SINGLE_QUERIES) | set(PRINCIPAL_QUERIES)
                                                   | set(SUPERVISION_QUERIES) | {"hallBoard", "boardAlerts"}
                                                   | (set(ANALYTICS_FIELDS) - {"closeImprovementCase"})
                                                   | {"surveys", "surveyResults"}
                                                   | {"publicComments", "publicComment"}
                                                   | {"evaluatorOrgs", "evaluatorGrants", "evaluatorQueryLog"} & set(ASSESSMENT_FIELDS))
    assert all(name in globals() for name in PRINCIPAL_QUERIES.values())
    assert all(name in globals() for name in SUPERVISION_QUERIES.values())


@pytest.fixture
def beta_policy(beta):
    with schema_context("beta"):
        update_policy(label_set="QUALITY", supplementary_days=20)
    connection.set_schema_to_public()


@pytest.mark.usefixtures("beta_extras", "rated_cases")
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


@pytest.mark.usefixtures("beta_policy")
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
    # A hotline agent (here the tenant admin) names what the call rates by id.
    "submitEvaluation.windowId": (
        f"mutation($w: ID){{ submitEvaluation(input:{{grade:4, channel:HOTLINE, windowId:$w}}) {{ {ERRORS} evaluation {{ id }} }} }}",
        lambda s: {"w": gid("Window", s)}, "windowId", "evaluation"),
    "submitEvaluation.staffId": (
        f"mutation($x: ID){{ submitEvaluation(input:{{grade:4, channel:HOTLINE, staffId:$x}}) {{ {ERRORS} evaluation {{ id }} }} }}",
        lambda s: {"x": gid("Staff", s)}, "staffId", "evaluation"),
    "submitEvaluation.itemId": (
        f"mutation($x: ID){{ submitEvaluation(input:{{grade:2, channel:HOTLINE, itemId:$x}}) {{ {ERRORS} evaluation {{ id }} }} }}",
        lambda s: {"x": gid("ServiceItem", s)}, "itemId", "evaluation"),
    "submitEvaluation.platformId": (
        f"mutation($x: ID){{ submitEvaluation(input:{{grade:4, channel:HOTLINE, platformId:$x}}) {{ {ERRORS} evaluation {{ id }} }} }}",
        lambda s: {"x": gid("ServicePlatform", s)}, "platformId", "evaluation"),
    "publishQuestionnaire.itemId": (
        "mutation($item: ID){ publishQuestionnaire(itemId:$item, questions:[{key:\"clear\", text:\"是否清晰\", "
        f"kind:\"CHOICE\", options:[\"是\", \"否\"]}}]) {{ {ERRORS} questionnaire {{ version }} }} }}",
        lambda s: {"item": gid("ServiceItem", s)}, "itemId", "questionnaire"),
    "issuePaperForms.orgId": (
        f"mutation($org: ID!){{ issuePaperForms(orgId:$org, count:1) {{ {ERRORS} serials }} }}",
        lambda s: {"org": gid("ServiceOrg", s)}, "orgId", "serials"),
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
    "updateEvaluationPolicy": (
        f"mutation{{ updateEvaluationPolicy(input:{{labelSet:QUALITY, ipMaxPerHour:50}}) {{ {ERRORS} policy {{ labelSet }} }} }}",
        "policy"),
    "requestPhoneCode": (f"mutation{{ requestPhoneCode(phone:\"13800138000\") {{ {ERRORS} sent }} }}", "sent"),
}

# Mutations that name rows by a natural key (case number, device serial, phone, paper serial) instead of a
# global id: beta's key must find nothing on alpha and change nothing. Each has its own test.
KEYED_MUTATIONS = {
    "upsertServiceCase": "test_case_pushed_on_alpha_with_a_beta_case_number_leaves_beta_alone",
    "recordOverdueReason": "test_overdue_reason_for_a_beta_case_number_finds_nothing_on_alpha",
    "requestRating": "test_request_rating_with_beta_case_or_device_finds_nothing_on_alpha",
    "verifyPhoneCode": "test_phone_code_sent_on_beta_is_unknown_on_alpha",
    # Rating credentials (tokens, prompt ids, paper serials): tests/isolation/test_evaluation_isolation.py.
    "importPaperForms": "tests/evaluations/test_paper_forms.py::test_a_beta_serial_cannot_be_entered_on_alpha",
    "fileComplaint": "test_complaint_naming_a_beta_case_number_finds_nothing_on_alpha",
}


# Mutations on public-schema rows addressed to one unit: each has its own test below.
SUPERVISION_MUTATIONS = {
    "acknowledgeSupervisionInstruction": "test_acknowledging_betas_instruction_on_alpha_finds_nothing",
}


def test_every_tenant_mutation_is_covered():
    covered = ({name.split(".")[0] for name in CROSS_ID_MUTATIONS} | set(NO_ID_MUTATIONS) | set(KEYED_MUTATIONS)
               | set(RECTIFICATION_MUTATIONS) | set(SUPERVISION_MUTATIONS) | {"acknowledgeBoardAlert", "hallBoardLink", "closeImprovementCase"}
               | {"createSurvey", "reviseSurvey", "sendSurvey"}
               | {"recordHotlineComment", "answerPublicComment", "hidePublicComment"}
               | {"registerEvaluatorOrg", "grantEvaluatorAccess", "revokeEvaluatorGrant"} & set(ASSESSMENT_FIELDS))
    assert root_fields(tenant_schema, "mutation") == covered
    assert all(name in globals() for name in KEYED_MUTATIONS.values() if "::" not in name)
    assert all(name in globals() for name in SUPERVISION_MUTATIONS.values())


def _assert_not_found(body: dict, mutation: str, payload: str, field: str) -> None:
    result = body["data"][mutation]
    assert not result[payload]  # null (a list payload: empty)
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
    assert result["errors"] == [] and result[payload]
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


# --------------------------------------------------------------------------------------------- natural keys

CASE_PAYLOAD = f"{ERRORS} case {{ id caseNumber isOverdue overdueReason }} created"


def _late_case(slug: str, number: str) -> None:
    from django.utils import timezone

    now = timezone.now()
    with schema_context(slug):
        upsert_case(CaseInput(case_number=number, item_code="TEST-001", applicant_kind="INDIVIDUAL",
                              applicant_name="王小明", accepted_at=now - timezone.timedelta(days=3), status="COMPLETED",
                              promised_at=now - timezone.timedelta(days=2), completed_at=now - timezone.timedelta(days=1)))
    connection.set_schema_to_public()


def _case_row(slug: str, number: str) -> dict | None:
    with schema_context(slug):
        return eval_models.ServiceCase.objects.filter(case_number=number).values().first()


@pytest.mark.usefixtures("beta_extras")
def test_case_pushed_on_alpha_with_a_beta_case_number_leaves_beta_alone(gql, system_token):
    beta_row = _case_row("beta", "BETA-ONLY-1")
    assert beta_row and _case_row("alpha", "BETA-ONLY-1") is None
    push = gql("alpha", token=system_token("alpha", ["cases:write"]))
    before = snapshot_all()
    result = push(f"mutation($i: ServiceCaseInput!){{ upsertServiceCase(input:$i) {{ {CASE_PAYLOAD} }} }}",
                  {"i": {"caseNumber": "BETA-ONLY-1", "itemCode": "TEST-002", "applicantKind": "ENTERPRISE",
                         "applicantName": "甲镇企业", "acceptedAt": "2026-11-02T09:00:00+08:00"}})["data"]["upsertServiceCase"]
    assert result["errors"] == [] and result["created"] is True  # a new case of alpha's, not beta's updated
    assert_only_schema(result, "alpha")
    after = snapshot_all()
    assert after["beta"] == before["beta"] and _case_row("beta", "BETA-ONLY-1") == beta_row
    assert _case_row("alpha", "BETA-ONLY-1")["applicant_name"] == "甲镇企业"


def test_overdue_reason_for_a_beta_case_number_finds_nothing_on_alpha(gql):
    _late_case("beta", "LATE-BETA-1")
    _late_case("alpha", "LATE-ALPHA-1")
    query = f"mutation($n: String!){{ recordOverdueReason(caseNumber:$n, reason:\"补正材料\") {{ {CASE_PAYLOAD} }} }}"
    admin = gql("alpha", "tenant_admin")
    before = snapshot_all()
    _assert_not_found(admin(query, {"n": "LATE-BETA-1"}), "recordOverdueReason", "case", "caseNumber")
    assert snapshot_all() == before
    result = admin(query, {"n": "LATE-ALPHA-1"})["data"]["recordOverdueReason"]  # positive control
    assert result["errors"] == [] and result["case"]["overdueReason"] == "补正材料"
    assert snapshot_all()["beta"] == before["beta"]


@pytest.mark.usefixtures("beta_extras")
def test_request_rating_with_beta_case_or_device_finds_nothing_on_alpha(gql):
    with schema_context("alpha"):
        _completed_case("ALPHA-RR-1")
    connection.set_schema_to_public()
    query = (f"mutation($n: String!, $d: String){{ requestRating(caseNumber:$n, deviceSerial:$d) "
             f"{{ {ERRORS} promptId }} }}")
    admin = gql("alpha", "tenant_admin")
    before = snapshot_all()
    unknown_case = admin(query, {"n": "BETA-ONLY-1", "d": "DEV001"})["data"]["requestRating"]
    assert [(e["code"], e["field"]) for e in unknown_case["errors"]] == [("UNKNOWN_CASE", "caseNumber")]
    _assert_not_found(admin(query, {"n": "ALPHA-RR-1", "d": "DEV009"}), "requestRating", "promptId", "deviceSerial")
    assert snapshot_all() == before
    ok = admin(query, {"n": "ALPHA-RR-1", "d": "DEV001"})["data"]["requestRating"]
    assert ok["errors"] == [] and ok["promptId"]
    assert snapshot_all()["beta"] == before["beta"]


def _sent_code(slug: str, phone: str) -> str:
    with schema_context(slug):
        body = Notification.objects.filter(recipient=phone, purpose="phone_code").latest("pk").body
    connection.set_schema_to_public()
    return re.search(r"\d{6}", body).group(0)


def test_phone_code_sent_on_beta_is_unknown_on_alpha(gql):
    phone = "13800138000"
    gql("beta")(f"mutation{{ requestPhoneCode(phone:\"{phone}\") {{ sent }} }}")
    code = _sent_code("beta", phone)
    query = f"mutation($c: String!){{ verifyPhoneCode(phone:\"{phone}\", code:$c) {{ {ERRORS} verificationToken }} }}"
    before = snapshot_all()
    result = gql("alpha")(query, {"c": code})["data"]["verifyPhoneCode"]
    assert result["verificationToken"] is None and [e["code"] for e in result["errors"]] == ["INVALID_CODE"]
    assert snapshot_all() == before
    assert gql("beta")(query, {"c": code})["data"]["verifyPhoneCode"]["verificationToken"]  # positive control


# --------------------------------------------------------------------------------------------- callers' own rows


def _device(slug: str) -> str:
    with schema_context(slug):
        window = org_models.Window.objects.get(org__code="H01", code="W01")
        secret = orgs.register_device(window_id=window.pk, serial="DEV100", name="测试评价器").issued.secret
    connection.set_schema_to_public()
    return secret


def _clerk(slug: str) -> None:
    """Link the STAFF login to E001 at W01, and leave DEV100 (whose token the test holds) as W01's device."""
    from haochaping.accounts.models import User

    with schema_context(slug):
        org_models.Staff.objects.filter(employee_no="E001").update(user=User.objects.get(username="staff"))
        org_models.RatingDevice.objects.filter(serial="DEV001").update(is_active=False)
    connection.set_schema_to_public()


def test_device_prompt_is_the_calling_devices_own(gql):
    alpha_device, beta_device = _device("alpha"), _device("beta")  # same serial, same primary key
    with schema_context("alpha"):
        _completed_case("ALPHA-DP-1")
        prompt = request_rating(case_number="ALPHA-DP-1", device=org_models.RatingDevice.objects.get(serial="DEV100"))
    connection.set_schema_to_public()
    query = "{ devicePrompt { id itemName } }"
    assert gql("beta", token=beta_device)(query)["data"]["devicePrompt"] is None
    assert gql("alpha", token=alpha_device)(query)["data"]["devicePrompt"] == {"id": prompt.pk, "itemName": "测试事项1"}
    assert gql("beta", token=alpha_device).post(query).status_code == 401


def test_rating_request_state_of_a_beta_prompt_is_unknown_on_alpha(gql):
    for slug in ("alpha", "beta"):
        _device(slug)
        _clerk(slug)
    with schema_context("beta"):
        _completed_case("BETA-RS-1")
    connection.set_schema_to_public()
    beta_prompt = gql("beta", "staff")('mutation { requestRating(caseNumber: "BETA-RS-1") { promptId errors { code } } }')
    prompt_id = beta_prompt["data"]["requestRating"]["promptId"]
    assert prompt_id
    query = f"{{ ratingRequestState(promptId: {prompt_id}) }}"
    assert gql("alpha", "staff")(query)["data"]["ratingRequestState"] is None
    assert gql("beta", "staff")(query)["data"]["ratingRequestState"] == "PENDING"  # positive control


def test_my_results_are_the_hosts_staff_members_own(gql):
    for slug in ("alpha", "beta"):
        _clerk(slug)
    with schema_context("alpha"):
        _rated_case("ALPHA-MR-1", "x", grade=3, staff=org_models.Staff.objects.get(employee_no="E001"))
    connection.set_schema_to_public()
    query = "{ myResults { grade channel } }"
    assert gql("alpha", "staff")(query)["data"]["myResults"] == [{"grade": 3, "channel": "MOBILE_APP"}]
    assert gql("beta", "staff")(query)["data"]["myResults"] == []


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


# Positive controls on alpha for fields the tenant admin cannot call or that take arguments.
ALPHA_CONTROLS = {
    "devicePrompt": ("{ devicePrompt { __typename } }", "device"),
    "myResults": ("{ myResults { __typename } }", "staff"),
    "ratingRequestState": ("{ ratingRequestState(promptId: 1) }", "staff"),
    "rectification": ('{ rectification(id: "x") { __typename } }', "viewer"),
    "hallBoard": ('{ hallBoard(hallCode: "H01") { __typename } }', "viewer"),
    "boardAlerts": ('{ boardAlerts(hallCode: "H01") { __typename } }', "viewer"),
    "evaluationStats": ('{ evaluationStats(start: "2026-11-01", end: "2026-11-02") { __typename } }', "viewer"),
    "serviceMetrics": ('{ serviceMetrics(start: "2026-11-01", end: "2026-11-02") { __typename } }', "viewer"),
    "coverageReport": ('{ coverageReport(start: "2026-11-01", end: "2026-11-02") { __typename } }', "viewer"),
    "improvementCases": ("{ improvementCases { __typename } }", "viewer"),
    "surveyResults": ('{ surveyResults(id: "x") { __typename } }', "viewer"),
    "commendationList": ('{ commendationList(start: "2026-11-01", end: "2026-11-02") { __typename } }', "viewer"),
    "accountabilityList": ('{ accountabilityList(start: "2026-11-01", end: "2026-11-02") { __typename } }', "viewer"),
    "publicComment": ('{ publicComment(id: "x") { __typename } }', "viewer"),
}


@pytest.mark.parametrize("field", TENANT_ONLY_FIELDS)
def test_public_host_does_not_serve_tenant_fields(gql, field):
    query = f"{{ {field} {{ __typename }} }}"
    body = gql("public", "county_admin")(query, expect_errors=True)
    assert body.get("data") is None
    assert f"Cannot query field '{field}' on type 'Query'" in body["errors"][0]["message"]
    control, caller = ALPHA_CONTROLS.get(field, (query, "tenant_admin"))
    client = gql("alpha", token=_device("alpha")) if caller == "device" else gql("alpha", caller)
    assert "errors" not in client(control)  # positive control


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



# --------------------------------------------------------------------------------------------- rectifications

RECT_PK = 901  # the same explicit primary key in both tenants (sequences are not rolled back)
RP = f"{ERRORS} rectification {{ id state version }}"
# mutation → (document with $id, state the case is in, caller, evidence present, extension requested, payload)
RECTIFICATION_MUTATIONS = {
    "assignRectificationHandler": (
        f"mutation($id: ID!, $h: ID!){{ assignRectificationHandler(id:$id, version:0, handlerId:$h) {{ {RP} }} }}",
        "OPEN", "tenant_admin", False, False, "rectification"),
    "recordFollowUp": (f"mutation($id: ID!){{ recordFollowUp(id:$id, version:0, method:PHONE, raterSaid:\"等太久\") {{ {RP} }} }}",
                       "OPEN", "handler", False, False, "rectification"),
    "fixRectificationNow": (f"mutation($id: ID!){{ fixRectificationNow(id:$id, version:0, feedback:\"已整改\") {{ {RP} }} }}",
                            "VERIFYING", "handler", True, False, "rectification"),
    "openRectificationLedger": (
        f"mutation($id: ID!){{ openRectificationLedger(id:$id, version:0, plan:\"增设导办\") {{ {RP} }} }}",
        "VERIFYING", "handler", False, False, "rectification"),
    "addLedgerProgress": (f"mutation($id: ID!){{ addLedgerProgress(id:$id, version:0, note:\"已培训\") {{ {RP} }} }}",
                          "LEDGER", "handler", False, False, "rectification"),
    "closeRectificationLedger": (
        f"mutation($id: ID!){{ closeRectificationLedger(id:$id, version:0, feedback:\"已完成\") {{ {RP} }} }}",
        "LEDGER", "handler", True, False, "rectification"),
    "explainRectification": (f"mutation($id: ID!){{ explainRectification(id:$id, version:0, feedback:\"已解释\") {{ {RP} }} }}",
                             "VERIFYING", "handler", False, False, "rectification"),
    "requestRejection": (
        f"mutation($id: ID!){{ requestRejection(id:$id, version:0, kind:REJECTED_MISTAKEN, reason:\"误点\") {{ {RP} }} }}",
        "VERIFYING", "handler", False, False, "rectification"),
    "decideRejection": (f"mutation($id: ID!){{ decideRejection(id:$id, version:0, approve:true) {{ {RP} }} }}",
                        "REJECTION_PENDING", "agency", False, False, "rectification"),
    "requestExtension": (f"mutation($id: ID!){{ requestExtension(id:$id, version:0, days:5, reason:\"协调\") {{ {RP} }} }}",
                         "VERIFYING", "handler", False, False, "rectification"),
    "decideExtension": (f"mutation($id: ID!){{ decideExtension(id:$id, version:0, approve:true) {{ {RP} }} }}",
                        "VERIFYING", "agency", False, True, "rectification"),
    "pauseRectification": (f"mutation($id: ID!){{ pauseRectification(id:$id, version:0, reason:\"等材料\") {{ {RP} }} }}",
                           "VERIFYING", "handler", False, False, "rectification"),
    "resumeRectification": (f"mutation($id: ID!){{ resumeRectification(id:$id, version:0) {{ {RP} }} }}",
                            "VERIFYING+PAUSED", "handler", False, False, "rectification"),
    "revealRaterContact": (f"mutation($id: ID!){{ revealRaterContact(id:$id) {{ {ERRORS} contact {{ name phone }} }} }}",
                           "OPEN", "handler", False, False, "contact"),
    "uploadEvidence": (f"mutation($id: ID!, $file: Upload!){{ uploadEvidence(id:$id, file:$file) {{ {ERRORS} evidence {{ size }} }} }}",
                       "VERIFYING", "handler", False, False, "evidence"),
}


def _same_pk_rectifications(state: str, evidence: bool, extension: bool) -> None:
    from django.utils import timezone

    from haochaping.accounts.models import User
    from haochaping.rectification.models import Evidence
    from tenants.models import Tenant

    now = timezone.now()
    state, _, paused = state.partition("+")  # "VERIFYING+PAUSED": the clock is paused
    for slug in ("alpha", "beta"):
        with schema_context(slug):
            unit = Tenant.objects.get(schema_name=slug)
            r = Rectification.objects.create(paused_at=now if paused else None,
                pk=RECT_PK, rating_unit=unit, source_evaluation_id=RECT_PK, owner_unit=unit, grade=1, channel="WEB",
                rater_name=f"{slug}评价人", rater_phone="13812345678", rated_at=now, state=state,
                rejection_kind="REJECTED_MISTAKEN" if state == "REJECTION_PENDING" else "",
                extension_requested_days=3 if extension else None, follow_up_due=now, due=now)
            if evidence:
                Evidence.objects.create(rectification=r, file=f"tenants/{slug}/x.png", stored_name="x.png",
                                        original_name="x.png", content_type="image/png", size=8,
                                        uploaded_by=User.objects.get(username="handler"))
    connection.set_schema_to_public()


def _user_id(slug: str, username: str) -> str:
    from haochaping.accounts.models import User

    with schema_context(slug):
        return gid("User", slug, User.objects.get(username=username).pk)


def _call(client, mutation: str, query: str, variables: dict) -> dict:
    if mutation != "uploadEvidence":
        return client(query, variables)
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile

    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8
    response = client.client.post("/graphql/", data={
        "operations": json.dumps({"query": query, "variables": {**variables, "file": None}}),
        "map": json.dumps({"0": ["variables.file"]}), "0": SimpleUploadedFile("x.png", png, content_type="image/png")},
        HTTP_HOST=client.host)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize("mutation", sorted(RECTIFICATION_MUTATIONS))
def test_rectification_mutations_with_beta_ids_find_nothing(gql, mutation):
    query, state, role, evidence, extension, payload = RECTIFICATION_MUTATIONS[mutation]
    _same_pk_rectifications(state, evidence, extension)
    client = gql("alpha", role)
    extra = {"h": _user_id("alpha", "handler")} if "$h" in query else {}
    before = snapshot_all()
    _assert_not_found(_call(client, mutation, query, {"id": gid("Rectification", "beta", RECT_PK), **extra}),
                      mutation, payload, "id")
    assert snapshot_all() == before, "a refused mutation changed a row"
    if "$h" in query:  # a beta user as the handler is not found either
        _assert_not_found(client(query, {"id": gid("Rectification", "alpha", RECT_PK), "h": _user_id("beta", "handler")}),
                          mutation, payload, "handlerId")
        assert snapshot_all() == before
    # Positive control: alpha's own id works and leaves beta alone.
    result = _call(client, mutation, query, {"id": gid("Rectification", "alpha", RECT_PK), **extra})["data"][mutation]
    assert result["errors"] == [] and result[payload], result
    assert_only_schema(result, "alpha")
    after = snapshot_all()
    assert after["alpha"] != before["alpha"]
    assert after["beta"] == before["beta"]
    if mutation == "revealRaterContact":
        assert result["contact"]["name"] == "alpha评价人"
    if mutation == "uploadEvidence":
        from haochaping.rectification.models import Evidence

        with schema_context("alpha"):
            for stored in Evidence.objects.all():
                stored.file.delete(save=False)


def test_rectification_by_beta_id_is_not_found_on_alpha(gql):
    _same_pk_rectifications("OPEN", False, False)
    query = "query($id: ID!){ rectification(id:$id) { id raterName ownerUnit { slug } } }"
    alpha = gql("alpha", "viewer")
    assert alpha(query, {"id": gid("Rectification", "beta", RECT_PK)})["data"]["rectification"] is None
    assert alpha(query, {"id": gid("Window", "alpha", RECT_PK)})["data"]["rectification"] is None
    own = alpha(query, {"id": gid("Rectification", "alpha", RECT_PK)})["data"]["rectification"]
    assert own["id"] == gid("Rectification", "alpha", RECT_PK) and own["ownerUnit"] == {"slug": "alpha"}
    assert_only_schema(own, "alpha")
    beta = gql("beta", "viewer")(query, {"id": gid("Rectification", "beta", RECT_PK)})["data"]["rectification"]
    assert beta["ownerUnit"] == {"slug": "beta"}  # positive control


# --------------------------------------------------------------------------------------------- county supervision

INSTRUCTION_PK = 9101  # explicit primary keys in the (shared) public table


def _instructions() -> dict[str, int]:
    """One county instruction to each of alpha and beta, about the case with the same primary key in each."""
    from haochaping.supervision.models import SupervisionInstruction
    from tenants.models import Tenant

    _same_pk_rectifications("OPEN", False, False)
    pks = {}
    with schema_context("public"):
        for offset, slug in enumerate(("alpha", "beta")):
            pks[slug] = SupervisionInstruction.objects.create(
                pk=INSTRUCTION_PK + offset, tenant=Tenant.objects.get(schema_name=slug), rectification_id=RECT_PK,
                text=f"{slug}督办意见", issued_by="县级：测试").pk
    connection.set_schema_to_public()
    return pks


INSTRUCTIONS = "{ supervisionInstructions { id rectificationId text tenant { slug name } } }"
ACK = (f"mutation($id: ID!){{ acknowledgeSupervisionInstruction(id:$id) {{ {ERRORS} "
       "instruction { id acknowledgedAt acknowledgedBy } } }")


def test_supervision_instructions_are_the_hosts_own(gql):
    pks = _instructions()
    for slug in ("alpha", "beta"):
        data = gql(slug, "viewer")(INSTRUCTIONS)["data"]
        assert data["supervisionInstructions"] == [{
            "id": gid("SupervisionInstruction", slug, pks[slug]), "rectificationId": gid("Rectification", slug, RECT_PK),
            "text": f"{slug}督办意见", "tenant": {"slug": slug, "name": {"alpha": "甲镇", "beta": "乙镇"}[slug]}}]
        assert_only_schema(data, slug)


def test_acknowledging_betas_instruction_on_alpha_finds_nothing(gql):
    from haochaping.supervision.models import SupervisionInstruction

    pks = _instructions()
    alpha = gql("alpha", "tenant_admin")
    before = snapshot_all()
    # beta's id, and an alpha-minted id naming beta's instruction by primary key: neither is alpha's.
    for node_id in (gid("SupervisionInstruction", "beta", pks["beta"]), gid("SupervisionInstruction", "alpha", pks["beta"])):
        _assert_not_found(alpha(ACK, {"id": node_id}), "acknowledgeSupervisionInstruction", "instruction", "id")
    assert snapshot_all() == before
    # Positive control: alpha's own instruction.
    result = alpha(ACK, {"id": gid("SupervisionInstruction", "alpha", pks["alpha"])})["data"]["acknowledgeSupervisionInstruction"]
    assert result["errors"] == [] and result["instruction"]["acknowledgedAt"]
    assert_only_schema(result, "alpha")
    assert SupervisionInstruction.objects.get(pk=pks["beta"]).acknowledged_at is None
    with schema_context("beta"):
        assert not Rectification.objects.get(pk=RECT_PK).events.exists()


def test_circulars_are_those_addressed_to_the_host(gql):
    from haochaping.supervision.models import Circular
    from tenants.models import Tenant

    with schema_context("public"):
        to_alpha = Circular.objects.create(title="致甲镇的通报", body="内容", issued_by="县级：测试")
        to_alpha.tenants.set([Tenant.objects.get(schema_name="alpha")])
        to_beta = Circular.objects.create(title="致乙镇的通报", body="内容", issued_by="县级：测试")
        to_beta.tenants.set([Tenant.objects.get(schema_name="beta")])
        Circular.objects.create(title="全县通报", body="内容", issued_by="县级：测试")
    connection.set_schema_to_public()
    query = "{ circulars { id title addressedToAll } }"
    for slug, own in (("alpha", "致甲镇的通报"), ("beta", "致乙镇的通报")):
        data = gql(slug, "viewer")(query)["data"]
        assert sorted((c["title"], c["addressedToAll"]) for c in data["circulars"]) == [("全县通报", True), (own, False)]
        assert_only_schema(data, slug)


def test_complaint_naming_a_beta_case_number_finds_nothing_on_alpha(gql):
    from datetime import timedelta

    from django.utils import timezone

    from haochaping.evaluations.cases import CaseInput, upsert_case

    now = timezone.now()
    with schema_context("beta"):
        upsert_case(CaseInput(case_number="BETA-CMP-1", item_code="TEST-001", applicant_kind="INDIVIDUAL",
                              applicant_name="孙八", status="COMPLETED", accepted_at=now - timedelta(hours=2),
                              completed_at=now - timedelta(hours=1)))
    connection.set_schema_to_public()
    handler = gql("alpha", "handler")  # signing in touches last_login: before the snapshot
    before = snapshot_all()
    body = handler("""mutation { fileComplaint(text: "投诉", channel: "WEB", caseNumber: "BETA-CMP-1") {
        state errors { code field } } }""")["data"]["fileComplaint"]
    assert body == {"state": None, "errors": [{"code": "UNKNOWN_CASE", "field": "caseNumber"}]}
    assert snapshot_all() == before
