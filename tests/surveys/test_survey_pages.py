"""监督查评 pages end to end through Django's test Client: the unit's survey forms (/surveys/: create → revise →
send), the county's survey forms (/county/surveys/) and the call-back draw (/county/call-backs/). Every write goes
through the domain services; these tests check the forms reach them, show their typed errors, refuse the wrong
roles and keep tenants apart."""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from haochaping.accounts.models import Role, User
from haochaping.evaluations.models import Evaluation, ServiceCase
from haochaping.items.models import ServiceItem
from haochaping.notifications.models import Notification
from haochaping.organizations.models import Window
from haochaping.surveys import surveys as services
from haochaping.surveys.models import CallBack, Survey, SurveyLink, SurveyVersion
from tenants.models import Tenant

pytestmark = pytest.mark.django_db
ALPHA, BETA, PUBLIC = "alpha.localhost", "beta.localhost", "localhost"
DAY = datetime(2026, 11, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def client_for(username: str | None, *, slug: str = "alpha", english: bool = False, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    if username:
        with schema_context(slug):
            client.force_login(User.objects.get(username=username))
        connection.set_schema_to_public()
    if english:
        client.cookies["django_language"] = "en"
    return client


def make_case(slug: str, n: int, *, code: str = "TEST-001", phone: str = "13800138000") -> None:
    with schema_context(slug):
        tenant = Tenant.objects.get(schema_name=slug)
        ServiceCase.objects.create(
            case_number=f"SP-{slug}-{n}", item=ServiceItem.objects.get(catalog_item__code=code), accepting_unit=tenant,
            handling_unit=tenant, applicant_kind="INDIVIDUAL", applicant_name=f"申请人{n}", applicant_phone=phone,
            accepted_at=DAY, status="COMPLETED", completed_at=DAY)
    connection.set_schema_to_public()


def survey_form(**overrides) -> dict:
    """What the create form posts: the service's default questions in rows 0–2, two blank rows."""
    data = {"action": "create", "title": "页面调查", "item_codes": ["TEST-001"], "period_start": "2026-11-01",
            "period_end": "2026-11-30", "link_days": "14", "text_prompt": ""}
    for i, q in enumerate(services.default_questions()):
        data.update({f"q-{i}-dimension": q.dimension, f"q-{i}-text": q.text, f"q-{i}-text_en": q.text_en})
    for i in (3, 4):
        data.update({f"q-{i}-dimension": "AWARENESS", f"q-{i}-text": "", f"q-{i}-text_en": ""})
    data.update(overrides)
    return data


def csrf_of(page) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)


def in_schema(slug: str, func):
    with schema_context(slug):
        result = func()
    connection.set_schema_to_public()
    return result


# ------------------------------------------------------------------------------------------------ unit surveys


def test_create_revise_send_through_the_forms_with_csrf(alpha):
    make_case("alpha", 1)
    client = client_for("tenant_admin", csrf=True)
    page = client.get("/surveys/", HTTP_HOST=ALPHA)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'value="TEST-001"' in html and 'value="TEST-002"' in html  # the unit's adopted items as choices
    assert "您对该项政策的了解程度如何？" in html  # the service's default questions prefilled
    assert client.post("/surveys/", survey_form(), HTTP_HOST=ALPHA).status_code == 403  # no CSRF token
    assert not in_schema("alpha", Survey.objects.exists)

    created = client.post("/surveys/", {**survey_form(), "csrfmiddlewaretoken": csrf_of(page)}, HTTP_HOST=ALPHA)
    survey = in_schema("alpha", Survey.objects.get)
    assert created.status_code == 302 and created["Location"] == f"/surveys/{survey.pk}/"
    v1 = in_schema("alpha", lambda: survey.current_version)
    assert (v1.version, [q["dimension"] for q in v1.questions]) == (1, ["AWARENESS", "CONVENIENCE", "SATISFACTION"])
    assert survey.item_codes == ["TEST-001"] and "tenant_admin" in survey.created_by

    detail = client.get(f"/surveys/{survey.pk}/", HTTP_HOST=ALPHA)
    assert detail.status_code == 200 and "已创建调查" in detail.content.decode()
    token = csrf_of(detail)
    revised = client.post(f"/surveys/{survey.pk}/", {
        "action": "revise", "csrfmiddlewaretoken": token, "q-0-dimension": "SATISFACTION", "q-0-text": "总体满意吗？",
        "q-0-text_en": "Satisfied overall?", "q-1-dimension": "AWARENESS", "q-1-text": "", "q-1-text_en": ""},
        HTTP_HOST=ALPHA)
    assert revised.status_code == 302
    versions = in_schema("alpha", lambda: list(SurveyVersion.objects.order_by("version")))
    assert [v.version for v in versions] == [1, 2]
    assert versions[1].questions == [{"key": "q1", "dimension": "SATISFACTION", "text": "总体满意吗？",
                                      "textEn": "Satisfied overall?"}]
    assert versions[0].questions == v1.questions  # the published version is unchanged
    assert "已发布第2版" in client.get(f"/surveys/{survey.pk}/", HTTP_HOST=ALPHA).content.decode()

    sent = client.post(f"/surveys/{survey.pk}/", {"action": "send", "csrfmiddlewaretoken": token}, HTTP_HOST=ALPHA)
    assert sent.status_code == 302
    links = in_schema("alpha", lambda: list(SurveyLink.objects.select_related("version", "case")))
    assert [(link.version.version, link.case.case_number) for link in links] == [(2, "SP-alpha-1")]
    assert in_schema("alpha", lambda: Notification.objects.filter(purpose="survey").count()) == 1
    assert "已发送1条调查链接" in client.get(f"/surveys/{survey.pk}/", HTTP_HOST=ALPHA).content.decode()
    # sending again reaches nobody twice, and says so
    client.post(f"/surveys/{survey.pk}/", {"action": "send", "csrfmiddlewaretoken": token}, HTTP_HOST=ALPHA)
    assert in_schema("alpha", SurveyLink.objects.count) == 1
    assert "没有新的可发送对象" in client.get(f"/surveys/{survey.pk}/", HTTP_HOST=ALPHA).content.decode()

    listing = client.get("/surveys/", HTTP_HOST=ALPHA).content.decode()
    assert f'href="/surveys/{survey.pk}/results/"' in listing and "页面调查" in listing
    results = client.get(f"/surveys/{survey.pk}/results/", HTTP_HOST=ALPHA)
    assert results.status_code == 200 and "页面调查" in results.content.decode()
    assert client.get("/surveys/results/", HTTP_HOST=ALPHA).status_code == 200


def test_bad_input_shows_typed_errors_in_the_page_language_and_stores_nothing(alpha):
    client = client_for("tenant_admin")
    bad = survey_form(title=" ", item_codes=[], period_start="2026-11-30", period_end="2026-11-01", link_days="0")
    page = client.post("/surveys/", bad, HTTP_HOST=ALPHA)
    html = page.content.decode()
    assert page.status_code == 200
    for message in ("调查名称不能为空", "至少选择一个事项", "截止日期不能早于起始日期", "链接有效天数须在1至60之间"):
        assert message in html
    assert 'value="2026-11-30"' in html  # what was typed is shown again
    english = client_for("tenant_admin", english=True).post("/surveys/", bad, HTTP_HOST=ALPHA).content.decode()
    assert "Title is required" in english and "调查名称不能为空" not in english
    assert "Create survey" in english and "Question (English, optional)" in english  # the form itself in English
    unknown = client.post("/surveys/", survey_form(item_codes=["NOPE-1"]), HTTP_HOST=ALPHA).content.decode()
    assert "未找到事项：NOPE-1" in unknown
    assert not in_schema("alpha", Survey.objects.exists)

    survey = in_schema("alpha", lambda: services.create_survey(services.SurveyInput(
        title="已有调查", item_codes=["TEST-001"], period_start=DAY.date(), period_end=DAY.date(),
        questions=services.default_questions()), by="管理员"))
    empty = client.post(f"/surveys/{survey.pk}/", {"action": "revise", "q-0-dimension": "AWARENESS", "q-0-text": "",
                                                    "q-1-dimension": "LOYALTY", "q-1-text": ""}, HTTP_HOST=ALPHA)
    assert empty.status_code == 200 and "至少需要一个问题" in empty.content.decode()
    wrong = client.post(f"/surveys/{survey.pk}/", {"action": "revise", "q-0-dimension": "LOYALTY", "q-0-text": "忠诚吗"},
                        HTTP_HOST=ALPHA)
    assert "问题维度须为" in wrong.content.decode()
    assert in_schema("alpha", SurveyVersion.objects.count) == 1


def test_roles_without_permission_are_refused_like_the_page(alpha):
    make_case("alpha", 1)
    survey = in_schema("alpha", lambda: services.create_survey(services.SurveyInput(
        title="已有调查", item_codes=["TEST-001"], period_start=DAY.date(), period_end=DAY.date(),
        questions=services.default_questions()), by="管理员"))
    viewer = client_for("viewer")
    page = viewer.get("/surveys/", HTTP_HOST=ALPHA)
    assert page.status_code == 200 and "已有调查" in page.content.decode()
    assert 'value="create"' not in page.content.decode()  # readers see no form
    assert 'value="send"' not in viewer.get(f"/surveys/{survey.pk}/", HTTP_HOST=ALPHA).content.decode()
    for username in ("viewer", "agency", "handler"):
        client = client_for(username)
        assert client.post("/surveys/", survey_form(), HTTP_HOST=ALPHA).status_code == 403
        assert client.post(f"/surveys/{survey.pk}/", {"action": "send"}, HTTP_HOST=ALPHA).status_code == 403
    assert client_for("staff").get("/surveys/", HTTP_HOST=ALPHA).status_code == 403
    anonymous = Client().post("/surveys/", survey_form(), HTTP_HOST=ALPHA)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert in_schema("alpha", Survey.objects.count) == 1 and not in_schema("alpha", SurveyLink.objects.exists)


def test_alpha_survey_ids_are_unknown_on_beta_host(alpha, beta):
    make_case("alpha", 1)
    make_case("beta", 1)
    survey = in_schema("alpha", lambda: services.create_survey(services.SurveyInput(
        title="甲镇调查", item_codes=["TEST-001"], period_start=DAY.date(), period_end=DAY.date(),
        questions=services.default_questions()), by="管理员"))
    beta_admin = client_for("tenant_admin", slug="beta")
    assert beta_admin.get(f"/surveys/{survey.pk}/", HTTP_HOST=BETA).status_code == 404
    assert beta_admin.get(f"/surveys/{survey.pk}/results/", HTTP_HOST=BETA).status_code == 404
    assert beta_admin.post(f"/surveys/{survey.pk}/", {"action": "send"}, HTTP_HOST=BETA).status_code == 404
    assert beta_admin.post(f"/surveys/{survey.pk}/", {"action": "revise", "q-0-dimension": "AWARENESS",
                                                      "q-0-text": "x"}, HTTP_HOST=BETA).status_code == 404
    assert "甲镇调查" not in beta_admin.get("/surveys/", HTTP_HOST=BETA).content.decode()
    # alpha's session is unknown on beta's host: the login page, not alpha's data
    assert client_for("tenant_admin").get(f"/surveys/{survey.pk}/", HTTP_HOST=BETA).status_code == 302
    assert in_schema("alpha", SurveyVersion.objects.count) == 1 and not in_schema("alpha", SurveyLink.objects.exists)
    assert not in_schema("beta", Survey.objects.exists) and not in_schema("beta", SurveyLink.objects.exists)


# ------------------------------------------------------------------------------------------------ county surveys


def test_county_creates_revises_and_sends_to_chosen_units(alpha, beta):
    make_case("alpha", 1)
    make_case("beta", 1)
    county = client_for("county_admin", slug="public", csrf=True)
    page = county.get("/county/surveys/", HTTP_HOST=PUBLIC)
    assert page.status_code == 200 and 'value="TEST-003"' in page.content.decode()  # catalog items as choices
    token = csrf_of(page)
    created = county.post("/county/surveys/", {**survey_form(), "tenants": ["alpha", "beta"],
                                               "csrfmiddlewaretoken": token}, HTTP_HOST=PUBLIC)
    assert created.status_code == 302
    key = created["Location"].split("key=")[1]
    for slug in ("alpha", "beta"):
        copy = in_schema(slug, Survey.objects.get)
        assert (copy.origin, copy.county_key, copy.title) == ("COUNTY", key, "页面调查")
    selected = county.get(f"/county/surveys/?key={key}", HTTP_HOST=PUBLIC).content.decode()
    assert 'value="send"' in selected and 'value="revise"' in selected

    sent = county.post("/county/surveys/", {"action": "send", "key": key, "tenants": ["alpha"],
                                            "csrfmiddlewaretoken": token}, HTTP_HOST=PUBLIC)
    assert sent.status_code == 302
    assert (in_schema("alpha", SurveyLink.objects.count), in_schema("beta", SurveyLink.objects.count)) == (1, 0)
    assert "甲镇 1" in county.get(f"/county/surveys/?key={key}", HTTP_HOST=PUBLIC).content.decode()
    revised = county.post("/county/surveys/", {"action": "revise", "key": key, "q-0-dimension": "CONVENIENCE",
                                               "q-0-text": "方便吗？", "csrfmiddlewaretoken": token}, HTTP_HOST=PUBLIC)
    assert revised.status_code == 302
    assert [in_schema(s, lambda: Survey.objects.get().current_version.version) for s in ("alpha", "beta")] == [2, 2]

    # the unit sees the county's copy but cannot send or change it: the service's refusal is shown
    unit = client_for("tenant_admin")
    pk = in_schema("alpha", lambda: Survey.objects.get().pk)
    assert 'value="send"' not in unit.get(f"/surveys/{pk}/", HTTP_HOST=ALPHA).content.decode()
    refused = unit.post(f"/surveys/{pk}/", {"action": "send"}, HTTP_HOST=ALPHA)
    assert "县级发起的调查只能由县级修改或发送" in refused.content.decode()
    assert in_schema("alpha", SurveyLink.objects.count) == 1


def test_county_bad_input_and_wrong_roles_change_nothing(alpha, beta):
    county = client_for("county_supervisor", slug="public")
    no_units = county.post("/county/surveys/", survey_form(), HTTP_HOST=PUBLIC)
    assert no_units.status_code == 200 and "至少选择一个单位" in no_units.content.decode()
    bad = county.post("/county/surveys/", {**survey_form(title="", item_codes=["NOPE-1"]), "tenants": ["alpha"]},
                      HTTP_HOST=PUBLIC).content.decode()
    assert "调查名称不能为空" in bad and "甲镇：未找到事项：NOPE-1" in bad
    assert not in_schema("alpha", Survey.objects.exists) and not in_schema("beta", Survey.objects.exists)
    created = county.post("/county/surveys/", {**survey_form(), "tenants": ["alpha"]}, HTTP_HOST=PUBLIC)
    key = created["Location"].split("key=")[1]
    make_case("alpha", 1)
    nobody = county.post("/county/surveys/", {"action": "send", "key": key}, HTTP_HOST=PUBLIC)
    assert "至少选择一个单位" in nobody.content.decode()
    other = county.post("/county/surveys/", {"action": "send", "key": "nope", "tenants": ["alpha"]}, HTTP_HOST=PUBLIC)
    assert "未找到调查" in other.content.decode()
    with schema_context("public"):
        User.objects.create_user(username="public_viewer", password="x-Correct-42", role=Role.VIEWER)
    for client in (client_for("public_viewer", slug="public"),):
        assert client.post("/county/surveys/", {"action": "send", "key": key, "tenants": ["alpha"]},
                           HTTP_HOST=PUBLIC).status_code == 403
        assert client.get("/county/surveys/", HTTP_HOST=PUBLIC).status_code == 403
    assert Client().post("/county/surveys/", {**survey_form(), "tenants": ["alpha"]}, HTTP_HOST=PUBLIC).status_code == 302
    assert in_schema("alpha", Survey.objects.count) == 1 and not in_schema("alpha", SurveyLink.objects.exists)
    # a tenant's host has no county survey page
    assert client_for("tenant_admin").get("/county/surveys/", HTTP_HOST=ALPHA).status_code == 404


# ------------------------------------------------------------------------------------------------ call-back draw


@pytest.fixture
def rated(alpha, beta):
    """alpha: 20 good and 5 bad QR ratings at W01, 4 hotline ratings; beta: 6 good QR ratings (all with a phone)."""
    def rate(slug, count, start, **kw):
        with schema_context(slug):
            window = Window.objects.get(code="W01")
            for n in range(start, start + count):
                grade = kw.get("grade", 5)
                Evaluation.objects.create(grade=grade, channel=kw.get("channel", "QR_CODE"),
                                          window=window if kw.get("window", True) else None, rated_at=DAY,
                                          receipt_code=f"P{slug[:2]}{n:06d}", is_bad=grade <= 2,
                                          rater_phone=f"1390013{n:04d}", rater_name=f"评价人{n}")
        connection.set_schema_to_public()

    rate("alpha", 20, 1)
    rate("alpha", 5, 21, grade=1)
    rate("alpha", 4, 26, channel="HOTLINE", window=False)
    rate("beta", 6, 1)


DRAW = {"action": "draw", "tenants": ["alpha", "beta"], "start": "2026-11-01", "end": "2026-11-30",
        "proportion": "0.2"}


def drawn(slug: str, key: str) -> set[int]:
    return set(in_schema(slug, lambda: list(CallBack.objects.filter(draw_key=key).values_list("evaluation_id", flat=True))))


@pytest.mark.usefixtures("rated")
def test_draw_with_a_seed_twice_gives_the_same_sample_and_shows_the_seed():
    county = client_for("county_admin", slug="public", csrf=True)
    page = county.get("/county/call-backs/", HTTP_HOST=PUBLIC)
    assert page.status_code == 200 and 'value="draw"' in page.content.decode()
    token = csrf_of(page)
    keys = []
    for _ in range(2):
        response = county.post("/county/call-backs/", {**DRAW, "seed": "2026-11", "csrfmiddlewaretoken": token},
                               HTTP_HOST=PUBLIC)
        assert response.status_code == 302 and "?draw=" in response["Location"]
        keys.append(response["Location"].split("draw=")[1])
        shown = county.get(response["Location"], HTTP_HOST=PUBLIC).content.decode()
        assert "2026-11" in shown and "已抽取7条回访" in shown  # 4 + 1 + 1 in alpha, 1 in beta
    assert keys[0] != keys[1]
    assert drawn("alpha", keys[0]) == drawn("alpha", keys[1]) and len(drawn("alpha", keys[0])) == 6
    assert drawn("beta", keys[0]) == drawn("beta", keys[1]) and len(drawn("beta", keys[0])) == 1

    # no seed given: one is generated, stored on the calls and shown, and drawing again with it reproduces the sample
    response = county.post("/county/call-backs/", {**DRAW, "tenants": ["alpha"], "csrfmiddlewaretoken": token},
                           HTTP_HOST=PUBLIC)
    key = response["Location"].split("draw=")[1]
    seed = in_schema("alpha", lambda: CallBack.objects.filter(draw_key=key).values_list("seed", flat=True).first())
    assert seed and seed in county.get(response["Location"], HTTP_HOST=PUBLIC).content.decode()
    again = county.post("/county/call-backs/", {**DRAW, "tenants": ["alpha"], "seed": seed, "csrfmiddlewaretoken": token},
                        HTTP_HOST=PUBLIC)
    assert drawn("alpha", again["Location"].split("draw=")[1]) == drawn("alpha", key)
    # only the chosen channels are drawn
    hotline = county.post("/county/call-backs/", {**DRAW, "channels": ["HOTLINE"], "proportion": "1", "seed": "h",
                                                  "csrfmiddlewaretoken": token}, HTTP_HOST=PUBLIC)
    hotline_key = hotline["Location"].split("draw=")[1]
    assert in_schema("alpha", lambda: set(CallBack.objects.filter(draw_key=hotline_key)
                                          .values_list("channel", flat=True))) == {"HOTLINE"}


@pytest.mark.usefixtures("rated")
def test_bad_draw_shows_errors_and_draws_nothing_and_other_roles_are_refused():
    county = client_for("county_supervisor", slug="public", english=False)
    page = county.post("/county/call-backs/", {**DRAW, "start": "2026-11-30", "end": "2026-11-01", "proportion": "1.5",
                                               "channels": ["FAX"]}, HTTP_HOST=PUBLIC)
    html = page.content.decode()
    assert page.status_code == 200
    for message in ("截止日期不能早于起始日期", "抽样比例须大于0且不超过1", "未知的评价渠道"):
        assert message in html
    assert 'value="1.5"' in html
    assert "至少选择一个单位" in county.post("/county/call-backs/", {**DRAW, "tenants": []},
                                           HTTP_HOST=PUBLIC).content.decode()
    english = client_for("county_supervisor", slug="public", english=True).post(
        "/county/call-backs/", {**DRAW, "proportion": "abc"}, HTTP_HOST=PUBLIC).content.decode()
    assert "The proportion must be above 0 and at most 1" in english
    with schema_context("public"):
        User.objects.create_user(username="public_viewer", password="x-Correct-42", role=Role.VIEWER)
    assert client_for("public_viewer", slug="public").post("/county/call-backs/", DRAW, HTTP_HOST=PUBLIC).status_code == 403
    assert Client().post("/county/call-backs/", DRAW, HTTP_HOST=PUBLIC).status_code == 302
    assert client_for("tenant_admin").post("/county/call-backs/", DRAW, HTTP_HOST=ALPHA).status_code == 404
    assert not in_schema("alpha", CallBack.objects.exists) and not in_schema("beta", CallBack.objects.exists)


def test_navigation_links_follow_the_roles(alpha):
    admin = client_for("tenant_admin").get("/", HTTP_HOST=ALPHA).content.decode()
    assert 'href="/surveys/"' in admin
    assert 'href="/surveys/"' not in client_for("staff").get("/", HTTP_HOST=ALPHA).content.decode()
    county = client_for("county_admin", slug="public").get("/", HTTP_HOST=PUBLIC).content.decode()
    assert 'href="/county/surveys/"' in county and 'href="/county/call-backs/"' in county
    assert 'href="/county/call-backs/"' not in Client().get("/", HTTP_HOST=PUBLIC).content.decode()
