"""监督查评 as GraphQL types: surveys with their versions and results (tenant host; the county's view redacts free
text), call-backs without contact (revealCallBackContact is the logged read)."""
from __future__ import annotations

from datetime import date, datetime

import strawberry

from haochaping.core.privacy import mask_name
from haochaping.surveys import models, selectors
from haochaping.surveys.callbacks import Stratum
from schema.core.nodes import global_id
from schema.supervision.types import SupervisionRate, rate, tenant_gid
from schema.tenancy.types import UnitRef, unit_ref

SurveyDimension = strawberry.enum(models.Dimension, name="SurveyDimension")
SurveyOrigin = strawberry.enum(models.Survey.Origin, name="SurveyOrigin")
CallBackState = strawberry.enum(models.CallBack.State, name="CallBackState")


@strawberry.input(description="一个问题：1–5分量表，属于一个维度")
class SurveyQuestionInput:
    dimension: SurveyDimension
    text: str
    text_en: str = ""


@strawberry.input
class SurveyInput:
    title: str
    item_codes: list[str] = strawberry.field(description="事项编码")
    period_start: date = strawberry.field(description="办件受理起始日期（含）")
    period_end: date = strawberry.field(description="办件受理截止日期（含）")
    questions: list[SurveyQuestionInput] | None = strawberry.field(
        default=None, description="为空时使用默认的三个问题（知悉度、便利度、满意度）")
    text_prompt: str = ""
    link_days: int = 14


@strawberry.type
class SurveyQuestion:
    key: str
    dimension: SurveyDimension
    text: str
    text_en: str


@strawberry.type(description="调查的一个已发布版本（不可修改）")
class SurveyVersion:
    version: int
    questions: list[SurveyQuestion]
    text_prompt: str
    published_at: datetime
    published_by: str


def version(row: models.SurveyVersion) -> SurveyVersion:
    return SurveyVersion(version=row.version, text_prompt=row.text_prompt, published_at=row.published_at,
                         published_by=row.published_by,
                         questions=[SurveyQuestion(key=q["key"], dimension=SurveyDimension(q["dimension"]),
                                                   text=q["text"], text_en=q.get("textEn", "")) for q in row.questions])


@strawberry.type(description="政务服务调查")
class Survey:
    id: strawberry.ID
    title: str
    item_codes: list[str]
    period_start: date
    period_end: date
    link_days: int
    origin: SurveyOrigin
    created_by: str
    created_at: datetime
    versions: list[SurveyVersion]
    links_sent: int
    responses: int


def survey(row: models.Survey) -> Survey:
    versions = sorted(row.versions.all(), key=lambda v: v.version)
    links = getattr(row, "links_sent", None)
    return Survey(id=global_id("Survey", row.pk), title=row.title, item_codes=row.item_codes,
                  period_start=row.period_start, period_end=row.period_end, link_days=row.link_days,
                  origin=SurveyOrigin(row.origin), created_by=row.created_by, created_at=row.created_at,
                  versions=[version(v) for v in versions],
                  links_sent=links if links is not None else row.links.count(),
                  responses=getattr(row, "response_count", None) if links is not None else row.responses.count())


@strawberry.type(description="一个维度的结果：平均分与1–5分分布")
class DimensionResult:
    dimension: SurveyDimension
    answers: int
    average: float | None
    distribution: list[int] = strawberry.field(description="1分…5分的答题数")


@strawberry.type(description="发送数、回复数、回复率（回复 ÷ 发送）与各维度结果")
class SurveyFigures:
    links_sent: int
    responses: int
    response_rate: SupervisionRate
    dimensions: list[DimensionResult]


def figures(r: selectors.Results) -> SurveyFigures:
    return SurveyFigures(links_sent=r.links_sent, responses=r.responses, response_rate=rate(r.response_rate),
                         dimensions=[DimensionResult(dimension=SurveyDimension(d.dimension), answers=d.answers,
                                                     average=d.average, distribution=list(d.distribution))
                                     for d in r.dimensions.values()])


@strawberry.type
class ItemFigures:
    item_code: str
    figures: SurveyFigures


@strawberry.type
class SurveyText:
    item_code: str
    text: str


@strawberry.type(description="调查结果：合计与分事项")
class SurveyResults:
    total: SurveyFigures
    items: list[ItemFigures]
    texts: list[SurveyText] = strawberry.field(description="意见建议（县级跨单位视图已脱敏）")


def results(r: selectors.SurveyResults) -> SurveyResults:
    return SurveyResults(total=figures(r.total),
                         items=[ItemFigures(item_code=code, figures=figures(x)) for code, x in r.items.items()],
                         texts=[SurveyText(item_code=c, text=t) for c, t in r.texts])


@strawberry.type(description="县级调查在一个单位的结果")
class UnitSurveyResults:
    tenant: UnitRef
    survey_id: strawberry.ID = strawberry.field(description="该单位中调查副本的全局 id")
    version: int
    results: SurveyResults


def unit_results(row: selectors.CountyRow) -> UnitSurveyResults:
    return UnitSurveyResults(tenant=unit_ref(row.tenant), survey_id=tenant_gid(row.tenant.schema_name, "Survey", row.survey.pk),
                             version=row.survey.current.version, results=results(row.results))


@strawberry.type(description="县级发起的调查")
class CountySurvey:
    key: str
    title: str
    item_codes: list[str]
    period_start: date
    period_end: date
    created_at: datetime
    tenants: list[UnitRef]


@strawberry.type(description="抽样的一个分层：单位 × 渠道 × 窗口 × 好评/差评")
class CallBackStratum:
    tenant: str
    channel: str
    window_code: str
    is_bad: bool
    size: int = strawberry.field(description="分层内有联系方式的评价数")
    drawn: int


def stratum(s: Stratum) -> CallBackStratum:
    return CallBackStratum(tenant=s.tenant, channel=s.channel, window_code=s.window_code, is_bad=s.is_bad,
                           size=s.size, drawn=len(s.drawn))


@strawberry.type(description="回访调查（不含联系方式）")
class CallBack:
    id: strawberry.ID = strawberry.field(description="全局 id（在该单位的模式中）")
    tenant: UnitRef
    draw_key: str
    seed: str
    channel: str
    window_code: str
    grade: int
    is_bad: bool
    rated_at: datetime
    rater_name_masked: str
    state: CallBackState
    caller: str
    reached: bool | None
    did_rate: bool | None
    pressed_to_rate_well: bool | None
    satisfaction_confirmed: bool | None
    notes: str
    worked_at: datetime | None
    raised_flag: bool


def call_back(tenant, row: models.CallBack) -> CallBack:
    return CallBack(id=tenant_gid(tenant.schema_name, "CallBack", row.pk), tenant=unit_ref(tenant), draw_key=row.draw_key,
                    seed=row.seed, channel=row.channel, window_code=row.window_code, grade=row.grade, is_bad=row.is_bad,
                    rated_at=row.evaluation.rated_at, rater_name_masked=mask_name(row.evaluation.rater_name),
                    state=CallBackState(row.state), caller=row.caller_label, reached=row.reached, did_rate=row.did_rate,
                    pressed_to_rate_well=row.pressed_to_rate_well, satisfaction_confirmed=row.satisfaction_confirmed,
                    notes=row.notes, worked_at=row.worked_at, raised_flag=row.flag_id is not None)
