"""县级督办 pages on the public host: /supervision/ (metrics per tenant, open escalations with the instruction form,
rejections awaiting the county's decision, internal circulars) and /supervision/<slug>/ (one tenant's ledger)."""
from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from haochaping.accounts.models import Role, User
from haochaping.core.codes import uscc_check_char
from haochaping.rectification.models import Rectification, RectificationEvent
from haochaping.supervision.models import Circular, Escalation, SupervisionInstruction
from tenants.models import Tenant
from tenants.services import TenantSpec, create_tenant

from conftest import PASSWORD

pytestmark = pytest.mark.django_db
PUBLIC, ALPHA = "localhost", "alpha.localhost"
S, O = Rectification.State, Rectification.Outcome
RATER_NAME, RATER_PHONE = "王小明", "13800138000"


def county_client(username: str = "county_admin", *, english: bool = False) -> Client:
    client = Client()
    connection.set_schema_to_public()
    client.force_login(User.objects.get(username=username))
    if english:
        client.cookies["django_language"] = "en"
    return client


def rectification(slug: str = "alpha", **values) -> Rectification:
    """A rectification row straight into `slug`'s schema (owner and rating unit: that tenant), with rater data."""
    now = timezone.now()
    with schema_context(slug):
        tenant = Tenant.objects.get(schema_name=slug)
        fields = dict(rating_unit=tenant, owner_unit=tenant, source_evaluation_id=secrets.randbelow(10**9) + 1,
                      grade=1, channel="MOBILE_APP", rated_at=now - timedelta(days=10),
                      follow_up_due=now - timedelta(days=9), due=now + timedelta(days=5),
                      case_number=f"SUP-{secrets.token_hex(3).upper()}", item_name="测试事项1",
                      rater_name=RATER_NAME, rater_phone=RATER_PHONE, comment="等候时间太长", is_real_name=True)
        fields.update(values)
        r = Rectification.objects.create(**fields)
    connection.set_schema_to_public()
    return r


@pytest.fixture
def department(alpha):
    """A county department (县直部门), created in the test (its DDL rolls back with it)."""
    code17 = "11411325MB7654321"
    tenant = create_tenant(TenantSpec("supdept", "县测试局", "DEPARTMENT", code17 + uscc_check_char(code17)))
    connection.set_schema_to_public()
    return tenant


# --- access ---------------------------------------------------------------------------------------------------


def test_anonymous_goes_to_login():
    for path in ("/supervision/", "/supervision/alpha/"):
        response = Client().get(path, HTTP_HOST=PUBLIC)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_county_roles_sign_in_and_see_the_page_and_the_nav_link():
    for username in ("county_admin", "county_supervisor"):
        client = Client()
        response = client.post("/accounts/login/", {"username": username, "password": PASSWORD}, HTTP_HOST=PUBLIC)
        assert response.status_code == 302
        page = client.get("/supervision/", HTTP_HOST=PUBLIC)
        assert page.status_code == 200
        html = page.content.decode()
        assert "县级督办" in html and 'href="/supervision/"' in html
        assert client.get("/supervision/alpha/", HTTP_HOST=PUBLIC).status_code == 200
    # The nav link is for county roles only.
    assert 'href="/supervision/"' not in Client().get("/", HTTP_HOST=PUBLIC).content.decode()


def test_tenant_users_cannot_sign_in_on_the_public_host():
    for username in ("tenant_admin", "agency"):
        client = Client()
        response = client.post("/accounts/login/", {"username": username, "password": PASSWORD}, HTTP_HOST=PUBLIC)
        assert response.status_code == 200 and "用户名或密码不正确" in response.content.decode()
        followed = client.get("/supervision/", HTTP_HOST=PUBLIC)
        assert followed.status_code == 302 and "/accounts/login/" in followed["Location"]
    # A tenant's host has no supervision pages.
    client = Client()
    with schema_context("alpha"):
        client.force_login(User.objects.get(username="tenant_admin"))
    connection.set_schema_to_public()
    assert client.get("/supervision/", HTTP_HOST=ALPHA).status_code == 404


def test_other_public_roles_are_refused():
    user = User(username="plain_public", role=Role.VIEWER)
    user.set_password(PASSWORD)
    user.save()
    client = Client()
    client.force_login(user)
    assert client.get("/supervision/", HTTP_HOST=PUBLIC).status_code == 403
    assert client.get("/supervision/alpha/", HTTP_HOST=PUBLIC).status_code == 403
    response = client.post("/supervision/", {"action": "circular", "title": "t", "body": "b"}, HTTP_HOST=PUBLIC)
    assert response.status_code == 403 and not Circular.objects.exists()


def test_unknown_tenant_ledger_is_404():
    client = county_client()
    assert client.get("/supervision/nosuch/", HTTP_HOST=PUBLIC).status_code == 404
    assert client.get("/supervision/public/", HTTP_HOST=PUBLIC).status_code == 404


# --- overview ---------------------------------------------------------------------------------------------------


def _row(html: str, slug: str) -> str:
    start = html.index(f'<tr data-tenant="{slug}"')
    return html[start:html.index("</tr>", start)]


def _metric(row: str, name: str) -> str:
    start = row.index(f'data-metric="{name}">') + len(f'data-metric="{name}">')
    return row[start:row.index("</td>", start)].strip()


def test_overview_shows_alpha_numbers():
    now = timezone.now()
    # Closed on time, real-name, followed up: counts for both rates.
    rectification(state=S.CLOSED, outcome=O.FIXED_NOW, followed_up_at=now - timedelta(days=8),
                  closed_at=now - timedelta(days=1), due=now + timedelta(days=1))
    # Open and overdue, escalated, real-name, not followed up: the follow-up rate falls below 100%.
    rectification(state=S.VERIFYING, due=now - timedelta(days=2), escalated_at=now - timedelta(days=1))
    html = county_client().get("/supervision/", HTTP_HOST=PUBLIC).content.decode()
    row = _row(html, "alpha")
    assert "甲镇" in row
    assert [_metric(row, m) for m in ("open", "overdue", "escalated", "closed")] == ["1", "1", "1", "1"]
    assert _metric(row, "on_time") == "100.0%"
    assert _metric(row, "follow_up").startswith("50.0%") and "未达标" in _metric(row, "follow_up")
    assert 'class="below"' in row
    beta = _row(html, "beta")
    assert _metric(beta, "open") == "0" and _metric(beta, "follow_up").startswith("—")
    # No rater data on the page.
    assert RATER_NAME not in html and RATER_PHONE not in html and "等候时间太长" not in html


def test_overview_lists_rejections_with_reasons():
    rectification(state=S.CLOSED, outcome=O.REJECTED_MALICIOUS, rejection_kind=O.REJECTED_MALICIOUS,
                  rejection_reason="同一号码一日内差评二十次", closed_at=timezone.now())
    row = _row(county_client().get("/supervision/", HTTP_HOST=PUBLIC).content.decode(), "alpha")
    cell = _metric(row, "rejections")
    assert "<strong>1</strong>" in cell and "同一号码一日内差评二十次" in cell and "恶意差评" in cell


def test_english_page():
    html = county_client(english=True).get("/supervision/", HTTP_HOST=PUBLIC).content.decode()
    assert "County supervision" in html and "Real-name bad reviews followed up and rectified" in html


# --- 督办意见 -------------------------------------------------------------------------------------------------


def test_instruction_from_the_page_reaches_the_tenant(alpha):
    now = timezone.now()
    r = rectification(state=S.VERIFYING, due=now - timedelta(days=2), escalated_at=now - timedelta(hours=3))
    Escalation.objects.create(tenant=alpha, rectification_id=r.pk, case_number=r.case_number, item_name=r.item_name,
                              due=r.due, escalated_at=r.escalated_at, reason=Escalation.Reason.OVERDUE)
    client = county_client("county_supervisor")
    html = client.get("/supervision/", HTTP_HOST=PUBLIC).content.decode()
    section = html[html.index('id="escalations"'):html.index('id="rejections"')]
    assert f'data-id="{r.pk}"' in section and r.case_number in section and "逾期未整改" in section
    response = client.post("/supervision/", {"action": "instruct", "tenant": "alpha", "rectification_id": r.pk,
                                             "text": "请于三个工作日内整改到位"}, HTTP_HOST=PUBLIC)
    assert response.status_code == 302 and response["Location"] == "/supervision/"
    instruction = SupervisionInstruction.objects.get(tenant=alpha, rectification_id=r.pk)
    assert instruction.text == "请于三个工作日内整改到位" and instruction.issued_by.startswith("县级")
    with schema_context("alpha"):
        event = RectificationEvent.objects.get(rectification_id=r.pk, action="SUPERVISION_INSTRUCTION")
        assert event.note == "请于三个工作日内整改到位" and event.data == {"instruction_id": instruction.pk}
    connection.set_schema_to_public()
    after = client.get("/supervision/", HTTP_HOST=PUBLIC).content.decode()
    assert "已下发督办意见" in after and "已督办 1 次" in after


def test_instruction_needs_text_and_a_real_rectification():
    r = rectification(state=S.VERIFYING, escalated_at=timezone.now())
    client = county_client()
    empty = client.post("/supervision/", {"action": "instruct", "tenant": "alpha", "rectification_id": r.pk,
                                          "text": "  "}, HTTP_HOST=PUBLIC)
    assert empty.status_code == 400 and "REQUIRED" in empty.content.decode()
    missing = client.post("/supervision/", {"action": "instruct", "tenant": "alpha", "rectification_id": 999999,
                                            "text": "请整改"}, HTTP_HOST=PUBLIC)
    assert missing.status_code == 404
    unknown = client.post("/supervision/", {"action": "instruct", "tenant": "nosuch", "rectification_id": r.pk,
                                            "text": "请整改"}, HTTP_HOST=PUBLIC)
    assert unknown.status_code == 404
    assert not SupervisionInstruction.objects.exists()


# --- 不予采纳 审批 ----------------------------------------------------------------------------------------------


def test_rejection_decision_from_the_page_closes_a_departments_request(department):
    r = rectification("supdept", state=S.REJECTION_PENDING, rejection_kind=O.REJECTED_MISTAKEN,
                      rejection_reason="评价人误点差评", followed_up_at=timezone.now())
    township = rectification("alpha", state=S.REJECTION_PENDING, rejection_kind=O.REJECTED_MISTAKEN,
                             rejection_reason="乡镇自己审批")
    client = county_client()
    html = client.get("/supervision/", HTTP_HOST=PUBLIC).content.decode()
    section = html[html.index('id="rejections"'):html.index('id="circulars"')]
    assert 'data-tenant="supdept"' in section and "评价人误点差评" in section and r.case_number in section
    assert "乡镇自己审批" not in section  # a township's own agency decides
    assert RATER_NAME not in section and RATER_PHONE not in section
    stale = client.post("/supervision/", {"action": "decide_rejection", "tenant": "supdept", "rectification_id": r.pk,
                                          "version": r.version + 5, "decision": "approve"}, HTTP_HOST=PUBLIC)
    assert stale.status_code == 409
    response = client.post("/supervision/", {"action": "decide_rejection", "tenant": "supdept",
                                             "rectification_id": r.pk, "version": r.version, "decision": "approve",
                                             "note": "县级同意"}, HTTP_HOST=PUBLIC)
    assert response.status_code == 302
    with schema_context("supdept"):
        done = Rectification.objects.get(pk=r.pk)
        assert (done.state, done.outcome) == (S.CLOSED, O.REJECTED_MISTAKEN)
        event = RectificationEvent.objects.filter(rectification_id=r.pk).last()
        assert event.action == "REJECTION_APPROVED" and event.actor is None and event.actor_label.startswith("县级")
    connection.set_schema_to_public()
    # The county cannot decide a township's request, even by posting it.
    refused = client.post("/supervision/", {"action": "decide_rejection", "tenant": "alpha",
                                            "rectification_id": township.pk, "version": township.version,
                                            "decision": "approve"}, HTTP_HOST=PUBLIC)
    assert refused.status_code == 403
    with schema_context("alpha"):
        assert Rectification.objects.get(pk=township.pk).state == S.REJECTION_PENDING


def test_denied_rejection_goes_back_to_verifying(department):
    r = rectification("supdept", state=S.REJECTION_PENDING, rejection_kind=O.REJECTED_MALICIOUS,
                      rejection_reason="疑似恶意")
    response = county_client("county_supervisor").post(
        "/supervision/", {"action": "decide_rejection", "tenant": "supdept", "rectification_id": r.pk,
                          "version": r.version, "decision": "deny"}, HTTP_HOST=PUBLIC)
    assert response.status_code == 302
    with schema_context("supdept"):
        assert Rectification.objects.get(pk=r.pk).state == S.VERIFYING


# --- 内部通报 ---------------------------------------------------------------------------------------------------


def test_circular_from_the_page(alpha, beta):
    client = county_client()
    response = client.post("/supervision/", {"action": "circular", "title": "关于甲镇差评整改滞后的通报",
                                             "body": "请各单位引以为戒。", "tenants": ["alpha", "beta"]},
                           HTTP_HOST=PUBLIC)
    assert response.status_code == 302
    circular = Circular.objects.get()
    assert set(circular.tenants.all()) == {alpha, beta} and circular.issued_by.startswith("县级")
    html = client.get("/supervision/", HTTP_HOST=PUBLIC).content.decode()
    assert "关于甲镇差评整改滞后的通报" in html and "已发布内部通报" in html
    bad = client.post("/supervision/", {"action": "circular", "title": "", "body": ""}, HTTP_HOST=PUBLIC)
    assert bad.status_code == 400 and Circular.objects.count() == 1
    assert client.post("/supervision/", {"action": "circular", "title": "t", "body": "b", "tenants": ["nosuch"]},
                       HTTP_HOST=PUBLIC).status_code == 404
    assert client.post("/supervision/", {"action": "nope"}, HTTP_HOST=PUBLIC).status_code == 400


# --- 单位台账 ---------------------------------------------------------------------------------------------------


def test_tenant_ledger_highlights_overdue_and_shows_no_rater_data():
    now = timezone.now()
    late = rectification(state=S.VERIFYING, due=now - timedelta(days=1))
    fine = rectification(state=S.OPEN, due=now + timedelta(days=3))
    html = county_client().get("/supervision/alpha/", HTTP_HOST=PUBLIC).content.decode()
    assert "甲镇" in html and late.case_number in html and fine.case_number in html
    assert f'<tr class="overdue" data-id="{late.pk}"' in html
    assert f'<tr class="" data-id="{fine.pk}"' in html
    assert RATER_NAME not in html and RATER_PHONE not in html and "等候时间太长" not in html
    with schema_context("beta"):
        assert not Rectification.objects.filter(case_number=late.case_number).exists()
    connection.set_schema_to_public()
    assert late.case_number not in county_client().get("/supervision/beta/", HTTP_HOST=PUBLIC).content.decode()
