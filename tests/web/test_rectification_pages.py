"""差评整改 pages: /rectifications/ (the ledger), /rectifications/<id>/ (timeline, actions, evidence, contact) and the
anonymous /receipt/ lookup."""
from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from haochaping.accounts.models import User
from haochaping.evaluations.models import Evaluation
from haochaping.organizations.models import Window
from haochaping.rectification import services
from haochaping.rectification.models import ContactAccess, Evidence, Rectification
from tenants.models import Tenant

pytestmark = pytest.mark.django_db
ALPHA, BETA = "alpha.localhost", "beta.localhost"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def client_for(username: str | None, *, slug: str = "alpha", english: bool = False) -> Client:
    client = Client()
    if username:
        with schema_context(slug):
            client.force_login(User.objects.get(username=username))
        connection.set_schema_to_public()
    if english:
        client.cookies["django_language"] = "en"
    return client


def bad_review(slug: str = "alpha", *, grade: int = 1, phone: str = "13800138000", name: str = "王小明",
               comment: str = "等候时间太长") -> tuple[int, str]:
    """A stored bad review and its rectification in `slug`: (rectification id, receipt code)."""
    with schema_context(slug):
        connection.tenant = Tenant.objects.get(schema_name=slug)
        code = secrets.token_hex(5).upper()
        evaluation = Evaluation.objects.create(grade=grade, channel="QR_CODE", receipt_code=code, is_bad=True,
                                               window=Window.objects.get(code="W01"), comment=comment,
                                               rater_name=name, rater_phone=phone, rated_at=timezone.now())
        r = services.open_for_evaluation(evaluation, connection.tenant)
    connection.set_schema_to_public()
    return r.pk, code


def actor(username: str, slug: str = "alpha"):
    return services.Actor.of(User.objects.get(username=username))


def get_r(pk: int, slug: str = "alpha") -> Rectification:
    with schema_context(slug):
        return Rectification.objects.get(pk=pk)


def post(client, pk, host=ALPHA, **data):
    return client.post(f"/rectifications/{pk}/", data, HTTP_HOST=host)


# --- access ---------------------------------------------------------------------------------------------------


def test_login_and_roles():
    pk, _ = bad_review()
    anonymous = Client().get("/rectifications/", HTTP_HOST=ALPHA)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert Client().get(f"/rectifications/{pk}/", HTTP_HOST=ALPHA).status_code == 302
    assert client_for("staff").get("/rectifications/", HTTP_HOST=ALPHA).status_code == 403
    assert client_for("staff").get(f"/rectifications/{pk}/", HTTP_HOST=ALPHA).status_code == 403
    for role in ("tenant_admin", "agency", "handler", "viewer"):
        page = client_for(role).get("/rectifications/", HTTP_HOST=ALPHA)
        assert page.status_code == 200, role
        assert "差评整改台账" in page.content.decode()
        assert client_for(role).get(f"/rectifications/{pk}/", HTTP_HOST=ALPHA).status_code == 200
    # The nav shows the ledger to these roles only.
    assert 'href="/rectifications/"' in client_for("viewer").get("/", HTTP_HOST=ALPHA).content.decode()
    assert 'href="/rectifications/"' not in client_for("staff").get("/", HTTP_HOST=ALPHA).content.decode()


def test_viewer_sees_no_action_forms_and_cannot_act():
    pk, _ = bad_review()
    viewer = client_for("viewer")
    html = viewer.get(f"/rectifications/{pk}/", HTTP_HOST=ALPHA).content.decode()
    assert 'value="follow_up"' not in html and "查看联系方式" not in html
    response = post(viewer, pk, action="follow_up", version=0, method="PHONE", rater_said="x")
    assert response.status_code == 400
    assert "当前角色或状态不允许此操作" in response.content.decode()
    assert get_r(pk).state == "OPEN"


def test_isolation_betas_rectification_id_on_alpha_is_404():
    pk, _ = bad_review("beta")
    with schema_context("alpha"):
        assert not Rectification.objects.filter(pk=pk).exists()
    connection.set_schema_to_public()
    assert client_for("handler").get(f"/rectifications/{pk}/", HTTP_HOST=ALPHA).status_code == 404
    assert post(client_for("handler"), pk, action="follow_up", version=0, method="PHONE",
                rater_said="x").status_code == 404
    # Beta's own handler sees it on beta's host.
    assert client_for("handler", slug="beta").get(f"/rectifications/{pk}/", HTTP_HOST=BETA).status_code == 200
    # A session signed in on alpha is not a session on beta.
    assert client_for("handler").get(f"/rectifications/{pk}/", HTTP_HOST=BETA).status_code == 302


# --- the ledger -----------------------------------------------------------------------------------------------


def test_ledger_filters_and_overdue_highlight():
    late, _ = bad_review()
    fresh, _ = bad_review()
    mine, _ = bad_review()
    with schema_context("alpha"):
        Rectification.objects.filter(pk=late).update(due=timezone.now() - timedelta(days=1),
                                                     escalated_at=timezone.now())
        services.assign_handler(mine, 0, actor("agency"), User.objects.get(username="handler"))
        services.record_follow_up(mine, 1, actor("handler"), method="PHONE", rater_said="确有其事")
    connection.set_schema_to_public()
    handler = client_for("handler")

    html = handler.get("/rectifications/", HTTP_HOST=ALPHA).content.decode()
    for pk in (late, fresh, mine):
        assert f'data-id="{pk}"' in html
    assert f'<tr class="overdue" data-id="{late}">' in html
    assert f'<tr class="" data-id="{fresh}">' in html
    assert "已超期" in html and "已升级督办" in html

    overdue = handler.get("/rectifications/?overdue=1", HTTP_HOST=ALPHA).content.decode()
    assert f'data-id="{late}"' in overdue and f'data-id="{fresh}"' not in overdue

    by_state = handler.get("/rectifications/?state=VERIFYING", HTTP_HOST=ALPHA).content.decode()
    assert f'data-id="{mine}"' in by_state and f'data-id="{late}"' not in by_state
    assert "核实中" in by_state

    only_mine = handler.get("/rectifications/?mine=1", HTTP_HOST=ALPHA).content.decode()
    assert f'data-id="{mine}"' in only_mine and f'data-id="{fresh}"' not in only_mine
    # Nonsense filters are ignored, not errors.
    assert handler.get("/rectifications/?state=BOGUS", HTTP_HOST=ALPHA).status_code == 200


def test_ledger_in_english():
    bad_review()
    html = client_for("viewer", english=True).get("/rectifications/", HTTP_HOST=ALPHA).content.decode()
    assert "Rectification ledger" in html and "Awaiting follow-up" in html


# --- detail, actions, errors ----------------------------------------------------------------------------------


def test_detail_shows_timeline_and_masked_contact():
    pk, _ = bad_review()
    html = client_for("handler").get(f"/rectifications/{pk}/", HTTP_HOST=ALPHA).content.decode()
    assert 'id="timeline"' in html and 'data-action="OPENED"' in html and "开启整改" in html and "系统" in html
    assert "待回访核实" in html and "等候时间太长" in html
    assert "王**" in html and "138****8000" in html
    assert "13800138000" not in html and "王小明" not in html


def test_contact_is_revealed_once_and_logged():
    pk, _ = bad_review()
    handler = client_for("handler")
    response = post(handler, pk, action="contact")
    html = response.content.decode()
    assert response.status_code == 200 and "13800138000" in html and "王小明" in html
    with schema_context("alpha"):
        assert list(ContactAccess.objects.filter(rectification_id=pk).values_list("user__username", flat=True)) == ["handler"]
    connection.set_schema_to_public()
    assert "13800138000" not in handler.get(f"/rectifications/{pk}/", HTTP_HOST=ALPHA).content.decode()
    # A viewer may not read it, and nothing is logged.
    assert post(client_for("viewer"), pk, action="contact").status_code == 403
    with schema_context("alpha"):
        assert ContactAccess.objects.filter(rectification_id=pk).count() == 1


def test_follow_up_evidence_fix_now_closes_it():
    pk, code = bad_review()
    handler = client_for("handler")
    response = post(handler, pk, action="follow_up", version=0, method="PHONE", rater_said="等了一个小时")
    assert response.status_code == 302 and response["Location"] == f"/rectifications/{pk}/"
    assert get_r(pk).state == "VERIFYING"
    page = handler.get(f"/rectifications/{pk}/", HTTP_HOST=ALPHA).content.decode()
    assert "已记录回访" in page and "等了一个小时" in page and "核实中" in page

    # Fix now without evidence: refused, the error is shown and the feedback kept.
    refused = post(handler, pk, action="fix_now", version=1, feedback="已增派人员")
    assert refused.status_code == 400
    assert "立行立改须上传整改证明材料" in refused.content.decode() and "已增派人员" in refused.content.decode()

    bad_file = handler.post(f"/rectifications/{pk}/", {"action": "evidence",
                            "file": SimpleUploadedFile("x.png", b"not a png", content_type="image/png")}, HTTP_HOST=ALPHA)
    assert bad_file.status_code == 400 and "仅支持 JPG、PNG 图片或 PDF 文件" in bad_file.content.decode()
    uploaded = handler.post(f"/rectifications/{pk}/", {"action": "evidence",
                            "file": SimpleUploadedFile("现场.png", PNG, content_type="image/png")}, HTTP_HOST=ALPHA)
    assert uploaded.status_code == 302
    version = get_r(pk).version
    assert post(handler, pk, action="fix_now", version=version, feedback="已增派窗口人员，等候时间缩短").status_code == 302
    r = get_r(pk)
    assert (r.state, r.outcome, r.feedback) == ("CLOSED", "FIXED_NOW", "已增派窗口人员，等候时间缩短")
    html = handler.get(f"/rectifications/{pk}/", HTTP_HOST=ALPHA).content.decode()
    assert 'data-action="FIXED_NOW"' in html and "已办结" in html and "现场.png" in html
    assert 'value="fix_now"' not in html  # no more actions on a closed rectification


def test_stale_version_says_someone_else_changed_it():
    pk, _ = bad_review()
    with schema_context("alpha"):
        services.record_follow_up(pk, 0, actor("tenant_admin"), method="PHONE", rater_said="先回访了")
    connection.set_schema_to_public()
    response = post(client_for("handler"), pk, action="follow_up", version=0, method="SMS", rater_said="我也回访")
    html = response.content.decode()
    assert response.status_code == 409
    assert "该整改已被他人更新，请刷新后重试" in html and 'id="conflict"' in html
    assert "先回访了" in html  # the page shows what is stored now
    english = post(client_for("handler", english=True), pk, action="follow_up", version=0, method="SMS", rater_said="x")
    assert "Someone else changed this rectification" in english.content.decode()


def test_validation_errors_in_chinese_and_english():
    pk, _ = bad_review()
    response = post(client_for("handler"), pk, action="follow_up", version=0, method="PHONE", rater_said="")
    assert response.status_code == 400 and "评价人反映的情况不能为空" in response.content.decode()
    english = post(client_for("handler", english=True), pk, action="follow_up", version=0, method="PHONE", rater_said="")
    assert "What the rater said is required" in english.content.decode()


def test_ledger_path_and_rejection_and_extension_by_the_township_agency():
    pk, _ = bad_review()
    handler, agency = client_for("handler"), client_for("agency")
    with schema_context("alpha"):
        handler_pk = User.objects.get(username="handler").pk
    connection.set_schema_to_public()
    assert post(agency, pk, action="assign", version=0, handler=handler_pk).status_code == 302
    assert get_r(pk).handler.username == "handler"
    assert post(handler, pk, action="follow_up", version=1, method="VISIT", rater_said="需改造场地").status_code == 302
    assert post(handler, pk, action="request_extension", version=2, days=5, reason="等待采购").status_code == 302
    due = get_r(pk).due
    html = agency.get(f"/rectifications/{pk}/", HTTP_HOST=ALPHA).content.decode()
    assert 'value="decide_extension"' in html
    assert post(agency, pk, action="decide_extension", version=3, decision="approve").status_code == 302
    assert get_r(pk).due > due
    assert post(handler, pk, action="open_ledger", version=4, plan="改造等候区").status_code == 302
    assert post(handler, pk, action="progress", version=5, note="已招标").status_code == 302
    assert get_r(pk).state == "LEDGER"
    assert post(handler, pk, action="explain", version=6, feedback="已向评价人说明改造计划").status_code == 302
    assert (get_r(pk).state, get_r(pk).outcome) == ("CLOSED", "EXPLAINED")

    other, _ = bad_review()
    assert post(handler, other, action="follow_up", version=0, method="PHONE", rater_said="误点").status_code == 302
    assert post(handler, other, action="request_rejection", version=1, kind="REJECTED_MISTAKEN",
                reason="评价人称误点").status_code == 302
    assert get_r(other).state == "REJECTION_PENDING"
    # The handler cannot approve their own request.
    assert post(handler, other, action="decide_rejection", version=2, decision="approve").status_code == 400
    assert post(agency, other, action="decide_rejection", version=2, decision="approve").status_code == 302
    assert (get_r(other).state, get_r(other).outcome) == ("CLOSED", "REJECTED_MISTAKEN")


# --- evidence download ----------------------------------------------------------------------------------------


def _evidence(pk: int, slug: str = "alpha") -> int:
    with schema_context(slug):
        services.record_follow_up(pk, 0, actor("handler"), method="PHONE", rater_said="核实")
        return services.add_evidence(pk, actor("handler"), name="证明.png", content=PNG).pk


def test_evidence_download_checks_tenant_and_role():
    pk, _ = bad_review()
    evidence_id = _evidence(pk)
    connection.set_schema_to_public()
    url = f"/rectifications/{pk}/evidence/{evidence_id}/"
    response = client_for("viewer").get(url, HTTP_HOST=ALPHA)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG
    assert client_for("staff").get(url, HTTP_HOST=ALPHA).status_code == 403
    assert Client().get(url, HTTP_HOST=ALPHA).status_code == 302
    # Beta has no such evidence row: its host never serves alpha's file.
    assert client_for("viewer", slug="beta").get(url, HTTP_HOST=BETA).status_code == 404
    # The wrong rectification id in the path: 404.
    assert client_for("viewer").get(f"/rectifications/{pk + 999}/evidence/{evidence_id}/", HTTP_HOST=ALPHA).status_code == 404


def test_evidence_row_pointing_at_another_tenants_file_is_refused():
    beta_pk, _ = bad_review("beta")
    beta_evidence = _evidence(beta_pk, "beta")
    with schema_context("beta"):
        beta_name = Evidence.objects.get(pk=beta_evidence).file.name
    assert beta_name.startswith("tenants/beta/")
    pk, _ = bad_review()
    evidence_id = _evidence(pk)
    with schema_context("alpha"):  # a tampered row: alpha's evidence names beta's file
        Evidence.objects.filter(pk=evidence_id).update(file=beta_name)
        Evidence.objects.filter(pk=evidence_id).update(file=f"tenants/alpha/rectification/{pk}/../../../beta/x.png")
    connection.set_schema_to_public()
    assert client_for("viewer").get(f"/rectifications/{pk}/evidence/{evidence_id}/", HTTP_HOST=ALPHA).status_code == 404
    with schema_context("alpha"):
        Evidence.objects.filter(pk=evidence_id).update(file=beta_name)
    connection.set_schema_to_public()
    assert client_for("viewer").get(f"/rectifications/{pk}/evidence/{evidence_id}/", HTTP_HOST=ALPHA).status_code == 404


# --- the anonymous receipt lookup -----------------------------------------------------------------------------


def test_receipt_shows_state_then_outcome_and_feedback_without_personal_data():
    pk, code = bad_review()
    anonymous = Client()
    page = anonymous.get("/receipt/", HTTP_HOST=ALPHA)
    assert page.status_code == 200 and "回执码" in page.content.decode()
    open_ = anonymous.post("/receipt/", {"code": code.lower()}, HTTP_HOST=ALPHA).content.decode()
    assert "待回访核实" in open_ and "反馈内容" not in open_
    with schema_context("alpha"):
        services.record_follow_up(pk, 0, actor("handler"), method="PHONE", rater_said="核实")
        services.explain(pk, 1, actor("handler"), feedback="已向您说明办理时限的法定依据")
    connection.set_schema_to_public()
    closed = anonymous.post("/receipt/", {"code": code}, HTTP_HOST=ALPHA).content.decode()
    assert "已办结" in closed and "解释说明" in closed and "已向您说明办理时限的法定依据" in closed
    for private in ("王小明", "13800138000", "handler", "整改专人（", "核实</"):
        assert private not in closed
    missing = anonymous.post("/receipt/", {"code": "0000000000"}, HTTP_HOST=ALPHA)
    assert missing.status_code == 404 and "未找到该回执码" in missing.content.decode()
    # Another tenant's receipt code is not found on this host.
    assert anonymous.post("/receipt/", {"code": code}, HTTP_HOST=BETA).status_code == 404


def test_receipt_lookups_are_rate_limited_per_ip():
    _, code = bad_review()
    anonymous = Client()
    for _ in range(10):
        assert anonymous.post("/receipt/", {"code": "FFFFFFFFFF"}, HTTP_HOST=ALPHA).status_code == 404
    limited = anonymous.post("/receipt/", {"code": code}, HTTP_HOST=ALPHA)
    assert limited.status_code == 429 and "查询过于频繁" in limited.content.decode()
    other_ip = anonymous.post("/receipt/", {"code": code}, HTTP_HOST=ALPHA, REMOTE_ADDR="10.0.0.9")
    assert other_ip.status_code == 200
