"""Professional assessments (专业评估): validated submission through the evaluator's grant, findings that open improvement
cases in the subject tenant, checked attachments, and publication on the portal only after the county approves."""
from __future__ import annotations

import base64

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django_tenants.utils import schema_context

from haochaping.analytics.models import ImprovementCase
from haochaping.assessments.models import Assessment, AssessmentAttachment, AssessmentFinding, EvaluatorQuery

from tests.assessments.assessment_support import make_grant, multipart  # noqa: F401 - make_grant is a fixture

SUBMIT = ("mutation($input: SubmitAssessmentInput!) { submitAssessment(input: $input) {"
          " assessment { id state title tenants { slug } scores { dimension label score }"
          " findings { tenant { slug } subjectName dimension description } }"
          " errors { code message messageEn field } } }")
UPLOAD = ("mutation($id: ID!, $file: Upload!) { uploadAssessmentAttachment(id: $id, file: $file) {"
          " attachment { id name size contentType } errors { code message messageEn field } } }")
DECIDE = ("mutation($id: ID!, $approve: Boolean!) { decideAssessment(id: $id, approve: $approve) {"
          " assessment { state } errors { code field } } }")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def report(**changes) -> dict:
    base = {"title": "2026年上半年政务服务第三方评估报告", "periodStart": "2026-01-01", "periodEnd": "2026-06-30",
            "tenants": ["alpha", "beta"], "summary": "总体良好。",
            "scores": [{"dimension": "guidance", "score": 88}, {"dimension": "waiting", "score": 72.5},
                       {"dimension": "overall", "score": 84}],
            "findings": [{"tenant": "beta", "subjectKind": "WINDOW", "subjectCode": "H01/W01", "dimension": "waiting",
                          "description": "高峰期排队超过40分钟，联系人张先生13812345678反映"},
                         {"tenant": "alpha", "subjectKind": "ITEM", "subjectCode": "TEST-001", "dimension": "guidance",
                          "description": "办事指南材料清单与窗口要求不一致"}]}
    base.update(changes)
    return base


def cases(slug: str) -> list[tuple]:
    with schema_context(slug):
        rows = list(ImprovementCase.objects.order_by("pk").values_list("subject_kind", "subject_name", "topic", "state"))
    connection.set_schema_to_public()
    return rows


def state() -> tuple:
    return (Assessment.objects.count(), AssessmentFinding.objects.count(), AssessmentAttachment.objects.count(),
            cases("alpha"), cases("beta"))


def _submit(gql, secret, data=None):
    return gql("public", token=secret)(SUBMIT, {"input": data or report()})["data"]["submitAssessment"]


def test_findings_open_improvement_cases_in_the_subject_tenant(gql, make_grant):
    grant, secret = make_grant(["alpha", "beta"])
    result = _submit(gql, secret)
    assert result["errors"] == []
    a = result["assessment"]
    assert a["state"] == "SUBMITTED" and [t["slug"] for t in a["tenants"]] == ["alpha", "beta"]
    assert a["scores"] == [{"dimension": "guidance", "label": "办事指南", "score": 88.0},
                           {"dimension": "waiting", "label": "等候时间", "score": 72.5},
                           {"dimension": "overall", "label": "总体评价", "score": 84.0}]
    assert cases("beta") == [("WINDOW", "beta便民服务中心 beta综合窗口", "waiting", "OPEN")]
    assert cases("alpha") == [("ITEM", "测试事项1", "guidance", "OPEN")]
    # Personal data in a finding is redacted before it is stored (it is published with the report).
    beta_finding = AssessmentFinding.objects.get(tenant__schema_name="beta")
    assert "13812345678" not in beta_finding.description and "张先生" not in beta_finding.description
    with schema_context("beta"):
        assert ImprovementCase.objects.get().pk == beta_finding.improvement_case_id
    connection.set_schema_to_public()
    assert EvaluatorQuery.objects.filter(grant=grant, operation="submitAssessment", outcome="OK").count() == 1
    # The tenant sees the case among its improvement cases; the other tenant does not see it.
    listed = gql("beta", "tenant_admin")("{ improvementCases { subjectName topic state } }")["data"]["improvementCases"]
    assert listed == [{"subjectName": "beta便民服务中心 beta综合窗口", "topic": "waiting", "state": "OPEN"}]


def test_a_second_finding_on_an_open_subject_joins_its_case(gql, make_grant):
    _, secret = make_grant(["alpha", "beta"])
    _submit(gql, secret)
    _submit(gql, secret, report(title="复评"))
    assert len(cases("beta")) == 1 and len(cases("alpha")) == 1
    assert len(set(AssessmentFinding.objects.values_list("tenant_id", "improvement_case_id"))) == 2


NF = "NOT_FOUND"


@pytest.mark.parametrize("changes, expected", [
    ({"title": " "}, [("REQUIRED", "title")]),
    ({"title": "评" * 201}, [("TOO_LONG", "title")]),
    ({"periodStart": "2026-07-01"}, [("INVALID_PERIOD", "periodEnd")]),
    ({"periodEnd": "2099-01-01"}, [("INVALID_PERIOD", "periodEnd")]),
    ({"tenants": []}, [("REQUIRED", "tenants"), ("OUT_OF_SCOPE", "findings.0.tenant"), ("OUT_OF_SCOPE", "findings.1.tenant")]),
    ({"scores": [{"dimension": "overall", "score": 101}]}, [("INVALID_SCORE", "scores")]),
    ({"scores": [{"dimension": "overall", "score": -1}, {"dimension": "beauty", "score": 5}]},
     [("INVALID_SCORE", "scores"), ("INVALID_DIMENSION", "scores")]),
    ({"scores": [{"dimension": "guidance", "score": 80}]}, [("REQUIRED", "scores")]),
    ({"findings": [{"tenant": "alpha", "subjectKind": "ITEM", "subjectCode": "NOPE-1", "dimension": "guidance",
                    "description": "x"}]}, [(NF, "findings.0.subjectCode")]),
    ({"findings": [{"tenant": "alpha", "subjectKind": "WINDOW", "subjectCode": "H01/W99", "dimension": "weather",
                    "description": " "}]},
     [(NF, "findings.0.subjectCode"), ("INVALID_DIMENSION", "findings.0.dimension"), ("REQUIRED", "findings.0.description")]),
    ({"tenants": ["alpha"]}, [("OUT_OF_SCOPE", "findings.0.tenant")]),  # a finding about a tenant not covered
])
def test_bad_submissions_are_typed_errors_and_change_nothing(gql, make_grant, changes, expected):
    _, secret = make_grant(["alpha", "beta"])
    before = state()
    result = _submit(gql, secret, report(**changes))
    assert result["assessment"] is None
    assert sorted((e["code"], e["field"]) for e in result["errors"]) == sorted(expected)
    for error in result["errors"]:
        assert error["message"] != error["messageEn"] and error["messageEn"]
    assert state() == before


def test_a_report_cannot_cover_a_tenant_outside_the_grant(gql, make_grant):
    _, secret = make_grant(["alpha"])
    before = state()
    result = _submit(gql, secret)
    assert result["assessment"] is None
    assert ("OUT_OF_SCOPE", "tenants") in [(e["code"], e["field"]) for e in result["errors"]]
    assert state() == before


def test_only_evaluator_tokens_submit(gql, system_token):
    body = gql("public", "county_admin")(SUBMIT, {"input": report()}, expect_errors=True)
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    body = gql("public", token=system_token("public", ("read", "assessments:write")))(SUBMIT, {"input": report()},
                                                                                    expect_errors=True)
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


def _upload(gql, secret, assessment_id, name, content, content_type):
    client = gql("public", token=secret)
    return multipart(client.client, client.host, UPLOAD, {"id": assessment_id}, "file",
                     SimpleUploadedFile(name, content, content_type=content_type), secret)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def test_attachments_are_checked_and_download_only_once_published(gql, make_grant, media, client):
    _, secret = make_grant(["alpha", "beta"])
    assessment_id = _submit(gql, secret)["assessment"]["id"]
    pk = int(base64.b64decode(assessment_id).decode().rsplit(":", 1)[1])
    ok = _upload(gql, secret, assessment_id, "报告.pdf", PDF, "application/pdf").json()
    attachment = ok["data"]["uploadAssessmentAttachment"]
    assert attachment["errors"] == [] and attachment["attachment"]["size"] == len(PDF)
    assert _upload(gql, secret, assessment_id, "现场.png", PNG, "image/png").json()[
        "data"]["uploadAssessmentAttachment"]["errors"] == []
    before = AssessmentAttachment.objects.count()
    for name, content, kind, code in (("假.pdf", b"MZ\x90\x00 not a pdf", "application/pdf", "INVALID_FILE_TYPE"),
                                      ("a.exe", b"MZ\x90\x00", "application/octet-stream", "INVALID_FILE_TYPE"),
                                      ("big.pdf", PDF + b"0" * (10 * 1024 * 1024), "application/pdf", "FILE_TOO_LARGE")):
        result = _upload(gql, secret, assessment_id, name, content, kind).json()["data"]["uploadAssessmentAttachment"]
        assert result["attachment"] is None and [(e["code"], e["field"]) for e in result["errors"]] == [(code, "file")]
    assert AssessmentAttachment.objects.count() == before
    # Another evaluator organisation cannot attach to this report.
    _, other = make_grant(["alpha"], name="另一机构")
    result = _upload(gql, other, assessment_id, "x.pdf", PDF, "application/pdf").json()["data"]["uploadAssessmentAttachment"]
    assert [e["code"] for e in result["errors"]] == ["NOT_FOUND"]

    first = AssessmentAttachment.objects.filter(assessment_id=pk).order_by("pk").first()
    url = f"/assessments/{pk}/attachments/{first.pk}/"
    assert client.get(url, HTTP_HOST="localhost").status_code == 404
    assert client.get(f"/assessments/{pk}/", HTTP_HOST="localhost").status_code == 404
    assert gql("public", "county_admin")(DECIDE, {"id": assessment_id, "approve": True})[
        "data"]["decideAssessment"] == {"assessment": {"state": "PUBLISHED"}, "errors": []}
    response = client.get(url, HTTP_HOST="localhost")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    # No more attachments once reviewed.
    result = _upload(gql, secret, assessment_id, "late.pdf", PDF, "application/pdf").json()["data"]["uploadAssessmentAttachment"]
    assert [e["code"] for e in result["errors"]] == ["ALREADY_DECIDED"]
    # Attachments are public-host only.
    assert client.get(url, HTTP_HOST="alpha.localhost").status_code == 404


def test_publication_only_after_approval(gql, make_grant, client):
    _, secret = make_grant(["alpha", "beta"])
    published_id = _submit(gql, secret)["assessment"]["id"]
    refused_id = _submit(gql, secret, report(title="未获同意的报告"))["assessment"]["id"]
    page = client.get("/assessments/", HTTP_HOST="localhost").content.decode()
    assert "2026年上半年政务服务第三方评估报告" not in page and "未获同意的报告" not in page
    county = gql("public", "county_admin")
    assert county(DECIDE, {"id": refused_id, "approve": False})["data"]["decideAssessment"]["assessment"]["state"] == "REFUSED"
    assert county(DECIDE, {"id": published_id, "approve": True})["data"]["decideAssessment"]["errors"] == []
    again = county(DECIDE, {"id": published_id, "approve": False})["data"]["decideAssessment"]
    assert again == {"assessment": None, "errors": [{"code": "ALREADY_DECIDED", "field": "id"}]}
    page = client.get("/assessments/", HTTP_HOST="localhost").content.decode()
    assert "2026年上半年政务服务第三方评估报告" in page and "未获同意的报告" not in page and "84.0" in page
    pk = int(base64.b64decode(published_id).decode().rsplit(":", 1)[1])
    detail = client.get(f"/assessments/{pk}/", HTTP_HOST="localhost").content.decode()
    assert "高峰期排队超过40分钟" in detail and "13812345678" not in detail and "等候时间" in detail
    refused_pk = int(base64.b64decode(refused_id).decode().rsplit(":", 1)[1])
    assert client.get(f"/assessments/{refused_pk}/", HTTP_HOST="localhost").status_code == 404
    # The county sees both in its list; the evaluator sees its own.
    states = {a["title"]: a["state"] for a in county("{ assessments { title state } }")["data"]["assessments"]}
    assert states == {"2026年上半年政务服务第三方评估报告": "PUBLISHED", "未获同意的报告": "REFUSED"}
    mine = gql("public", token=secret)("{ myAssessments { title } }")["data"]["myAssessments"]
    assert len(mine) == 2


def test_a_report_cannot_speak_of_data_outside_the_grants_period(gql, make_grant):
    _, secret = make_grant(["alpha", "beta"])
    before = state()
    for changes, field in (({"periodStart": "2025-12-01"}, "periodStart"), ({"periodEnd": "2026-07-31"}, "periodEnd")):
        result = _submit(gql, secret, report(**changes))
        assert result["assessment"] is None
        assert [(e["code"], e["field"]) for e in result["errors"]] == [("OUT_OF_PERIOD", field)]
    assert state() == before  # no report, no finding, no improvement case
