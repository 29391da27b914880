"""django-tenants: which apps live in the public schema and which in every tenant schema."""

SHARED_APPS = [
    "django_tenants",
    "daphne",
    "tenants",
    "haochaping.accounts",
    # Audit trail of privileged actions: in the schema where each action is stored (both sides).
    "haochaping.audit",
    "haochaping.catalog",
    "haochaping.jobs",
    "haochaping.demo",
    "haochaping.integrity",
    "haochaping.workcalendar",
    "haochaping.disclosure",
    "haochaping.supervision",
    "haochaping.assessments",
    # 综合点评: the redacted public copies (the comments themselves are tenant data).
    "haochaping.feedback.portal",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.staticfiles",
    "strawberry_django",
    "channels",
    "web",
]

# Everything with personal data or raw events lives in a tenant schema (DESIGN.md §6).
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.admin",
    "haochaping.accounts",
    "haochaping.audit",
    "haochaping.organizations",
    "haochaping.items",
    "haochaping.evaluations",
    "haochaping.rectification",
    "haochaping.notifications",
    "haochaping.boards",
    "haochaping.analytics",
    "haochaping.exchange",
    "haochaping.feedback",
    # 监督查评: surveys and call-backs hold applicants' and raters' data (DESIGN §6).
    "haochaping.surveys",
    # 个人信息保护: the daily retention job's record of what it anonymised.
    "haochaping.retention",
]

INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]

ROOT_URLCONF = "config.urls_tenant"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
# Unknown host → 404, never the public schema.
SHOW_PUBLIC_IF_NO_TENANT_FOUND = False

# New tenants are cloned from this schema (kept migrated by `manage.py migrate_platform`).
TENANT_BASE_SCHEMA = "tenant_base"
TENANT_CREATION_FAKES_MIGRATIONS = True
# `SET search_path` once per connection and schema switch, not before every cursor (it was 7 of a rating's 16
# statements). Safe with this django-tenants: the remembered path is forgotten on every set_tenant/set_schema,
# rollback, savepoint rollback and close. Code must never SET search_path itself; the one exception, the schema copy
# (tenants/cloning.py, SET LOCAL), calls set_schema_to_public() when done.
TENANT_LIMIT_SET_CALLS = True
