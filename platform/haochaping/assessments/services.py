"""All writes of third-party evaluation: registering evaluator organisations, granting and revoking scoped access,
logging evaluator queries, professional assessments (findings open improvement cases in the subject tenant),
attachments and publication.

Every function runs in the public schema whatever host calls it: grants hold public-schema API tokens, and a tenant
connection's search path would otherwise resolve `accounts_apitoken` to the tenant's own table."""
from __future__ import annotations

import mimetypes
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from haochaping.accounts.models import ApiToken, User
from haochaping.accounts.tokens import issue_token
from haochaping.audit.services import record as audit
from haochaping.core.codes import is_valid_uscc
from haochaping.core.errors import DomainError, ErrorCollector, NotFound
from haochaping.core.privacy import redact_text
from tenants.models import Tenant

from .models import Assessment, AssessmentAttachment, AssessmentFinding, EvaluatorGrant, EvaluatorOrg, EvaluatorQuery

EVALUATOR_SCOPES = ["assessments:write", "read"]
MAX_GRANT_DAYS = 366
MAX_FINDINGS = 50
MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ATTACHMENT_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}
SIGNATURES = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n", "application/pdf": b"%PDF-"}


def _dimensions() -> dict[str, tuple[str, str]]:
    from haochaping.analytics.comments import DIMENSIONS

    return {key: (d.label, d.name) for key, d in DIMENSIONS.items()}


def score_dimensions() -> dict[str, tuple[str, str]]:
    """The questionnaire's dimensions (guidance … waiting) plus the overall score, in display order."""
    return {**_dimensions(), "overall": ("总体评价", "overall")}


def _public():
    return schema_context(get_public_schema_name())


def _owner(owner_tenant: Tenant | None) -> str:
    """Which tenant an evaluator org or grant belongs to, for the audit trail (the county's own: public)."""
    return owner_tenant.schema_name if owner_tenant is not None else get_public_schema_name()


def actor_label(user: User | None, tenant: Tenant | None) -> str:
    who = (user.display_name or user.username) if user else "?"
    return f"{tenant.name}：{who}" if tenant else f"县级：{who}"


def _active_units(slugs: list[str], field_name: str) -> list[Tenant]:
    wanted = sorted({(s or "").strip().lower() for s in slugs})
    found = {t.schema_name: t for t in Tenant.objects.filter(schema_name__in=wanted, is_active=True)
             .exclude(schema_name__in=[get_public_schema_name(), "tenant_base"])}
    unknown = [s for s in wanted if s not in found]
    if unknown or not wanted:
        raise DomainError("NOT_FOUND", f"未找到单位：{', '.join(unknown) or '（空）'}",
                          f"Unknown tenants: {', '.join(unknown) or '(none)'}", field_name)
    return [found[s] for s in wanted]


# ------------------------------------------------------------------------------------------- organisations and grants

def register_org(*, name: str, kind: str, credit_code: str = "", owner_tenant: Tenant | None = None,
                 by: str) -> EvaluatorOrg:
    name, credit_code = (name or "").strip(), (credit_code or "").strip().upper()
    errors = ErrorCollector()
    errors.require(name, "name", "机构名称", "Name")
    errors.max_length(name, 100, "name", "机构名称", "Name")
    if kind not in EvaluatorOrg.Kind.values:
        errors.add("INVALID_KIND", "kind", "机构类型无效", "Unknown organisation kind")
    if credit_code and not is_valid_uscc(credit_code):
        errors.add("INVALID_CREDIT_CODE", "creditCode", "统一社会信用代码无效", "Invalid unified social credit code")
    errors.raise_if_any()
    with _public(), transaction.atomic():
        if EvaluatorOrg.objects.filter(owner_tenant=owner_tenant, name=name).exists():
            raise DomainError("DUPLICATE_NAME", "已登记同名评估机构", "An organisation with this name is registered", "name")
        org = EvaluatorOrg.objects.create(name=name, kind=kind, credit_code=credit_code, owner_tenant=owner_tenant,
                                          registered_by=by[:120])
        audit("evaluator_org.register", org, target_type="EvaluatorOrg", target_label=name, tenant=_owner(owner_tenant),
              detail={"kind": kind})
        return org


@dataclass(frozen=True)
class IssuedGrant:
    grant: EvaluatorGrant
    secret: str  # the bearer token, shown once


def grant_access(*, org_id: int, tenant_slugs: list[str] | None, period_start: date, period_end: date,
                 expires_at: datetime, owner_tenant: Tenant | None = None, by: str,
                 created_by: User | None = None) -> IssuedGrant:
    """County: any registered organisation, any active tenants. A tenant: its own organisations, itself only."""
    if expires_at is not None and timezone.is_naive(expires_at):
        expires_at = timezone.make_aware(expires_at)
    with _public(), transaction.atomic():
        org = EvaluatorOrg.objects.filter(pk=org_id).first()
        if org is None or (owner_tenant is not None and org.owner_tenant_id != owner_tenant.pk):
            raise NotFound("评估机构", "Evaluator organisation", "orgId")
        units = [owner_tenant] if owner_tenant is not None else _active_units(tenant_slugs or [], "tenants")
        errors = ErrorCollector()
        if period_start > period_end:
            errors.add("INVALID_PERIOD", "periodEnd", "数据截止日不能早于起始日", "The period must not end before it starts")
        now = timezone.now()
        if expires_at <= now:
            errors.add("INVALID_EXPIRY", "expiresAt", "到期时间须晚于现在", "Expiry must be in the future")
        elif expires_at > now + timedelta(days=MAX_GRANT_DAYS):
            errors.add("INVALID_EXPIRY", "expiresAt", f"授权期限不能超过{MAX_GRANT_DAYS}天",
                       f"A grant may last at most {MAX_GRANT_DAYS} days")
        errors.raise_if_any()
        issued = issue_token(name=f"{org.name}（第三方评估）"[:100], kind=ApiToken.Kind.EVALUATOR,
                             scopes=EVALUATOR_SCOPES, tenant_schemas=[u.schema_name for u in units],
                             expires_at=expires_at, created_by=created_by)
        grant = EvaluatorGrant.objects.create(org=org, token=issued.token, period_start=period_start,
                                              period_end=period_end, expires_at=expires_at, owner_tenant=owner_tenant,
                                              granted_by=by[:120])
        grant.tenants.set(units)
        audit("evaluator_grant.issue", grant, target_type="EvaluatorGrant", target_label=org.name,
              tenant=_owner(owner_tenant),
              detail={"tenants": [u.schema_name for u in units], "periodStart": period_start.isoformat(),
                      "periodEnd": period_end.isoformat(), "expiresAt": expires_at.isoformat(),
                      "token": issued.token.prefix})
    return IssuedGrant(grant, issued.secret)


def revoke_grant(grant_id: int, *, owner_tenant: Tenant | None = None, by: str) -> EvaluatorGrant:
    """Immediate: the grant and its token are revoked in one transaction (the next request is refused)."""
    with _public(), transaction.atomic():
        grants = EvaluatorGrant.objects.select_for_update()
        if owner_tenant is not None:
            grants = grants.filter(owner_tenant=owner_tenant)
        grant = grants.filter(pk=grant_id).first()
        if grant is None:
            raise NotFound("评估授权", "Evaluator grant", "id")
        if grant.revoked_at is not None:
            raise DomainError("ALREADY_REVOKED", "该授权已撤销", "This grant is already revoked", "id")
        now = timezone.now()
        grant.revoked_at, grant.revoked_by = now, by[:120]
        grant.save(update_fields=["revoked_at", "revoked_by"])
        ApiToken.objects.filter(pk=grant.token_id, revoked_at__isnull=True).update(revoked_at=now)
        audit("evaluator_grant.revoke", grant, target_type="EvaluatorGrant", target_label=grant.org.name,
              tenant=_owner(owner_tenant))
    return grant


# ------------------------------------------------------------------------------------------- scope and the query log

def log_query(grant: EvaluatorGrant, operation: str, variables: dict, outcome: str, rows: int = 0) -> EvaluatorQuery:
    with _public():
        return EvaluatorQuery.objects.create(grant=grant, operation=operation[:60], variables=_jsonable(variables),
                                             outcome=outcome[:24], rows=rows)


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def grant_of(token: ApiToken | None) -> EvaluatorGrant:
    with _public():
        grant = (EvaluatorGrant.objects.select_related("org").filter(token_id=token.pk).first()
                 if token is not None and token.kind == ApiToken.Kind.EVALUATOR else None)
    if grant is None:
        raise DomainError("NO_GRANT", "该令牌没有第三方评估授权", "This token carries no evaluator grant")
    return grant


def _refusal(grant: EvaluatorGrant, now: datetime, *, tenant: str | None = None, start: date | None = None,
             end: date | None = None, tenants: list[str] | None = None) -> DomainError | None:
    """Why this request falls outside the grant, or None."""
    if grant.revoked_at is not None:
        return DomainError("GRANT_REVOKED", "授权已撤销", "The grant has been revoked")
    if grant.expires_at <= now:
        return DomainError("GRANT_EXPIRED", "授权已过期", "The grant has expired")
    allowed = set(grant.tenants.values_list("schema_name", flat=True))
    for slug, name in ([(tenant, "tenant")] if tenant is not None else []) + [(t, "tenants") for t in tenants or []]:
        if (slug or "").strip().lower() not in allowed:
            # The same answer for a tenant that does not exist: the grant does not reveal which units exist.
            return DomainError("OUT_OF_SCOPE", f"授权不包含该单位：{slug}", f"The grant does not cover tenant {slug!r}", name)
    if start is not None and end is not None:
        if start > end:
            return DomainError("INVALID_PERIOD", "截止日不能早于起始日", "The period must not end before it starts", "end")
        if start < grant.period_start or end > grant.period_end:
            return DomainError("OUT_OF_PERIOD", f"授权数据期间为{grant.period_start}至{grant.period_end}",
                               f"The grant covers data from {grant.period_start} to {grant.period_end}",
                               "start" if start < grant.period_start else "end")
    return None


def authorize(token: ApiToken | None, operation: str, variables: dict, *, now: datetime | None = None,
              **scope) -> EvaluatorGrant:
    """The caller's grant if the request is inside it; else the refusal is logged and raised (no data)."""
    grant = grant_of(token)
    with _public():
        refusal = _refusal(grant, now or timezone.now(), **scope)
    if refusal is not None:
        log_query(grant, operation, variables, refusal.codes[0])
        raise refusal
    return grant


# ------------------------------------------------------------------------------------------- assessments

@dataclass
class FindingInput:
    tenant: str
    subject_kind: str
    subject_code: str
    dimension: str
    description: str


@dataclass
class AssessmentInput:
    title: str
    period_start: date
    period_end: date
    tenants: list[str]
    scores: dict[str, float]
    summary: str = ""
    findings: list[FindingInput] = field(default_factory=list)


def _subject(tenant: Tenant, kind: str, code: str) -> tuple[int, str] | None:
    """(primary key, display name) of the item or window in the tenant's schema."""
    from haochaping.items.models import ServiceItem
    from haochaping.organizations.models import Window

    with schema_context(tenant.schema_name):
        if kind == AssessmentFinding.Subject.ITEM:
            item = ServiceItem.objects.select_related("catalog_item").filter(catalog_item__code=code).first()
            return (item.pk, item.catalog_item.name) if item else None
        org_code, _, window_code = code.partition("/")
        window = Window.objects.select_related("org").filter(org__code=org_code, code=window_code).first()
        return (window.pk, f"{window.org.name} {window.name}") if window else None


def _validate(data: AssessmentInput, grant: EvaluatorGrant) -> tuple[dict[str, Tenant], list[tuple[Tenant, int, str]]]:
    errors = ErrorCollector()
    title = (data.title or "").strip()
    errors.require(title, "title", "报告标题", "Title")
    errors.max_length(title, 200, "title", "报告标题", "Title")
    errors.max_length(data.summary, 5000, "summary", "评估结论", "Summary")
    if data.period_start > data.period_end:
        errors.add("INVALID_PERIOD", "periodEnd", "评估截止日不能早于起始日", "The period must not end before it starts")
    elif data.period_end > timezone.localdate():
        errors.add("INVALID_PERIOD", "periodEnd", "评估截止日不能晚于今天", "The period must not end in the future")
    allowed = {t.schema_name: t for t in grant.tenants.all()}
    covered: dict[str, Tenant] = {}
    for slug in data.tenants:
        slug = (slug or "").strip().lower()
        if slug not in allowed:
            errors.add("OUT_OF_SCOPE", "tenants", f"授权不包含该单位：{slug}", f"The grant does not cover tenant {slug!r}")
        else:
            covered[slug] = allowed[slug]
    if not data.tenants:
        errors.add("REQUIRED", "tenants", "请选择评估单位", "Name at least one tenant")
    dims = score_dimensions()
    for key, value in (data.scores or {}).items():
        if key not in dims:
            errors.add("INVALID_DIMENSION", "scores", f"未知的评估维度：{key}", f"Unknown dimension: {key}")
        elif value is None or not 0 <= value <= 100:
            errors.add("INVALID_SCORE", "scores", f"{dims[key][0]}得分须在0到100之间",
                       f"The {dims[key][1]} score must be between 0 and 100")
    if "overall" not in (data.scores or {}):
        errors.add("REQUIRED", "scores", "须给出总体评价得分", "An overall score is required")
    if len(data.findings) > MAX_FINDINGS:
        errors.add("TOO_MANY", "findings", f"问题不能超过{MAX_FINDINGS}条", f"At most {MAX_FINDINGS} findings")
    subjects = []
    topics = _dimensions()
    for i, finding in enumerate(data.findings[:MAX_FINDINGS]):
        at = f"findings.{i}"
        slug = (finding.tenant or "").strip().lower()
        unit = covered.get(slug)
        if unit is None:
            errors.add("OUT_OF_SCOPE", f"{at}.tenant", "问题所属单位须在评估单位之内",
                       "A finding's tenant must be one of the tenants covered")
        if finding.dimension not in topics:
            errors.add("INVALID_DIMENSION", f"{at}.dimension", f"未知的问题类别：{finding.dimension}",
                       f"Unknown dimension: {finding.dimension}")
        description = (finding.description or "").strip()
        errors.require(description, f"{at}.description", "问题描述", "Description")
        errors.max_length(description, 2000, f"{at}.description", "问题描述", "Description")
        if finding.subject_kind not in AssessmentFinding.Subject.values:
            errors.add("INVALID_KIND", f"{at}.subjectKind", "对象类型须为事项或窗口", "The subject is an ITEM or a WINDOW")
        elif unit is not None:
            found = _subject(unit, finding.subject_kind, (finding.subject_code or "").strip())
            if found is None:
                errors.add("NOT_FOUND", f"{at}.subjectCode", "该单位没有这个事项或窗口",
                           "No such item or window in that tenant")
            else:
                subjects.append((unit, *found))
    errors.raise_if_any()
    return covered, subjects


def _open_case(unit: Tenant, kind: str, subject_id: int, name: str, topic: str, now: datetime) -> int:
    """An improvement case in the subject tenant (or the open one already tracking that subject and topic)."""
    from haochaping.analytics.concentration import WORKING_DAYS
    from haochaping.analytics.models import ImprovementCase
    from haochaping.workcalendar.services import deadline

    with schema_context(unit.schema_name):
        existing = ImprovementCase.objects.filter(subject_kind=kind, subject_id=subject_id, topic=topic,
                                                  state=ImprovementCase.State.OPEN).first()
        if existing is not None:
            return existing.pk
        try:
            with transaction.atomic():
                case = ImprovementCase.objects.create(
                    subject_kind=kind, subject_id=subject_id, subject_name=name[:200], topic=topic, review_count=0,
                    evaluation_ids=[], period_days=0, opened_at=now, due=deadline(now, WORKING_DAYS))
        except IntegrityError:  # opened a moment ago by the concentration scan
            return ImprovementCase.objects.get(subject_kind=kind, subject_id=subject_id, topic=topic,
                                               state=ImprovementCase.State.OPEN).pk
        return case.pk


def submit_assessment(token: ApiToken | None, data: AssessmentInput) -> Assessment:
    """A structured report; each finding opens a tracked improvement case in its tenant, in the same transaction."""
    from haochaping.supervision.services import notify_tenant_admins

    grant = authorize(token, "submitAssessment", {"title": data.title, "tenants": data.tenants,
                                                  "periodStart": data.period_start, "periodEnd": data.period_end})
    if "assessments:write" not in (token.scopes or []):
        raise DomainError("PERMISSION_DENIED", "该令牌不能提交专业评估", "This token cannot submit assessments")
    with _public():
        covered, subjects = _validate(data, grant)
    if data.period_start < grant.period_start or data.period_end > grant.period_end:
        # A report may only speak of the data the grant let the evaluator see.
        raise DomainError("OUT_OF_PERIOD", f"授权数据期间为{grant.period_start}至{grant.period_end}",
                          f"The grant covers data from {grant.period_start} to {grant.period_end}",
                          "periodStart" if data.period_start < grant.period_start else "periodEnd")
    now = timezone.now()
    topics = _dimensions()
    with _public(), transaction.atomic():
        assessment = Assessment.objects.create(
            org=grant.org, grant=grant, title=data.title.strip(), period_start=data.period_start,
            period_end=data.period_end, scores={k: float(v) for k, v in data.scores.items()},
            summary=redact_text(data.summary or ""))
        assessment.tenants.set(covered.values())
        for finding, (unit, subject_id, name) in zip(data.findings, subjects):
            case_id = _open_case(unit, finding.subject_kind, subject_id, name, finding.dimension, now)
            with _public():
                AssessmentFinding.objects.create(
                    assessment=assessment, tenant=unit, subject_kind=finding.subject_kind,
                    subject_code=finding.subject_code.strip(), subject_name=name[:200], dimension=finding.dimension,
                    description=redact_text(finding.description), improvement_case_id=case_id)
            notify_tenant_admins(unit, subject=f"第三方评估发现问题：{name}",
                                 body=f"{grant.org.name}在《{assessment.title}》中指出“{topics[finding.dimension][0]}”方面的问题，"
                                      f"已列入集中问题整改，请按期整改。",
                                 purpose="improvement", key=f"assessment:{assessment.pk}:case:{case_id}")
        log_query(grant, "submitAssessment", {"title": assessment.title, "tenants": sorted(covered)}, "OK")
    return assessment


def add_attachment(token: ApiToken | None, assessment_id: int, *, name: str, content: bytes,
                   content_type: str | None = None) -> AssessmentAttachment:
    """PDF or JPEG/PNG, at most 10 MB, checked by their first bytes; only while the report awaits review."""
    grant = authorize(token, "uploadAssessmentAttachment", {"assessmentId": assessment_id, "name": name})
    kind = content_type if content_type in ATTACHMENT_TYPES else (mimetypes.guess_type(name or "")[0] or "")
    if kind not in ATTACHMENT_TYPES or not content.startswith(SIGNATURES[kind]):
        raise DomainError("INVALID_FILE_TYPE", "仅支持 PDF 文件或 JPG、PNG 图片", "Only PDF files or JPEG/PNG images", "file")
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise DomainError("FILE_TOO_LARGE", "文件不能超过10MB", "Files must be at most 10 MB", "file")
    with _public(), transaction.atomic():
        assessment = Assessment.objects.select_for_update().filter(pk=assessment_id, org=grant.org).first()
        if assessment is None:
            raise NotFound("评估报告", "Assessment", "id")
        if assessment.state != Assessment.State.SUBMITTED:
            raise DomainError("ALREADY_DECIDED", "报告已审核，不能再添加附件", "The report was already reviewed", "id")
        if assessment.attachments.count() >= MAX_ATTACHMENTS:
            raise DomainError("TOO_MANY_FILES", f"附件不能超过{MAX_ATTACHMENTS}个", f"At most {MAX_ATTACHMENTS} attachments",
                              "file")
        stored = f"{secrets.token_hex(12)}{ATTACHMENT_TYPES[kind]}"
        attachment = AssessmentAttachment(assessment=assessment, stored_name=stored, original_name=(name or "")[:200],
                                          content_type=kind, size=len(content))
        attachment.file.save(stored, ContentFile(content), save=False)
        attachment.save()
        log_query(grant, "uploadAssessmentAttachment", {"assessmentId": assessment.pk, "name": name}, "OK")
    return attachment


def decide_assessment(assessment_id: int, *, approve: bool, by: str) -> Assessment:
    """The county agency approves a report for the public portal, or refuses it."""
    with _public(), transaction.atomic():
        assessment = Assessment.objects.select_for_update().filter(pk=assessment_id).first()
        if assessment is None:
            raise NotFound("评估报告", "Assessment", "id")
        if assessment.state != Assessment.State.SUBMITTED:
            raise DomainError("ALREADY_DECIDED", "该报告已审核", "This report was already reviewed", "id")
        assessment.state = Assessment.State.PUBLISHED if approve else Assessment.State.REFUSED
        assessment.decided_by, assessment.decided_at = by[:120], timezone.now()
        assessment.save(update_fields=["state", "decided_by", "decided_at"])
        audit("assessment.decide", assessment, target_type="Assessment", target_label=assessment.title,
              tenant=get_public_schema_name(), detail={"approve": approve})
    return assessment
