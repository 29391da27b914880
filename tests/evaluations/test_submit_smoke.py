from django_tenants.utils import schema_context

from haochaping.evaluations.models import Evaluation
from haochaping.rectification.models import Rectification

UPSERT = """mutation($input: ServiceCaseInput!) { upsertServiceCase(input: $input) {
  created case { caseNumber status applicantName applicantPhone handlingUnit { slug } } errors { code message } } }"""
SUBMIT = """mutation($input: SubmitEvaluationInput!) { submitEvaluation(input: $input) {
  replayed evaluation { id grade isBad isRealName receiptCode rectification { state ownerUnit { slug } } }
  errors { code message messageEn field } } }"""


def test_system_pushes_case_then_bad_online_rating_opens_rectification(gql, system_token):
    system = gql("alpha", token=system_token("alpha", ["cases:write", "evaluations:write"]))
    case = {"caseNumber": "CG-2026-0001", "itemCode": "TEST-001", "applicantKind": "INDIVIDUAL",
            "applicantName": "王小明", "applicantPhone": "13800138000", "status": "COMPLETED",
            "acceptedAt": "2026-11-20T09:00:00+08:00", "completedAt": "2026-11-25T10:00:00+08:00"}
    body = system(UPSERT, {"input": case})["data"]["upsertServiceCase"]
    assert body["errors"] == [] and body["created"] is True
    assert body["case"]["applicantName"] == "王**" and body["case"]["applicantPhone"] == "138****8000"
    again = system(UPSERT, {"input": case})["data"]["upsertServiceCase"]
    assert again["created"] is False

    rating = {"grade": 2, "channel": "MOBILE_APP", "caseNumber": "CG-2026-0001", "idempotencyKey": "k-1",
              "comment": "材料要求太多", "answers": {"materials_streamlined": "否"}}
    first = system(SUBMIT, {"input": rating})["data"]["submitEvaluation"]
    assert first["errors"] == []
    assert first["evaluation"]["isBad"] is True and first["evaluation"]["isRealName"] is True
    assert first["evaluation"]["rectification"] == {"state": "OPEN", "ownerUnit": {"slug": "alpha"}}
    replay = system(SUBMIT, {"input": rating})["data"]["submitEvaluation"]
    assert replay["replayed"] is True and replay["evaluation"]["id"] == first["evaluation"]["id"]
    other = system(SUBMIT, {"input": dict(rating, idempotencyKey="k-2")})["data"]["submitEvaluation"]
    assert [e["code"] for e in other["errors"]] == ["ALREADY_RATED"]
    with schema_context("alpha"):
        assert Evaluation.objects.filter(case__case_number="CG-2026-0001").count() == 1
        rectifications = Rectification.objects.filter(case_number="CG-2026-0001")
        assert rectifications.count() == 1 and rectifications.get().evaluation.case.case_number == "CG-2026-0001"
