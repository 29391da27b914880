"""监督查评: versioned surveys, single-use links, response-rate math, stratified reproducible call-back sampling,
call outcomes raising the integrity flag, permissions and tenant isolation."""
from __future__ import annotations

import base64
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from haochaping.accounts.models import User
from haochaping.core.errors import DomainError
from haochaping.evaluations.models import Evaluation, ServiceCase
from haochaping.integrity.models import SuspicionFlag
from haochaping.items.models import ServiceItem
from haochaping.notifications.models import Notification
from haochaping.organizations.models import Window
from haochaping.surveys import callbacks, county, selectors
from haochaping.surveys import surveys as services
from haochaping.surveys.models import CallBack, CallBackContactRead, Survey, SurveyLink, SurveyResponse, SurveyVersion
from tenants.models import Tenant

TZ = ZoneInfo("Asia/Shanghai")
DAY = datetime(2026, 11, 2, 10, 0, tzinfo=TZ)


def gid(type_name, schema, pk):
    return base64.b64encode(f"{type_name}:{schema}:{pk}".encode()).decode()


def make_case(n: int, *, code="TEST-001", phone="13800138000", email="", when=DAY) -> ServiceCase:
    tenant = Tenant.objects.get(schema_name=connection.schema_name)
    return ServiceCase.objects.create(
        case_number=f"SV-{connection.schema_name}-{n}", item=ServiceItem.objects.get(catalog_item__code=code),
        accepting_unit=tenant, handling_unit=tenant, applicant_kind="INDIVIDUAL", applicant_name=f"申请人{n}",
        applicant_phone=phone, applicant_email=email, accepted_at=when, status="COMPLETED", completed_at=when)


def make_evaluation(n: int, *, grade=5, channel="QR_CODE", window=True, phone="13900139000", when=DAY) -> Evaluation:
    return Evaluation.objects.create(
        grade=grade, channel=channel, window=Window.objects.get(code="W01") if window else None, rated_at=when,
        receipt_code=f"R{connection.schema_name[:2]}{n:06d}", is_bad=grade <= 2, rater_phone=phone,
        rater_name=f"评价人{n}" if phone else "")


def survey_input(**overrides) -> services.SurveyInput:
    values = dict(title="新政策知悉度调查", item_codes=["TEST-001", "TEST-002"], period_start=date(2026, 11, 1),
                  period_end=date(2026, 11, 30), questions=services.default_questions())
    values.update(overrides)
    return services.SurveyInput(**values)


def token_of(notification: Notification) -> str:
    return notification.body.rsplit("/s/", 1)[1].rstrip("/")


# ------------------------------------------------------------------------------------------------ versioning


def test_revising_publishes_a_new_version_and_keeps_the_old_one(alpha):
    with schema_context("alpha"):
        survey = services.create_survey(survey_input(), by="管理员")
        v1 = survey.current_version
        make_case(1)
        services.send_survey(survey.pk)
        v2 = services.revise_survey(survey.pk, [services.QuestionInput("SATISFACTION", "总体满意吗？", "Satisfied?")],
                                    by="管理员")
        assert (v1.version, v2.version) == (1, 2)
        assert survey.current_version.pk == v2.pk
        v1.refresh_from_db()
        assert [q["dimension"] for q in v1.questions] == ["AWARENESS", "CONVENIENCE", "SATISFACTION"]
        # the link sent before the edit keeps the version it was sent with
        assert SurveyLink.objects.get().version_id == v1.pk
        v1.questions = []
        with pytest.raises(ValueError):
            v1.save()
        make_case(2)
        services.send_survey(survey.pk)
        assert SurveyLink.objects.order_by("pk").last().version_id == v2.pk


def test_bad_survey_input_is_refused_and_stores_nothing(alpha):
    with schema_context("alpha"):
        with pytest.raises(DomainError) as error:
            services.create_survey(survey_input(title=" ", item_codes=["NOPE-1"], period_end=date(2026, 10, 1),
                                                questions=[services.QuestionInput("LOYALTY", "x")]), by="x")
        assert set(error.value.codes) == {"REQUIRED", "UNKNOWN_ITEM", "INVALID_PERIOD", "INVALID_DIMENSION"}
        assert not Survey.objects.exists() and not SurveyVersion.objects.exists()


# ------------------------------------------------------------------------------------------------ links


def test_links_go_to_recent_applicants_with_a_contact_and_are_single_use(alpha):
    client = Client()
    with schema_context("alpha"):
        make_case(1)  # SMS
        make_case(2, phone="", email="a@example.cn")  # e-mail
        make_case(3, phone="")  # no contact: not reachable
        make_case(4, when=DAY - timedelta(days=40))  # outside the period
        make_case(5, code="TEST-003") if ServiceItem.objects.filter(catalog_item__code="TEST-003").exists() else None
        survey = services.create_survey(survey_input(), by="管理员")
        assert services.send_survey(survey.pk) == 2
        assert services.send_survey(survey.pk) == 0  # sending again reaches nobody twice
        sent = list(Notification.objects.filter(purpose="survey").order_by("pk"))
        assert [n.channel for n in sent] == ["SMS", "EMAIL"]
        token = token_of(sent[0])
        assert "/s/" in sent[0].body and SurveyLink.objects.filter(token_digest=services.token_digest(token)).exists()
    connection.set_schema_to_public()
    page = client.get(f"/s/{token}/", HTTP_HOST="alpha.localhost")
    assert page.status_code == 200 and "新政策知悉度调查" in page.content.decode()
    bad = client.post(f"/s/{token}/", {"q1": "6", "q2": "3"}, HTTP_HOST="alpha.localhost")
    assert bad.status_code == 200 and "请为每个问题选择1至5分" in bad.content.decode()
    ok = client.post(f"/s/{token}/", {"q1": "5", "q2": "4", "q3": "3", "text": "很方便"}, HTTP_HOST="alpha.localhost")
    assert ok.status_code == 200 and "感谢您的参与" in ok.content.decode()
    again = client.post(f"/s/{token}/", {"q1": "1", "q2": "1", "q3": "1"}, HTTP_HOST="alpha.localhost")
    assert again.status_code == 410 and "已提交过" in again.content.decode()
    assert client.get(f"/s/{token}/", HTTP_HOST="alpha.localhost").status_code == 410
    # the same token on beta's host is unknown there
    assert client.get(f"/s/{token}/", HTTP_HOST="beta.localhost").status_code == 404
    with schema_context("alpha"):
        assert SurveyResponse.objects.get().scores == {"q1": 5, "q2": 4, "q3": 3}
    with schema_context("beta"):
        assert not SurveyResponse.objects.exists()


def test_expired_link_gets_a_clear_page(alpha):
    with schema_context("alpha"):
        make_case(1)
        survey = services.create_survey(survey_input(), by="管理员")
        services.send_survey(survey.pk, now=DAY - timedelta(days=30))
        token = token_of(Notification.objects.get(purpose="survey"))
        with pytest.raises(DomainError) as error:
            services.submit_response(token, {"q1": 5, "q2": 5, "q3": 5})
        assert error.value.codes == ["LINK_EXPIRED"]
    connection.set_schema_to_public()
    page = Client().get(f"/s/{token}/", HTTP_HOST="alpha.localhost", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 410


# ------------------------------------------------------------------------------------------------ results


def test_response_rate_and_dimension_figures_on_hand_computed_fixtures(alpha):
    """5 links (3 for TEST-001, 2 for TEST-002), 3 responses: rate 3/5 = 60%; TEST-001 2/3, TEST-002 1/2.
    Satisfaction scores 5, 4, 2 → average 11/3 = 3.67, distribution [0,1,0,1,1]."""
    with schema_context("alpha"):
        for n in range(1, 4):
            make_case(n)
        for n in range(4, 6):
            make_case(n, code="TEST-002")
        survey = services.create_survey(survey_input(), by="管理员")
        assert services.send_survey(survey.pk) == 5
        tokens = {n.recipient + str(n.pk): token_of(n) for n in Notification.objects.filter(purpose="survey")}
        links = {link.case.case_number: link for link in SurveyLink.objects.select_related("case")}
        by_case = {}
        for n in Notification.objects.filter(purpose="survey").order_by("pk"):
            by_case[SurveyLink.objects.get(token_digest=services.token_digest(token_of(n))).case.applicant_name] = token_of(n)
        assert len(tokens) == len(links) == 5
        services.submit_response(by_case["申请人1"], {"q1": 3, "q2": 4, "q3": 5}, "我的电话13800138000")
        services.submit_response(by_case["申请人2"], {"q1": 1, "q2": 2, "q3": 4})
        services.submit_response(by_case["申请人4"], {"q1": 5, "q2": 5, "q3": 2})
        r = selectors.survey_results(survey)
        assert (r.total.links_sent, r.total.responses, r.total.response_rate.percent) == (5, 3, 60.0)
        sat = r.total.dimensions["SATISFACTION"]
        assert (sat.answers, sat.average, sat.distribution) == (3, 3.67, [0, 1, 0, 1, 1])
        assert r.total.dimensions["AWARENESS"].average == 3.0
        assert (r.items["TEST-001"].links_sent, r.items["TEST-001"].responses) == (3, 2)
        assert (r.items["TEST-002"].links_sent, r.items["TEST-002"].responses) == (2, 1)
        assert r.items["TEST-002"].dimensions["CONVENIENCE"].distribution == [0, 0, 0, 0, 1]
        assert r.texts == [("TEST-001", "我的电话13800138000")]  # the unit's own view


def test_county_survey_fans_out_and_its_results_are_redacted(alpha, beta):
    admin = User.objects.get(username="county_admin")
    with schema_context("alpha"):
        make_case(1)
    with schema_context("beta"):
        make_case(1)
        make_case(2)
    key = county.create_county_survey(survey_input(), [alpha, beta], admin)
    assert county.send_county_survey(key, [alpha, beta], admin) == {"alpha": 1, "beta": 2}
    with schema_context("alpha"):
        token = token_of(Notification.objects.get(purpose="survey"))
        services.submit_response(token, {"q1": 4, "q2": 4, "q3": 4}, "工作人员张三态度好，电话13800138000")
        with pytest.raises(DomainError) as error:  # the unit cannot change the county's survey
            services.revise_survey(Survey.objects.get().pk, services.default_questions(), by="x")
        assert error.value.codes == ["COUNTY_SURVEY"]
    assert county.revise_county_survey(key, services.default_questions()[:1], [alpha, beta], admin) == 2
    rows = {row.tenant.schema_name: row for row in selectors.county_results(key, [alpha, beta])}
    assert rows["alpha"].results.total.response_rate.percent == 100.0
    assert rows["beta"].results.total.response_rate.percent == 0.0
    text = rows["alpha"].results.texts[0][1]
    assert "13800138000" not in text and "张三" not in text
    with pytest.raises(DomainError):
        county.create_county_survey(survey_input(), [alpha], User.objects.get(username="county_admin").__class__(role="VIEWER"))


# ------------------------------------------------------------------------------------------------ sampling


@pytest.fixture
def rated(alpha, beta):
    """alpha: 20 good QR ratings at W01, 5 bad QR at W01, 4 good HOTLINE without window, 3 without contact;
    beta: 6 good QR ratings at W01."""
    with schema_context("alpha"):
        n = 0
        for grade, channel, window, count, phone in ((5, "QR_CODE", True, 20, "139"), (1, "QR_CODE", True, 5, "139"),
                                                     (4, "HOTLINE", False, 4, "139"), (5, "QR_CODE", True, 3, "")):
            for _ in range(count):
                n += 1
                make_evaluation(n, grade=grade, channel=channel, window=window, phone=phone and f"1390013{n:04d}")
    with schema_context("beta"):
        for n in range(1, 7):
            make_evaluation(n)


def sample(tenants, seed="s1", proportion="0.2", **kw):
    return callbacks.compute_sample(tenants, start=date(2026, 11, 1), end=date(2026, 11, 30),
                                    proportion=Decimal(proportion), seed=seed, **kw)


@pytest.mark.usefixtures("rated")
def test_sample_honours_strata_proportion_and_minimum(alpha, beta):
    strata = {(s.tenant, s.channel, s.window_code, s.is_bad): s for s in sample([alpha, beta])}
    assert {k: (s.size, len(s.drawn)) for k, s in strata.items()} == {
        ("alpha", "QR_CODE", "W01", False): (20, 4),   # 20 × 0.2
        ("alpha", "QR_CODE", "W01", True): (5, 1),     # 5 × 0.2
        ("alpha", "HOTLINE", "", False): (4, 1),       # 0.8 → 1
        ("beta", "QR_CODE", "W01", False): (6, 1),     # 1.2 → 1
    }
    # evaluations without a contact are never candidates; good and bad are both drawn
    with schema_context("alpha"):
        drawn = [pk for s in strata.values() if s.tenant == "alpha" for pk in s.drawn]
        assert not Evaluation.objects.filter(pk__in=drawn, rater_phone="").exists()
        assert {e.is_bad for e in Evaluation.objects.filter(pk__in=drawn)} == {True, False}
    small = {(s.tenant, s.channel, s.is_bad): len(s.drawn) for s in sample([alpha], proportion="0.01")}
    assert set(small.values()) == {1}  # at least one per non-empty stratum
    assert {len(s.drawn) for s in sample([alpha], proportion="1")} == {20, 5, 4}


@pytest.mark.usefixtures("rated")
def test_same_seed_same_sample_other_seed_differs(alpha, beta):
    first, again = sample([alpha, beta], seed="2026-11"), sample([beta, alpha], seed="2026-11")
    assert [s.drawn for s in first] == [s.drawn for s in again]
    others = [[s.drawn for s in sample([alpha], seed=f"other-{n}", proportion="0.5")] for n in range(5)]
    assert len({str(o) for o in others}) > 1


@pytest.mark.usefixtures("rated")
def test_draw_persists_calls_with_the_seed_and_bad_input_changes_nothing(alpha, beta):
    admin = User.objects.get(username="county_supervisor")
    with pytest.raises(DomainError) as error:
        callbacks.draw_call_backs([alpha], start=date(2026, 11, 30), end=date(2026, 11, 1), proportion=Decimal("1.5"),
                                  channels=["FAX"], county_user=admin)
    assert set(error.value.codes) == {"INVALID_PERIOD", "INVALID_PROPORTION", "INVALID_CHANNEL"}
    draw = callbacks.draw_call_backs([alpha, beta], start=date(2026, 11, 1), end=date(2026, 11, 30),
                                     proportion=Decimal("0.2"), seed="abc", county_user=admin)
    assert draw.drawn == 7 and draw.seed == "abc"
    with schema_context("alpha"):
        assert CallBack.objects.filter(draw_key=draw.key).count() == 6
    with schema_context("beta"):
        assert CallBack.objects.filter(draw_key=draw.key).count() == 1


# ------------------------------------------------------------------------------------------------ calls


@pytest.fixture
def drawn_call(alpha, beta):
    with schema_context("alpha"):
        make_evaluation(1, grade=5)
    with schema_context("beta"):
        make_evaluation(1, grade=5)
    admin = User.objects.get(username="county_admin")
    callbacks.draw_call_backs([alpha, beta], start=date(2026, 11, 1), end=date(2026, 11, 30), proportion=1,
                              seed="x", county_user=admin)
    with schema_context("alpha"):
        return CallBack.objects.get().pk


def test_contact_only_for_the_caller_and_every_reveal_is_logged(alpha, drawn_call):
    admin, supervisor = User.objects.get(username="county_admin"), User.objects.get(username="county_supervisor")
    assert callbacks.reveal_contact(alpha, drawn_call, admin) == ("评价人1", "13900139000")
    callbacks.reveal_contact(alpha, drawn_call, admin)
    with pytest.raises(DomainError) as error:
        callbacks.reveal_contact(alpha, drawn_call, supervisor)
    assert error.value.codes == ["NOT_YOUR_CALL"]
    with schema_context("alpha"):
        assert list(CallBackContactRead.objects.values_list("user_id", flat=True)) == [admin.pk, admin.pk]


@pytest.mark.parametrize("answers, kind", [
    (dict(reached=True, did_rate=False, pressed_to_rate_well=False), "CALLBACK_NOT_RATED"),
    (dict(reached=True, did_rate=True, pressed_to_rate_well=True, satisfaction_confirmed=False), "CALLBACK_PRESSURED"),
    (dict(reached=True, did_rate=True, pressed_to_rate_well=False, satisfaction_confirmed=True), None),
    (dict(reached=False), None),
])
def test_outcomes_raise_the_fraud_flag_on_the_window(alpha, drawn_call, answers, kind):
    admin = User.objects.get(username="county_admin")
    call = callbacks.record_outcome(alpha, drawn_call, callbacks.Outcome(**answers, notes="已回访"), admin)
    assert call.state == "DONE"
    flags = SuspicionFlag.objects.filter(tenant=alpha, kind__startswith="CALLBACK")
    if kind is None:
        assert not flags.exists() and call.flag_id is None
    else:
        flag = flags.get()
        assert (flag.kind, flag.window_code, flag.pk) == (kind, "W01", call.flag_id)
        with schema_context("alpha"):
            assert flag.evaluation_ids == [CallBack.objects.get().evaluation_id]
    with pytest.raises(DomainError) as error:
        callbacks.record_outcome(alpha, drawn_call, callbacks.Outcome(reached=False), admin)
    assert error.value.codes == ["ALREADY_DONE"]


def test_incomplete_outcome_is_refused_and_changes_nothing(alpha, drawn_call):
    admin = User.objects.get(username="county_admin")
    with pytest.raises(DomainError) as error:
        callbacks.record_outcome(alpha, drawn_call, callbacks.Outcome(reached=True, notes="x" * 2001), admin)
    assert set(error.value.codes) == {"REQUIRED", "TOO_LONG"}
    with schema_context("alpha"):
        call = CallBack.objects.get()
        assert (call.state, call.caller_id) == ("PENDING", None)
    assert not SuspicionFlag.objects.filter(kind__startswith="CALLBACK").exists()


# ------------------------------------------------------------------------------------------------ GraphQL


CREATE = """mutation($i: SurveyInput!){ createSurvey(input: $i) { survey { id title versions { version } }
            errors { code field } } }"""
INPUT = {"title": "重点事项调查", "itemCodes": ["TEST-001"], "periodStart": "2026-11-01", "periodEnd": "2026-11-30"}


def test_graphql_survey_flow_permissions_and_isolation(gql, alpha, beta):
    assert gql("alpha", "viewer")(CREATE, {"i": INPUT}, expect_errors=True)["data"] is None
    body = gql("alpha", "tenant_admin")(CREATE, {"i": INPUT})["data"]["createSurvey"]
    assert body["errors"] == [] and body["survey"]["versions"] == [{"version": 1}]
    alpha_id = body["survey"]["id"]
    beta_id = gql("beta", "tenant_admin")(CREATE, {"i": INPUT})["data"]["createSurvey"]["survey"]["id"]
    assert beta_id != alpha_id
    with schema_context("alpha"):
        make_case(1)
    send = 'mutation($id: ID!){ sendSurvey(id: $id) { sent errors { code field } } }'
    admin = gql("alpha", "tenant_admin")
    assert admin(send, {"id": beta_id})["data"]["sendSurvey"] == {"sent": None, "errors": [{"code": "NOT_FOUND", "field": "id"}]}
    with schema_context("beta"):
        assert not SurveyLink.objects.exists()
    assert admin(send, {"id": alpha_id})["data"]["sendSurvey"] == {"sent": 1, "errors": []}
    revise = ('mutation($id: ID!){ reviseSurvey(id: $id, questions: [{dimension: SATISFACTION, text: "满意吗"}]) '
              '{ version { version } errors { code } } }')
    assert admin(revise, {"id": beta_id})["data"]["reviseSurvey"]["errors"] == [{"code": "NOT_FOUND"}]
    assert admin(revise, {"id": alpha_id})["data"]["reviseSurvey"] == {"version": {"version": 2}, "errors": []}
    results = '''query($id: ID!){ surveyResults(id: $id) { total { linksSent responses responseRate { percent } } } }'''
    assert gql("alpha", "viewer")(results, {"id": beta_id})["data"]["surveyResults"] is None
    assert gql("alpha", "viewer")(results, {"id": alpha_id})["data"]["surveyResults"]["total"]["linksSent"] == 1
    assert [s["title"] for s in gql("beta", "viewer")("{ surveys { title linksSent } }")["data"]["surveys"]] == ["重点事项调查"]
    assert gql("beta", "viewer")("{ surveys { linksSent } }")["data"]["surveys"] == [{"linksSent": 0}]
    assert gql("alpha", token=None)("{ surveys { title } }", expect_errors=True)["data"] is None


def test_graphql_call_backs_for_county_users_only(gql, alpha, beta, drawn_call):
    county_gql = gql("public", "county_supervisor")
    rows = county_gql("{ callBacks(state: PENDING) { id tenant { slug } raterNameMasked } }")["data"]["callBacks"]
    assert sorted(r["tenant"]["slug"] for r in rows) == ["alpha", "beta"]
    assert all("13900139000" not in str(r) and r["raterNameMasked"].startswith("评") for r in rows)
    alpha_id = next(r["id"] for r in rows if r["tenant"]["slug"] == "alpha")
    beta_id = next(r["id"] for r in rows if r["tenant"]["slug"] == "beta")
    reveal = 'mutation($t: String!, $id: ID!){ revealCallBackContact(tenant: $t, id: $id) { contact { phone } errors { code field } } }'
    assert county_gql(reveal, {"t": "alpha", "id": beta_id})["data"]["revealCallBackContact"]["errors"] == [
        {"code": "NOT_FOUND", "field": "id"}]
    with schema_context("alpha"):
        assert not CallBackContactRead.objects.exists()
    assert county_gql(reveal, {"t": "alpha", "id": alpha_id})["data"]["revealCallBackContact"] == {
        "contact": {"phone": "13900139000"}, "errors": []}
    record = '''mutation($t: String!, $id: ID!){ recordCallBackOutcome(tenant: $t, id: $id,
                input: {reached: true, didRate: true, pressedToRateWell: true, satisfactionConfirmed: false})
                { callBack { state raisedFlag } errors { code } } }'''
    assert county_gql(record, {"t": "alpha", "id": alpha_id})["data"]["recordCallBackOutcome"] == {
        "callBack": {"state": "DONE", "raisedFlag": True}, "errors": []}
    flags = county_gql("{ suspicionFlags(kind: CALLBACK_PRESSURED) { totalCount } }")["data"]["suspicionFlags"]
    assert flags == {"totalCount": 1}
    # tenant users, even signed in on the public host's client, cannot reach any of it
    denied = gql("alpha", "tenant_admin")("{ __typename }")
    assert denied
    assert gql("public")("{ callBacks { id } }", expect_errors=True)["data"] is None
    draw = '''mutation{ drawCallBacks(input: {start: "2026-11-01", end: "2026-11-30", proportion: 0.5, seed: "g"})
              { drawn strata { tenant isBad size drawn } errors { code } } }'''
    result = county_gql(draw)["data"]["drawCallBacks"]
    assert result["errors"] == [] and result["drawn"] == 2


def test_call_back_page_shows_the_script_and_reveals_only_to_the_caller(client, alpha, drawn_call):
    with schema_context("public"):
        client.force_login(User.objects.get(username="county_admin"))
    page = client.get("/county/call-backs/", HTTP_HOST="localhost")
    assert page.status_code == 200
    html = page.content.decode()
    assert "是否有工作人员要求或暗示您给好评" in html and "13900139000" not in html
    revealed = client.post("/county/call-backs/", {"tenant": "alpha", "id": drawn_call, "action": "reveal"},
                           HTTP_HOST="localhost")
    assert "13900139000" in revealed.content.decode()
    with schema_context("alpha"):
        assert CallBackContactRead.objects.count() == 1
    done = client.post("/county/call-backs/", {"tenant": "alpha", "id": drawn_call, "action": "outcome",
                                               "reached": "yes", "did_rate": "no", "pressed": "no"},
                       HTTP_HOST="localhost")
    assert done.status_code == 302
    assert SuspicionFlag.objects.filter(tenant=alpha, kind="CALLBACK_NOT_RATED").exists()
    anonymous = Client().get("/county/call-backs/", HTTP_HOST="localhost")
    assert anonymous.status_code == 302
