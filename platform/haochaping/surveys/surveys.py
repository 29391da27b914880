"""政务服务调查: create (version 1), revise (the next version; published versions never change), send single-use
links to recent applicants of the chosen items through the notifications outbox, and take one response per link.
Run inside the tenant's schema; the county's fan-out (county.py) calls these per unit."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from haochaping.core.errors import DomainError, ErrorCollector, NotFound
from haochaping.core.links import tenant_url
from haochaping.evaluations.models import ServiceCase
from haochaping.items.models import ServiceItem
from haochaping.notifications.services import queue_notification
from tenants.resolution import current_tenant

from .models import Dimension, Survey, SurveyLink, SurveyResponse, SurveyVersion

MAX_QUESTIONS = 20
MAX_TEXT = 2000
MAX_PERIOD_DAYS = 366
DIMENSIONS = {d.value for d in Dimension}


@dataclass(frozen=True)
class QuestionInput:
    dimension: str
    text: str
    text_en: str = ""


@dataclass(frozen=True)
class SurveyInput:
    title: str
    item_codes: list[str]
    period_start: date | None
    period_end: date | None
    questions: list[QuestionInput]
    text_prompt: str = ""
    link_days: int = 14


def default_questions() -> list[QuestionInput]:
    return [QuestionInput("AWARENESS", "您对该项政策的了解程度如何？", "How well do you know this policy?"),
            QuestionInput("CONVENIENCE", "您办理该事项是否便利？", "How convenient was it to get this done?"),
            QuestionInput("SATISFACTION", "您对本次服务是否满意？", "How satisfied are you with the service?")]


def _check_questions(errors: ErrorCollector, questions: list[QuestionInput], text_prompt: str) -> list[dict]:
    if not questions:
        errors.add("REQUIRED", "questions", "至少需要一个问题", "At least one question is required")
        return []
    if len(questions) > MAX_QUESTIONS:
        errors.add("TOO_MANY", "questions", f"问题不能超过{MAX_QUESTIONS}个", f"At most {MAX_QUESTIONS} questions")
    result = []
    for n, q in enumerate(questions, start=1):
        if q.dimension not in DIMENSIONS:
            errors.add("INVALID_DIMENSION", "questions", "问题维度须为政策知悉度、办事便利度或服务满意度",
                       "A question's dimension must be AWARENESS, CONVENIENCE or SATISFACTION")
        if not (q.text or "").strip():
            errors.add("REQUIRED", "questions", "问题内容不能为空", "A question's text is required")
        elif len(q.text) > 300 or len(q.text_en or "") > 300:
            errors.add("TOO_LONG", "questions", "问题内容不能超过300个字符", "A question must be at most 300 characters")
        result.append({"key": f"q{n}", "dimension": q.dimension, "text": (q.text or "").strip(),
                       "textEn": (q.text_en or "").strip()})
    errors.max_length(text_prompt, 200, "textPrompt", "意见建议提示", "Text prompt")
    return result


def validate(data: SurveyInput, *, known_codes: set[str] | None = None) -> list[dict]:
    """Check everything; returns the questions as stored. known_codes: the items a unit has (None: this schema's)."""
    errors = ErrorCollector()
    errors.require(data.title, "title", "调查名称", "Title")
    errors.max_length(data.title, 200, "title", "调查名称", "Title")
    codes = [c.strip() for c in data.item_codes or [] if c and c.strip()]
    if not codes:
        errors.add("REQUIRED", "itemCodes", "至少选择一个事项", "Choose at least one service item")
    else:
        if known_codes is None:
            known_codes = set(ServiceItem.objects.filter(catalog_item__code__in=codes)
                              .values_list("catalog_item__code", flat=True))
        unknown = sorted(set(codes) - known_codes)
        if unknown:
            errors.add("UNKNOWN_ITEM", "itemCodes", f"未找到事项：{'、'.join(unknown)[:100]}",
                       f"Unknown service items: {', '.join(unknown)[:100]}")
    if data.period_start is None or data.period_end is None:
        errors.add("REQUIRED", "periodStart", "调查期间不能为空", "The period is required")
    elif data.period_end < data.period_start:
        errors.add("INVALID_PERIOD", "periodEnd", "截止日期不能早于起始日期", "The end cannot be before the start")
    elif (data.period_end - data.period_start).days > MAX_PERIOD_DAYS:
        errors.add("INVALID_PERIOD", "periodEnd", "调查期间不能超过一年", "The period cannot exceed a year")
    if not 1 <= (data.link_days or 0) <= 60:
        errors.add("INVALID_LINK_DAYS", "linkDays", "链接有效天数须在1至60之间", "Link validity must be 1 to 60 days")
    questions = _check_questions(errors, data.questions, data.text_prompt or "")
    errors.raise_if_any()
    return questions


def create_survey(data: SurveyInput, *, by: str, origin: str = Survey.Origin.TENANT, county_key: str = "",
                  questions: list[dict] | None = None) -> Survey:
    questions = questions if questions is not None else validate(data)
    with transaction.atomic():
        survey = Survey.objects.create(
            title=data.title.strip(), item_codes=sorted({c.strip() for c in data.item_codes if c.strip()}),
            period_start=data.period_start, period_end=data.period_end, link_days=data.link_days, origin=origin,
            county_key=county_key, created_by=by[:120])
        SurveyVersion.objects.create(survey=survey, version=1, questions=questions,
                                     text_prompt=(data.text_prompt or "").strip(), published_by=by[:120])
    return survey


def _survey(survey_id: int, *, for_county: bool) -> Survey:
    survey = Survey.objects.filter(pk=survey_id).first()
    if survey is None:
        raise NotFound("调查", "Survey")
    if survey.origin == Survey.Origin.COUNTY and not for_county:
        raise DomainError("COUNTY_SURVEY", "县级发起的调查只能由县级修改或发送",
                          "A survey started by the county agency is changed and sent by the county only", "id")
    return survey


def revise_survey(survey_id: int, questions: list[QuestionInput], *, by: str, text_prompt: str = "",
                  for_county: bool = False) -> SurveyVersion:
    """Publish the next version; links already sent keep the version they were sent with."""
    errors = ErrorCollector()
    stored = _check_questions(errors, questions, text_prompt or "")
    errors.raise_if_any()
    with transaction.atomic():
        survey = _survey(survey_id, for_county=for_county)
        Survey.objects.select_for_update().get(pk=survey.pk)  # two revisions at once: one waits
        latest = survey.versions.order_by("-version").first()
        return SurveyVersion.objects.create(survey=survey, version=latest.version + 1, questions=stored,
                                            text_prompt=(text_prompt or "").strip(), published_by=by[:120])


def token_digest(token: str) -> str:
    return hashlib.sha256(f"survey-link:{token}".encode()).hexdigest()


def recipients(survey: Survey):
    """Recent applicants of the survey's items in its period, with a phone or e-mail, not yet sent this survey."""
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(survey.period_start, time.min), tz)
    end = timezone.make_aware(datetime.combine(survey.period_end + timedelta(days=1), time.min), tz)
    return (ServiceCase.objects.select_related("item__catalog_item")
            .filter(item__catalog_item__code__in=survey.item_codes, accepted_at__gte=start, accepted_at__lt=end)
            .exclude(applicant_phone="", applicant_email="")
            .exclude(survey_links__survey=survey).order_by("pk"))


def send_survey(survey_id: int, *, for_county: bool = False, now: datetime | None = None) -> int:
    """Create one link per recipient case (the current version) and queue its SMS or e-mail. Returns the count.
    Sending again reaches only cases new since the last send."""
    now = now or timezone.now()
    with transaction.atomic():
        survey = _survey(survey_id, for_county=for_county)
        Survey.objects.select_for_update().get(pk=survey.pk)  # two sends at once never double a case
        version = survey.current_version
        unit_name = current_tenant().name
        sent = 0
        for case in recipients(survey):
            token = secrets.token_urlsafe(18)
            channel = "SMS" if case.applicant_phone else "EMAIL"
            link = SurveyLink.objects.create(survey=survey, version=version, case=case, channel=channel,
                                             item_code=case.item.catalog_item.code, token_digest=token_digest(token),
                                             expires_at=now + timedelta(days=survey.link_days))
            # The tenant URLconf explicitly: the county sends from the public host, whose URLconf lacks this page.
            url = tenant_url(connection.schema_name, reverse("web:survey_response", args=[token],
                                                             urlconf=settings.ROOT_URLCONF))
            body = (f"【{unit_name}】您好，诚邀您参加“{survey.title}”调查（约1分钟），"
                    f"{survey.link_days}天内有效：{url}")
            queue_notification(channel=channel, recipient=case.applicant_phone or case.applicant_email,
                               subject=f"政务服务调查：{survey.title}", body=body, purpose="survey",
                               dedupe_key=f"{connection.schema_name}:survey-link:{link.pk}")
            sent += 1
    return sent


def link_for(token: str, *, now: datetime | None = None, lock: bool = False) -> SurveyLink:
    """The link a token names, or a typed refusal: unknown, already answered, or expired."""
    now = now or timezone.now()
    qs = SurveyLink.objects.select_related("survey", "version")
    if lock:
        qs = qs.select_for_update(of=("self",))
    link = qs.filter(token_digest=token_digest(token or "")).first()
    if link is None:
        raise DomainError("INVALID_LINK", "链接无效", "This link is not valid", "token")
    if link.used_at is not None:
        raise DomainError("LINK_USED", "您已提交过本次调查，感谢参与", "This survey has already been answered. Thank you", "token")
    if link.expires_at <= now:
        raise DomainError("LINK_EXPIRED", "链接已过期", "This link has expired", "token")
    return link


def submit_response(token: str, scores: dict[str, object], text: str = "", *,
                    now: datetime | None = None) -> SurveyResponse:
    """Exactly one response per link: every question answered 1–5; free text optional."""
    now = now or timezone.now()
    with transaction.atomic():
        link = link_for(token, now=now, lock=True)
        errors = ErrorCollector()
        clean = {}
        for q in link.version.questions:
            raw = scores.get(q["key"])
            try:
                value = int(raw)
            except (TypeError, ValueError):
                value = None
            if value is None or not 1 <= value <= 5:
                errors.add("INVALID_SCORE", q["key"], "请为每个问题选择1至5分", "Choose 1 to 5 for every question")
            else:
                clean[q["key"]] = value
        errors.max_length(text, MAX_TEXT, "text", "意见建议", "Comments")
        errors.raise_if_any()
        link.used_at = now
        link.save(update_fields=["used_at"])
        return SurveyResponse.objects.create(link=link, survey=link.survey, version=link.version,
                                             item_code=link.item_code, scores=clean, text=(text or "").strip())
