"""Bad input to every mutation of both schemas gets typed errors (`errors { code message messageEn field }`,
a Chinese and an English message each) and changes nothing.

Each mutation has a valid base input (the positive control proves it succeeds); each bad case overrides a
few values of it, so the error can only come from the override."""
from __future__ import annotations

import base64
import itertools
import json
import re

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from haochaping.accounts.models import ApiToken, User
from haochaping.accounts.tokens import issue_evaluator_token
from haochaping.catalog.models import CatalogItem
from haochaping.core.codes import uscc_check_char
from haochaping.organizations.models import Window
from schema.platform import schema as platform_schema
from schema.tenant import schema as tenant_schema

TENANT_LABELS = ("accounts", "organizations", "items", "evaluations", "rectification", "notifications", "boards",
                 "analytics", "exchange", "surveys", "feedback")
PUBLIC_LABELS = ("accounts", "catalog", "tenants", "integrity", "jobs", "workcalendar", "supervision", "disclosure",
                 "feedback_portal", "assessments")
CJK = re.compile(r"[\u4e00-\u9fff]")
PAST = "2020-01-01T00:00:00+08:00"
FUTURE = "2099-01-01T00:00:00+08:00"
# A well-formed 统一社会信用代码 with its check character changed.
_USCC17 = "12411325MB0000000"
BAD_USCC = _USCC17 + ("0" if uscc_check_char(_USCC17) != "0" else "1")


def gid(type_name: str, pk: int = 1, schema: str = "alpha") -> str:
    return base64.b64encode(f"{type_name}:{schema}:{pk}".encode()).decode()


def snapshot() -> dict:
    """Every row of public, alpha and beta, plus the schemas that exist."""
    result = {}
    for schema, labels in (("public", PUBLIC_LABELS), ("alpha", TENANT_LABELS), ("beta", TENANT_LABELS)):
        with schema_context(schema):
            for label in labels:
                for model in apps.get_app_config(label).get_models(include_auto_created=True):
                    result[(schema, model._meta.label)] = list(model._default_manager.order_by("pk").values())
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace ORDER BY nspname")
        result["schemas"] = [row[0] for row in cursor.fetchall()]
    return result


def row_counts(snap: dict) -> dict:
    return {key: len(rows) for key, rows in snap.items() if key != "schemas"}


def merge(base: dict, overrides: dict) -> dict:
    """Overrides replace top-level variables; a dict override is merged into a dict variable (input, guide)."""
    merged = dict(base)
    for key, value in overrides.items():
        merged[key] = {**base[key], **value} if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return merged


def assert_typed_errors(result: dict, expected: list[tuple[str, str | None]]) -> None:
    errors = result["errors"]
    assert sorted((e["code"], e["field"]) for e in errors) == sorted(expected), errors
    for error in errors:
        assert error["message"].strip() and CJK.search(error["message"]), error
        assert error["messageEn"].strip() and re.search(r"[A-Za-z]{3}", error["messageEn"]), error
        assert error["message"] != error["messageEn"]


def root_mutations(schema) -> set[str]:
    return set(schema._schema.mutation_type.fields)


# --------------------------------------------------------------------------------------------- tenant schema

GUIDE = dict(handlingUnit="便民服务中心", caseKind="PROMISED", statutoryLimitDays=20, promisedLimitDays=5,
             channels=["WINDOW", "ONLINE"], evaluationChannels=["WINDOW_DEVICE", "QR_CODE"], materials=["身份证"])

# mutation → (variable definitions, arguments, payload selection, valid base variables)
TENANT_MUTATIONS = {
    "createServiceOrg": ("$input: CreateServiceOrgInput!", "input: $input", "org { id }",
                         {"input": {"kind": "STATION", "code": "H02", "name": "新站点"}}),
    "updateServiceOrg": ("$id: ID!, $input: UpdateServiceOrgInput!", "id: $id, input: $input", "org { id }",
                         {"id": gid("ServiceOrg"), "input": {"name": "改名中心"}}),
    "createWindow": ("$input: CreateWindowInput!", "input: $input", "window { id }",
                     {"input": {"orgId": gid("ServiceOrg"), "code": "W02", "name": "新窗口", "itemIds": [gid("ServiceItem")]}}),
    "updateWindow": ("$id: ID!, $input: UpdateWindowInput!", "id: $id, input: $input", "window { id }",
                     {"id": gid("Window"), "input": {"name": "改名窗口", "itemIds": [gid("ServiceItem", 2)]}}),
    "createStaff": ("$input: CreateStaffInput!", "input: $input", "staff { id }",
                    {"input": {"employeeNo": "E002", "name": "新员工", "orgId": gid("ServiceOrg"), "windowIds": [gid("Window")]}}),
    "updateStaff": ("$id: ID!, $input: UpdateStaffInput!", "id: $id, input: $input", "staff { id }",
                    {"id": gid("Staff"), "input": {"name": "改名员工", "title": "组长", "windowIds": [gid("Window")]}}),
    "createServicePlatform": ("$kind: ServicePlatformKind!, $code: String!, $name: String!, $url: String!",
                              "kind: $kind, code: $code, name: $name, url: $url", "platform { id }",
                              {"kind": "MOBILE_APP", "code": "P02", "name": "掌上办", "url": "https://app.example.cn"}),
    "createAncillaryService": ("$orgId: ID!, $name: String!, $isFree: Boolean!, $fee: String!",
                               "orgId: $orgId, name: $name, isFree: $isFree, fee: $fee", "service { id }",
                               {"orgId": gid("ServiceOrg"), "name": "邮寄", "isFree": False, "fee": "10元/件"}),
    "registerRatingDevice": ("$windowId: ID!, $serial: String!, $name: String!",
                             "windowId: $windowId, serial: $serial, name: $name", "device { id } token",
                             {"windowId": gid("Window"), "serial": "DEV002", "name": "新评价器"}),
    "adoptServiceItem": ("$catalogCode: String!, $guide: ServiceGuideInput!", "catalogCode: $catalogCode, guide: $guide",
                         "item { id }", {"catalogCode": "TEST-003", "guide": GUIDE}),
    "publishServiceGuide": ("$itemId: ID!, $guide: ServiceGuideInput!", "itemId: $itemId, guide: $guide",
                            "guide { version }", {"itemId": gid("ServiceItem"), "guide": GUIDE}),
    "setServiceItemUnits": ("$itemId: ID!, $leadUnit: String, $cooperatingUnits: [String!]",
                            "itemId: $itemId, leadUnit: $leadUnit, cooperatingUnits: $cooperatingUnits", "item { id }",
                            {"itemId": gid("ServiceItem"), "leadUnit": None, "cooperatingUnits": ["beta"]}),
    "issueSystemToken": ("$name: String!, $scopes: [String!]!, $expiresAt: DateTime",
                         "name: $name, scopes: $scopes, expiresAt: $expiresAt", "apiToken { id } secret",
                         {"name": "业务系统", "scopes": ["read", "cases:write"], "expiresAt": FUTURE}),
    "revokeApiToken": ("$id: ID!", "id: $id", "apiToken { id }", {"id": gid("ApiToken")}),
    # A hotline agent (the tenant admin here) enters a call about window W01.
    "submitEvaluation": ("$input: SubmitEvaluationInput!", "input: $input", "evaluation { id }",
                         {"input": {"grade": 4, "channel": "HOTLINE", "windowId": gid("Window"), "comment": "很好",
                                    "answers": {"guidance_clear": "是"}}}),
    "upsertServiceCase": ("$input: ServiceCaseInput!", "input: $input", "case { caseNumber }",
                          {"input": {"caseNumber": "BAD-0001", "itemCode": "TEST-001", "applicantKind": "INDIVIDUAL",
                                     "applicantName": "王小明", "acceptedAt": "2026-11-02T09:00:00+08:00",
                                     "applicantPhone": "13800138000", "window": "H01/W01", "staffNo": "E001"}}),
    "recordOverdueReason": ("$caseNumber: String!, $reason: String!", "caseNumber: $caseNumber, reason: $reason",
                            "case { caseNumber }", {"caseNumber": "LATE-0001", "reason": "申请人补正材料"}),
    "requestRating": ("$caseNumber: String!, $deviceSerial: String", "caseNumber: $caseNumber, deviceSerial: $deviceSerial",
                      "promptId", {"caseNumber": "DONE-0001", "deviceSerial": "DEV001"}),
    "requestPhoneCode": ("$phone: String!", "phone: $phone", "sent", {"phone": "13800138000"}),
    "verifyPhoneCode": ("$phone: String!, $code: String!", "phone: $phone, code: $code", "verificationToken",
                        {"phone": "13800138000", "code": None}),  # the code comes from BASE_SETUP
    "publishQuestionnaire": ("$questions: [QuestionInput!]!, $itemId: ID", "questions: $questions, itemId: $itemId",
                             "questionnaire { version }",
                             {"itemId": gid("ServiceItem"), "questions": [
                                 {"key": "clear", "text": "指引是否清晰", "kind": "CHOICE", "options": ["是", "否"]},
                                 {"key": "advice", "text": "改进意见", "kind": "TEXT"}]}),
    "updateEvaluationPolicy": ("$input: EvaluationPolicyInput!", "input: $input", "policy { labelSet }",
                               {"input": {"labelSet": "QUALITY", "supplementaryDays": 20, "ipMaxPerHour": 50}}),
    "issuePaperForms": ("$orgId: ID!, $count: Int!", "orgId: $orgId, count: $count", "serials",
                        {"orgId": gid("ServiceOrg"), "count": 2}),
    # 差评整改: each takes the id and the version the caller saw; the case comes from BASE_SETUP (_rect).
    "assignRectificationHandler": ("$id: ID!, $version: Int!, $handlerId: ID!", "id: $id, version: $version, handlerId: $handlerId",
                                   "rectification { id }", {"id": None, "version": 0, "handlerId": None}),
    "recordFollowUp": ("$id: ID!, $version: Int!, $method: FollowUpMethod!, $raterSaid: String!, $contactedAt: DateTime",
                       "id: $id, version: $version, method: $method, raterSaid: $raterSaid, contactedAt: $contactedAt",
                       "rectification { id }", {"id": None, "version": 0, "method": "PHONE", "raterSaid": "等候时间过长",
                                                "contactedAt": None}),
    "fixRectificationNow": ("$id: ID!, $version: Int!, $feedback: String!", "id: $id, version: $version, feedback: $feedback",
                            "rectification { id }", {"id": None, "version": 0, "feedback": "已整改"}),
    "openRectificationLedger": ("$id: ID!, $version: Int!, $plan: String!", "id: $id, version: $version, plan: $plan",
                                "rectification { id }", {"id": None, "version": 0, "plan": "两周内增设导办岗"}),
    "addLedgerProgress": ("$id: ID!, $version: Int!, $note: String!", "id: $id, version: $version, note: $note",
                          "rectification { id }", {"id": None, "version": 0, "note": "已完成培训"}),
    "closeRectificationLedger": ("$id: ID!, $version: Int!, $feedback: String!", "id: $id, version: $version, feedback: $feedback",
                                 "rectification { id }", {"id": None, "version": 0, "feedback": "导办岗已设立"}),
    "explainRectification": ("$id: ID!, $version: Int!, $feedback: String!", "id: $id, version: $version, feedback: $feedback",
                             "rectification { id }", {"id": None, "version": 0, "feedback": "依法须本人到场，已解释"}),
    "requestRejection": ("$id: ID!, $version: Int!, $kind: RejectionKind!, $reason: String!",
                         "id: $id, version: $version, kind: $kind, reason: $reason", "rectification { id }",
                         {"id": None, "version": 0, "kind": "REJECTED_MISTAKEN", "reason": "评价人确认误点"}),
    "decideRejection": ("$id: ID!, $version: Int!, $approve: Boolean!", "id: $id, version: $version, approve: $approve",
                        "rectification { id }", {"id": None, "version": 0, "approve": True}),
    "requestExtension": ("$id: ID!, $version: Int!, $days: Int!, $reason: String!",
                         "id: $id, version: $version, days: $days, reason: $reason", "rectification { id }",
                         {"id": None, "version": 0, "days": 5, "reason": "需协调上级部门"}),
    "decideExtension": ("$id: ID!, $version: Int!, $approve: Boolean!", "id: $id, version: $version, approve: $approve",
                        "rectification { id }", {"id": None, "version": 0, "approve": True}),
    "revealRaterContact": ("$id: ID!", "id: $id", "contact { phone }", {"id": None}),
    "fileComplaint": ("$text: String!, $channel: String!", "text: $text, channel: $channel", "state",
                      {"text": "窗口人员推诿", "channel": "HOTLINE"}),
    "pauseRectification": ("$id: ID!, $version: Int!, $reason: String!", "id: $id, version: $version, reason: $reason",
                           "rectification { id }", {"id": None, "version": 0, "reason": "等评价人补充材料"}),
    "resumeRectification": ("$id: ID!, $version: Int!", "id: $id, version: $version", "rectification { id }",
                            {"id": None, "version": 0}),
    # 签收督办意见: the instruction comes from BASE_SETUP (_instruction).
    "acknowledgeSupervisionInstruction": ("$id: ID!", "id: $id", "instruction { id }", {"id": None}),
    # Hall boards: the alert comes from BASE_SETUP (_board_alert).
    "acknowledgeBoardAlert": ("$id: ID!, $note: String!", "id: $id, note: $note", "alert { id state }",
                              {"id": None, "note": "已到窗口了解情况"}),
    "hallBoardLink": ("$hall: String!, $rotate: Boolean!", "hallCode: $hall, rotate: $rotate", "url",
                      {"hall": "H01", "rotate": True}),
    # The case comes from BASE_SETUP (_improvement_case).
    "closeImprovementCase": ("$id: ID!, $outcome: String!", "id: $id, outcome: $outcome", "case { id state }",
                             {"id": None, "outcome": "增开窗口，高峰分流"}),
}
# Multipart uploads: bad files of importPaperForms are in tests/evaluations/test_paper_forms.py (as importCatalog's
# are below).
# uploadEvidence's bad files (wrong type, CSRF) are in tests/rectification/test_graphql.py.
TENANT_UPLOADS = {"importPaperForms", "uploadEvidence"}
# Who calls each mutation on alpha, when not the tenant admin.
TENANT_CALLERS = {"upsertServiceCase": ("cases:write",), "decideRejection": "agency", "decideExtension": "agency"}


def _case(number: str, *, completed: bool = True, late: bool = False, rated: bool = False) -> None:
    from datetime import timedelta

    from haochaping.evaluations.cases import CaseInput, upsert_case
    from haochaping.evaluations.models import Evaluation

    now = timezone.now()
    with schema_context("alpha"):
        case, _ = upsert_case(CaseInput(
            case_number=number, item_code="TEST-001", applicant_kind="INDIVIDUAL", applicant_name="王小明",
            accepted_at=now - timedelta(days=3), status="COMPLETED" if completed else "ACCEPTED",
            promised_at=now - timedelta(days=2), completed_at=now - timedelta(days=1 if late else 2, hours=1)))
        if rated:
            Evaluation.objects.create(case=case, grade=4, channel="MOBILE_APP", receipt_code="BADINPUT01",
                                      rated_at=now)


def _phone_code(phone: str = "13800138000", expire: bool = False) -> dict:
    from haochaping.evaluations.models import PhoneVerification
    from haochaping.evaluations.phone import request_code
    from haochaping.notifications.models import Notification

    with schema_context("alpha"):
        request_code(phone)
        code = re.search(r"\d{6}", Notification.objects.filter(recipient=phone).latest("pk").body).group(0)
        if expire:
            PhoneVerification.objects.update(expires_at=timezone.now())
    return {"code": code}


def _five_codes() -> None:
    for _ in range(5):
        _phone_code()


_EVALUATION_IDS = itertools.count(900000)


def _rect(state: str = "VERIFYING", *, evidence: bool = False, extension: bool = False, **changes) -> dict:
    """A rectification on alpha in `state` (directly in the database); returns its id (and a handler's id)."""
    from haochaping.accounts.models import User
    from haochaping.rectification.models import Evidence, Rectification
    from tenants.models import Tenant

    now = timezone.now()
    with schema_context("alpha"):
        alpha = Tenant.objects.get(schema_name="alpha")
        r = Rectification.objects.create(
            rating_unit=alpha, source_evaluation_id=next(_EVALUATION_IDS), owner_unit=alpha, grade=1, channel="MOBILE_APP",
            rater_name="张三", rater_phone="13812345678", rated_at=now, state=state,
            rejection_kind="REJECTED_MISTAKEN" if state == "REJECTION_PENDING" else "",
            extension_requested_days=3 if extension else None, follow_up_due=now + timezone.timedelta(days=1),
            due=now + timezone.timedelta(days=20), **changes)
        handler = User.objects.get(username="handler")
        if evidence:
            Evidence.objects.create(rectification=r, file="tenants/alpha/rectification/x.png", stored_name="x.png",
                                    original_name="照片.png", content_type="image/png", size=10, uploaded_by=handler)
    return {"id": gid("Rectification", r.pk), "handlerId": gid("User", handler.pk)}


INSTRUCTION_PK = 9001  # an explicit primary key, so a bad case can name it as minted elsewhere


def _instruction() -> dict:
    """A county instruction (督办意见) to alpha about one of its cases."""
    from haochaping.supervision.models import SupervisionInstruction
    from tenants.models import Tenant

    with schema_context("public"):
        SupervisionInstruction.objects.create(pk=INSTRUCTION_PK, tenant=Tenant.objects.get(schema_name="alpha"),
                                              rectification_id=1, text="请尽快整改", issued_by="县级：测试")
    return {"id": gid("SupervisionInstruction", INSTRUCTION_PK)}


def _instruction_to_beta() -> None:
    from haochaping.supervision.models import SupervisionInstruction
    from tenants.models import Tenant

    with schema_context("public"):
        SupervisionInstruction.objects.filter(pk=INSTRUCTION_PK).update(tenant=Tenant.objects.get(schema_name="beta"))


def _latest(*, evidence: bool | None = None, **changes) -> None:
    """Change the base input's rectification (the latest on alpha): its state, its evidence."""
    from haochaping.rectification.models import Evidence, Rectification

    with schema_context("alpha"):
        r = Rectification.objects.latest("pk")
        Rectification.objects.filter(pk=r.pk).update(**changes)
        if evidence is False:
            Evidence.objects.filter(rectification=r).delete()


def _handler_role(role: str) -> None:
    from haochaping.accounts.models import User

    with schema_context("alpha"):
        User.objects.filter(username="handler").update(role=role)


def _board_alert(state: str = "OPEN") -> dict:
    from haochaping.boards.models import BoardAlert
    from haochaping.organizations.models import ServiceOrg

    with schema_context("alpha"):
        alert = BoardAlert.objects.create(org=ServiceOrg.objects.get(code="H01"), window=Window.objects.get(pk=1),
                                          raised_at=timezone.now(), ratings=4, bad_ratings=2, period_minutes=15,
                                          threshold_percent=50, state=state)
    return {"id": gid("BoardAlert", alert.pk)}


def _acknowledge_board_alerts() -> None:
    from haochaping.boards.models import BoardAlert

    with schema_context("alpha"):
        BoardAlert.objects.update(state="ACKNOWLEDGED", acknowledged_at=timezone.now())


def _improvement_case(state: str = "OPEN") -> dict:
    from haochaping.analytics.models import ImprovementCase

    now = timezone.now()
    with schema_context("alpha"):
        case = ImprovementCase.objects.create(subject_kind="WINDOW", subject_id=1, subject_name="综合窗口", topic="waiting",
                                              review_count=3, evaluation_ids=[], period_days=30, opened_at=now,
                                              due=now + timezone.timedelta(days=20), state=state)
    return {"id": gid("ImprovementCase", case.pk)}


def _close_improvement_cases() -> None:
    from haochaping.analytics.models import ImprovementCase

    with schema_context("alpha"):
        ImprovementCase.objects.update(state="CLOSED", closed_at=timezone.now(), outcome="已整改")


# Rows a mutation's base input needs (also run before each of its bad cases); may return variables.
BASE_SETUP = {
    "acknowledgeBoardAlert": _board_alert,
    "closeImprovementCase": _improvement_case,
    "recordOverdueReason": lambda: _case("LATE-0001", late=True),
    "requestRating": lambda: _case("DONE-0001"),
    "verifyPhoneCode": _phone_code,
    "assignRectificationHandler": lambda: _rect("OPEN"),
    "recordFollowUp": lambda: _rect("OPEN"),
    "fixRectificationNow": lambda: _rect(evidence=True),
    "openRectificationLedger": _rect,
    "addLedgerProgress": lambda: _rect("LEDGER"),
    "closeRectificationLedger": lambda: _rect("LEDGER", evidence=True),
    "explainRectification": _rect,
    "requestRejection": _rect,
    "decideRejection": lambda: _rect("REJECTION_PENDING"),
    "requestExtension": _rect,
    "decideExtension": lambda: _rect(extension=True),
    "revealRaterContact": _rect,
    "pauseRectification": _rect,
    "resumeRectification": lambda: _rect(paused_at=timezone.now()),
    "acknowledgeSupervisionInstruction": _instruction,
}


def _revoke_alpha_token():
    with schema_context("alpha"):
        ApiToken.objects.filter(pk=1).update(revoked_at=timezone.now())


def _deactivate_alpha_window():
    with schema_context("alpha"):
        Window.objects.filter(pk=1).update(is_active=False)


def _deactivate_alpha_device():
    from haochaping.organizations.models import RatingDevice

    with schema_context("alpha"):
        RatingDevice.objects.filter(serial="DEV001").update(is_active=False)


def _deactivate_catalog_item():
    with schema_context("public"):
        CatalogItem.objects.filter(code="TEST-003").update(is_active=False)


def bad(mutation: str, case_id: str, overrides: dict, expected: list, setup=None):
    return pytest.param(mutation, overrides, expected, setup, id=f"{mutation}-{case_id}")


NF = "NOT_FOUND"
TENANT_CASES = [
    # createServiceOrg
    bad("createServiceOrg", "empty strings", {"input": {"code": "", "name": "  "}},
        [("REQUIRED", "code"), ("INVALID_CODE", "code"), ("REQUIRED", "name")]),
    bad("createServiceOrg", "duplicate code", {"input": {"code": "H01"}}, [("DUPLICATE_CODE", "code")]),
    bad("createServiceOrg", "invalid code", {"input": {"code": "H 01/中心"}}, [("INVALID_CODE", "code")]),
    bad("createServiceOrg", "name too long", {"input": {"name": "站" * 101}}, [("TOO_LONG", "name")]),
    bad("createServiceOrg", "malformed parent id", {"input": {"parentId": "xyz"}}, [(NF, "parentId")]),
    bad("createServiceOrg", "parent id of another type", {"input": {"parentId": gid("Window")}}, [(NF, "parentId")]),
    bad("createServiceOrg", "unknown parent", {"input": {"parentId": gid("ServiceOrg", 999)}}, [(NF, "parentId")]),
    # updateServiceOrg
    bad("updateServiceOrg", "empty name", {"input": {"name": " "}}, [("REQUIRED", "name")]),
    bad("updateServiceOrg", "own parent", {"input": {"parentId": gid("ServiceOrg")}}, [("INVALID_PARENT", "parentId")]),
    bad("updateServiceOrg", "address too long", {"input": {"address": "路" * 201}}, [("TOO_LONG", "address")]),
    bad("updateServiceOrg", "malformed id", {"id": "xyz"}, [(NF, "id")]),
    bad("updateServiceOrg", "unknown id", {"id": gid("ServiceOrg", 999)}, [(NF, "id")]),
    # createWindow
    bad("createWindow", "empty strings", {"input": {"code": "", "name": ""}},
        [("REQUIRED", "code"), ("INVALID_CODE", "code"), ("REQUIRED", "name")]),
    bad("createWindow", "duplicate code in org", {"input": {"code": "W01"}}, [("DUPLICATE_CODE", "code")]),
    bad("createWindow", "code too long", {"input": {"code": "W" * 17}}, [("INVALID_CODE", "code")]),
    bad("createWindow", "malformed org id", {"input": {"orgId": "xyz"}}, [(NF, "orgId")]),
    bad("createWindow", "unknown item", {"input": {"itemIds": [gid("ServiceItem"), gid("ServiceItem", 999)]}},
        [(NF, "itemIds")]),
    bad("createWindow", "malformed item id", {"input": {"itemIds": ["xyz"]}}, [(NF, "itemIds")]),
    # updateWindow
    bad("updateWindow", "empty name", {"input": {"name": ""}}, [("REQUIRED", "name")]),
    bad("updateWindow", "item id of another type", {"input": {"itemIds": [gid("Window")]}}, [(NF, "itemIds")]),
    bad("updateWindow", "malformed id", {"id": "xyz"}, [(NF, "id")]),
    bad("updateWindow", "id of another type", {"id": gid("Staff")}, [(NF, "id")]),
    # createStaff
    bad("createStaff", "empty strings", {"input": {"employeeNo": "", "name": ""}},
        [("REQUIRED", "employeeNo"), ("INVALID_CODE", "employeeNo"), ("REQUIRED", "name")]),
    bad("createStaff", "duplicate employee number", {"input": {"employeeNo": "E001"}}, [("DUPLICATE_CODE", "employeeNo")]),
    bad("createStaff", "unknown window", {"input": {"windowIds": [gid("Window", 999)]}}, [(NF, "windowIds")]),
    bad("createStaff", "org id of another type", {"input": {"orgId": gid("Staff")}}, [(NF, "orgId")]),
    # updateStaff
    bad("updateStaff", "empty name", {"input": {"name": "   "}}, [("REQUIRED", "name")]),
    bad("updateStaff", "title too long", {"input": {"title": "岗" * 51}}, [("TOO_LONG", "title")]),
    bad("updateStaff", "malformed window id", {"input": {"windowIds": ["xyz"]}}, [(NF, "windowIds")]),
    bad("updateStaff", "unknown id", {"id": gid("Staff", 999)}, [(NF, "id")]),
    # createServicePlatform
    bad("createServicePlatform", "empty strings", {"code": "", "name": ""}, [("REQUIRED", "code"), ("REQUIRED", "name")]),
    bad("createServicePlatform", "duplicate code", {"code": "P01"}, [("DUPLICATE_CODE", "code")]),
    bad("createServicePlatform", "invalid url", {"url": "ftp://app.example.cn"}, [("INVALID_URL", "url")]),
    bad("createServicePlatform", "invalid code", {"code": "掌上办"}, [("INVALID_CODE", "code")]),
    # createAncillaryService
    bad("createAncillaryService", "charged without fee", {"fee": "  "}, [("FEE_REQUIRED", "fee")]),
    bad("createAncillaryService", "duplicate name", {"name": "文印"}, [("DUPLICATE_NAME", "name")]),
    bad("createAncillaryService", "empty name", {"name": ""}, [("REQUIRED", "name")]),
    bad("createAncillaryService", "malformed org id", {"orgId": "xyz"}, [(NF, "orgId")]),
    # registerRatingDevice
    bad("registerRatingDevice", "empty strings", {"serial": "", "name": ""}, [("REQUIRED", "serial"), ("REQUIRED", "name")]),
    bad("registerRatingDevice", "duplicate serial", {"serial": "DEV001"}, [("DUPLICATE_CODE", "serial")]),
    bad("registerRatingDevice", "invalid serial", {"serial": "DEV 002"}, [("INVALID_CODE", "serial")]),
    bad("registerRatingDevice", "malformed window id", {"windowId": "xyz"}, [(NF, "windowId")]),
    bad("registerRatingDevice", "inactive window", {}, [(NF, "windowId")], setup=_deactivate_alpha_window),
    # adoptServiceItem
    bad("adoptServiceItem", "unknown catalog code", {"catalogCode": "NOPE-999"}, [(NF, "catalogCode")]),
    bad("adoptServiceItem", "empty catalog code", {"catalogCode": ""}, [(NF, "catalogCode")]),
    bad("adoptServiceItem", "inactive catalog item", {}, [(NF, "catalogCode")], setup=_deactivate_catalog_item),
    bad("adoptServiceItem", "already adopted", {"catalogCode": "TEST-001"}, [("ALREADY_ADOPTED", "catalogCode")]),
    bad("adoptServiceItem", "promised exceeds statutory", {"guide": {"statutoryLimitDays": 5, "promisedLimitDays": 10}},
        [("PROMISED_EXCEEDS_STATUTORY", "promisedLimitDays")]),
    bad("adoptServiceItem", "statutory limit too long", {"guide": {"statutoryLimitDays": 400}},
        [("INVALID_TIME_LIMIT", "statutoryLimitDays")]),
    bad("adoptServiceItem", "negative limit", {"guide": {"promisedLimitDays": -1}},
        [("INVALID_TIME_LIMIT", "statutoryLimitDays")]),
    bad("adoptServiceItem", "immediate case with a limit", {"guide": {"caseKind": "IMMEDIATE"}},
        [("IMMEDIATE_HAS_LIMIT", "promisedLimitDays")]),
    bad("adoptServiceItem", "unknown handling channel", {"guide": {"channels": ["WINDOW", "TELEPATHY"]}},
        [("INVALID_CHANNEL", "channels")]),
    bad("adoptServiceItem", "no handling channel", {"guide": {"channels": []}}, [("INVALID_CHANNEL", "channels")]),
    bad("adoptServiceItem", "unknown evaluation channel", {"guide": {"evaluationChannels": ["QR_CODE", "PIGEON"]}},
        [("INVALID_CHANNEL", "evaluationChannels")]),
    bad("adoptServiceItem", "blank material", {"guide": {"materials": ["身份证", " "]}}, [("INVALID_MATERIALS", "materials")]),
    bad("adoptServiceItem", "empty handling unit", {"guide": {"handlingUnit": ""}}, [("REQUIRED", "handlingUnit")]),
    bad("adoptServiceItem", "several problems at once",
        {"catalogCode": "NOPE-999", "guide": {"handlingUnit": "", "channels": ["FAX"], "promisedLimitDays": 30}},
        [(NF, "catalogCode"), ("REQUIRED", "handlingUnit"), ("PROMISED_EXCEEDS_STATUTORY", "promisedLimitDays"),
         ("INVALID_CHANNEL", "channels")]),
    # publishServiceGuide
    bad("publishServiceGuide", "promised exceeds statutory", {"guide": {"promisedLimitDays": 21}},
        [("PROMISED_EXCEEDS_STATUTORY", "promisedLimitDays")]),
    bad("publishServiceGuide", "unknown evaluation channel", {"guide": {"evaluationChannels": ["EMAIL"]}},
        [("INVALID_CHANNEL", "evaluationChannels")]),
    bad("publishServiceGuide", "malformed item id", {"itemId": "xyz"}, [(NF, "itemId")]),
    bad("publishServiceGuide", "unknown item", {"itemId": gid("ServiceItem", 999)}, [(NF, "itemId")]),
    # setServiceItemUnits
    bad("setServiceItemUnits", "unknown unit", {"cooperatingUnits": ["beta", "nosuch"]}, [(NF, "cooperatingUnits")]),
    bad("setServiceItemUnits", "public is not a unit", {"cooperatingUnits": ["public"]}, [(NF, "cooperatingUnits")]),
    bad("setServiceItemUnits", "lead also cooperates", {"leadUnit": "beta"}, [("INVALID_UNITS", "leadUnit")]),
    bad("setServiceItemUnits", "cooperates with itself", {"cooperatingUnits": ["alpha"]}, [("INVALID_UNITS", "cooperatingUnits")]),
    bad("setServiceItemUnits", "malformed item id", {"itemId": "xyz"}, [(NF, "itemId")]),
    bad("setServiceItemUnits", "unknown item", {"itemId": gid("ServiceItem", 999)}, [(NF, "itemId")]),
    # issueSystemToken
    bad("issueSystemToken", "empty name", {"name": ""}, [("REQUIRED", "name")]),
    bad("issueSystemToken", "unknown scope", {"scopes": ["read", "admin:all"]}, [("INVALID_SCOPE", "scopes")]),
    bad("issueSystemToken", "no scope", {"scopes": []}, [("REQUIRED", "scopes")]),
    bad("issueSystemToken", "expiry in the past", {"expiresAt": PAST}, [("INVALID_EXPIRY", "expiresAt")]),
    bad("issueSystemToken", "name too long", {"name": "系" * 101}, [("TOO_LONG", "name")]),
    # revokeApiToken
    bad("revokeApiToken", "already revoked", {}, [("ALREADY_REVOKED", None)], setup=_revoke_alpha_token),
    bad("revokeApiToken", "unknown id", {"id": gid("ApiToken", 999)}, [(NF, "id")]),
    bad("revokeApiToken", "malformed id", {"id": "xyz"}, [(NF, "id")]),
    bad("revokeApiToken", "id of another type", {"id": gid("Window")}, [(NF, "id")]),
    # submitEvaluation
    bad("submitEvaluation", "grade 0", {"input": {"grade": 0}}, [("INVALID_GRADE", "grade")]),
    bad("submitEvaluation", "grade 6", {"input": {"grade": 6}}, [("INVALID_GRADE", "grade")]),
    bad("submitEvaluation", "round 3", {"input": {"round": 3}}, [("INVALID_ROUND", "round")]),
    bad("submitEvaluation", "follow-up without a case", {"input": {"round": 2}}, [("FOLLOW_UP_NOT_ALLOWED", "round")]),
    bad("submitEvaluation", "unknown case", {"input": {"caseNumber": "NOPE-0001"}}, [("UNKNOWN_CASE", "caseNumber")]),
    bad("submitEvaluation", "already rated", {"input": {"caseNumber": "DONE-0002"}}, [("ALREADY_RATED", "caseNumber")],
        setup=lambda: _case("DONE-0002", rated=True)),
    bad("submitEvaluation", "period over", {"input": {"caseNumber": "OLD-0001"}}, [("RATING_PERIOD_OVER", "caseNumber")],
        setup=lambda: _old_case("OLD-0001")),
    bad("submitEvaluation", "nothing to rate", {"input": {"windowId": None}}, [("NO_TARGET", "caseNumber")]),
    bad("submitEvaluation", "malformed window id", {"input": {"windowId": "xyz"}}, [(NF, "windowId")]),
    bad("submitEvaluation", "window id of another type", {"input": {"windowId": gid("Staff")}}, [(NF, "windowId")]),
    bad("submitEvaluation", "inactive window", {}, [(NF, "windowId"), ("NO_TARGET", "caseNumber")],
        setup=_deactivate_alpha_window),
    bad("submitEvaluation", "unknown staff", {"input": {"staffId": gid("Staff", 999)}}, [(NF, "staffId")]),
    bad("submitEvaluation", "unknown item", {"input": {"itemId": gid("ServiceItem", 999)}}, [(NF, "itemId")]),
    bad("submitEvaluation", "malformed platform id", {"input": {"platformId": "xyz"}}, [(NF, "platformId")]),
    bad("submitEvaluation", "unknown question", {"input": {"answers": {"nope": "是"}}}, [("INVALID_ANSWER", "answers")]),
    bad("submitEvaluation", "answer not an option", {"input": {"answers": {"guidance_clear": "也许"}}},
        [("INVALID_ANSWER", "answers")]),
    bad("submitEvaluation", "comment too long", {"input": {"comment": "长" * 1001}}, [("TOO_LONG", "comment")]),
    bad("submitEvaluation", "invalid rater phone", {"input": {"raterPhone": "12345"}}, [("INVALID_PHONE", "raterPhone")]),
    bad("submitEvaluation", "rater name too long", {"input": {"raterName": "名" * 101}}, [("TOO_LONG", "raterName")]),
    bad("submitEvaluation", "several problems at once",
        {"input": {"comment": "长" * 1001, "raterPhone": "abc", "answers": {"nope": "x"}}},
        [("TOO_LONG", "comment"), ("INVALID_PHONE", "raterPhone"), ("INVALID_ANSWER", "answers")]),
    bad("submitEvaluation", "channel not for a signed-in user", {"input": {"channel": "MOBILE_APP"}},
        [("CHANNEL_NOT_ALLOWED", "channel")]),
    bad("submitEvaluation", "garbage window token", {"input": {"channel": "QR_CODE", "windowToken": "x"}},
        [("INVALID_TOKEN", "windowToken")]),
    bad("submitEvaluation", "garbage invitation token", {"input": {"channel": "WEB", "invitationToken": "x"}},
        [("INVALID_TOKEN", "invitationToken")]),
    bad("submitEvaluation", "unknown paper serial", {"input": {"channel": "PAPER_FORM", "paperSerial": "NOPE"}},
        [("UNKNOWN_PAPER_FORM", "paperSerial")]),
    bad("submitEvaluation", "forged phone verification", {"input": {"phoneVerificationToken": "forged"}},
        [("INVALID_TOKEN", "phoneVerificationToken")]),
    # upsertServiceCase
    bad("upsertServiceCase", "invalid case number", {"input": {"caseNumber": "a b"}},
        [("INVALID_CASE_NUMBER", "caseNumber")]),
    bad("upsertServiceCase", "unknown item code", {"input": {"itemCode": "NOPE-999"}}, [("UNKNOWN_ITEM", "itemCode")]),
    bad("upsertServiceCase", "item not adopted here", {"input": {"itemCode": "TEST-005"}}, [("UNKNOWN_ITEM", "itemCode")]),
    bad("upsertServiceCase", "empty applicant", {"input": {"applicantName": " "}}, [("REQUIRED", "applicantName")]),
    bad("upsertServiceCase", "applicant too long", {"input": {"applicantName": "王" * 101}},
        [("TOO_LONG", "applicantName")]),
    bad("upsertServiceCase", "invalid phone", {"input": {"applicantPhone": "12345"}}, [("INVALID_PHONE", "applicantPhone")]),
    bad("upsertServiceCase", "invalid email", {"input": {"applicantEmail": "wang"}}, [("INVALID_EMAIL", "applicantEmail")]),
    bad("upsertServiceCase", "completed without a time", {"input": {"status": "COMPLETED"}},
        [("REQUIRED", "completedAt")]),
    bad("upsertServiceCase", "completed before accepted", {"input": {"status": "COMPLETED", "completedAt": PAST}},
        [("INVALID_TIMES", "completedAt")]),
    bad("upsertServiceCase", "promised before accepted", {"input": {"promisedAt": PAST}},
        [("INVALID_TIMES", "promisedAt")]),
    bad("upsertServiceCase", "accepted in the future", {"input": {"acceptedAt": FUTURE}}, [("INVALID_TIMES", "acceptedAt")]),
    bad("upsertServiceCase", "unknown handling unit", {"input": {"handlingUnit": "nosuch"}},
        [("UNKNOWN_UNIT", "handlingUnit")]),
    bad("upsertServiceCase", "public is not a unit", {"input": {"acceptingUnit": "public"}},
        [("UNKNOWN_UNIT", "acceptingUnit")]),
    bad("upsertServiceCase", "unknown window", {"input": {"window": "H01/W99"}}, [("UNKNOWN_WINDOW", "window")]),
    bad("upsertServiceCase", "unknown staff", {"input": {"staffNo": "E999"}}, [("UNKNOWN_STAFF", "staffNo")]),
    bad("upsertServiceCase", "unknown platform", {"input": {"platformCode": "P99"}}, [("UNKNOWN_PLATFORM", "platformCode")]),
    # recordOverdueReason
    bad("recordOverdueReason", "unknown case", {"caseNumber": "NOPE-0001"}, [(NF, "caseNumber")]),
    bad("recordOverdueReason", "case not late", {"caseNumber": "ONTIME-0001"}, [("NOT_OVERDUE", "caseNumber")],
        setup=lambda: _case("ONTIME-0001")),
    bad("recordOverdueReason", "empty reason", {"reason": "  "}, [("REQUIRED", "reason")]),
    bad("recordOverdueReason", "reason too long", {"reason": "因" * 1001}, [("TOO_LONG", "reason")]),
    # requestRating
    bad("requestRating", "unknown case", {"caseNumber": "NOPE-0001"}, [("UNKNOWN_CASE", "caseNumber")]),
    bad("requestRating", "unknown device", {"deviceSerial": "DEV999"}, [(NF, "deviceSerial")]),
    bad("requestRating", "inactive device", {}, [(NF, "deviceSerial")], setup=_deactivate_alpha_device),
    bad("requestRating", "no device of my own", {"deviceSerial": None}, [("NO_DEVICE", "deviceSerial")]),
    bad("requestRating", "already rated", {"caseNumber": "DONE-0003"}, [("ALREADY_RATED", "caseNumber")],
        setup=lambda: _case("DONE-0003", rated=True)),
    # requestPhoneCode
    bad("requestPhoneCode", "too short", {"phone": "12345"}, [("INVALID_PHONE", "phone")]),
    bad("requestPhoneCode", "landline", {"phone": "010-12345678"}, [("INVALID_PHONE", "phone")]),
    bad("requestPhoneCode", "empty", {"phone": ""}, [("INVALID_PHONE", "phone")]),
    bad("requestPhoneCode", "too many codes", {}, [("TOO_MANY_ATTEMPTS", "phone")], setup=_five_codes),
    # verifyPhoneCode
    bad("verifyPhoneCode", "invalid phone", {"phone": "12345"}, [("INVALID_PHONE", "phone")]),
    bad("verifyPhoneCode", "no code sent to this phone", {"phone": "13900139000"}, [("INVALID_CODE", "code")]),
    bad("verifyPhoneCode", "expired code", {}, [("INVALID_CODE", "code")], setup=lambda: _phone_code(expire=True)),
    # publishQuestionnaire
    bad("publishQuestionnaire", "no questions", {"questions": []}, [("INVALID_QUESTIONS", "questions")]),
    bad("publishQuestionnaire", "repeated key", {"questions": [
        {"key": "a", "text": "问一", "kind": "TEXT"}, {"key": "a", "text": "问二", "kind": "TEXT"}]},
        [("INVALID_QUESTIONS", "questions")]),
    bad("publishQuestionnaire", "one option", {"questions": [
        {"key": "a", "text": "问一", "kind": "CHOICE", "options": ["是"]}]}, [("INVALID_QUESTIONS", "questions")]),
    bad("publishQuestionnaire", "unknown kind", {"questions": [{"key": "a", "text": "问一", "kind": "SLIDER"}]},
        [("INVALID_QUESTIONS", "questions")]),
    bad("publishQuestionnaire", "empty text", {"questions": [{"key": "a", "text": " ", "kind": "TEXT"}]},
        [("INVALID_QUESTIONS", "questions")]),
    bad("publishQuestionnaire", "malformed item id", {"itemId": "xyz"}, [(NF, "itemId")]),
    bad("publishQuestionnaire", "unknown item", {"itemId": gid("ServiceItem", 999)}, [(NF, "itemId")]),
    # updateEvaluationPolicy
    bad("updateEvaluationPolicy", "zero supplementary days", {"input": {"supplementaryDays": 0}},
        [("OUT_OF_RANGE", "supplementaryDays")]),
    bad("updateEvaluationPolicy", "supplementary days above 90", {"input": {"supplementaryDays": 91}},
        [("OUT_OF_RANGE", "supplementaryDays")]),
    bad("updateEvaluationPolicy", "negative interval", {"input": {"deviceMinIntervalSeconds": -1}},
        [("OUT_OF_RANGE", "deviceMinIntervalSeconds")]),
    bad("updateEvaluationPolicy", "streak of one", {"input": {"streakLength": 1}}, [("OUT_OF_RANGE", "streakLength")]),
    bad("updateEvaluationPolicy", "several at once", {"input": {"ipMaxPerHour": 0, "phoneMaxPerDay": 0, "streakSeconds": 5}},
        [("OUT_OF_RANGE", "ipMaxPerHour"), ("OUT_OF_RANGE", "phoneMaxPerDay"), ("OUT_OF_RANGE", "streakSeconds")]),
    bad("updateEvaluationPolicy", "board alert out of range",
        {"input": {"boardAlertBadPercent": 101, "boardAlertMinutes": 0, "boardAlertMinRatings": 0}},
        [("OUT_OF_RANGE", "boardAlertBadPercent"), ("OUT_OF_RANGE", "boardAlertMinutes"),
         ("OUT_OF_RANGE", "boardAlertMinRatings")]),
    # acknowledgeBoardAlert
    bad("acknowledgeBoardAlert", "malformed id", {"id": "xyz"}, [(NF, "id")]),
    bad("acknowledgeBoardAlert", "unknown alert", {"id": gid("BoardAlert", 999)}, [(NF, "id")]),
    bad("acknowledgeBoardAlert", "another type's id", {"id": gid("Window", 1)}, [(NF, "id")]),
    bad("acknowledgeBoardAlert", "already acknowledged", {}, [("ALREADY_ACKNOWLEDGED", "id")],
        setup=_acknowledge_board_alerts),
    bad("acknowledgeBoardAlert", "note too long", {"note": "很" * 501}, [("TOO_LONG", "note")]),
    # closeImprovementCase
    bad("closeImprovementCase", "empty outcome", {"outcome": "  "}, [("REQUIRED", "outcome")]),
    bad("closeImprovementCase", "outcome too long", {"outcome": "改" * 2001}, [("TOO_LONG", "outcome")]),
    bad("closeImprovementCase", "malformed id", {"id": "xyz"}, [(NF, "id")]),
    bad("closeImprovementCase", "unknown case", {"id": gid("ImprovementCase", 999)}, [(NF, "id")]),
    bad("closeImprovementCase", "already closed", {}, [("ALREADY_CLOSED", "id")], setup=_close_improvement_cases),
    # hallBoardLink
    bad("hallBoardLink", "unknown hall", {"hall": "NOPE"}, [(NF, "hallCode")]),
    bad("hallBoardLink", "empty hall", {"hall": ""}, [(NF, "hallCode")]),
    # issuePaperForms
    bad("issuePaperForms", "zero forms", {"count": 0}, [("INVALID_COUNT", "count")]),
    bad("issuePaperForms", "too many forms", {"count": 201}, [("INVALID_COUNT", "count")]),
    bad("issuePaperForms", "malformed org id", {"orgId": "xyz"}, [(NF, "orgId")]),
    bad("issuePaperForms", "unknown org", {"orgId": gid("ServiceOrg", 999)}, [(NF, "orgId")]),
    # assignRectificationHandler
    bad("assignRectificationHandler", "rated staff as handler", {}, [("INVALID_HANDLER", "handlerId")],
        setup=lambda: _handler_role("STAFF")),
    bad("assignRectificationHandler", "malformed handler id", {"handlerId": "xyz"}, [(NF, "handlerId")]),
    bad("assignRectificationHandler", "beta's handler", {"handlerId": gid("User", 1, "beta")}, [(NF, "handlerId")]),
    bad("assignRectificationHandler", "stale version", {"version": 7}, [("CONFLICT", "version")]),
    bad("assignRectificationHandler", "unknown id", {"id": gid("Rectification", 999999)}, [(NF, "id")]),
    # recordFollowUp
    bad("recordFollowUp", "empty rater said", {"raterSaid": "  "}, [("REQUIRED", "raterSaid")]),
    bad("recordFollowUp", "rater said too long", {"raterSaid": "长" * 2001}, [("TOO_LONG", "raterSaid")]),
    bad("recordFollowUp", "contacted in the future", {"contactedAt": FUTURE}, [("INVALID_TIME", "contactedAt")]),
    bad("recordFollowUp", "closed case", {}, [("TRANSITION_NOT_ALLOWED", None)], setup=lambda: _latest(state="CLOSED")),
    bad("recordFollowUp", "stale version", {"version": 1}, [("CONFLICT", "version")]),
    bad("recordFollowUp", "malformed id", {"id": "xyz"}, [(NF, "id")]),
    bad("recordFollowUp", "id of another type", {"id": gid("Window")}, [(NF, "id")]),
    # fixRectificationNow
    bad("fixRectificationNow", "empty feedback", {"feedback": ""}, [("REQUIRED", "feedback")]),
    bad("fixRectificationNow", "feedback too long", {"feedback": "复" * 1001}, [("TOO_LONG", "feedback")]),
    bad("fixRectificationNow", "no evidence", {}, [("EVIDENCE_REQUIRED", "evidence")], setup=lambda: _latest(evidence=False)),
    bad("fixRectificationNow", "still open", {}, [("TRANSITION_NOT_ALLOWED", None)],
        setup=lambda: _latest(state="OPEN")),
    # openRectificationLedger
    bad("openRectificationLedger", "empty plan", {"plan": " "}, [("REQUIRED", "plan")]),
    bad("openRectificationLedger", "not verified yet", {}, [("TRANSITION_NOT_ALLOWED", None)], setup=lambda: _latest(state="OPEN")),
    bad("openRectificationLedger", "stale version", {"version": 3}, [("CONFLICT", "version")]),
    # addLedgerProgress
    bad("addLedgerProgress", "empty note", {"note": ""}, [("REQUIRED", "note")]),
    bad("addLedgerProgress", "no ledger", {}, [("TRANSITION_NOT_ALLOWED", None)], setup=lambda: _latest(state="VERIFYING")),
    bad("addLedgerProgress", "unknown id", {"id": gid("Rectification", 999999)}, [(NF, "id")]),
    # closeRectificationLedger
    bad("closeRectificationLedger", "empty feedback", {"feedback": " "}, [("REQUIRED", "feedback")]),
    bad("closeRectificationLedger", "no evidence", {}, [("EVIDENCE_REQUIRED", "evidence")], setup=lambda: _latest(evidence=False)),
    # fileComplaint
    bad("fileComplaint", "empty text", {"text": " "}, [("REQUIRED", "text")]),
    bad("fileComplaint", "unknown channel", {"channel": "FAX"}, [("INVALID_CHANNEL", "channel")]),
    bad("fileComplaint", "text too long", {"text": "诉" * 2001}, [("TOO_LONG", "text")]),
    # pauseRectification / resumeRectification
    bad("pauseRectification", "empty reason", {"reason": " "}, [("REQUIRED", "reason")]),
    bad("pauseRectification", "already closed", {}, [("TRANSITION_NOT_ALLOWED", None)], setup=lambda: _latest(state="CLOSED")),
    bad("pauseRectification", "already paused", {}, [("ALREADY_PAUSED", None)],
        setup=lambda: _latest(paused_at=timezone.now())),
    bad("resumeRectification", "not paused", {}, [("NOT_PAUSED", None)], setup=lambda: _latest(paused_at=None)),
    bad("resumeRectification", "unknown id", {"id": gid("Rectification", 999999)}, [(NF, "id")]),
    bad("resumeRectification", "stale version", {"version": 3}, [("CONFLICT", "version")]),
    # explainRectification
    bad("explainRectification", "empty feedback", {"feedback": ""}, [("REQUIRED", "feedback")]),
    bad("explainRectification", "already closed", {}, [("TRANSITION_NOT_ALLOWED", None)], setup=lambda: _latest(state="CLOSED")),
    # requestRejection
    bad("requestRejection", "empty reason", {"reason": " "}, [("REQUIRED", "reason")]),
    bad("requestRejection", "not verified yet", {}, [("TRANSITION_NOT_ALLOWED", None)], setup=lambda: _latest(state="OPEN")),
    bad("requestRejection", "stale version", {"version": 2}, [("CONFLICT", "version")]),
    # decideRejection (alpha's own agency)
    bad("decideRejection", "nothing pending", {}, [("TRANSITION_NOT_ALLOWED", None)], setup=lambda: _latest(state="VERIFYING")),
    bad("decideRejection", "stale version", {"version": 5}, [("CONFLICT", "version")]),
    bad("decideRejection", "malformed id", {"id": "xyz"}, [(NF, "id")]),
    # requestExtension
    bad("requestExtension", "zero days", {"days": 0}, [("INVALID_DAYS", "days")]),
    bad("requestExtension", "too many days", {"days": 31}, [("INVALID_DAYS", "days")]),
    bad("requestExtension", "empty reason", {"reason": ""}, [("REQUIRED", "reason")]),
    bad("requestExtension", "several at once", {"days": -1, "reason": " "}, [("INVALID_DAYS", "days"), ("REQUIRED", "reason")]),
    # decideExtension
    bad("decideExtension", "nothing requested", {}, [("NO_EXTENSION_REQUESTED", None)], setup=lambda: _latest(extension_requested_days=None)),
    bad("decideExtension", "stale version", {"version": 9}, [("CONFLICT", "version")]),
    # revealRaterContact
    bad("revealRaterContact", "unknown id", {"id": gid("Rectification", 999999)}, [(NF, "id")]),
    bad("revealRaterContact", "malformed id", {"id": "xyz"}, [(NF, "id")]),
    bad("revealRaterContact", "beta's id", {"id": gid("Rectification", 1, "beta")}, [(NF, "id")]),
    # acknowledgeSupervisionInstruction
    bad("acknowledgeSupervisionInstruction", "malformed id", {"id": "xyz"}, [(NF, "id")]),
    bad("acknowledgeSupervisionInstruction", "unknown id", {"id": gid("SupervisionInstruction", 999999)}, [(NF, "id")]),
    bad("acknowledgeSupervisionInstruction", "another type's id", {"id": gid("Rectification", 1)}, [(NF, "id")]),
    bad("acknowledgeSupervisionInstruction", "id minted on beta", {"id": gid("SupervisionInstruction", INSTRUCTION_PK, "beta")},
        [(NF, "id")]),
    bad("acknowledgeSupervisionInstruction", "beta's instruction", {}, [(NF, "id")], setup=_instruction_to_beta),
]


# 监督查评 (tests/surveys): a unit's surveys. The survey (and a case to send to) come from _survey.
def _survey(schema: str = "alpha") -> dict:
    from datetime import date

    from haochaping.surveys import surveys as survey_services

    from haochaping.evaluations.models import ServiceCase
    from haochaping.items.models import ServiceItem
    from tenants.models import Tenant

    with schema_context(schema):
        unit = Tenant.objects.get(schema_name=schema)
        ServiceCase.objects.create(case_number="SURVEY-0001", item=ServiceItem.objects.get(catalog_item__code="TEST-001"),
                                   accepting_unit=unit, handling_unit=unit, applicant_kind="INDIVIDUAL",
                                   applicant_name="王小明", applicant_phone="13800138000", accepted_at=timezone.now())
        survey = survey_services.create_survey(survey_services.SurveyInput(
            title="调查", item_codes=["TEST-001"], period_start=timezone.localdate() - timezone.timedelta(days=30),
            period_end=timezone.localdate(),
            questions=survey_services.default_questions()), by="测试")
    return {"id": gid("Survey", survey.pk, schema)}


SURVEY_INPUT = {"title": "新政策知悉度调查", "itemCodes": ["TEST-001"], "periodStart": "2026-11-01",
                "periodEnd": "2026-11-30"}
SURVEY_QUESTIONS = [{"dimension": "SATISFACTION", "text": "您满意吗？", "textEn": "Satisfied?"}]
TENANT_MUTATIONS.update({
    "createSurvey": ("$input: SurveyInput!", "input: $input", "survey { id }", {"input": SURVEY_INPUT}),
    "reviseSurvey": ("$id: ID!, $questions: [SurveyQuestionInput!]!", "id: $id, questions: $questions",
                     "version { version }", {"id": None, "questions": SURVEY_QUESTIONS}),
    "sendSurvey": ("$id: ID!", "id: $id", "sent", {"id": None}),
})
BASE_SETUP.update({"reviseSurvey": _survey, "sendSurvey": _survey})
TENANT_CASES += [
    bad("createSurvey", "empty title, no items", {"input": {"title": " ", "itemCodes": []}},
        [("REQUIRED", "title"), ("REQUIRED", "itemCodes")]),
    bad("createSurvey", "unknown item", {"input": {"itemCodes": ["TEST-001", "NOPE-9"]}}, [("UNKNOWN_ITEM", "itemCodes")]),
    bad("createSurvey", "end before start", {"input": {"periodEnd": "2026-10-01"}}, [("INVALID_PERIOD", "periodEnd")]),
    bad("createSurvey", "no questions", {"input": {"questions": []}}, [("REQUIRED", "questions")]),
    bad("createSurvey", "link days out of range", {"input": {"linkDays": 0}}, [("INVALID_LINK_DAYS", "linkDays")]),
    bad("reviseSurvey", "empty question", {"questions": [{"dimension": "AWARENESS", "text": " "}]},
        [("REQUIRED", "questions")]),
    bad("reviseSurvey", "malformed id", {"id": "xyz"}, [(NF, "id")]),
    bad("reviseSurvey", "id minted on beta", {"id": gid("Survey", 1, "beta")}, [(NF, "id")]),
    bad("sendSurvey", "another type's id", {"id": gid("Window", 1)}, [(NF, "id")]),
    bad("sendSurvey", "id minted on beta", {"id": gid("Survey", 1, "beta")}, [(NF, "id")]),
]



def _old_case(number: str) -> None:
    from datetime import timedelta

    from haochaping.evaluations.cases import CaseInput, upsert_case

    now = timezone.now()
    with schema_context("alpha"):
        upsert_case(CaseInput(case_number=number, item_code="TEST-001", applicant_kind="INDIVIDUAL", applicant_name="王小明",
                              accepted_at=now - timedelta(days=30), status="COMPLETED", completed_at=now - timedelta(days=16)))


# Third-party evaluators a tenant registers and grants for itself (the grant rows live in the public schema).
def _evaluator_org(owner: str | None = "alpha") -> dict:
    from haochaping.assessments import services as assessment_services
    from tenants.models import Tenant

    with schema_context("public"):
        tenant = Tenant.objects.get(schema_name=owner) if owner else None
        org = assessment_services.register_org(name=f"评估机构{owner}", kind="SOCIAL", owner_tenant=tenant, by="测试")
    return {"orgId": gid("EvaluatorOrg", org.pk, owner or "public")}


def _evaluator_grant(owner: str | None = "alpha", revoked: bool = False) -> dict:
    from haochaping.assessments import services as assessment_services
    from haochaping.assessments.models import EvaluatorGrant
    from tenants.models import Tenant

    org_id = _evaluator_org(owner)["orgId"]
    with schema_context("public"):
        tenant = Tenant.objects.get(schema_name=owner) if owner else None
        pk = int(base64.b64decode(org_id).decode().rsplit(":", 1)[1])
        grant = assessment_services.grant_access(
            org_id=pk, tenant_slugs=["alpha"], period_start=timezone.localdate(), period_end=timezone.localdate(),
            expires_at=timezone.now() + timezone.timedelta(days=30), owner_tenant=tenant, by="测试").grant
        if revoked:
            EvaluatorGrant.objects.filter(pk=grant.pk).update(revoked_at=timezone.now())
    return {"id": gid("EvaluatorGrant", grant.pk, owner or "public")}


def _reassign(what: str, owner: str | None) -> None:
    from haochaping.assessments.models import EvaluatorGrant, EvaluatorOrg
    from tenants.models import Tenant

    with schema_context("public"):
        if what == "revoked":
            EvaluatorGrant.objects.update(revoked_at=timezone.now())
            return
        tenant = Tenant.objects.get(schema_name=owner) if owner else None
        (EvaluatorOrg if what == "EvaluatorOrg" else EvaluatorGrant).objects.update(owner_tenant=tenant)


SOON = (timezone.now() + timezone.timedelta(days=30)).isoformat()
TENANT_MUTATIONS.update({
    "registerEvaluatorOrg": ("$name: String!, $kind: EvaluatorOrgKind!, $creditCode: String!",
                             "name: $name, kind: $kind, creditCode: $creditCode", "org { id }",
                             {"name": "甲镇社会工作协会", "kind": "SOCIAL", "creditCode": ""}),
    "grantEvaluatorAccess": ("$orgId: ID!, $periodStart: Date!, $periodEnd: Date!, $expiresAt: DateTime!",
                             "orgId: $orgId, periodStart: $periodStart, periodEnd: $periodEnd, expiresAt: $expiresAt",
                             "grant { id } secret", {"orgId": None, "periodStart": "2026-01-01",
                                                     "periodEnd": "2026-06-30", "expiresAt": SOON}),
    "revokeEvaluatorGrant": ("$id: ID!", "id: $id", "grant { id }", {"id": None}),
})
BASE_SETUP.update({"grantEvaluatorAccess": _evaluator_org, "revokeEvaluatorGrant": _evaluator_grant})
TENANT_CASES += [
    bad("registerEvaluatorOrg", "empty name", {"name": " "}, [("REQUIRED", "name")]),
    bad("registerEvaluatorOrg", "name too long", {"name": "协" * 101}, [("TOO_LONG", "name")]),
    bad("registerEvaluatorOrg", "bad credit code", {"creditCode": BAD_USCC}, [("INVALID_CREDIT_CODE", "creditCode")]),
    bad("registerEvaluatorOrg", "duplicate name", {"name": "评估机构alpha"}, [("DUPLICATE_NAME", "name")],
        setup=_evaluator_org),
    bad("grantEvaluatorAccess", "period ends before it starts", {"periodEnd": "2025-12-31"},
        [("INVALID_PERIOD", "periodEnd")]),
    bad("grantEvaluatorAccess", "expiry in the past", {"expiresAt": PAST}, [("INVALID_EXPIRY", "expiresAt")]),
    bad("grantEvaluatorAccess", "expiry beyond a year", {"expiresAt": FUTURE}, [("INVALID_EXPIRY", "expiresAt")]),
    bad("grantEvaluatorAccess", "malformed org id", {"orgId": "xyz"}, [(NF, "orgId")]),
    # The base setup registered an alpha organisation (and grant); these setups hand it to someone else.
    bad("grantEvaluatorAccess", "beta's organisation", {}, [(NF, "orgId")], setup=lambda: _reassign("EvaluatorOrg", "beta")),
    bad("grantEvaluatorAccess", "county's organisation", {}, [(NF, "orgId")], setup=lambda: _reassign("EvaluatorOrg", None)),
    bad("revokeEvaluatorGrant", "already revoked", {}, [("ALREADY_REVOKED", "id")], setup=lambda: _reassign("revoked", None)),
    bad("revokeEvaluatorGrant", "beta's grant", {}, [(NF, "id")], setup=lambda: _reassign("EvaluatorGrant", "beta")),
    bad("revokeEvaluatorGrant", "malformed id", {"id": "xyz"}, [(NF, "id")]),
]


def _document(mutations: dict, mutation: str) -> tuple[str, str]:
    definitions, arguments, selection, _ = mutations[mutation]
    return (f"mutation({definitions}) {{ {mutation}({arguments}) "
            f"{{ {selection} errors {{ code message messageEn field }} }} }}"), selection.split()[0]


def run(client, mutations: dict, mutation: str, overrides: dict) -> tuple[dict, str]:
    query, payload = _document(mutations, mutation)
    body = client(query, merge(mutations[mutation][3], overrides))
    return body["data"][mutation], payload


def test_every_mutation_has_bad_input_cases():
    tenant = {param.values[0] for param in TENANT_CASES} | TENANT_UPLOADS
    platform = {param.values[0] for param in PLATFORM_CASES} | {"importCatalog"} | PLATFORM_ELSEWHERE
    assert tenant == set(TENANT_MUTATIONS) | TENANT_UPLOADS == root_mutations(tenant_schema)
    assert platform == set(PLATFORM_MUTATIONS) | {"importCatalog"} | PLATFORM_ELSEWHERE == root_mutations(platform_schema)


def tenant_caller(gql, system_token, mutation: str):
    scopes = TENANT_CALLERS.get(mutation)
    if scopes is None:
        return gql("alpha", "tenant_admin")
    if isinstance(scopes, str):  # a role
        return gql("alpha", scopes)
    client = gql("alpha", token=system_token("alpha", scopes))
    client("{ me { tokenName } }")  # first use marks the token used: not a change made by the mutation
    return client


def base_overrides(mutation: str) -> dict:
    setup = BASE_SETUP.get(mutation)
    overrides = (setup() or {}) if setup else {}
    connection.set_schema_to_public()
    return overrides


@pytest.mark.parametrize("mutation", sorted(TENANT_MUTATIONS))
def test_tenant_base_input_is_valid(gql, system_token, mutation):
    """Positive control: the base input each bad case starts from succeeds."""
    overrides = base_overrides(mutation)
    result, payload = run(tenant_caller(gql, system_token, mutation), TENANT_MUTATIONS, mutation, overrides)
    assert result["errors"] == [] and result[payload] not in (None, False, [])


@pytest.mark.parametrize("mutation, overrides, expected, setup", TENANT_CASES)
def test_tenant_bad_input(gql, system_token, mutation, overrides, expected, setup):
    overrides = {**base_overrides(mutation), **overrides}
    if setup:
        overrides = {**(setup() or {}), **overrides}
        connection.set_schema_to_public()
    client = tenant_caller(gql, system_token, mutation)
    before = snapshot()
    result, payload = run(client, TENANT_MUTATIONS, mutation, overrides)
    assert not result[payload], result  # null (or false / empty) on error
    assert_typed_errors(result, expected)
    after = snapshot()
    assert row_counts(after) == row_counts(before)
    assert after == before


# --------------------------------------------------------------------------------------------- platform schema

TENANT_INPUT = {"slug": "gamma", "name": "丙镇", "kind": "TOWNSHIP", "officialCode": "411325903", "agencyName": "丙镇政务服务办"}

PLATFORM_MUTATIONS = {
    "createTenant": ("$input: CreateTenantInput!", "input: $input", "tenant { slug }", {"input": TENANT_INPUT}),
    "issueEvaluatorToken": ("$name: String!, $tenantSlugs: [String!]!, $expiresAt: DateTime",
                            "name: $name, tenantSlugs: $tenantSlugs, expiresAt: $expiresAt", "apiToken { id } secret",
                            {"name": "第三方评估机构", "tenantSlugs": ["alpha", "beta"], "expiresAt": FUTURE}),
    "revokeApiToken": ("$id: ID!", "id: $id", "apiToken { id }", {"id": None}),  # the id comes from _evaluator_token
    "reviewSuspicionFlag": ("$id: ID!", "id: $id", "flag { id }", {"id": None}),  # the id comes from _flag
    # The county decides a department's rejection; the case comes from _department_rejection.
    "decideRejection": ("$tenant: String!, $id: ID!, $version: Int!, $approve: Boolean!",
                        "tenant: $tenant, id: $id, version: $version, approve: $approve", "rectification { id }",
                        {"tenant": "alpha", "id": gid("Rectification", 1), "version": 0, "approve": True}),
    "setCalendarDay": ("$date: Date!, $isWorkday: Boolean!, $name: String!", "date: $date, isWorkday: $isWorkday, name: $name",
                       "day { date }", {"date": "2031-01-02", "isWorkday": False, "name": "元旦调休"}),
    # 督办意见 about one of alpha's cases; the case comes from _alpha_case.
    "issueSupervisionInstruction": ("$tenant: String!, $rectificationId: ID!, $text: String!",
                                    "tenant: $tenant, rectificationId: $rectificationId, text: $text", "instruction { id }",
                                    {"tenant": "alpha", "rectificationId": gid("Rectification", 999999), "text": "请尽快整改"}),
    "issueCircular": ("$title: String!, $body: String!, $tenants: [String!], $rectificationId: ID, $subjectTenant: String",
                      "title: $title, body: $body, tenants: $tenants, rectificationId: $rectificationId, "
                      "subjectTenant: $subjectTenant", "circular { id }",
                      {"title": "关于整改逾期的通报", "body": "造成不良影响。", "tenants": ["alpha"], "rectificationId": None,
                       "subjectTenant": None}),
    # 曝光: the circular and the notice come from _circular / _notice.
    "requestPublicNotice": ("$circularId: ID!, $title: String!, $body: String!",
                            "circularId: $circularId, title: $title, body: $body", "notice { id state }",
                            {"circularId": None, "title": "关于某窗口推诿的通报", "body": "已责令整改。"}),
    "decidePublicNotice": ("$id: ID!, $approve: Boolean!", "id: $id, approve: $approve", "notice { id state }",
                           {"id": None, "approve": True}),
}


def _circular() -> dict:
    from haochaping.supervision.models import Circular

    with schema_context("public"):
        circular = Circular.objects.create(title="内部通报", body="内容", issued_by="县级：测试")
    return {"circularId": gid("Circular", circular.pk, "public")}


def _notice(requested_by: str = "county_supervisor", state: str = "PENDING") -> dict:
    from haochaping.supervision.models import Circular, PublicNotice

    with schema_context("public"):
        circular = Circular.objects.create(title="内部通报", body="内容", issued_by="县级：测试")
        notice = PublicNotice.objects.create(circular=circular, title="曝光", body="内容", state=state,
                                             requested_by=User.objects.get(username=requested_by))
    return {"id": gid("PublicNotice", notice.pk, "public"), "circularId": gid("Circular", circular.pk, "public")}


def _alpha_case() -> dict:
    return {"rectificationId": _rect()["id"]}


def _department_rejection() -> dict:
    """A county department (its management agency is the county) with a rejection awaiting approval."""
    from haochaping.rectification.models import Rectification
    from tenants.services import TenantSpec, create_tenant

    code17 = "11411325MB0000025"
    tenant = create_tenant(TenantSpec("renshe", "县人社局", "DEPARTMENT", code17 + uscc_check_char(code17)))
    now = timezone.now()
    with schema_context("renshe"):
        r = Rectification.objects.create(
            rating_unit=tenant, source_evaluation_id=1, owner_unit=tenant, grade=1, channel="WEB", rated_at=now,
            state="REJECTION_PENDING", rejection_kind="REJECTED_MALICIOUS", follow_up_due=now, due=now)
    return {"tenant": "renshe", "id": gid("Rectification", r.pk, "renshe"), "version": 0}


def _flag() -> dict:
    from haochaping.integrity.models import SuspicionFlag
    from tenants.models import Tenant

    with schema_context("public"):
        flag = SuspicionFlag.objects.create(tenant=Tenant.objects.get(schema_name="alpha"), kind="RATE_LIMITED",
                                            window_code="ip:test", detail="测试")
    return {"id": gid("SuspicionFlag", flag.pk, "public")}


def _evaluator_token(revoked: bool = False) -> dict:
    with schema_context("public"):
        token = issue_evaluator_token(name="评估机构", tenant_slugs=["alpha"]).token
        if revoked:
            ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    return {"id": gid("ApiToken", token.pk, "public")}


PLATFORM_CASES = [
    # createTenant
    bad("createTenant", "duplicate slug", {"input": {"slug": "alpha"}},
        [("DUPLICATE_SLUG", "slug")]),
    bad("createTenant", "duplicate slug in capitals", {"input": {"slug": " Beta "}},
        [("DUPLICATE_SLUG", "slug")]),
    bad("createTenant", "reserved slug", {"input": {"slug": "admin"}}, [("INVALID_SLUG", "slug")]),
    bad("createTenant", "public slug", {"input": {"slug": "public"}}, [("INVALID_SLUG", "slug")]),
    bad("createTenant", "base schema slug", {"input": {"slug": "tenant_base"}}, [("INVALID_SLUG", "slug")]),
    bad("createTenant", "slug starting with a digit", {"input": {"slug": "9town"}}, [("INVALID_SLUG", "slug")]),
    bad("createTenant", "empty strings", {"input": {"slug": "", "name": " ", "officialCode": ""}},
        [("REQUIRED", "slug"), ("REQUIRED", "name"), ("REQUIRED", "officialCode")]),
    bad("createTenant", "invalid division code", {"input": {"officialCode": "41132590"}},
        [("INVALID_OFFICIAL_CODE", "officialCode")]),
    bad("createTenant", "invalid USCC", {"input": {"kind": "DEPARTMENT", "officialCode": BAD_USCC}},
        [("INVALID_OFFICIAL_CODE", "officialCode")]),
    bad("createTenant", "division code for a department", {"input": {"kind": "CENTER", "officialCode": "411325903"}},
        [("INVALID_OFFICIAL_CODE", "officialCode")]),
    bad("createTenant", "county kind", {"input": {"kind": "COUNTY"}}, [("INVALID_KIND", "kind")]),
    bad("createTenant", "duplicate name", {"input": {"name": "甲镇"}}, [("DUPLICATE_NAME", "name")]),
    bad("createTenant", "duplicate official code", {"input": {"officialCode": "411325902"}},
        [("DUPLICATE_OFFICIAL_CODE", "officialCode")]),
    bad("createTenant", "name too long", {"input": {"name": "镇" * 101}}, [("TOO_LONG", "name")]),
    # issueEvaluatorToken
    bad("issueEvaluatorToken", "unknown tenant", {"tenantSlugs": ["alpha", "nosuch"]}, [(NF, "tenantSlugs")]),
    bad("issueEvaluatorToken", "no tenant", {"tenantSlugs": []}, [(NF, "tenantSlugs")]),
    bad("issueEvaluatorToken", "public is not a tenant", {"tenantSlugs": ["public"]}, [(NF, "tenantSlugs")]),
    bad("issueEvaluatorToken", "empty name", {"name": " "}, [("REQUIRED", "name")]),
    bad("issueEvaluatorToken", "expiry in the past", {"expiresAt": PAST}, [("INVALID_EXPIRY", "expiresAt")]),
    # revokeApiToken
    bad("revokeApiToken", "already revoked", {}, [("ALREADY_REVOKED", None)], setup=lambda: _evaluator_token(revoked=True)),
    bad("revokeApiToken", "unknown id", {"id": gid("ApiToken", 999, "public")}, [(NF, "id")]),
    bad("revokeApiToken", "malformed id", {"id": "xyz"}, [(NF, "id")]),
    bad("revokeApiToken", "tenant's token id", {"id": gid("ApiToken", 1, "alpha")}, [(NF, "id")]),
    # reviewSuspicionFlag
    bad("reviewSuspicionFlag", "unknown id", {"id": gid("SuspicionFlag", 999, "public")}, [(NF, "id")]),
    bad("reviewSuspicionFlag", "malformed id", {"id": "xyz"}, [(NF, "id")]),
    bad("reviewSuspicionFlag", "another type's id", {"id": gid("ApiToken", 1, "public")}, [(NF, "id")]),
    # decideRejection (county)
    bad("decideRejection", "unknown tenant", {"tenant": "nosuch"}, [(NF, "tenant")]),
    bad("decideRejection", "public is not a tenant", {"tenant": "public"}, [(NF, "tenant")]),
    bad("decideRejection", "malformed id", {"id": "xyz"}, [(NF, "id")]),
    bad("decideRejection", "id from another tenant", {"id": gid("Rectification", 1, "beta")}, [(NF, "id")]),
    bad("decideRejection", "stale version", {"version": 4}, [("CONFLICT", "version")], setup=_department_rejection),
    bad("decideRejection", "a township decides its own", {}, [("TRANSITION_NOT_ALLOWED", None)],
        setup=lambda: {**_rect("REJECTION_PENDING"), "tenant": "alpha"}),
    # setCalendarDay
    bad("setCalendarDay", "name too long", {"name": "节" * 51}, [("TOO_LONG", "name")]),
    bad("setCalendarDay", "date out of range", {"date": "1999-10-01"}, [("INVALID_DATE", "date")]),
    # issueSupervisionInstruction
    bad("issueSupervisionInstruction", "unknown tenant", {"tenant": "nosuch"}, [(NF, "tenant")]),
    bad("issueSupervisionInstruction", "public is not a tenant", {"tenant": "public"}, [(NF, "tenant")]),
    bad("issueSupervisionInstruction", "base schema is not a tenant", {"tenant": "tenant_base"}, [(NF, "tenant")]),
    bad("issueSupervisionInstruction", "malformed id", {"rectificationId": "xyz"}, [(NF, "rectificationId")]),
    bad("issueSupervisionInstruction", "unknown case", {}, [(NF, "rectificationId")]),
    bad("issueSupervisionInstruction", "beta's id for alpha", {"rectificationId": gid("Rectification", 1, "beta")},
        [(NF, "rectificationId")]),
    bad("issueSupervisionInstruction", "alpha's id for beta", {"tenant": "beta"}, [(NF, "rectificationId")],
        setup=_alpha_case),
    bad("issueSupervisionInstruction", "empty text", {"text": "  "}, [("REQUIRED", "text")], setup=_alpha_case),
    bad("issueSupervisionInstruction", "text too long", {"text": "督" * 2001}, [("TOO_LONG", "text")], setup=_alpha_case),
    # issueCircular
    bad("issueCircular", "empty title and body", {"title": " ", "body": ""}, [("REQUIRED", "title"), ("REQUIRED", "body")]),
    bad("issueCircular", "title too long", {"title": "通" * 201}, [("TOO_LONG", "title")]),
    bad("issueCircular", "unknown tenant", {"tenants": ["alpha", "nosuch"]}, [(NF, "tenants")]),
    bad("issueCircular", "public is not a tenant", {"tenants": ["public"]}, [(NF, "tenants")]),
    bad("issueCircular", "unknown subject tenant", {"subjectTenant": "nosuch"}, [(NF, "subjectTenant")]),
    bad("issueCircular", "malformed case id", {"rectificationId": "xyz"}, [(NF, "rectificationId")]),
    bad("issueCircular", "unknown case", {"rectificationId": gid("Rectification", 999999)}, [(NF, "rectificationId")]),
    bad("issueCircular", "case of another unit", {"subjectTenant": "alpha", "rectificationId": gid("Rectification", 1, "beta")},
        [(NF, "rectificationId")]),
    # requestPublicNotice
    bad("requestPublicNotice", "empty title and body", {"title": "", "body": " "}, [("REQUIRED", "title"), ("REQUIRED", "body")],
        setup=_circular),
    bad("requestPublicNotice", "unknown circular", {"circularId": gid("Circular", 999999, "public")}, [(NF, "circularId")]),
    bad("requestPublicNotice", "a tenant's id", {"circularId": gid("Circular", 1)}, [(NF, "circularId")]),
    bad("requestPublicNotice", "already proposed", {}, [("ALREADY_REQUESTED", "circularId")],
        setup=lambda: {"circularId": _notice()["circularId"]}),
    # decidePublicNotice
    bad("decidePublicNotice", "own proposal", {}, [("SAME_PERSON", "id")], setup=lambda: _notice("county_admin")),
    bad("decidePublicNotice", "already decided", {}, [("ALREADY_DECIDED", "id")],
        setup=lambda: _notice(state="PUBLISHED")),
    bad("decidePublicNotice", "unknown notice", {"id": gid("PublicNotice", 999999, "public")}, [(NF, "id")]),
]


# 监督查评 (tests/surveys): the county's surveys and call-backs.
def _county_survey() -> dict:
    from haochaping.surveys import county as county_surveys
    from haochaping.surveys import surveys as survey_services
    from tenants.models import Tenant

    from datetime import date

    key = county_surveys.create_county_survey(survey_services.SurveyInput(
        title="县级调查", item_codes=["TEST-001"], period_start=date(2026, 11, 1), period_end=date(2026, 11, 30),
        questions=survey_services.default_questions()), [Tenant.objects.get(schema_name="alpha")],
        User.objects.get(username="county_admin"))
    return {"key": key}


def _call_back() -> dict:
    from datetime import date

    from haochaping.evaluations.models import Evaluation
    from haochaping.surveys import callbacks
    from haochaping.surveys.models import CallBack
    from tenants.models import Tenant

    with schema_context("alpha"):
        Evaluation.objects.create(grade=5, channel="QR_CODE", rated_at=timezone.now(), receipt_code="RCALLBACK01",
                                  rater_phone="13900139000")
    today = timezone.localdate()
    callbacks.draw_call_backs([Tenant.objects.get(schema_name="alpha")], start=today - timezone.timedelta(days=30),
                              end=today + timezone.timedelta(days=1), proportion=1, seed="s",
                              county_user=User.objects.get(username="county_admin"))
    with schema_context("alpha"):
        return {"tenant": "alpha", "id": gid("CallBack", CallBack.objects.order_by("-pk").first().pk)}


OUTCOME = {"reached": True, "didRate": True, "pressedToRateWell": False, "satisfactionConfirmed": True}
PLATFORM_MUTATIONS.update({
    "createCountySurvey": ("$input: SurveyInput!, $tenants: [String!]", "input: $input, tenants: $tenants", "key",
                           {"input": SURVEY_INPUT, "tenants": ["alpha"]}),
    "reviseCountySurvey": ("$key: String!, $questions: [SurveyQuestionInput!]!", "key: $key, questions: $questions",
                           "version", {"key": None, "questions": SURVEY_QUESTIONS}),
    "sendCountySurvey": ("$key: String!", "key: $key", "sent { tenant sent }", {"key": None}),
    "drawCallBacks": ("$input: DrawCallBacksInput!", "input: $input", "drawKey seed drawn",
                      {"input": {"start": "2026-11-01", "end": "2026-11-30", "proportion": 0.1, "seed": "s"}}),
    "revealCallBackContact": ("$tenant: String!, $id: ID!", "tenant: $tenant, id: $id", "contact { phone }",
                              {"tenant": "alpha", "id": None}),
    "recordCallBackOutcome": ("$tenant: String!, $id: ID!, $input: CallBackOutcomeInput!",
                              "tenant: $tenant, id: $id, input: $input", "callBack { id }",
                              {"tenant": "alpha", "id": None, "input": OUTCOME}),
})
SURVEY_PLATFORM_SETUP = {"reviseCountySurvey": _county_survey, "sendCountySurvey": _county_survey,
                         "revealCallBackContact": _call_back, "recordCallBackOutcome": _call_back}
PLATFORM_CASES += [
    bad("createCountySurvey", "unknown unit", {"tenants": ["alpha", "nosuch"]}, [(NF, "tenants")]),
    bad("createCountySurvey", "empty title", {"input": {"title": ""}}, [("REQUIRED", "title")]),
    bad("createCountySurvey", "item a unit lacks", {"input": {"itemCodes": ["TEST-004"]}}, [("UNKNOWN_ITEM", "itemCodes")]),
    bad("reviseCountySurvey", "unknown key", {"key": "nosuch"}, [(NF, "key")]),
    bad("reviseCountySurvey", "bad dimension text", {"questions": [{"dimension": "AWARENESS", "text": ""}]},
        [("REQUIRED", "questions")], setup=_county_survey),
    bad("sendCountySurvey", "unknown key", {"key": ""}, [(NF, "key")]),
    bad("drawCallBacks", "bad window and proportion", {"input": {"end": "2026-10-01", "proportion": 0}},
        [("INVALID_PERIOD", "end"), ("INVALID_PROPORTION", "proportion")]),
    bad("drawCallBacks", "unknown channel", {"input": {"channels": ["FAX"]}}, [("INVALID_CHANNEL", "channels")]),
    bad("drawCallBacks", "unknown unit", {"input": {"tenants": ["nosuch"]}}, [(NF, "tenants")]),
    bad("revealCallBackContact", "unknown unit", {"tenant": "nosuch"}, [(NF, "tenant")], setup=_call_back),
    bad("revealCallBackContact", "id minted on beta", {"id": gid("CallBack", 1, "beta")}, [(NF, "id")]),
    bad("recordCallBackOutcome", "reached without answers", {"input": {"reached": True, "didRate": None,
                                                                        "pressedToRateWell": None}},
        [("REQUIRED", "didRate"), ("REQUIRED", "pressedToRateWell")], setup=_call_back),
    bad("recordCallBackOutcome", "malformed id", {"id": "xyz"}, [(NF, "id")]),
]


# 综合点评 (tests/feedback): a comment on alpha (entered by the domain service) to answer, hide or transfer.
def _comment(schema: str = "alpha", *, hidden: bool = False, answered: bool = False) -> dict:
    from haochaping.feedback import services as feedback

    result = feedback.submit_comment(channel="SUGGESTION_BOX", text="窗口排队时间长", category="SUGGESTION", unit=schema,
                                     trusted=True)
    with schema_context(schema):
        result.comment.__class__.objects.filter(pk=result.comment.pk).update(
            is_hidden=hidden, status="ANSWERED" if answered else "OPEN")
    connection.set_schema_to_public()
    return {"id": gid("PublicComment", result.comment.pk, schema)}


BETA_COMMENT_PK = 9101  # explicit, so a case can name it


def _beta_comment() -> None:
    from haochaping.feedback.models import PublicComment

    with schema_context("beta"):
        PublicComment.objects.create(pk=BETA_COMMENT_PK, receipt_code="BETA00009101", channel="HOTLINE",
                                     category="SUGGESTION", text="乙镇的点评", route="HOST", submitted_at=timezone.now())


def _hide_alpha_comments() -> None:
    from haochaping.feedback.models import PublicComment

    with schema_context("alpha"):
        PublicComment.objects.update(is_hidden=True)


HOTLINE_INPUT = {"text": "来电反映排队时间长", "category": "SUGGESTION", "contactPhone": "13800138000"}
TENANT_MUTATIONS.update({
    "recordHotlineComment": ("$input: HotlineCommentInput!", "input: $input", "comment { id } receiptCode",
                             {"input": HOTLINE_INPUT}),
    "answerPublicComment": ("$id: ID!, $answer: String!", "id: $id, answer: $answer", "comment { id }",
                            {"id": None, "answer": "已核实处理"}),
    "hidePublicComment": ("$id: ID!, $reason: String!", "id: $id, reason: $reason", "comment { id }",
                          {"id": None, "reason": "含辱骂内容"}),
})
BASE_SETUP.update({"answerPublicComment": _comment, "hidePublicComment": _comment})
TENANT_CASES += [
    bad("recordHotlineComment", "empty text, bad phone", {"input": {"text": " ", "contactPhone": "12345"}},
        [("REQUIRED", "text"), ("INVALID_PHONE", "contactPhone")]),
    bad("recordHotlineComment", "text too long", {"input": {"text": "长" * 1001}}, [("TOO_LONG", "text")]),
    bad("recordHotlineComment", "name too long", {"input": {"contactName": "名" * 51}}, [("TOO_LONG", "contactName")]),
    bad("recordHotlineComment", "unknown item", {"input": {"itemCode": "NOPE-9"}}, [("UNKNOWN_ITEM", "itemCode")]),
    bad("answerPublicComment", "empty answer", {"answer": "  "}, [("REQUIRED", "answer")]),
    bad("answerPublicComment", "answer too long", {"answer": "答" * 2001}, [("TOO_LONG", "answer")]),
    bad("answerPublicComment", "malformed id", {"id": "xyz"}, [(NF, "id")]),
    bad("answerPublicComment", "another type's id", {"id": gid("Window", 1)}, [(NF, "id")]),
    bad("answerPublicComment", "id minted on beta", {"id": gid("PublicComment", BETA_COMMENT_PK, "beta")}, [(NF, "id")],
        setup=_beta_comment),
    bad("answerPublicComment", "hidden comment", {}, [("NOT_ALLOWED", None)], setup=_hide_alpha_comments),
    bad("hidePublicComment", "empty reason", {"reason": ""}, [("REQUIRED", "reason")]),
    bad("hidePublicComment", "already hidden", {}, [("ALREADY_HIDDEN", None)], setup=_hide_alpha_comments),
    bad("hidePublicComment", "id minted on beta", {"id": gid("PublicComment", BETA_COMMENT_PK, "beta")}, [(NF, "id")],
        setup=_beta_comment),
]
PLATFORM_MUTATIONS.update({
    "transferPublicComment": ("$tenant: String!, $id: ID!, $toTenant: String!, $reason: String!",
                              "tenant: $tenant, id: $id, toTenant: $toTenant, reason: $reason", "comment { id tenant }",
                              {"tenant": "alpha", "id": None, "toTenant": "beta", "reason": "涉及乙镇窗口"}),
})
FEEDBACK_PLATFORM_SETUP = {"transferPublicComment": _comment}
PLATFORM_CASES += [
    bad("transferPublicComment", "unknown unit", {"tenant": "nosuch"}, [(NF, "tenant")], setup=_comment),
    bad("transferPublicComment", "unknown target", {"toTenant": "public"}, [(NF, "toTenant")], setup=_comment),
    bad("transferPublicComment", "same unit", {"toTenant": "alpha"}, [("SAME_UNIT", "toTenant")], setup=_comment),
    bad("transferPublicComment", "empty reason", {"reason": " "}, [("REQUIRED", "reason")], setup=_comment),
    bad("transferPublicComment", "beta's id named as alpha's", {}, [(NF, "id")], setup=lambda: _comment("beta")),
    bad("transferPublicComment", "answered already", {}, [("NOT_ALLOWED", None)],
        setup=lambda: _comment(answered=True)),
]


# Third-party evaluators (county side). The evaluator's own mutations, called with its grant's token, have their bad
# input (and bad files) in tests/assessments/test_assessment_reports.py; the 12345 work-order intake (its own token
# scope) in tests/feedback/test_work_orders.py.
PLATFORM_ELSEWHERE = {"submitAssessment", "uploadAssessmentAttachment", "dispatchWorkOrder", "recordWorkOrderCallback"}


def _assessment(state: str = "SUBMITTED") -> dict:
    from haochaping.assessments.models import Assessment, EvaluatorGrant

    grant_pk = int(base64.b64decode(_evaluator_grant(None)["id"]).decode().rsplit(":", 1)[1])
    with schema_context("public"):
        grant = EvaluatorGrant.objects.get(pk=grant_pk)
        assessment = Assessment.objects.create(org=grant.org, grant=grant, title="评估报告", state=state,
                                               period_start=timezone.localdate(), period_end=timezone.localdate(),
                                               scores={"overall": 80})
    return {"id": gid("Assessment", assessment.pk, "public")}


PLATFORM_MUTATIONS.update({
    "registerEvaluatorOrg": TENANT_MUTATIONS["registerEvaluatorOrg"],
    "grantEvaluatorAccess": ("$orgId: ID!, $tenants: [String!]!, $periodStart: Date!, $periodEnd: Date!, $expiresAt: DateTime!",
                             "orgId: $orgId, tenants: $tenants, periodStart: $periodStart, periodEnd: $periodEnd, "
                             "expiresAt: $expiresAt", "grant { id } secret",
                             {"orgId": None, "tenants": ["alpha", "beta"], "periodStart": "2026-01-01",
                              "periodEnd": "2026-06-30", "expiresAt": SOON}),
    "revokeEvaluatorGrant": ("$id: ID!", "id: $id", "grant { id }", {"id": None}),
    "decideAssessment": ("$id: ID!, $approve: Boolean!", "id: $id, approve: $approve", "assessment { id }",
                         {"id": None, "approve": True}),
})
EVALUATOR_PLATFORM_SETUP = {"grantEvaluatorAccess": lambda: _evaluator_org(None),
                            "revokeEvaluatorGrant": lambda: _evaluator_grant(None), "decideAssessment": _assessment}
PLATFORM_CASES += [
    bad("registerEvaluatorOrg", "empty name", {"name": ""}, [("REQUIRED", "name")]),
    bad("registerEvaluatorOrg", "bad credit code", {"creditCode": "123"}, [("INVALID_CREDIT_CODE", "creditCode")]),
    bad("registerEvaluatorOrg", "duplicate name", {"name": "评估机构None"}, [("DUPLICATE_NAME", "name")],
        setup=lambda: _evaluator_org(None)),
    bad("grantEvaluatorAccess", "unknown tenant", {"tenants": ["alpha", "nosuch"]}, [(NF, "tenants")],
        setup=lambda: _evaluator_org(None)),
    bad("grantEvaluatorAccess", "public is not a tenant", {"tenants": ["public"]}, [(NF, "tenants")],
        setup=lambda: _evaluator_org(None)),
    bad("grantEvaluatorAccess", "no tenant", {"tenants": []}, [(NF, "tenants")], setup=lambda: _evaluator_org(None)),
    bad("grantEvaluatorAccess", "bad period and expiry", {"periodEnd": "2025-01-01", "expiresAt": PAST},
        [("INVALID_PERIOD", "periodEnd"), ("INVALID_EXPIRY", "expiresAt")], setup=lambda: _evaluator_org(None)),
    bad("grantEvaluatorAccess", "a tenant's id", {}, [(NF, "orgId")], setup=_evaluator_org),
    bad("grantEvaluatorAccess", "unknown org", {"orgId": gid("EvaluatorOrg", 999999, "public")}, [(NF, "orgId")]),
    bad("revokeEvaluatorGrant", "already revoked", {}, [("ALREADY_REVOKED", "id")],
        setup=lambda: _evaluator_grant(None, revoked=True)),
    bad("revokeEvaluatorGrant", "unknown grant", {"id": gid("EvaluatorGrant", 999999, "public")}, [(NF, "id")]),
    bad("decideAssessment", "already decided", {}, [("ALREADY_DECIDED", "id")], setup=lambda: _assessment("PUBLISHED")),
    bad("decideAssessment", "unknown report", {"id": gid("Assessment", 999999, "public")}, [(NF, "id")]),
    bad("decideAssessment", "another type's id", {"id": gid("EvaluatorGrant", 1, "public")}, [(NF, "id")]),
]


@pytest.mark.parametrize("mutation", sorted(PLATFORM_MUTATIONS))
def test_platform_base_input_is_valid(gql, mutation):
    overrides = {"revokeApiToken": _evaluator_token, "reviewSuspicionFlag": _flag,
                 "decideRejection": _department_rejection, "issueSupervisionInstruction": _alpha_case,
                 "requestPublicNotice": _circular, "decidePublicNotice": _notice, **SURVEY_PLATFORM_SETUP,
                 **FEEDBACK_PLATFORM_SETUP, **EVALUATOR_PLATFORM_SETUP}.get(mutation, dict)()
    connection.set_schema_to_public()
    result, payload = run(gql("public", "county_admin"), PLATFORM_MUTATIONS, mutation, overrides)
    assert result["errors"] == [] and result[payload] is not None


@pytest.mark.parametrize("mutation, overrides, expected, setup", PLATFORM_CASES)
def test_platform_bad_input(gql, mutation, overrides, expected, setup):
    if setup:
        overrides = {**setup(), **overrides}
    elif mutation == "revokeApiToken" and "id" not in overrides:
        overrides = _evaluator_token()
    connection.set_schema_to_public()
    client = gql("public", "county_admin")
    before = snapshot()
    result, payload = run(client, PLATFORM_MUTATIONS, mutation, overrides)
    assert result[payload] is None
    assert_typed_errors(result, expected)
    after = snapshot()
    assert row_counts(after) == row_counts(before)
    assert after == before


# --------------------------------------------------------------------------------------------- importCatalog (multipart)

IMPORT = ("mutation($file: Upload!, $keepMissing: Boolean!) { importCatalog(file: $file, keepMissing: $keepMissing) "
          "{ report { added deactivated } errors { code message messageEn field } } }")
HEADER = "code,name,legal_basis,item_type\n"
GOOD_ROWS = "TEST-001,测试事项1（新名称）,《测试条例》第1条,公共服务\nNEW-001,新增事项,《新条例》第1条,行政许可\n"


def upload(client, file_name: str, content: bytes, keep_missing: bool = False):
    operations = json.dumps({"query": IMPORT, "variables": {"file": None, "keepMissing": keep_missing}})
    data = {"operations": operations, "map": json.dumps({"0": ["variables.file"]}),
            "0": SimpleUploadedFile(file_name, content, content_type="application/octet-stream")}
    response = client.client.post("/graphql/", data=data, HTTP_HOST=client.host)
    assert response.status_code == 200, response.content
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["importCatalog"]


IMPORT_CASES = [
    pytest.param("catalog.csv", HEADER + GOOD_ROWS + "NEW-002,,《新条例》第2条,公共服务\n",
                 [("REQUIRED", "rows[3]")], id="csv row without a name"),
    pytest.param("catalog.csv", HEADER + GOOD_ROWS + "NEW-002,新增事项2,《新条例》第2条,行政命令\n",
                 [("INVALID_ITEM_TYPE", "rows[3]")], id="csv row with an unknown type"),
    pytest.param("catalog.csv", HEADER + GOOD_ROWS + "NEW-001,重复事项,《新条例》第3条,公共服务\n",
                 [("DUPLICATE_CODE", "rows[3]")], id="csv repeated code"),
    pytest.param("catalog.csv", HEADER + GOOD_ROWS + ",,,\n" + "X" * 41 + ",过长编码,依据,公共服务\n",
                 [("REQUIRED", "rows[3]"), ("TOO_LONG", "rows[4]")], id="csv several bad rows"),
    pytest.param("catalog.csv", HEADER, [("EMPTY_FILE", "file")], id="csv header only"),
    pytest.param("catalog.txt", HEADER + GOOD_ROWS, [("UNSUPPORTED_FORMAT", "file")], id="unsupported extension"),
    pytest.param("catalog.json", '{"items": [', [("UNREADABLE_FILE", "file")], id="broken json"),
    pytest.param("catalog.json", '{"items": 3}', [("UNREADABLE_FILE", "file")], id="json without a list"),
    pytest.param("catalog.xlsx", "not a workbook", [("UNREADABLE_FILE", "file")], id="broken xlsx"),
]


def test_import_catalog_base_file_is_valid(gql):
    """Positive control: the good rows alone import."""
    result = upload(gql("public", "county_admin"), "catalog.csv", (HEADER + GOOD_ROWS).encode(), keep_missing=True)
    assert result["errors"] == [] and result["report"]["added"] == ["NEW-001"]


@pytest.mark.parametrize("file_name, content, expected", IMPORT_CASES)
def test_import_catalog_bad_file(gql, file_name, content, expected):
    client = gql("public", "county_admin")
    before = snapshot()
    result = upload(client, file_name, content.encode())
    assert result["report"] is None
    assert_typed_errors(result, expected)
    after = snapshot()
    assert row_counts(after) == row_counts(before)
    assert after == before


# --------------------------------------------------------------------------------------------- input no argument takes
# Found by the schemathesis run (tests/security/test_schemathesis.py); each was a masked internal error before.

def refused(body: dict, code: str) -> dict:
    """A request-level refusal: one typed error (stable code, "中文 / English" message), nothing executed."""
    assert body["data"] is None, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == code, error
    message, _, message_en = error["message"].partition(" / ")
    assert CJK.search(message) and re.search(r"[A-Za-z]{3}", message_en), error
    return error


NUL_CASES = [
    pytest.param("alpha", TENANT_MUTATIONS, "createSurvey", {"input": {"title": "政策知悉度\x00调查"}}, None,
                 id="createSurvey"),
    pytest.param("public", PLATFORM_MUTATIONS, "createCountySurvey", {"input": {"title": "\x00"}}, None,
                 id="createCountySurvey"),
    pytest.param("public", PLATFORM_MUTATIONS, "issueEvaluatorToken", {"name": "评估机构\x00"}, None,
                 id="issueEvaluatorToken"),
    pytest.param("public", PLATFORM_MUTATIONS, "recordCallBackOutcome", {"input": {**OUTCOME, "notes": "已回访\x00"}},
                 _call_back, id="recordCallBackOutcome"),
    # JSON values too (PostgreSQL's jsonb refuses \u0000 as well), keys included.
    pytest.param("alpha", TENANT_MUTATIONS, "submitEvaluation", {"input": {"answers": {"guidance_clear\x00": "是"}}},
                 None, id="submitEvaluation-json-key"),
]


@pytest.mark.parametrize("slug, mutations, mutation, overrides, setup", NUL_CASES)
def test_nul_character_in_a_variable_is_refused_and_changes_nothing(gql, slug, mutations, mutation, overrides, setup):
    """PostgreSQL cannot store U+0000 in text or jsonb: refused before the mutation runs (INVALID_CHARACTER)."""
    if setup:
        overrides = {**setup(), **overrides}
        connection.set_schema_to_public()
    client = gql(slug, "tenant_admin" if slug == "alpha" else "county_admin")
    query, _ = _document(mutations, mutation)
    before = snapshot()
    refused(client(query, merge(mutations[mutation][3], overrides), expect_errors=True), "INVALID_CHARACTER")
    assert snapshot() == before


@pytest.mark.parametrize("query", [
    'mutation { issueSystemToken(name: "业务系统\\u0000", scopes: ["read"]) { secret errors { code } } }',
    '{ publicComments(query: "\\u0000") { totalCount } }',
    'query($q: String!) { publicComments(query: $q) { totalCount } }',
])
def test_nul_character_in_a_literal_or_query_is_refused(gql, query):
    client = gql("alpha", "tenant_admin")
    before = snapshot()
    refused(client(query, {"q": "投诉\x00"} if "$q" in query else None, expect_errors=True), "INVALID_CHARACTER")
    assert snapshot() == before
    assert client('{ publicComments(query: "投诉") { totalCount } }')["data"]["publicComments"]["totalCount"] == 0


@pytest.mark.parametrize("slug, query", [
    ("alpha", 'mutation { importPaperForms(file: "forms.csv") { errors { code } } }'),
    ("alpha", 'mutation { uploadEvidence(id: "1", file: 42) { errors { code } } }'),
    ("public", 'mutation { importCatalog(file: "catalog.csv") { errors { code } } }'),
])
def test_upload_argument_without_a_file_is_refused(gql, slug, query):
    """A JSON body cannot carry a file: an Upload literal is refused (UPLOAD_REQUIRED), nothing runs."""
    client = gql(slug, "tenant_admin" if slug == "alpha" else "county_admin")
    before = snapshot()
    refused(client(query, expect_errors=True), "UPLOAD_REQUIRED")
    assert snapshot() == before


def test_upload_variable_without_a_file_is_refused(gql):
    client = gql("public", "county_admin")
    body = client(IMPORT, {"file": "catalog.csv", "keepMissing": False}, expect_errors=True)
    assert body["data"] is None and "multipart" in body["errors"][0]["message"]
    assert "服务器内部错误" not in body["errors"][0]["message"]
    assert not CatalogItem.objects.filter(code="NEW-001").exists()


TOKEN_EXPIRING = ('mutation($e: DateTime) { issueSystemToken(name: "业务系统", scopes: ["read"], expiresAt: $e) '
                  '{ secret errors { code } } }')
TOKENS = "{ apiTokens { edges { node { name expiresAt } } } }"


@pytest.mark.parametrize("expires_at", ["9999-12-31T23:59:59-12:00", "9999-12-31T16:00:00Z", "0001-01-01T00:00:00",
                                        "0001-01-01T05:00:00+08:00"])
def test_datetime_without_a_date_in_utc_or_local_time_is_refused(gql, expires_at):
    """9999-12-31T23:59:59-12:00 is in year 10000 in UTC: PostgreSQL stored it and every later read of the tokens
    failed (a masked internal error on `apiTokens`). Now refused, as a literal (INVALID_DATETIME) or a variable."""
    client = gql("alpha", "tenant_admin")
    before = snapshot()
    literal = TOKEN_EXPIRING.replace("mutation($e: DateTime) ", "mutation ").replace("$e", json.dumps(expires_at))
    refused(client(literal, expect_errors=True), "INVALID_DATETIME")
    body = client(TOKEN_EXPIRING, {"e": expires_at}, expect_errors=True)
    assert body["data"] is None and "out of range" in body["errors"][0]["message"], body
    assert snapshot() == before
    assert client(TOKENS)["data"]["apiTokens"]["edges"]


def test_datetime_at_the_edge_of_the_range_is_kept(gql):
    """Positive control: the last instant that still has a date in Asia/Shanghai is accepted and reads back."""
    client = gql("alpha", "tenant_admin")
    assert client(TOKEN_EXPIRING, {"e": "9999-12-31T15:59:59Z"})["data"]["issueSystemToken"]["errors"] == []
    expiries = [edge["node"]["expiresAt"] for edge in client(TOKENS)["data"]["apiTokens"]["edges"]]
    assert "9999-12-31T15:59:59+00:00" in expiries


# --------------------------------------------------------------------------------------------- page arguments of lists

ITEMS = ("query($after: String, $before: String, $first: Int, $last: Int) { serviceItems(after: $after, "
         "before: $before, first: $first, last: $last) { edges { node { code } } pageInfo { endCursor hasNextPage } } }")


def cursor(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_cursor_of_a_page_opens_the_next(gql):
    """Positive control for the cursor checks below: the cursors the API hands out keep working."""
    anonymous = gql("alpha")
    page = anonymous(ITEMS, {"first": 1})["data"]["serviceItems"]
    assert [e["node"]["code"] for e in page["edges"]] == ["TEST-001"] and page["pageInfo"]["hasNextPage"]
    assert page["pageInfo"]["endCursor"] == cursor("arrayconnection:0")
    page = anonymous(ITEMS, {"first": 1, "after": page["pageInfo"]["endCursor"]})["data"]["serviceItems"]
    assert [e["node"]["code"] for e in page["edges"]] == ["TEST-002"]
    page = anonymous(ITEMS, {"last": 1, "before": cursor("arrayconnection:1")})["data"]["serviceItems"]
    assert [e["node"]["code"] for e in page["edges"]] == ["TEST-001"]


@pytest.mark.parametrize("argument", ["after", "before"])
@pytest.mark.parametrize("value", [
    "0", "not a cursor", "~\u0098䑒w#", cursor("arrayconnection:-1"), cursor("arrayconnection:x"),
    cursor("arrayconnection:"), cursor("othertype:1"), cursor("arrayconnection:" + "9" * 30), cursor("arrayconnection:١"),
])
def test_bad_cursor_is_a_typed_error(gql, argument, value):
    error = refused(gql("alpha")(ITEMS, {argument: value}, expect_errors=True), "INVALID_CURSOR")
    assert error["extensions"]["field"] == argument and error["path"] == ["serviceItems"]


@pytest.mark.parametrize("argument, size", [("first", -1), ("last", -5), ("first", 101), ("last", 1000)])
def test_bad_page_size_is_a_typed_error(gql, argument, size):
    error = refused(gql("alpha")(ITEMS, {argument: size}, expect_errors=True), "INVALID_PAGE_SIZE")
    assert error["extensions"]["field"] == argument and "100" in error["message"]
