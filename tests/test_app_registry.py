"""Every model is deliberately placed: public schema only ("shared"), every tenant schema only ("tenant"), or
both. The mapping is explicit, so a new model or a moved app fails here until someone decides where it lives.
Also: migrations are complete and need no PostgreSQL contrib extension."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import RunSQL

ROOT = Path(__file__).resolve().parents[1]
TENANT_SCHEMAS = ("alpha", "beta", settings.TENANT_BASE_SCHEMA)

EXPECTED = {
    # Public schema only: the county platform, tenancy, the base catalog and the job queue.
    "tenants.ManagementAgency": "shared",
    "tenants.Tenant": "shared",
    "tenants.Domain": "shared",
    "catalog.CatalogItem": "shared",
    "catalog.CatalogImport": "shared",
    "jobs.Job": "shared",
    # Suspicious rating patterns are flagged to the county agency, across tenants (no personal data).
    "integrity.SuspicionFlag": "shared",
    # The working-day calendar (statutory holidays and 调休), one for the whole county.
    "workcalendar.CalendarDay": "shared",
    "workcalendar.CalendarYear": "shared",
    # County supervision (督办): escalations, instructions and internal circulars, no personal data.
    "supervision.Escalation": "shared",
    "disclosure.PublishedRectification": "shared",
    "supervision.SupervisionInstruction": "shared",
    "supervision.Circular": "shared",
    "supervision.Circular_tenants": "shared",
    # In every tenant schema only: the unit's own reference data.
    "organizations.ServiceOrg": "tenant",
    "organizations.Window": "tenant",
    "organizations.Window_items": "tenant",
    "organizations.Staff": "tenant",
    "organizations.Staff_windows": "tenant",
    "organizations.ServicePlatform": "tenant",
    "organizations.RatingDevice": "tenant",
    "organizations.AncillaryService": "tenant",
    "items.ServiceItem": "tenant",
    "items.ServiceItem_cooperating_units": "tenant",
    "items.ServiceGuide": "tenant",
    # Cases, ratings and what they cause: personal data and raw events, tenant only (DESIGN §6).
    "evaluations.EvaluationPolicy": "tenant",
    "evaluations.ServiceCase": "tenant",
    "evaluations.Questionnaire": "tenant",
    "evaluations.Evaluation": "tenant",
    "evaluations.DevicePrompt": "tenant",
    "evaluations.Invitation": "tenant",
    "evaluations.PaperForm": "tenant",
    "evaluations.PhoneVerification": "tenant",
    "rectification.Rectification": "tenant",
    "rectification.RectificationEvent": "tenant",
    "rectification.FollowUp": "tenant",
    "rectification.Evidence": "tenant",
    "rectification.ContactAccess": "tenant",
    "notifications.Notification": "tenant",
    "notifications.SmsRecord": "tenant",
    "boards.HallBoard": "tenant",
    "boards.HallBoard_managers": "tenant",
    "boards.BoardAlert": "tenant",
    "analytics.TenantCount": "tenant",
    # The exchange outbox holds rating records (masked) per case: tenant only.
    "exchange.ExchangeRecord": "tenant",
    "exchange.RecordedExchange": "tenant",
    "disclosure.PublicCount": "shared",
    # Rollups of the public counts (codes only, no staff) for the rankings, reports and county dashboard.
    "disclosure.PublicMonthlyCount": "shared",
    "disclosure.PublicDailyTotal": "shared",
    "supervision.PublicNotice": "shared",
    "disclosure.PublicName": "shared",
    "disclosure.PublishedImprovement": "shared",
    # Item lists and guides, ancillary-service fees and overdue-case reasons as the portal publishes them.
    "disclosure.PublishedItem": "shared",
    "disclosure.PublishedFee": "shared",
    "disclosure.PublishedOverdueReason": "shared",
    # Third-party evaluators, their grants, query log and assessments: aggregates and redacted text only.
    "assessments.EvaluatorOrg": "shared",
    "assessments.EvaluatorGrant": "shared",
    "assessments.EvaluatorGrant_tenants": "shared",
    "assessments.EvaluatorQuery": "shared",
    "assessments.Assessment": "shared",
    "assessments.Assessment_tenants": "shared",
    "assessments.AssessmentFinding": "shared",
    "assessments.AssessmentAttachment": "shared",
    "analytics.ImprovementCase": "tenant",
    # 监督查评: surveys, their links and responses, call-backs and contact reads hold personal data: tenant only.
    "surveys.Survey": "tenant",
    "surveys.SurveyVersion": "tenant",
    "surveys.SurveyLink": "tenant",
    "surveys.SurveyResponse": "tenant",
    "surveys.CallBack": "tenant",
    "surveys.CallBackContactRead": "tenant",
    # Both: each schema has its own users, tokens, sessions, permissions and admin log.
    "accounts.User": "both",
    "accounts.User_groups": "both",
    "accounts.User_user_permissions": "both",
    "accounts.ApiToken": "both",
    "auth.Permission": "both",
    "auth.Group": "both",
    "auth.Group_permissions": "both",
    "contenttypes.ContentType": "both",
    "sessions.Session": "both",
    "admin.LogEntry": "both",
    # The audit trail of privileged actions lives beside the rows it describes (public or tenant schema).
    "audit.AuditEvent": "both",
    # 综合点评: comments carry names and phones (tenant); their redacted public copies (shared).
    "feedback.PublicComment": "tenant",
    "feedback.CommentEvent": "tenant",
    "feedback_portal.PublishedComment": "shared",
    # 12345 work orders: the order with its comment in the unit's schema; number → unit in public (no personal data).
    "feedback.WorkOrder": "tenant",
    "feedback_portal.WorkOrderIndex": "shared",
    # 个人信息保护: what each daily retention run anonymised in the unit's schema (counts only).
    "retention.RetentionRun": "tenant",
}

# Personal data and raw events never live in the public schema (DESIGN §6); tenancy never in a tenant.
MUST_BE_TENANT_ONLY = {"surveys", "organizations", "items", "evaluations", "rectification", "notifications", "boards", "analytics",
                       "exchange", "feedback", "retention"}
MUST_BE_SHARED_ONLY = {"tenants", "catalog", "jobs", "integrity", "supervision", "disclosure", "assessments"}

EXTENSION_PATTERNS = re.compile(
    r"CreateExtension|CREATE\s+EXTENSION|HStoreExtension|TrigramExtension|BtreeGinExtension|BtreeGistExtension|"
    r"CITextExtension|CryptoExtension|UnaccentExtension|BloomExtension",
    re.IGNORECASE,
)


def all_models():
    return list(apps.get_models(include_auto_created=True))


def placement_from_settings(model) -> str:
    name = model._meta.app_config.name
    shared, tenant = name in settings.SHARED_APPS, name in settings.TENANT_APPS
    assert shared or tenant, f"{model._meta.label}: app {name} is in neither SHARED_APPS nor TENANT_APPS"
    return "both" if shared and tenant else "shared" if shared else "tenant"


def tables_in(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [schema])
        return {row[0] for row in cursor.fetchall()}


def test_every_model_is_classified():
    labels = {m._meta.label for m in all_models()}
    unclassified = sorted(labels - set(EXPECTED))
    assert not unclassified, f"classify these models in EXPECTED: {unclassified}"
    stale = sorted(set(EXPECTED) - labels)
    assert not stale, f"EXPECTED names models that no longer exist: {stale}"


def test_classification_matches_settings():
    wrong = {m._meta.label: (EXPECTED[m._meta.label], placement_from_settings(m))
             for m in all_models() if EXPECTED.get(m._meta.label) != placement_from_settings(m)}
    assert not wrong, f"expected vs SHARED_APPS/TENANT_APPS: {wrong}"


def test_sensitive_apps_stay_on_their_side():
    for model in all_models():
        label = model._meta.app_label
        if label in MUST_BE_TENANT_ONLY:
            assert EXPECTED[model._meta.label] == "tenant", model._meta.label
        if label in MUST_BE_SHARED_ONLY:
            assert EXPECTED[model._meta.label] == "shared", model._meta.label


def test_installed_apps_is_the_union():
    union = list(settings.SHARED_APPS) + [a for a in settings.TENANT_APPS if a not in settings.SHARED_APPS]
    assert list(settings.INSTALLED_APPS) == union
    assert len(set(settings.INSTALLED_APPS)) == len(settings.INSTALLED_APPS)


@pytest.mark.django_db
def test_tables_are_where_the_classification_says():
    public = tables_in("public")
    tenants = {schema: tables_in(schema) for schema in TENANT_SCHEMAS}
    problems = []
    for model in all_models():
        table, where = model._meta.db_table, EXPECTED[model._meta.label]
        in_public = table in public
        if where in ("shared", "both") and not in_public:
            problems.append(f"{table}: missing from public")
        if where == "tenant" and in_public:
            problems.append(f"{table}: tenant-only table present in public")
        for schema, tables in tenants.items():
            if where in ("tenant", "both") and table not in tables:
                problems.append(f"{table}: missing from {schema}")
            if where == "shared" and table in tables:
                problems.append(f"{table}: shared-only table present in {schema}")
    assert not problems, problems


@pytest.mark.django_db
def test_no_unexpected_tables():
    """Every table in these schemas belongs to a model (or is django_migrations)."""
    known = {m._meta.db_table for m in all_models()} | {"django_migrations"}
    for schema in ("public", *TENANT_SCHEMAS):
        extra = sorted(tables_in(schema) - known)
        assert not extra, (schema, extra)


@pytest.mark.django_db
def test_migrations_are_complete():
    try:
        call_command("makemigrations", "--check", "--dry-run", verbosity=0)
    except SystemExit as exit_:
        pytest.fail(f"makemigrations --check found model changes without migrations (exit {exit_.code})")


def project_migration_files() -> list[Path]:
    files = []
    for pattern in ("platform/**/migrations/*.py", "tenants/migrations/*.py", "web/migrations/*.py"):
        files.extend(ROOT.glob(pattern))
    return sorted(files)


def test_migration_files_use_no_contrib_extension():
    files = project_migration_files()
    assert len(files) >= 6, files  # accounts, catalog, items, jobs, organizations, tenants
    offenders = [str(p.relative_to(ROOT)) for p in files if EXTENSION_PATTERNS.search(p.read_text(encoding="utf-8"))]
    assert not offenders, offenders


def test_loaded_migrations_create_no_extension():
    """The same for every installed app's migrations, by operation rather than by text."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    offenders = []
    for (app_label, name), migration in loader.disk_migrations.items():
        for operation in migration.operations:
            kind = type(operation).__name__
            sql = str(getattr(operation, "sql", "")) if isinstance(operation, RunSQL) else ""
            if kind.endswith("Extension") or re.search(r"CREATE\s+EXTENSION", sql, re.IGNORECASE):
                offenders.append(f"{app_label}.{name}: {kind}")
    assert not offenders, offenders
    assert "django.contrib.postgres" not in settings.INSTALLED_APPS


@pytest.mark.django_db
def test_database_has_no_contrib_extension():
    with connection.cursor() as cursor:
        cursor.execute("SELECT extname FROM pg_extension")
        extensions = {row[0] for row in cursor.fetchall()}
    assert extensions <= {"plpgsql"}, extensions
