"""Analytics over GraphQL: the tenant's own stats, metrics and coverage; the county's public rankings."""
from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from boards.conftest import rate
from haochaping.analytics.fold import fold_batch
from tenants.models import Tenant
from conftest import public_count

pytestmark = pytest.mark.django_db
ERRORS = "errors { code field }"
STATS = ("query($s: Date!, $e: Date!, $w: ID) { evaluationStats(start: $s, end: $e, windowId: $w) "
         f"{{ stats {{ counted excluded satisfactionRate averageGrade byGrade {{ grade count }} }} {ERRORS} }} }}")


def gid(type_name: str, schema: str, pk: int = 1) -> str:
    import base64

    return base64.b64encode(f"{type_name}:{schema}:{pk}".encode()).decode()


def fold(slug: str, *grades: int) -> None:
    with schema_context(slug):
        for grade in grades:
            rate(slug, grade)
        fold_batch()
    connection.set_schema_to_public()


def test_stats_are_the_hosts_own_and_filter_by_window(gql, alpha, beta):
    fold("alpha", 5, 5, 1)
    fold("beta", 2)
    today = timezone.localdate().isoformat()
    client = gql("alpha", "viewer")
    stats = client(STATS, {"s": today, "e": today})["data"]["evaluationStats"]
    assert stats["errors"] == [] and stats["stats"]["counted"] == 3
    assert abs(stats["stats"]["satisfactionRate"] - 2 / 3) < 1e-9
    by_window = client(STATS, {"s": today, "e": today, "w": gid("Window", "alpha")})["data"]["evaluationStats"]
    assert by_window["stats"]["counted"] == 3
    foreign = client(STATS, {"s": today, "e": today, "w": gid("Window", "beta")})["data"]["evaluationStats"]
    assert foreign == {"stats": None, "errors": [{"code": "NOT_FOUND", "field": "windowId"}]}
    backwards = client(STATS, {"s": today, "e": "2020-01-01"})["data"]["evaluationStats"]
    assert backwards["errors"] == [{"code": "INVALID_PERIOD", "field": "end"}]


def test_service_metrics_and_coverage_for_readers(gql, alpha):
    today = timezone.localdate().isoformat()
    body = gql("alpha", "agency")(
        "query($s: Date!) { serviceMetrics(start: $s, end: $s) { metrics { completedCases ratingRate } errors { code } } "
        "coverageReport(start: $s, end: $s) { report { fullyCovered totals { kind total gaps } "
        "gaps { kind code problems { code message messageEn } } } errors { code } } }", {"s": today})["data"]
    assert body["serviceMetrics"]["metrics"] == {"completedCases": 0, "ratingRate": None}
    report = body["coverageReport"]["report"]
    assert report["fullyCovered"] is False
    window = next(g for g in report["gaps"] if g["kind"] == "WINDOW")
    assert window["code"] == "H01/W01" and window["problems"][0]["code"] == "NOT_RATED"
    assert window["problems"][0]["message"] and window["problems"][0]["messageEn"]
    denied = gql("alpha", "staff").post("{ coverageReport(start: \"2026-11-01\", end: \"2026-11-02\") { errors { code } } }")
    assert denied.json()["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


def test_public_rankings_on_the_platform_host(gql, alpha, beta):
    for slug, n in (("alpha", 8), ("beta", 2)):
        public_count(Tenant.objects.get(schema_name=slug), date(2026, 11, 3), channel="WEB", grade=5, n=n)
    rows = gql("public")('{ rankings(level: TENANT, start: "2026-11-01", end: "2026-11-30") '
                         "{ rows { rank name ratings satisfactionRate } errors { code } } }")["data"]["rankings"]["rows"]
    assert rows == [{"rank": 1, "name": "甲镇", "ratings": 8, "satisfactionRate": 1.0},
                    {"rank": None, "name": "乙镇", "ratings": 2, "satisfactionRate": None}]
    coverage = gql("public", "county_admin")('{ countyCoverage(start: "2026-11-01", end: "2026-11-30") { slug report { fullyCovered } } }')
    assert {"alpha", "beta"} <= {row["slug"] for row in coverage["data"]["countyCoverage"]}


def _improvement(slug: str) -> str:
    from haochaping.analytics.models import ImprovementCase

    now = timezone.now()
    with schema_context(slug):
        case = ImprovementCase.objects.create(subject_kind="WINDOW", subject_id=1, subject_name=f"{slug}综合窗口",
                                              topic="waiting", review_count=3, evaluation_ids=[], period_days=30,
                                              opened_at=now, due=now + timezone.timedelta(days=20))
    connection.set_schema_to_public()
    return gid("ImprovementCase", slug, case.pk)


CLOSE = ("mutation($id: ID!, $o: String!) { closeImprovementCase(id: $id, outcome: $o) "
         f"{{ case {{ id state outcome }} {ERRORS} }} }}")


def test_improvement_cases_are_the_hosts_own(gql, alpha, beta):
    alpha_id, beta_id = _improvement("alpha"), _improvement("beta")
    listed = gql("alpha", "viewer")("{ improvementCases { id subjectName topicLabel state } }")["data"]["improvementCases"]
    assert [(c["id"], c["subjectName"], c["state"]) for c in listed] == [(alpha_id, "alpha综合窗口", "OPEN")]
    refused = gql("alpha", "agency")(CLOSE, {"id": beta_id, "o": "已增开窗口"})["data"]["closeImprovementCase"]
    assert refused == {"case": None, "errors": [{"code": "NOT_FOUND", "field": "id"}]}
    with schema_context("beta"):
        from haochaping.analytics.models import ImprovementCase

        assert ImprovementCase.objects.get().state == "OPEN"
    connection.set_schema_to_public()
    done = gql("alpha", "agency")(CLOSE, {"id": alpha_id, "o": "已增开窗口"})["data"]["closeImprovementCase"]
    assert done["errors"] == [] and done["case"]["state"] == "CLOSED"
    from haochaping.disclosure.models import PublishedImprovement

    assert list(PublishedImprovement.objects.values_list("tenant__schema_name", "outcome")) == [("alpha", "已增开窗口")]


def test_lists_are_the_hosts_own(gql, alpha, beta):
    fold("alpha", 1, 2, 1)
    fold("beta", 1, 1, 1, 1)
    today = timezone.localdate().isoformat()
    query = ("query($s: Date!) { accountabilityList(start: $s, end: $s) { parties { kind code name bad reasons } errors { code } } "
             "commendationList(start: $s, end: $s) { parties { code } errors { code } } }")
    data = gql("alpha", "agency")(query, {"s": today})["data"]
    parties = {(p["kind"], p["code"]): p for p in data["accountabilityList"]["parties"]}
    assert parties[("WINDOW", "H01/W01")]["bad"] == 3 and parties[("WINDOW", "H01/W01")]["name"].startswith("alpha")
    assert parties[("STAFF", "E001")]["name"] == "alpha员工"
    assert data["commendationList"] == {"parties": [], "errors": []}
