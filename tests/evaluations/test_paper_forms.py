"""书面评价表: issuing serials, the printable PDF, one-by-one entry, CSV/XLSX batches (every row reported, no row
half-stored, re-uploads store nothing twice), the GraphQL upload behind session + CSRF, and tenant isolation."""
from __future__ import annotations

import csv
import io
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from haochaping.accounts.models import User
from haochaping.core.errors import DomainError
from haochaping.core.signing import read_token
from haochaping.evaluations import paper
from haochaping.evaluations.models import Channel, Evaluation, PaperForm
from haochaping.evaluations.paper import PaperEntry, enter_paper_form, import_paper_batch, issue_paper_forms
from haochaping.evaluations.policy import update_policy
from haochaping.evaluations.submission import QR_PURPOSE
from haochaping.organizations import services as orgs
from haochaping.organizations.models import ServiceOrg, Window
from haochaping.rectification.models import Rectification
from schema.core.nodes import global_id

pytestmark = pytest.mark.django_db

SERIAL_RE = re.compile(r"^H01-(\d{8})-(\d{4})-[A-HJ-NP-Z2-9]{2}$")


def user(username: str) -> User:
    return User.objects.get(username=username)


def hall() -> ServiceOrg:
    return ServiceOrg.objects.get(code="H01")


def issue(count: int, org: ServiceOrg | None = None) -> list[str]:
    return [f.serial for f in issue_paper_forms((org or hall()).pk, count)]


def page_count(pdf: bytes) -> int:
    return pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")


def csv_bytes(rows: list[list], header=("serial", "grade", "window", "case_number", "comment")) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def xlsx_bytes(rows: list[list], header: list[str]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def outcome(report) -> list[tuple[int, str, list[str]]]:
    return [(r.row, r.status, [e.code for e in r.errors]) for r in report.rows]


def second_station() -> tuple[ServiceOrg, Window]:
    org = orgs.save_org(orgs.OrgInput(kind="STATION", code="S01", name="偏远便民服务站"))
    window = orgs.save_window(orgs.WindowInput(org_id=org.pk, code="W09", name="站点窗口"))
    return org, window


# --- issuing ------------------------------------------------------------------------------------------------


class TestIssuing:
    def test_serials_are_readable_unique_and_continue_the_day(self):
        with schema_context("alpha"):
            first, second = issue(3), issue(2)
            today = timezone.localdate().strftime("%Y%m%d")
            serials = first + second
            assert len(set(serials)) == 5
            matches = [SERIAL_RE.match(s) for s in serials]
            assert all(matches), serials
            assert {m.group(1) for m in matches} == {today}
            assert [int(m.group(2)) for m in matches] == [1, 2, 3, 4, 5]
            assert PaperForm.objects.filter(org=hall()).count() == 5

    def test_the_check_letters_differ_between_tenants(self):
        base = "H01-20261201-0001"
        assert paper.check_code("alpha", base) != paper.check_code("beta", base)
        assert paper.check_code("alpha", base) != paper.check_code("alpha", "H01-20261201-0002")

    @pytest.mark.parametrize("count", [0, -1, 201, "5", 2.0, True, None])
    def test_bad_counts_are_refused(self, count):
        with schema_context("alpha"):
            with pytest.raises(DomainError) as error:
                issue_paper_forms(hall().pk, count)
            assert error.value.codes == ["INVALID_COUNT"]
            assert not PaperForm.objects.exists()

    def test_200_is_the_most(self):
        with schema_context("alpha"):
            assert len(issue(200)) == 200

    def test_unknown_or_inactive_org_and_org_without_window(self):
        with schema_context("alpha"):
            with pytest.raises(DomainError) as error:
                issue_paper_forms(999999, 1)
            assert error.value.codes == ["NOT_FOUND"]
            empty = orgs.save_org(orgs.OrgInput(kind="STATION", code="S07", name="无窗口站点"))
            with pytest.raises(DomainError) as error:
                issue_paper_forms(empty.pk, 1)
            assert error.value.codes == ["NO_WINDOW"]
            assert not PaperForm.objects.exists()


# --- the PDF ------------------------------------------------------------------------------------------------


class TestPdf:
    def test_one_a4_page_per_form(self):
        with schema_context("alpha"):
            forms = issue_paper_forms(hall().pk, 3)
            pdf = paper.render_paper_forms_pdf(forms)
        assert pdf.startswith(b"%PDF-")
        assert b"ReportLab" in pdf
        assert page_count(pdf) == 3
        assert b"STSong-Light" in pdf  # the built-in CJK font: no font file needed
        assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in pdf  # A4

    def test_single_form_and_long_questionnaire_still_one_page(self):
        from haochaping.evaluations.questionnaires import publish_questionnaire

        with schema_context("alpha"):
            publish_questionnaire(item_id=None, questions=[
                {"key": f"q{n}", "text": f"第{n}个比较长的问询问题，用来检查版面是否仍然只占一页纸", "kind": "CHOICE",
                 "options": ["非常好", "好", "一般", "不好"]} for n in range(1, 21)])
            update_policy(label_set="QUALITY")
            pdf = paper.render_paper_forms_pdf(issue_paper_forms(hall().pk, 1))
        assert pdf.startswith(b"%PDF-") and page_count(pdf) == 1

    def test_the_qr_rates_the_stations_first_window_with_the_serial(self, settings):
        with schema_context("alpha"):
            org, window = second_station()
            orgs.save_window(orgs.WindowInput(org_id=org.pk, code="W10", name="第二个窗口"))
            form = issue_paper_forms(org.pk, 1)[0]
            url = paper.form_qr_url(form, paper.first_window(org))
            match = re.fullmatch(rf"{settings.BASE_SCHEME}://alpha\.{re.escape(settings.BASE_DOMAIN)}/r/([^/]+)/\?form=(.+)",
                                 url)
            assert match, url
            assert read_token(QR_PURPOSE, match.group(1))["w"] == window.pk
            assert match.group(2) == form.serial


# --- entering one by one ------------------------------------------------------------------------------------


class TestEntry:
    def test_entry_stores_a_paper_evaluation_entered_by_the_user(self):
        with schema_context("alpha"):
            serial = issue(1)[0]
            result = enter_paper_form(PaperEntry(serial=serial.lower(), grade="4", comment=" 很好 ",
                                                 answers={"guidance_clear": "是"}), user("handler"))
            evaluation = result.evaluation
            assert result.status == "STORED"
            assert evaluation.channel == Channel.PAPER_FORM and evaluation.grade == 4
            assert evaluation.paper_form.serial == serial
            assert evaluation.entered_by == user("handler")
            assert evaluation.window == Window.objects.get(code="W01")  # none named: the station's first, as the QR
            assert evaluation.answers == {"guidance_clear": "是"} and evaluation.comment == "很好"
            assert not evaluation.is_real_name and not evaluation.is_bad

    def test_the_same_form_again_is_a_replay_even_by_someone_else(self):
        with schema_context("alpha"):
            serial = issue(1)[0]
            first = enter_paper_form(PaperEntry(serial=serial, grade=2), user("handler"))
            again = enter_paper_form(PaperEntry(serial=serial, grade=2), user("agency"))
            assert again.status == "DUPLICATE" and again.evaluation == first.evaluation
            with pytest.raises(DomainError) as error:
                enter_paper_form(PaperEntry(serial=serial, grade=5), user("agency"))
            assert error.value.codes == ["ALREADY_RATED"]
            assert Evaluation.objects.count() == 1 and Rectification.objects.count() == 1

    @pytest.mark.parametrize("username", ["viewer", "staff"])
    def test_only_entry_roles_may_enter(self, username):
        with schema_context("alpha"):
            serial = issue(1)[0]
            with pytest.raises(DomainError) as error:
                enter_paper_form(PaperEntry(serial=serial, grade=5), user(username))
            assert error.value.codes == ["CHANNEL_NOT_ALLOWED"]
            with pytest.raises(DomainError) as error:
                import_paper_batch("forms.csv", csv_bytes([[serial, 5, "", "", ""]]), user(username))
            assert error.value.codes == ["CHANNEL_NOT_ALLOWED"]
            assert not Evaluation.objects.exists()

    @pytest.mark.parametrize("grade, code", [("", "REQUIRED"), ("好极了", "INVALID_GRADE"), ("7", "INVALID_GRADE"),
                                             (0, "INVALID_GRADE"), ("4.5", "INVALID_GRADE")])
    def test_bad_grades(self, grade, code):
        with schema_context("alpha"):
            serial = issue(1)[0]
            with pytest.raises(DomainError) as error:
                enter_paper_form(PaperEntry(serial=serial, grade=grade), user("handler"))
            assert error.value.codes == [code]

    def test_grade_labels_are_accepted(self):
        assert paper.parse_grade("非常满意") == 5 and paper.parse_grade("很差") == 1
        assert paper.parse_grade("Dissatisfied") == 2 and paper.parse_grade(3.0) == 3 and paper.parse_grade(" 4 ") == 4


# --- batches ------------------------------------------------------------------------------------------------


class TestBatch:
    def test_csv_good_rows_store_and_bad_rows_are_reported_with_codes(self):
        with schema_context("alpha"):
            _, foreign_window = second_station()
            s = issue(6)
            enter_paper_form(PaperEntry(serial=s[3], grade=4), user("agency"))  # already entered on paper
            content = csv_bytes([
                [s[0], 5, "W01", "", "服务热情"],            # row 2: stored
                [s[1], 1, "", "", "等了很久"],               # row 3: stored, bad → rectification
                ["H01-20000101-0001-AB", 5, "", "", ""],      # row 4: unknown serial
                [s[2], 7, "", "", ""],                        # row 5: grade 7
                [s[3], 3, "", "", ""],                        # row 6: used serial
                [s[4], 4, foreign_window.code, "", ""],       # row 7: window not at the station
                [],                                           # a blank line is not a form
                [s[5], "满意", "", "", ""],                   # row 9: a label as the grade
            ])
            report = import_paper_batch("batch.csv", content, user("handler"))
            assert report.file_name == "batch.csv"
            assert outcome(report) == [
                (2, "STORED", []), (3, "STORED", []), (4, "FAILED", ["UNKNOWN_PAPER_FORM"]),
                (5, "FAILED", ["INVALID_GRADE"]), (6, "FAILED", ["ALREADY_RATED"]), (7, "FAILED", ["NOT_FOUND"]),
                (9, "STORED", []),
            ]
            assert (report.stored_count, report.failed_count, report.duplicate_count) == (3, 4, 0)
            stored = {r.serial: r for r in report.rows if r.status == "STORED"}
            assert all(r.receipt_code for r in stored.values())
            assert stored[s[1]].is_bad and stored[s[1]].rectification_opened
            assert not stored[s[0]].rectification_opened
            failed = report.rows[5].errors[0]
            assert failed.message and failed.message_en and failed.field == "window"
            # Bad rows stored nothing; the used serial keeps its first entry.
            assert set(Evaluation.objects.values_list("paper_form__serial", flat=True)) == {s[0], s[1], s[3], s[5]}
            assert Evaluation.objects.get(paper_form__serial=s[3]).grade == 4
            assert Evaluation.objects.get(paper_form__serial=s[0]).comment == "服务热情"
            assert list(Rectification.objects.values_list("evaluation__paper_form__serial", flat=True)) == [s[1]]
            assert Evaluation.objects.filter(paper_form__serial=s[0], entered_by=user("handler")).exists()

    def test_xlsx_with_chinese_headers_and_questionnaire_columns(self):
        with schema_context("alpha"):
            s = issue(3)
            content = xlsx_bytes([
                [s[0], 5, "w01", None, "好", "是", "提前公布材料清单"],
                [s[1], 2.0, None, None, None, "否", None],
                [s[2], 9, None, None, None, "也许", None],
            ], header=["表单编号", "评价等级", "窗口", "办件编号", "意见", "guidance_clear", "有何改进意见"])
            report = import_paper_batch("批次.xlsx", content, user("tenant_admin"))
            assert outcome(report) == [(2, "STORED", []), (3, "STORED", []), (4, "FAILED", ["INVALID_GRADE"])]
            first = Evaluation.objects.get(paper_form__serial=s[0])
            assert first.answers == {"guidance_clear": "是", "suggestions": "提前公布材料清单"}
            assert first.window.code == "W01"
            assert Evaluation.objects.get(paper_form__serial=s[1]).is_bad
            assert not Evaluation.objects.filter(paper_form__serial=s[2]).exists()
            # A wrong answer to a questionnaire question fails the row, with its own code.
            s2 = issue(1)
            bad_answer = xlsx_bytes([[s2[0], 4, "否定"]], header=["表单编号", "评价等级", "guidance_clear"])
            assert outcome(import_paper_batch("x.xlsx", bad_answer, user("handler"))) == [(2, "FAILED", ["INVALID_ANSWER"])]

    def test_gbk_csv_from_excel(self):
        with schema_context("alpha"):
            s = issue(1)
            content = "表单编号,评价等级,意见\n{},4,办事很快\n".format(s[0]).encode("gb18030")
            report = import_paper_batch("excel.csv", content, user("handler"))
            assert outcome(report) == [(2, "STORED", [])]
            assert Evaluation.objects.get(paper_form__serial=s[0]).comment == "办事很快"

    def test_reupload_stores_nothing_twice(self):
        with schema_context("alpha"):
            s = issue(3)
            content = csv_bytes([[s[0], 5, "", "", ""], [s[1], 1, "", "", "差"], [s[2], 8, "", "", ""]])
            first = import_paper_batch("b.csv", content, user("handler"))
            assert [r.status for r in first.rows] == ["STORED", "STORED", "FAILED"]
            again = import_paper_batch("b.csv", content, user("handler"))
            by_someone_else = import_paper_batch("b.csv", content, user("agency"))
            for report in (again, by_someone_else):
                assert [r.status for r in report.rows] == ["DUPLICATE", "DUPLICATE", "FAILED"]
                assert [r.receipt_code for r in report.rows] == [r.receipt_code for r in first.rows]
                assert report.rows[1].rectification_opened
                assert (report.stored_count, report.duplicate_count, report.failed_count) == (0, 2, 1)
            assert Evaluation.objects.count() == 2 and Rectification.objects.count() == 1
            # The same serials within one file: the second identical row is a duplicate, a changed one fails.
            t = issue(1)[0]
            twice = import_paper_batch("c.csv", csv_bytes([[t, 3, "", "", ""], [t, 3, "", "", ""], [t, 4, "", "", ""]]),
                                       user("handler"))
            assert outcome(twice) == [(2, "STORED", []), (3, "DUPLICATE", []), (4, "FAILED", ["ALREADY_RATED"])]

    def test_a_row_failing_after_partial_work_leaves_nothing(self, monkeypatch):
        """The bad review's evaluation and rectification are written, then the row fails: both are rolled back."""
        from haochaping.evaluations import submission

        real = submission._flag_streak

        def failing(evaluation, policy):
            assert Evaluation.objects.filter(pk=evaluation.pk).exists()
            assert Rectification.objects.filter(evaluation=evaluation).exists()
            if evaluation.comment == "boom":
                raise RuntimeError("disk full")
            return real(evaluation, policy)

        monkeypatch.setattr(submission, "_flag_streak", failing)
        with schema_context("alpha"):
            s = issue(3)
            report = import_paper_batch("b.csv", csv_bytes([[s[0], 1, "", "", "先存"], [s[1], 1, "", "", "boom"],
                                                            [s[2], 2, "", "", "后存"]]), user("handler"))
            assert outcome(report) == [(2, "STORED", []), (3, "FAILED", ["ROW_FAILED"]), (4, "STORED", [])]
            assert report.rows[1].errors[0].message and report.rows[1].errors[0].message_en
            assert not Evaluation.objects.filter(paper_form__serial=s[1]).exists()
            assert Rectification.objects.count() == 2
            assert sorted(Rectification.objects.values_list("evaluation__paper_form__serial", flat=True)) == [s[0], s[2]]
            # The form was not used up: it can be entered once the problem is gone.
            monkeypatch.setattr(submission, "_flag_streak", real)
            retry = import_paper_batch("b.csv", csv_bytes([[s[1], 1, "", "", "boom"]]), user("handler"))
            assert outcome(retry) == [(2, "STORED", [])]

    def test_a_domain_failure_after_the_insert_leaves_nothing_either(self, monkeypatch):
        from haochaping.evaluations import submission

        def refuse(evaluation, policy):
            raise DomainError("CONFLICT", "冲突", "Conflict")

        monkeypatch.setattr(submission, "_flag_streak", refuse)
        with schema_context("alpha"):
            s = issue(1)
            report = import_paper_batch("b.csv", csv_bytes([[s[0], 2, "", "", ""]]), user("handler"))
            assert outcome(report) == [(2, "FAILED", ["CONFLICT"])]
            assert not Evaluation.objects.exists() and not Rectification.objects.exists()

    @pytest.mark.parametrize("name, content, codes", [
        ("b.txt", b"serial,grade\nX,5\n", ["UNSUPPORTED_FORMAT"]),
        ("b.csv", b"", ["EMPTY_FILE"]),
        ("b.csv", b"serial,grade\n\n", ["EMPTY_FILE"]),
        ("b.csv", b"serial,score\nX,5\n", ["UNKNOWN_COLUMN", "MISSING_COLUMN"]),
        ("b.csv", b"grade,grade,serial\n5,5,X\n", ["DUPLICATE_COLUMN"]),
        ("b.xlsx", b"not a workbook", ["UNREADABLE_FILE"]),
    ])
    def test_unusable_files_are_refused_whole(self, name, content, codes):
        with schema_context("alpha"):
            with pytest.raises(DomainError) as error:
                import_paper_batch(name, content, user("handler"))
            assert error.value.codes == codes
            assert not Evaluation.objects.exists()

    def test_template_lists_every_column(self):
        with schema_context("alpha"):
            text = paper.batch_template_csv().decode("utf-8-sig")
        assert text.strip().split(",") == ["serial", "grade", "window", "case_number", "comment", "guidance_clear",
                                           "procedure_convenient", "materials_streamlined", "interface_friendly",
                                           "suggestions"]


# --- isolation ----------------------------------------------------------------------------------------------


def test_a_beta_serial_cannot_be_entered_on_alpha(gql):
    with schema_context("beta"):
        beta_serials = issue(2)
    with schema_context("alpha"):
        issue(2)  # alpha has forms of its own station H01 issued the same day
        with pytest.raises(DomainError) as error:
            enter_paper_form(PaperEntry(serial=beta_serials[0], grade=5), user("handler"))
        assert error.value.codes == ["UNKNOWN_PAPER_FORM"]
        report = import_paper_batch("b.csv", csv_bytes([[beta_serials[1], 1, "", "", ""]]), user("handler"))
        assert outcome(report) == [(2, "FAILED", ["UNKNOWN_PAPER_FORM"])]
        assert not Evaluation.objects.exists()
    connection.set_schema_to_public()
    body = gql("alpha", "handler")(SUBMIT, {"input": {"grade": 5, "channel": "PAPER_FORM",
                                                       "paperSerial": beta_serials[0]}})
    assert [e["code"] for e in body["data"]["submitEvaluation"]["errors"]] == ["UNKNOWN_PAPER_FORM"]
    with schema_context("beta"):
        assert not Evaluation.objects.exists()
        assert PaperForm.objects.filter(serial__in=beta_serials).count() == 2


# --- GraphQL ------------------------------------------------------------------------------------------------

SUBMIT = """mutation($input: SubmitEvaluationInput!) { submitEvaluation(input: $input) {
  evaluation { receiptCode } errors { code } } }"""
ISSUE = """mutation($org: ID!, $count: Int!) { issuePaperForms(orgId: $org, count: $count) {
  serials errors { code message messageEn field } } }"""
IMPORT = """mutation($file: Upload!) { importPaperForms(file: $file) {
  report { fileName storedCount failedCount duplicateCount
           rows { row serial status receiptCode isBad rectificationOpened errors { code message messageEn field } } }
  errors { code message messageEn field } } }"""


def org_gid(slug: str) -> str:
    with schema_context(slug):
        return global_id("ServiceOrg", hall().pk)


class TestGraphQL:
    def test_issue_paper_forms(self, gql):
        body = gql("alpha", "agency")(ISSUE, {"org": org_gid("alpha"), "count": 3})["data"]["issuePaperForms"]
        assert body["errors"] == [] and len(set(body["serials"])) == 3
        assert all(SERIAL_RE.match(s) for s in body["serials"])
        bad = gql("alpha", "agency")(ISSUE, {"org": org_gid("alpha"), "count": 500})["data"]["issuePaperForms"]
        assert bad["serials"] is None and [e["code"] for e in bad["errors"]] == ["INVALID_COUNT"]
        # beta's station id means nothing on alpha's host
        foreign = gql("alpha", "tenant_admin")(ISSUE, {"org": org_gid("beta"), "count": 1})["data"]["issuePaperForms"]
        assert [(e["code"], e["field"]) for e in foreign["errors"]] == [("NOT_FOUND", "orgId")]
        with schema_context("alpha"):
            assert PaperForm.objects.count() == 3
        with schema_context("beta"):
            assert PaperForm.objects.count() == 0

    @pytest.mark.parametrize("role", ["viewer", "staff", None])
    def test_issue_needs_an_entry_role(self, gql, role):
        body = gql("alpha", role)(ISSUE, {"org": org_gid("alpha"), "count": 1}, expect_errors=True)
        assert body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
        with schema_context("alpha"):
            assert not PaperForm.objects.exists()


def strict_client(slug: str, username: str | None) -> Client:
    client = Client(enforce_csrf_checks=True)
    if username:
        with schema_context(slug):
            client.force_login(User.objects.get(username=username))
        connection.set_schema_to_public()
    return client


def csrf_token(client: Client, host: str) -> str:
    client.get("/accounts/login/", HTTP_HOST=host)
    return client.cookies["csrftoken"].value


def post_upload(client: Client, host: str, content: bytes, name: str = "forms.csv", **headers):
    operations = {"query": IMPORT, "variables": {"file": None}}
    return client.post("/graphql/", data={
        "operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]}),
        "0": SimpleUploadedFile(name, content, content_type="text/csv"),
    }, HTTP_HOST=host, **headers)


class TestGraphQLUpload:
    def test_session_upload_with_csrf_reports_every_row(self):
        with schema_context("alpha"):
            s = issue(2)
        content = csv_bytes([[s[0], 5, "", "", ""], [s[1], 1, "", "", "差"], ["NOPE", 3, "", "", ""]])
        client = strict_client("alpha", "handler")
        token = csrf_token(client, "alpha.localhost")
        response = post_upload(client, "alpha.localhost", content, HTTP_X_CSRFTOKEN=token)
        assert response.status_code == 200, response.content
        body = response.json()
        assert "errors" not in body, body
        payload = body["data"]["importPaperForms"]
        assert payload["errors"] == []
        report = payload["report"]
        assert (report["fileName"], report["storedCount"], report["failedCount"], report["duplicateCount"]) == (
            "forms.csv", 2, 1, 0)
        rows = report["rows"]
        assert [(r["row"], r["serial"], r["status"]) for r in rows] == [
            (2, s[0], "STORED"), (3, s[1], "STORED"), (4, "NOPE", "FAILED")]
        assert rows[1]["isBad"] and rows[1]["rectificationOpened"] and rows[0]["receiptCode"]
        assert rows[2]["errors"] == [{"code": "UNKNOWN_PAPER_FORM", "message": "未找到该书面评价表编号",
                                      "messageEn": "No paper form has that serial", "field": "paperSerial"}]
        again = post_upload(client, "alpha.localhost", content, HTTP_X_CSRFTOKEN=token).json()
        assert [r["status"] for r in again["data"]["importPaperForms"]["report"]["rows"]] == [
            "DUPLICATE", "DUPLICATE", "FAILED"]
        with schema_context("alpha"):
            assert Evaluation.objects.count() == 2

    @pytest.mark.parametrize("name, content, expected", [
        ("forms.pdf", b"hello", [("UNSUPPORTED_FORMAT", "file")]),
        ("forms.csv", b"serial,grade\n", [("EMPTY_FILE", "file")]),
        ("forms.csv", b"serial,score\nX,5\n", [("UNKNOWN_COLUMN", "file"), ("MISSING_COLUMN", "file")]),
        ("forms.csv", b"serial,grade,grade\nX,5,5\n", [("DUPLICATE_COLUMN", "file")]),
        ("forms.xlsx", b"not a workbook", [("UNREADABLE_FILE", "file")]),
        ("forms.csv", b"serial,grade\n" + b"X,5\n" * 1001, [("TOO_MANY_ROWS", "file")]),
    ])
    def test_a_bad_file_is_an_error_not_a_report(self, name, content, expected):
        with schema_context("alpha"):
            issue(1)
        client = strict_client("alpha", "handler")
        token = csrf_token(client, "alpha.localhost")
        response = post_upload(client, "alpha.localhost", content, name=name, HTTP_X_CSRFTOKEN=token)
        payload = response.json()["data"]["importPaperForms"]
        assert payload["report"] is None
        assert [(e["code"], e["field"]) for e in payload["errors"]] == expected
        for error in payload["errors"]:
            assert re.search(r"[\u4e00-\u9fff]", error["message"]) and re.search(r"[A-Za-z]{3}", error["messageEn"])
        with schema_context("alpha"):
            assert not Evaluation.objects.exists() and PaperForm.objects.count() == 1

    def test_anonymous_upload_is_refused(self):
        with schema_context("alpha"):
            s = issue(1)
        response = post_upload(Client(enforce_csrf_checks=True), "alpha.localhost", csv_bytes([[s[0], 5, "", "", ""]]))
        assert response.status_code == 403
        assert response.json()["errors"][0]["extensions"]["code"] == "UPLOAD_REQUIRES_LOGIN"
        with schema_context("alpha"):
            assert not Evaluation.objects.exists()

    def test_session_upload_without_csrf_is_refused(self):
        with schema_context("alpha"):
            s = issue(1)
        client = strict_client("alpha", "handler")
        csrf_token(client, "alpha.localhost")  # the cookie alone, as a forged request would carry it
        response = post_upload(client, "alpha.localhost", csv_bytes([[s[0], 5, "", "", ""]]))
        assert response.status_code == 403
        assert response.json()["errors"][0]["extensions"]["code"] == "CSRF_FAILED"
        with schema_context("alpha"):
            assert not Evaluation.objects.exists()

    @pytest.mark.parametrize("username", ["viewer", "staff"])
    def test_other_roles_meet_the_permission_check(self, username):
        with schema_context("alpha"):
            s = issue(1)
        client = strict_client("alpha", username)
        token = csrf_token(client, "alpha.localhost")
        response = post_upload(client, "alpha.localhost", csv_bytes([[s[0], 5, "", "", ""]]), HTTP_X_CSRFTOKEN=token)
        assert response.status_code == 200
        assert response.json()["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
        with schema_context("alpha"):
            assert not Evaluation.objects.exists()
