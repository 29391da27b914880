from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from haochaping.core.lookup import get_or_not_found
from haochaping.evaluations import cases as case_services
from haochaping.evaluations import phone
from haochaping.evaluations.models import ServiceCase as ServiceCaseModel
from haochaping.evaluations.policy import update_policy
from haochaping.evaluations.prompts import request_rating
from haochaping.evaluations.questionnaires import publish_questionnaire
from haochaping.evaluations.submission import EvaluationInput, Submitter, submit_evaluation
from haochaping.items.models import ServiceItem as ServiceItemModel
from haochaping.organizations.models import RatingDevice
from schema.core.context import principal
from schema.core.errors import UserError, attempt
from schema.core.nodes import pk_for
from schema.core.permissions import allow, AnyOf, HasRole, HasScope, public, Role, tenant_admin

from .convert import questionnaire_type, submitted
from .types import ApplicantKind, CaseStatus, Channel, EvaluationPolicy, LabelSet, Questionnaire, ServiceCase, SubmittedEvaluation


def _pk(value, type_name, zh, en, field):
    return pk_for(value, type_name, what_zh=zh, what_en=en, field=field) if value is not None else None


@strawberry.input(description="一次评价。按渠道提供凭据：评价器令牌、二维码令牌、邀请令牌、书面表编号或代录身份")
class SubmitEvaluationInput:
    grade: int = strawberry.field(description="1–5，5 最好；1、2 为差评")
    channel: Channel
    idempotency_key: str | None = strawberry.field(default=None, description="重试时使用同一个键，只会保存一次")
    round: int = 1
    case_number: str | None = None
    phone_last4: str | None = strawberry.field(default=None, description="二维码评价关联办件：办件登记手机号后四位")
    window_token: str | None = None
    invitation_token: str | None = None
    paper_serial: str | None = None
    prompt_id: int | None = None
    window_id: strawberry.ID | None = None
    staff_id: strawberry.ID | None = None
    item_id: strawberry.ID | None = None
    platform_id: strawberry.ID | None = None
    answers: JSON | None = None
    comment: str = ""
    rater_name: str = ""
    rater_phone: str = ""
    phone_verification_token: str | None = None
    rated_at: datetime | None = strawberry.field(default=None, description="评价器离线补传时的按键时间")


@strawberry.type
class SubmitEvaluationPayload:
    evaluation: SubmittedEvaluation | None
    replayed: bool = strawberry.field(description="true: 同一幂等键的重试，返回首次结果")
    errors: list[UserError]


@strawberry.input
class ServiceCaseInput:
    case_number: str
    item_code: str
    applicant_kind: ApplicantKind
    applicant_name: str
    accepted_at: datetime
    status: CaseStatus = CaseStatus.ACCEPTED
    applicant_phone: str = ""
    applicant_email: str = ""
    accepting_unit: str | None = strawberry.field(default=None, description="受理单位租户标识，空为本单位")
    handling_unit: str | None = strawberry.field(default=None, description="办理单位租户标识，空为本单位")
    window: str | None = strawberry.field(default=None, description="机构编码/窗口号，如 H01/W02")
    staff_no: str | None = None
    platform_code: str | None = None
    promised_at: datetime | None = None
    completed_at: datetime | None = None


@strawberry.type
class ServiceCasePayload:
    case: ServiceCase | None
    created: bool
    errors: list[UserError]


@strawberry.type
class RequestRatingPayload:
    prompt_id: int | None
    errors: list[UserError]


@strawberry.type
class PhoneCodePayload:
    sent: bool
    errors: list[UserError]


@strawberry.type
class VerifyPhonePayload:
    verification_token: str | None
    errors: list[UserError]


@strawberry.input
class QuestionInput:
    key: str
    text: str
    kind: str
    text_en: str = ""
    options: list[str] = strawberry.field(default_factory=list)


@strawberry.type
class QuestionnairePayload:
    questionnaire: Questionnaire | None
    errors: list[UserError]


@strawberry.input
class EvaluationPolicyInput:
    label_set: LabelSet | None = None
    supplementary_days: int | None = None
    device_min_interval_seconds: int | None = None
    device_max_per_hour: int | None = None
    ip_max_per_hour: int | None = None
    phone_max_per_day: int | None = None
    streak_length: int | None = None
    streak_seconds: int | None = None
    board_alert_bad_percent: int | None = None
    board_alert_minutes: int | None = None
    board_alert_min_ratings: int | None = None


@strawberry.type
class EvaluationPolicyPayload:
    policy: EvaluationPolicy | None
    errors: list[UserError]


def _submitter(info) -> Submitter:
    who = principal(info)
    request = info.context.request
    device = None
    if who.token is not None and who.token.kind == "DEVICE":
        device = RatingDevice.objects.select_related("window__org").filter(token=who.token).first()
    return Submitter(device=device, token=who.token if device is None else None, user=who.user,
                     client_ip=request.META.get("REMOTE_ADDR", ""))


@strawberry.type
class EvaluationMutations:
    @strawberry.mutation(extensions=public(), description="提交评价（所有渠道共用）")
    def submit_evaluation(self, info: strawberry.Info, input: SubmitEvaluationInput) -> SubmitEvaluationPayload:
        def run():
            data = EvaluationInput(
                grade=input.grade, channel=input.channel.value, idempotency_key=input.idempotency_key,
                round=input.round, case_number=input.case_number, phone_last4=input.phone_last4,
                window_token=input.window_token, invitation_token=input.invitation_token,
                paper_serial=input.paper_serial, prompt_id=input.prompt_id,
                window_id=_pk(input.window_id, "Window", "窗口", "Window", "windowId"),
                staff_id=_pk(input.staff_id, "Staff", "工作人员", "Staff member", "staffId"),
                item_id=_pk(input.item_id, "ServiceItem", "事项", "Service item", "itemId"),
                platform_id=_pk(input.platform_id, "ServicePlatform", "平台", "Platform", "platformId"),
                answers=input.answers if isinstance(input.answers, dict) else {}, comment=input.comment,
                rater_name=input.rater_name, rater_phone=input.rater_phone,
                phone_verification_token=input.phone_verification_token, rated_at=input.rated_at,
            )
            return submit_evaluation(data, _submitter(info))

        result, errors = attempt(run)
        return SubmitEvaluationPayload(evaluation=submitted(result.evaluation) if result else None,
                                       replayed=bool(result and result.replayed), errors=errors)

    @strawberry.mutation(extensions=allow(HasScope("cases:write")), description="业务系统推送办件（按办件编号幂等）")
    def upsert_service_case(self, info: strawberry.Info, input: ServiceCaseInput) -> ServiceCasePayload:
        data = case_services.CaseInput(
            case_number=input.case_number, item_code=input.item_code, applicant_kind=input.applicant_kind.value,
            applicant_name=input.applicant_name, accepted_at=input.accepted_at, status=input.status.value,
            applicant_phone=input.applicant_phone, applicant_email=input.applicant_email,
            accepting_unit=input.accepting_unit, handling_unit=input.handling_unit, window=input.window,
            staff_no=input.staff_no, platform_code=input.platform_code, promised_at=input.promised_at,
            completed_at=input.completed_at)
        result, errors = attempt(lambda: case_services.upsert_case(data, source_system=principal(info).token.name))
        return ServiceCasePayload(case=result[0] if result else None, created=bool(result and result[1]), errors=errors)

    @strawberry.mutation(extensions=tenant_admin(), description="办理超时：登记可公开的理由")
    def record_overdue_reason(self, case_number: str, reason: str) -> ServiceCasePayload:
        def run():
            case = ServiceCaseModel.objects.filter(case_number=case_number.strip()).first()
            if case is None:
                from haochaping.core.errors import NotFound

                raise NotFound("办件", "Case", "caseNumber")
            return case_services.record_overdue_reason(case=case, reason=reason)

        case, errors = attempt(run)
        return ServiceCasePayload(case=case, created=False, errors=errors)

    @strawberry.mutation(extensions=allow(AnyOf(HasRole(Role.STAFF, Role.TENANT_ADMIN), HasScope("cases:write"))),
                         description="“请评价”：把办件推送到窗口评价器（窗口人员看不到评价等级）")
    def request_rating(self, info: strawberry.Info, case_number: str,
                       device_serial: str | None = None) -> RequestRatingPayload:
        def run():
            who = principal(info)
            device = None
            if device_serial:
                device = RatingDevice.objects.filter(serial=device_serial, is_active=True).first()
                if device is None:
                    from haochaping.core.errors import NotFound

                    raise NotFound("评价器", "Rating device", "deviceSerial")
            return request_rating(case_number=case_number, device=device, user=who.user)

        prompt, errors = attempt(run)
        return RequestRatingPayload(prompt_id=prompt.pk if prompt else None, errors=errors)

    @strawberry.mutation(extensions=public(), description="实名评价：发送短信验证码")
    def request_phone_code(self, info: strawberry.Info, phone: str) -> PhoneCodePayload:
        ip = info.context.request.META.get("REMOTE_ADDR", "")
        result, errors = attempt(lambda: phone_module.request_code(phone, client_ip=ip))
        return PhoneCodePayload(sent=result is not None, errors=errors)

    @strawberry.mutation(extensions=public(), description="实名评价：校验短信验证码，返回30分钟内有效的验证令牌")
    def verify_phone_code(self, phone: str, code: str) -> VerifyPhonePayload:
        token, errors = attempt(lambda: phone_module.verify_code(phone, code))
        return VerifyPhonePayload(verification_token=token, errors=errors)

    @strawberry.mutation(extensions=tenant_admin(), description="发布评价问询表单新版本（itemId 为空则为本单位默认表单）")
    def publish_questionnaire(self, info: strawberry.Info, questions: list[QuestionInput],
                              item_id: strawberry.ID | None = None) -> QuestionnairePayload:
        def run():
            item_pk = None
            if item_id is not None:
                item_pk = get_or_not_found(ServiceItemModel, _pk(item_id, "ServiceItem", "事项", "Service item", "itemId"),
                                           "事项", "Service item", "itemId").pk
            return publish_questionnaire(item_id=item_pk, user=principal(info).user, questions=[
                {"key": q.key, "text": q.text, "textEn": q.text_en, "kind": q.kind, "options": q.options}
                for q in questions])

        result, errors = attempt(run)
        return QuestionnairePayload(questionnaire=questionnaire_type(result) if result else None, errors=errors)

    @strawberry.mutation(extensions=tenant_admin(), description="修改本单位评价规则")
    def update_evaluation_policy(self, input: EvaluationPolicyInput) -> EvaluationPolicyPayload:
        values = {name: getattr(input, name) for name in EvaluationPolicyInput.__annotations__}
        if values["label_set"] is not None:
            values["label_set"] = values["label_set"].value
        policy, errors = attempt(lambda: update_policy(**values))
        return EvaluationPolicyPayload(policy=policy, errors=errors)


phone_module = phone
__all__ = ["EvaluationMutations", "SubmitEvaluationInput"]
