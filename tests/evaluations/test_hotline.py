"""热线评价: an agent records a caller's rating (channel HOTLINE), entered on the caller's behalf; a typed phone
is not real-name; only entry roles may enter; a bad review opens its rectification."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from haochaping.accounts.models import User
from haochaping.core.errors import DomainError
from haochaping.evaluations.cases import CaseInput, upsert_case
from haochaping.evaluations.hotline import HotlineCall, record_hotline_rating
from haochaping.evaluations.models import Channel, Evaluation
from haochaping.organizations.models import Window
from haochaping.rectification.models import Rectification
from schema.core.nodes import global_id

pytestmark = pytest.mark.django_db


def user(username: str) -> User:
    return User.objects.get(username=username)


def window() -> Window:
    return Window.objects.get(code="W01")


def test_agent_records_a_rating_on_the_callers_behalf():
    with schema_context("alpha"):
        result = record_hotline_rating(HotlineCall(grade="4", window_id=window().pk, comment="接电话很耐心",
                                                   caller_phone="13800138000", answers={"guidance_clear": "是"}),
                                       user("handler"))
        evaluation = Evaluation.objects.get()
        assert result.evaluation == evaluation and not result.replayed
        assert evaluation.channel == Channel.HOTLINE and evaluation.grade == 4
        assert evaluation.entered_by == user("handler") and result.entered_on_behalf
        assert evaluation.window == window() and evaluation.staff.employee_no == "E001"
        assert evaluation.rater_phone == "13800138000"
        # A phone the agent typed is kept for the follow-up but is not real-name.
        assert evaluation.real_name_basis == Evaluation.RealNameBasis.NONE and not evaluation.is_real_name
        assert evaluation.answers == {"guidance_clear": "是"} and not evaluation.is_bad
        assert result.rectification is None


def test_a_bad_review_by_phone_opens_a_rectification():
    with schema_context("alpha"):
        result = record_hotline_rating(HotlineCall(grade=1, window_id=window().pk, comment="材料被退回三次"),
                                       user("agency"))
        assert result.evaluation.is_bad
        rectification = Rectification.objects.get()
        assert rectification.evaluation == result.evaluation
        assert rectification.owner_unit.schema_name == "alpha" and rectification.state == "OPEN"
        # The result carries the rating side's summary of it.
        summary = result.rectification
        assert summary.state == "OPEN" and summary.owner_unit.schema_name == "alpha"
        assert (summary.follow_up_due, summary.due) == (rectification.follow_up_due, rectification.due)


def test_a_case_number_ties_the_rating_to_the_case_but_not_to_a_real_name():
    with schema_context("alpha"):
        now = timezone.now()
        upsert_case(CaseInput(case_number="HL-2026-0001", item_code="TEST-001", applicant_kind="INDIVIDUAL",
                              applicant_name="王小明", applicant_phone="13900139000", status="COMPLETED",
                              accepted_at=now - timedelta(days=2), completed_at=now - timedelta(days=1),
                              window="H01/W01"))
        result = record_hotline_rating(HotlineCall(grade=2, case_number=" HL-2026-0001 ", caller_phone="13900139000"),
                                       user("tenant_admin"))
        evaluation = result.evaluation
        assert evaluation.case.case_number == "HL-2026-0001" and evaluation.window == window()
        assert evaluation.item.catalog_item.code == "TEST-001"
        assert not evaluation.is_real_name and evaluation.entered_by == user("tenant_admin")
        rectification = Rectification.objects.get()
        assert rectification.evaluation == evaluation and rectification.case_number == evaluation.case.case_number
        with pytest.raises(DomainError) as error:
            record_hotline_rating(HotlineCall(grade=5, case_number="HL-2026-0001"), user("handler"))
        assert error.value.codes == ["ALREADY_RATED"]


@pytest.mark.parametrize("username", ["viewer", "staff", None])
def test_other_roles_are_refused(username):
    with schema_context("alpha"):
        agent = user(username) if username else None
        with pytest.raises(DomainError) as error:
            record_hotline_rating(HotlineCall(grade=5, window_id=window().pk), agent)
        assert error.value.codes == ["CHANNEL_NOT_ALLOWED"]
        assert not Evaluation.objects.exists()


def test_the_same_form_submitted_twice_stores_once():
    with schema_context("alpha"):
        call = HotlineCall(grade=2, window_id=window().pk, idempotency_key="hotline-abc")
        first = record_hotline_rating(call, user("handler"))
        again = record_hotline_rating(call, user("handler"))
        assert again.replayed and again.evaluation == first.evaluation
        assert Evaluation.objects.count() == 1 and Rectification.objects.count() == 1


@pytest.mark.parametrize("call, codes", [
    (HotlineCall(grade=5), ["NO_TARGET"]),
    (HotlineCall(grade=6, window_id="W01"), ["INVALID_GRADE"]),
    (HotlineCall(grade="", window_id="W01"), ["REQUIRED"]),
    (HotlineCall(grade=3, window_id=999999), ["NOT_FOUND", "NO_TARGET"]),
    (HotlineCall(grade=3, window_id="W01", caller_phone="12345"), ["INVALID_PHONE"]),
    (HotlineCall(grade=3, case_number="NO-SUCH-CASE"), ["UNKNOWN_CASE"]),
])
def test_bad_input_stores_nothing(call, codes):
    with schema_context("alpha"):
        if call.window_id == "W01":
            call.window_id = window().pk
        with pytest.raises(DomainError) as error:
            record_hotline_rating(call, user("handler"))
        assert error.value.codes == codes
        assert not Evaluation.objects.exists()


SUBMIT = """mutation($input: SubmitEvaluationInput!) { submitEvaluation(input: $input) {
  evaluation { channel isRealName rectification { state } } errors { code } } }"""


@pytest.mark.parametrize("role, codes", [("handler", []), ("viewer", ["CHANNEL_NOT_ALLOWED"]),
                                         ("staff", ["CHANNEL_NOT_ALLOWED"]), (None, ["CHANNEL_NOT_ALLOWED"])])
def test_hotline_over_graphql_follows_the_same_rule(gql, role, codes):
    with schema_context("alpha"):
        window_id = global_id("Window", window().pk)
    body = gql("alpha", role)(SUBMIT, {"input": {"grade": 2, "channel": "HOTLINE", "windowId": window_id,
                                                  "raterPhone": "13800138000"}})["data"]["submitEvaluation"]
    assert [e["code"] for e in body["errors"]] == codes
    with schema_context("alpha"):
        if codes:
            assert not Evaluation.objects.exists()
        else:
            assert body["evaluation"] == {"channel": "HOTLINE", "isRealName": False, "rectification": {"state": "OPEN"}}
            assert Evaluation.objects.get().entered_by == user("handler")
