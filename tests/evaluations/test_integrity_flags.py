"""Suspicious patterns are flagged for the county agency, never silently dropped."""
from django_tenants.utils import schema_context

from haochaping.evaluations.models import Evaluation
from haochaping.evaluations.policy import update_policy
from haochaping.evaluations.submission import window_qr_token
from haochaping.integrity.models import SuspicionFlag
from haochaping.organizations.models import Window

SUBMIT = """mutation($i: SubmitEvaluationInput!) { submitEvaluation(input: $i) { evaluation { id } errors { code } } }"""
FLAGS = """{ suspicionFlags { totalCount edges { node { id kind detail evaluationIds tenant { slug } } } } }"""


def _qr():
    with schema_context("alpha"):
        return window_qr_token(Window.objects.get(code="W01"))


def test_same_comment_twice_is_flagged_and_both_ratings_kept(gql):
    anonymous, token = gql("alpha"), _qr()
    for n in range(2):
        body = anonymous(SUBMIT, {"i": {"grade": 1, "channel": "QR_CODE", "windowToken": token,
                                        "comment": "工作人员态度非常恶劣，必须处理"}})
        assert body["data"]["submitEvaluation"]["errors"] == []
    with schema_context("alpha"):
        stored = set(Evaluation.objects.filter(comment="工作人员态度非常恶劣，必须处理").values_list("pk", flat=True))
    assert len(stored) == 2
    flags = list(SuspicionFlag.objects.filter(kind="DUPLICATE_CONTENT", tenant__schema_name="alpha"))
    assert len(flags) == 1 and set(flags[0].evaluation_ids) == stored


def test_rate_limited_source_is_flagged_once_and_listed_for_the_county(gql):
    with schema_context("alpha"):
        update_policy(ip_max_per_hour=2)
    anonymous, token = gql("alpha"), _qr()
    codes = [anonymous(SUBMIT, {"i": {"grade": 5, "channel": "QR_CODE", "windowToken": token}})
             ["data"]["submitEvaluation"]["errors"] for _ in range(4)]
    assert codes[:2] == [[], []] and codes[2:] == [[{"code": "TOO_MANY_ATTEMPTS"}]] * 2
    assert SuspicionFlag.objects.filter(kind="RATE_LIMITED", tenant__schema_name="alpha").count() == 1
    listed = gql("public", "COUNTY_SUPERVISOR")(FLAGS)["data"]["suspicionFlags"]
    assert [(e["node"]["kind"], e["node"]["tenant"]["slug"]) for e in listed["edges"]] == [("RATE_LIMITED", "alpha")]
    denied = gql("public")(FLAGS, expect_errors=True)
    assert denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    review = gql("public", "COUNTY_SUPERVISOR")(
        """mutation($id: ID!) { reviewSuspicionFlag(id: $id) { flag { reviewedAt } errors { code } } }""",
        {"id": listed["edges"][0]["node"]["id"]})["data"]["reviewSuspicionFlag"]
    assert review["errors"] == [] and review["flag"]["reviewedAt"]
    assert gql("public", "COUNTY_SUPERVISOR")(FLAGS)["data"]["suspicionFlags"]["totalCount"] == 0
