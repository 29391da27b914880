"""监督查评 writes: a unit's surveys (tenant admin, tenant host); the county's surveys and call-backs (county users,
platform host). Each calls one domain service; refusals come back as typed errors and change nothing."""
from __future__ import annotations

from datetime import date

import strawberry
from django_tenants.utils import schema_context

from haochaping.core.errors import DomainError, NotFound
from haochaping.supervision.selectors import supervised_tenants
from haochaping.surveys import callbacks, county
from haochaping.surveys import surveys as services
from haochaping.surveys.selectors import surveys as survey_rows
from schema.core.context import principal
from schema.core.errors import UserError, attempt
from schema.core.nodes import pk_for
from schema.core.permissions import platform_reader, tenant_admin
from schema.supervision.queries import supervised_tenant

from .queries import call_pk
from .types import (CallBack, CallBackStratum, Survey, SurveyInput, SurveyQuestionInput, SurveyVersion, call_back,
                    stratum, survey, version)


def _label(info) -> str:
    user = principal(info).user
    return f"{user.display_name or user.username}（{user.get_role_display()}）"


def _survey_input(data: SurveyInput) -> services.SurveyInput:
    return services.SurveyInput(
        title=data.title, item_codes=list(data.item_codes), period_start=data.period_start, period_end=data.period_end,
        questions=_questions(data.questions) if data.questions is not None else services.default_questions(),
        text_prompt=data.text_prompt, link_days=data.link_days)


def _questions(questions: list[SurveyQuestionInput]) -> list[services.QuestionInput]:
    return [services.QuestionInput(q.dimension.value, q.text, q.text_en) for q in questions]


def _survey_pk(node_id) -> int:
    return pk_for(node_id, "Survey", what_zh="调查", what_en="Survey")


def _survey(pk: int) -> Survey:
    return survey(survey_rows().get(pk=pk))


def _units(slugs: list[str] | None):
    if not slugs:
        return list(supervised_tenants())
    units = []
    for slug in slugs:
        unit = supervised_tenant(slug)
        if unit is None:
            raise NotFound("单位", "Tenant", "tenants")
        if unit not in units:
            units.append(unit)
    return units


def _unit(slug: str):
    unit = supervised_tenant(slug)
    if unit is None:
        raise NotFound("单位", "Tenant", "tenant")
    return unit


@strawberry.type
class SurveyPayload:
    survey: Survey | None
    errors: list[UserError]


@strawberry.type
class SurveyVersionPayload:
    version: SurveyVersion | None
    errors: list[UserError]


@strawberry.type
class SendSurveyPayload:
    sent: int | None = strawberry.field(description="本次新发送的链接数")
    errors: list[UserError]


@strawberry.type
class SurveyMutations:
    @strawberry.mutation(extensions=tenant_admin(), description="新建政务服务调查（发布第1版）")
    def create_survey(self, info: strawberry.Info, input: SurveyInput) -> SurveyPayload:
        result, errors = attempt(lambda: _survey(services.create_survey(_survey_input(input), by=_label(info)).pk))
        return SurveyPayload(survey=result, errors=errors)

    @strawberry.mutation(extensions=tenant_admin(), description="修改调查问题：发布新版本（已发布版本不变）")
    def revise_survey(self, info: strawberry.Info, id: strawberry.ID, questions: list[SurveyQuestionInput],
                      text_prompt: str = "") -> SurveyVersionPayload:
        def run():
            return version(services.revise_survey(_survey_pk(id), _questions(questions), by=_label(info),
                                                  text_prompt=text_prompt))

        result, errors = attempt(run)
        return SurveyVersionPayload(version=result, errors=errors)

    @strawberry.mutation(extensions=tenant_admin(), description="发送调查：向期间内办理所选事项、留有联系方式的申请人"
                                                              "各发一条一次性链接（短信或邮件）")
    def send_survey(self, id: strawberry.ID) -> SendSurveyPayload:
        result, errors = attempt(lambda: services.send_survey(_survey_pk(id)))
        return SendSurveyPayload(sent=result, errors=errors)


@strawberry.type
class CountySurveyPayload:
    key: str | None
    errors: list[UserError]


@strawberry.type
class CountySurveyVersionPayload:
    version: int | None
    errors: list[UserError]


@strawberry.type
class UnitSent:
    tenant: str
    sent: int


@strawberry.type
class SendCountySurveyPayload:
    sent: list[UnitSent] | None
    errors: list[UserError]


@strawberry.input
class DrawCallBacksInput:
    start: date
    end: date
    proportion: float = strawberry.field(description="抽样比例（0–1]；每个非空分层至少1条")
    seed: str = strawberry.field(default="", description="随机种子：相同种子与数据得到相同样本；为空时自动生成")
    tenants: list[str] | None = None
    channels: list[str] | None = None


@strawberry.type
class DrawCallBacksPayload:
    draw_key: str | None
    seed: str | None
    drawn: int | None
    strata: list[CallBackStratum] | None
    errors: list[UserError]


@strawberry.type
class RaterContactForCall:
    name: str
    phone: str


@strawberry.type
class CallBackContactPayload:
    contact: RaterContactForCall | None
    errors: list[UserError]


@strawberry.input
class CallBackOutcomeInput:
    reached: bool | None
    did_rate: bool | None = None
    pressed_to_rate_well: bool | None = None
    satisfaction_confirmed: bool | None = None
    notes: str = ""


@strawberry.type
class CallBackPayload:
    call_back: CallBack | None
    errors: list[UserError]


@strawberry.type
class CountySurveyMutations:
    @strawberry.mutation(extensions=platform_reader(), description="县级发起政务服务调查（复制到所选单位，tenants 为空时全部单位）")
    def create_county_survey(self, info: strawberry.Info, input: SurveyInput,
                             tenants: list[str] | None = None) -> CountySurveyPayload:
        result, errors = attempt(lambda: county.create_county_survey(_survey_input(input), _units(tenants),
                                                                     principal(info).user))
        return CountySurveyPayload(key=result, errors=errors)

    @strawberry.mutation(extensions=platform_reader(), description="修改县级调查问题：各单位副本发布新版本")
    def revise_county_survey(self, info: strawberry.Info, key: str, questions: list[SurveyQuestionInput],
                             text_prompt: str = "") -> CountySurveyVersionPayload:
        result, errors = attempt(lambda: county.revise_county_survey(key, _questions(questions),
                                                                     list(supervised_tenants()), principal(info).user,
                                                                     text_prompt))
        return CountySurveyVersionPayload(version=result, errors=errors)

    @strawberry.mutation(extensions=platform_reader(), description="发送县级调查（各单位的一次性链接）")
    def send_county_survey(self, info: strawberry.Info, key: str) -> SendCountySurveyPayload:
        def run():
            sent = county.send_county_survey(key, list(supervised_tenants()), principal(info).user)
            return [UnitSent(tenant=slug, sent=n) for slug, n in sent.items()]

        result, errors = attempt(run)
        return SendCountySurveyPayload(sent=result, errors=errors)

    @strawberry.mutation(extensions=platform_reader(), description="回访抽样：按单位×渠道×窗口×好差评分层随机抽取"
                                                                  "有联系方式的评价（可复现的种子）")
    def draw_call_backs(self, info: strawberry.Info, input: DrawCallBacksInput) -> DrawCallBacksPayload:
        def run():
            return callbacks.draw_call_backs(_units(input.tenants), start=input.start, end=input.end,
                                             proportion=input.proportion, seed=input.seed, channels=input.channels,
                                             county_user=principal(info).user)

        draw, errors = attempt(run)
        if draw is None:
            return DrawCallBacksPayload(draw_key=None, seed=None, drawn=None, strata=None, errors=errors)
        return DrawCallBacksPayload(draw_key=draw.key, seed=draw.seed, drawn=draw.drawn,
                                    strata=[stratum(s) for s in draw.strata], errors=[])

    @strawberry.mutation(extensions=platform_reader(), description="查看回访对象的联系方式：仅限承办该回访的人员，每次查看均记录")
    def reveal_call_back_contact(self, info: strawberry.Info, tenant: str, id: strawberry.ID) -> CallBackContactPayload:
        def run():
            unit = _unit(tenant)
            name, phone = callbacks.reveal_contact(unit, call_pk(unit, id), principal(info).user)
            return RaterContactForCall(name=name, phone=phone)

        result, errors = attempt(run)
        return CallBackContactPayload(contact=result, errors=errors)

    @strawberry.mutation(extensions=platform_reader(), description="记录回访结果；称未本人评价或被要求好评时向该窗口提示可疑评价")
    def record_call_back_outcome(self, info: strawberry.Info, tenant: str, id: strawberry.ID,
                                 input: CallBackOutcomeInput) -> CallBackPayload:
        def run():
            unit = _unit(tenant)
            outcome = callbacks.Outcome(reached=input.reached, did_rate=input.did_rate,
                                        pressed_to_rate_well=input.pressed_to_rate_well,
                                        satisfaction_confirmed=input.satisfaction_confirmed, notes=input.notes)
            row = callbacks.record_outcome(unit, call_pk(unit, id), outcome, principal(info).user)
            with schema_context(unit.schema_name):
                from haochaping.surveys.models import CallBack as CallBackModel

                return call_back(unit, CallBackModel.objects.select_related("evaluation").get(pk=row.pk))

        result, errors = attempt(run)
        return CallBackPayload(call_back=result, errors=errors)
