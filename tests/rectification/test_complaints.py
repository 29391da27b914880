"""投诉 opens a rectification just like a bad review: same clocks, owner = the unit that handled the case."""
from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from haochaping.evaluations.cases import CaseInput, upsert_case
from haochaping.rectification.models import Rectification, RectificationEvent
from haochaping.workcalendar.services import WorkingCalendar

FILE = """mutation($t: String!, $c: String!, $n: String, $p: String!, $name: String!) {
  fileComplaint(text: $t, channel: $c, caseNumber: $n, complainantPhone: $p, complainantName: $name) {
    state due ownerUnit { slug } errors { code message messageEn field } } }"""


def _case(number: str, handling: str | None = None) -> None:
    now = timezone.now()
    with schema_context("alpha"):
        upsert_case(CaseInput(case_number=number, item_code="TEST-001", applicant_kind="INDIVIDUAL",
                              applicant_name="钱七", status="COMPLETED", accepted_at=now - timedelta(hours=2),
                              completed_at=now - timedelta(hours=1), handling_unit=handling))


def test_a_complaint_opens_a_rectification_with_the_same_clocks(gql):
    _case("CMP-0001")
    body = gql("alpha", "handler")(FILE, {"t": "窗口人员推诿，要求跑三次", "c": "HOTLINE", "n": "CMP-0001",
                                          "p": "13812345678", "name": "钱七"})["data"]["fileComplaint"]
    assert body["errors"] == [] and body["state"] == "OPEN" and body["ownerUnit"] == {"slug": "alpha"}
    with schema_context("alpha"):
        r = Rectification.objects.get(case_number="CMP-0001")
        assert (r.source, r.grade, r.source_evaluation_id, r.is_real_name) == ("COMPLAINT", None, None, True)
        calendar = WorkingCalendar.load()
        assert r.due == calendar.deadline(r.rated_at, 15) and r.follow_up_due == calendar.deadline(r.rated_at, 1)
        assert list(RectificationEvent.objects.filter(rectification=r).values_list("action", flat=True)) == ["COMPLAINT_OPENED"]


def test_a_complaint_about_a_case_handled_elsewhere_is_handed_off(gql):
    _case("CMP-0002", handling="beta")
    body = gql("alpha", "tenant_admin")(FILE, {"t": "材料被要求重复提交", "c": "WINDOW", "n": "CMP-0002", "p": "",
                                               "name": ""})["data"]["fileComplaint"]
    assert body["errors"] == [] and body["ownerUnit"] == {"slug": "beta"}
    with schema_context("alpha"):
        assert not Rectification.objects.filter(case_number="CMP-0002").exists()
    with schema_context("beta"):
        r = Rectification.objects.get(case_number="CMP-0002")
        assert r.source == "COMPLAINT" and r.rating_unit.schema_name == "alpha" and not r.is_real_name


def test_bad_complaints_are_refused_and_change_nothing(gql):
    client = gql("alpha", "handler")
    with schema_context("alpha"):
        before = Rectification.objects.count()
    for variables, code in (({"t": " ", "c": "HOTLINE"}, "REQUIRED"), ({"t": "内容", "c": "FAX"}, "INVALID_CHANNEL"),
                            ({"t": "内容", "c": "WEB", "n": "NO-SUCH-CASE"}, "UNKNOWN_CASE"),
                            ({"t": "内容", "c": "WEB", "p": "12345"}, "INVALID_PHONE")):
        body = client(FILE, {"n": None, "p": "", "name": "", **variables})["data"]["fileComplaint"]
        assert [e["code"] for e in body["errors"]] == [code] and body["state"] is None
        assert body["errors"][0]["message"] and body["errors"][0]["messageEn"]
    with schema_context("alpha"):
        assert Rectification.objects.count() == before
    denied = gql("alpha", "viewer")(FILE, {"t": "内容", "c": "WEB", "n": None, "p": "", "name": ""}, expect_errors=True)
    assert denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
