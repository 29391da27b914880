"""The staff entry pages: /paper-forms/ (print PDF, enter one by one, batch upload with CSRF) and /hotline/."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from haochaping.accounts.models import User
from haochaping.evaluations.models import Channel, Evaluation, PaperForm
from haochaping.evaluations.paper import issue_paper_forms
from haochaping.organizations.models import ServiceOrg, Window
from haochaping.rectification.models import Rectification
from schema.core.nodes import global_id

pytestmark = pytest.mark.django_db
ALPHA = "alpha.localhost"


def client_for(username: str | None, *, slug: str = "alpha", enforce_csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=enforce_csrf)
    if username:
        with schema_context(slug):
            client.force_login(User.objects.get(username=username))
        connection.set_schema_to_public()
    return client


def org_gid(slug: str = "alpha") -> str:
    with schema_context(slug):
        return global_id("ServiceOrg", ServiceOrg.objects.get(code="H01").pk)


def issue(count: int) -> list[str]:
    with schema_context("alpha"):
        return [f.serial for f in issue_paper_forms(ServiceOrg.objects.get(code="H01").pk, count)]


def page_count(pdf: bytes) -> int:
    return pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")


# --- access -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/paper-forms/", "/hotline/", "/paper-forms/template.csv"])
def test_anonymous_is_sent_to_login(path):
    response = Client().get(path, HTTP_HOST=ALPHA)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("username", ["viewer", "staff"])
@pytest.mark.parametrize("path", ["/paper-forms/", "/hotline/"])
def test_other_roles_are_refused(username, path):
    assert client_for(username).get(path, HTTP_HOST=ALPHA).status_code == 403


@pytest.mark.parametrize("username", ["viewer", "staff"])
def test_other_roles_cannot_print(username):
    response = client_for(username).post(f"/paper-forms/{org_gid()}.pdf", {"count": 2}, HTTP_HOST=ALPHA)
    assert response.status_code == 403
    with schema_context("alpha"):
        assert not PaperForm.objects.exists()


def test_entry_roles_see_the_links_others_do_not():
    home = client_for("handler").get("/", HTTP_HOST=ALPHA).content.decode()
    assert 'href="/paper-forms/"' in home and 'href="/hotline/"' in home
    for username in ("viewer", None):
        html = client_for(username).get("/", HTTP_HOST=ALPHA).content.decode()
        assert 'href="/paper-forms/"' not in html and 'href="/hotline/"' not in html


# --- paper forms --------------------------------------------------------------------------------------------


def test_the_page_lists_stations_with_their_pdf_links():
    response = client_for("tenant_admin").get("/paper-forms/", HTTP_HOST=ALPHA)
    assert response.status_code == 200
    html = response.content.decode()
    assert "alpha便民服务中心" in html and f'action="/paper-forms/{org_gid()}.pdf"' in html
    assert 'enctype="multipart/form-data"' in html and "csrfmiddlewaretoken" in html
    assert '<html lang="zh-hans"' in html and "书面评价表" in html


def test_download_issues_the_serials_and_returns_the_pdf():
    client = client_for("agency")
    url = f"/paper-forms/{org_gid()}.pdf"
    assert client.get(url, {"count": 3}, HTTP_HOST=ALPHA).status_code == 405  # a GET never issues serials
    response = client.post(url, {"count": 3}, HTTP_HOST=ALPHA)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="paper-forms-H01-')
    assert response.content.startswith(b"%PDF-") and page_count(response.content) == 3
    with schema_context("alpha"):
        assert PaperForm.objects.count() == 3


def test_download_refuses_bad_counts_and_foreign_stations():
    client = client_for("agency")
    for count in ("0", "201", "abc", ""):
        response = client.post(f"/paper-forms/{org_gid()}.pdf", {"count": count}, HTTP_HOST=ALPHA)
        assert response.status_code == 400
        assert "INVALID_COUNT" in response.content.decode()
    assert client.post(f"/paper-forms/{org_gid('beta')}.pdf", {"count": 1}, HTTP_HOST=ALPHA).status_code == 404
    assert client.post("/paper-forms/not-an-id.pdf", {"count": 1}, HTTP_HOST=ALPHA).status_code == 404
    for slug in ("alpha", "beta"):
        with schema_context(slug):
            assert not PaperForm.objects.exists()


def test_enter_one_form():
    serial = issue(1)[0]
    client = client_for("handler")
    response = client.post("/paper-forms/", {"action": "enter", "serial": serial, "grade": "2", "window": "W01",
                                             "comment": "窗口人少", "q_guidance_clear": "否"}, HTTP_HOST=ALPHA)
    assert response.status_code == 200
    html = response.content.decode()
    with schema_context("alpha"):
        evaluation = Evaluation.objects.get()
        assert evaluation.channel == Channel.PAPER_FORM and evaluation.entered_by.username == "handler"
        assert evaluation.answers == {"guidance_clear": "否"} and evaluation.window.code == "W01"
        assert Rectification.objects.filter(evaluation=evaluation).exists()
    assert evaluation.receipt_code in html and "已开启整改" in html
    again = client.post("/paper-forms/", {"action": "enter", "serial": serial, "grade": "2", "window": "W01",
                                          "comment": "窗口人少", "q_guidance_clear": "否"}, HTTP_HOST=ALPHA)
    assert "未重复保存" in again.content.decode()
    with schema_context("alpha"):
        assert Evaluation.objects.count() == 1


def test_enter_errors_are_shown_in_the_pages_language():
    client = client_for("handler")
    html = client.post("/paper-forms/", {"action": "enter", "serial": "NOPE", "grade": "5"},
                       HTTP_HOST=ALPHA).content.decode()
    assert "UNKNOWN_PAPER_FORM" in html and "未找到该书面评价表编号" in html and "逐份录入" in html
    client.post("/i18n/setlang/", {"language": "en", "next": "/"}, HTTP_HOST=ALPHA)
    html = client.post("/paper-forms/", {"action": "enter", "serial": "NOPE", "grade": "5"},
                       HTTP_HOST=ALPHA).content.decode()
    assert '<html lang="en"' in html and "No paper form has that serial" in html
    assert "Enter one form" in html and "Batch upload" in html and "逐份录入" not in html
    hotline = client.get("/hotline/", HTTP_HOST=ALPHA).content.decode()
    assert "Record a hotline rating" in hotline and "Very satisfied" in hotline and "Was the guidance clear?" in hotline
    with schema_context("alpha"):
        assert not Evaluation.objects.exists()


def test_batch_upload_with_csrf_shows_every_row():
    serials = issue(2)
    content = f"表单编号,评价等级,意见\n{serials[0]},5,好\n{serials[1]},7,\nNOPE,3,\n".encode()
    client = client_for("handler", enforce_csrf=True)
    client.get("/paper-forms/", HTTP_HOST=ALPHA)
    token = client.cookies["csrftoken"].value
    response = client.post("/paper-forms/", {"action": "import", "csrfmiddlewaretoken": token,
                                             "file": SimpleUploadedFile("batch.csv", content, "text/csv")},
                           HTTP_HOST=ALPHA)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-status="STORED"') == 1 and html.count('data-status="FAILED"') == 2
    assert "INVALID_GRADE" in html and "UNKNOWN_PAPER_FORM" in html
    with schema_context("alpha"):
        assert list(Evaluation.objects.values_list("paper_form__serial", flat=True)) == [serials[0]]


def test_batch_upload_without_csrf_is_refused():
    serials = issue(1)
    client = client_for("handler", enforce_csrf=True)
    response = client.post("/paper-forms/", {"action": "import", "file": SimpleUploadedFile(
        "batch.csv", f"serial,grade\n{serials[0]},5\n".encode(), "text/csv")}, HTTP_HOST=ALPHA)
    assert response.status_code == 403
    with schema_context("alpha"):
        assert not Evaluation.objects.exists()


def test_batch_template_download():
    response = client_for("handler").get("/paper-forms/template.csv", HTTP_HOST=ALPHA)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response.content.decode("utf-8-sig").startswith("serial,grade,window,case_number,comment,")


# --- hotline ------------------------------------------------------------------------------------------------


def test_hotline_page_records_a_bad_review_and_says_a_rectification_opened():
    client = client_for("handler")
    page = client.get("/hotline/", HTTP_HOST=ALPHA).content.decode()
    with schema_context("alpha"):
        window = Window.objects.get(code="W01")
    assert f'<option value="{window.pk}"' in page and 'name="idempotency_key"' in page
    data = {"grade": "1", "window": str(window.pk), "comment": "电话里说要跑三次", "caller_phone": "13800138000",
            "idempotency_key": "hotline-test-1"}
    response = client.post("/hotline/", data, HTTP_HOST=ALPHA)
    assert response.status_code == 200
    html = response.content.decode()
    with schema_context("alpha"):
        evaluation = Evaluation.objects.get()
        assert evaluation.channel == Channel.HOTLINE and evaluation.entered_by.username == "handler"
        assert not evaluation.is_real_name and evaluation.rater_phone == "13800138000"
        assert Rectification.objects.filter(evaluation=evaluation).exists()
    assert evaluation.receipt_code in html and "已开启整改" in html
    # The same form submitted twice (a double click) stores once.
    again = client.post("/hotline/", data, HTTP_HOST=ALPHA).content.decode()
    assert "未重复保存" in again
    with schema_context("alpha"):
        assert Evaluation.objects.count() == 1


def test_hotline_page_shows_errors_and_keeps_the_input():
    html = client_for("agency").post("/hotline/", {"grade": "3", "caller_phone": "123", "comment": "记下的意见",
                                                   "q_guidance_clear": "否", "idempotency_key": "k"},
                                     HTTP_HOST=ALPHA).content.decode()
    assert "INVALID_PHONE" in html and "NO_TARGET" in html and "记下的意见" in html
    assert '<option value="否" selected>' in html and 'value="3" required checked' in html
    assert 'name="idempotency_key" value="k"' in html  # the same form again: still one rating at most
    with schema_context("alpha"):
        assert not Evaluation.objects.exists()
