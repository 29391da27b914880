"""Survey results: response rate (responses ÷ links sent) and per-dimension averages and 1–5 distributions, per
item and in total. Run in one tenant's schema; county_results() joins every unit's copy of a county survey and
redacts free text, since the county view crosses tenants."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django_tenants.utils import schema_context

from haochaping.core.privacy import redact_text
from haochaping.supervision.metrics import Rate

from .models import Dimension, Survey, SurveyResponse


@dataclass
class DimensionResult:
    dimension: str
    answers: int = 0
    total: int = 0
    distribution: list[int] = field(default_factory=lambda: [0, 0, 0, 0, 0])  # counts of 1..5

    @property
    def average(self) -> float | None:
        return round(self.total / self.answers, 2) if self.answers else None

    def add(self, score: int) -> None:
        self.answers += 1
        self.total += score
        self.distribution[score - 1] += 1


@dataclass
class Results:
    links_sent: int = 0
    responses: int = 0
    dimensions: dict[str, DimensionResult] = field(
        default_factory=lambda: {d.value: DimensionResult(d.value) for d in Dimension})

    @property
    def response_rate(self) -> Rate:
        return Rate(self.responses, self.links_sent)


@dataclass
class SurveyResults:
    total: Results
    items: dict[str, Results]
    texts: list[tuple[str, str]]  # (item code, text)


def _fold(results: Results, response: SurveyResponse) -> None:
    dimension_of = {q["key"]: q["dimension"] for q in response.version.questions}
    for key, score in response.scores.items():
        if key in dimension_of:
            results.dimensions[dimension_of[key]].add(int(score))


def survey_results(survey: Survey) -> SurveyResults:
    total, items = Results(), defaultdict(Results)
    for code, n in survey.links.values("item_code").annotate(n=Count("pk")).values_list("item_code", "n"):
        items[code].links_sent = n
        total.links_sent += n
    texts = []
    for response in survey.responses.select_related("version").order_by("submitted_at", "pk"):
        total.responses += 1
        items[response.item_code].responses += 1
        _fold(total, response)
        _fold(items[response.item_code], response)
        if response.text:
            texts.append((response.item_code, response.text))
    return SurveyResults(total=total, items=dict(sorted(items.items())), texts=texts)


def surveys():
    return Survey.objects.annotate(
        links_sent=Count("links", distinct=True),
        response_count=Count("links", filter=Q(links__used_at__isnull=False), distinct=True),
    ).prefetch_related("versions")


@dataclass
class CountyRow:
    tenant: object
    survey: Survey
    results: SurveyResults


def county_results(county_key: str, tenants) -> list[CountyRow]:
    """Each unit's copy of a county survey with its results; free text redacted (a cross-tenant view)."""
    rows = []
    for tenant in tenants:
        with schema_context(tenant.schema_name):
            survey = Survey.objects.filter(county_key=county_key).first()
            if survey is None:
                continue
            results = survey_results(survey)
            results.texts = [(code, redact_text(text, 500)) for code, text in results.texts]
            survey.current = survey.current_version
            rows.append(CountyRow(tenant=tenant, survey=survey, results=results))
    return rows


def county_surveys(tenants) -> list[dict]:
    """The county's surveys (one per key) with the units that hold a copy."""
    by_key: dict[str, dict] = {}
    for tenant in tenants:
        with schema_context(tenant.schema_name):
            for s in Survey.objects.filter(origin=Survey.Origin.COUNTY).order_by("created_at"):
                row = by_key.setdefault(s.county_key, {"key": s.county_key, "title": s.title, "created_at": s.created_at,
                                                        "period_start": s.period_start, "period_end": s.period_end,
                                                        "item_codes": s.item_codes, "tenants": []})
                row["tenants"].append(tenant)
    return sorted(by_key.values(), key=lambda r: r["created_at"], reverse=True)
