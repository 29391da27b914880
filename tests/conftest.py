"""Shared fixtures: a test database with the public tenant, the base schema and two tenants, `alpha`
and `beta`, seeded with identical primary keys (the isolation tests rely on that)."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from haochaping.accounts.models import Role, User
from haochaping.accounts.tokens import issue_token
from haochaping.catalog.services import import_catalog
from haochaping.items.services import GuideInput, adopt_item
from haochaping.organizations import services as orgs
from tenants.models import Tenant
from tenants.services import TenantSpec, create_tenant, ensure_base_schema, ensure_public_tenant

PASSWORD = "Correct-Horse-42"
CATALOG = [
    {"code": f"TEST-{n:03d}", "name": f"测试事项{n}", "legal_basis": f"《测试条例》第{n}条",
     "item_type": "PUBLIC_SERVICE" if n % 2 else "ADMINISTRATIVE_LICENSE"}
    for n in range(1, 6)
]
TENANTS = {
    "alpha": TenantSpec("alpha", "甲镇", "TOWNSHIP", "411325901", "甲镇政务服务管理办公室"),
    "beta": TenantSpec("beta", "乙镇", "TOWNSHIP", "411325902", "乙镇政务服务管理办公室"),
}


def guide_input(**overrides) -> GuideInput:
    values = dict(handling_unit="便民服务中心", case_kind="PROMISED", statutory_limit_days=20, promised_limit_days=5,
                  channels=["WINDOW", "ONLINE"], materials=["身份证"],
                  evaluation_channels=["WINDOW_DEVICE", "QR_CODE", "PAPER_FORM", "WEB", "MOBILE_APP", "SELF_SERVICE",
                                       "HOTLINE", "SMS"])
    values.update(overrides)
    return GuideInput(**values)


def seed_tenant(slug: str) -> None:
    """The same rows in the same order, so both tenants hold identical primary keys."""
    with schema_context(slug):
        item = adopt_item(catalog_code="TEST-001", guide=guide_input())
        adopt_item(catalog_code="TEST-002", guide=guide_input(case_kind="IMMEDIATE", promised_limit_days=0))
        hall = orgs.save_org(orgs.OrgInput(kind="CENTER", code="H01", name=f"{slug}便民服务中心"))
        window = orgs.save_window(orgs.WindowInput(org_id=hall.pk, code="W01", name=f"{slug}综合窗口", item_ids=[item.pk]))
        orgs.save_staff(orgs.StaffInput(employee_no="E001", name=f"{slug}员工", org_id=hall.pk, window_ids=[window.pk]))
        orgs.create_platform(kind="HOTLINE", code="P01", name=f"{slug}热线")
        orgs.create_ancillary_service(org_id=hall.pk, name="文印", is_free=False, fee="0.5元/页")
        orgs.register_device(window_id=window.pk, serial="DEV001", name=f"{slug}评价器")
        for role in (Role.TENANT_ADMIN, Role.AGENCY, Role.HANDLER, Role.VIEWER, Role.STAFF):
            user = User(username=f"{role.lower()}", role=role)
            user.set_password(PASSWORD)
            user.save()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        # pytest-django only creates the test database when some collected test asks for `db`.
        assert connection.settings_dict["NAME"].startswith("test"), "refusing to seed a non-test database"
        ensure_base_schema()
        from haochaping.workcalendar.services import ensure_calendar_years

        ensure_calendar_years([2025, 2026])
        ensure_public_tenant(county_name="测试县", county_code="411325", agency_name="测试县政务服务管理局")
        import_catalog("test.json", CATALOG)
        for role in (Role.COUNTY_ADMIN, Role.COUNTY_SUPERVISOR):
            user = User(username=role.lower(), role=role)
            user.set_password(PASSWORD)
            user.save()
        for slug, spec in TENANTS.items():
            create_tenant(spec)
            seed_tenant(slug)
        connection.set_schema_to_public()


def run_committed(func, *args, **kwargs):
    """Run func on a fresh connection in its own thread, so its writes really commit (the test's own
    connection is inside pytest-django's rolled-back transaction). Returns func's result or re-raises."""
    outcome = {}

    def target():
        try:
            outcome["value"] = func(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def public_count(tenant, day, *, grade: int, n: int, channel: str = "QR_CODE", item_code: str = "",
                 org_code: str = "", window_code: str = "", platform_code: str = "", excluded: bool = False) -> None:
    """Public counts as the fold writes them (daily cell and its monthly rollups), without rating anything."""
    from haochaping.disclosure.rollup import add_counts

    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    add_counts([(tenant_id, day, item_code, org_code, window_code, platform_code, channel, grade, excluded, n)])


def delete_rectifications(queryset) -> int:
    """Test cleanup of committed rectifications (with their follow-ups, evidence rows, contact reads and
    events) in the current schema. Events are append-only (a trigger refuses DELETE), so the trigger is
    disabled for this one transaction only. Returns how many rectifications were removed."""
    from django.db import transaction

    from haochaping.rectification.models import ContactAccess, Evidence, FollowUp, RectificationEvent

    with transaction.atomic():
        pks = list(queryset.values_list("pk", flat=True))
        if not pks:
            return 0
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE rectification_rectificationevent DISABLE TRIGGER rectification_event_append_only")
        for model in (ContactAccess, Evidence, FollowUp, RectificationEvent):
            model.objects.filter(rectification_id__in=pks).delete()
        from haochaping.disclosure.models import PublishedRectification
        from tenants.resolution import current_tenant

        PublishedRectification.objects.filter(tenant=current_tenant(), rectification_id__in=pks).delete()
        queryset.model.objects.filter(pk__in=pks).delete()
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE rectification_rectificationevent ENABLE TRIGGER rectification_event_append_only")
    return len(pks)


@pytest.fixture(autouse=True)
def _public_schema_between_tests():
    yield
    connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache (Redis under `make test`): every test starts from zero."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def alpha(db) -> Tenant:
    return Tenant.objects.get(schema_name="alpha")


@pytest.fixture
def beta(db) -> Tenant:
    return Tenant.objects.get(schema_name="beta")


@dataclass
class GraphQLClient:
    """Talks to one host's /graphql/ as anonymous, a signed-in user, or a token."""

    host: str
    client: Client
    token: str | None = None

    def __call__(self, query: str, variables: dict | None = None, *, expect_errors: bool = False) -> dict:
        response = self.post(query, variables)
        assert response.status_code == 200, response.content
        body = response.json()
        if not expect_errors:
            assert "errors" not in body, body["errors"]
        return body

    def post(self, query: str, variables: dict | None = None):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}
        return self.client.post("/graphql/", data=json.dumps({"query": query, "variables": variables or {}}),
                                content_type="application/json", HTTP_HOST=self.host, **headers)


def host_of(slug: str) -> str:
    return "localhost" if slug == "public" else f"{slug}.localhost"


@pytest.fixture
def gql(db):
    """gql(slug, role=None, token=None) → a GraphQLClient on that tenant's host."""

    def make(slug: str, role: str | None = None, *, token: str | None = None, client: Client | None = None):
        client = client or Client()
        if role:
            with schema_context(slug):
                client.force_login(User.objects.get(username=role.lower()))
            connection.set_schema_to_public()
        return GraphQLClient(host_of(slug), client, token)

    return make


@pytest.fixture
def system_token(db):
    """system_token(slug, scopes) → the bearer secret of a fresh business-system token in that tenant."""

    def make(slug: str, scopes=("read",)) -> str:
        with schema_context(slug):
            return issue_token(name="测试业务系统", kind="SYSTEM", scopes=list(scopes)).secret

    return make
