"""The demo county (内乡县): the centre, 16 townships, 11 departments, their halls, windows, staff and
adopted items, a base catalog of 85 items, and demo logins. Idempotent: a second run adds nothing.
People in this data are fictional."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django_tenants.utils import schema_context

from haochaping.accounts.models import ApiToken, Role, User
from haochaping.boards.services import board_url
from haochaping.demo.history import load_history
from haochaping.catalog.services import import_catalog
from haochaping.items.models import ServiceItem
from haochaping.items.services import GuideInput, adopt_item
from haochaping.organizations import services as orgs
from haochaping.organizations.models import ServiceOrg
from tenants.models import Tenant
from tenants.services import TenantSpec, create_tenant, ensure_public_tenant

DATA = Path(__file__).parent / "data"
DEMO_PASSWORD = "Haocha@2026demo"
EVALUATOR_ORG_NAME = "县社会科学研究所（演示）"
EVALUATOR_UNITS = ("chengguan", "xiaguan")
HOTLINE_TOKEN_NAME = "12345热线平台（演示）"
OPEN311_TOKEN_NAME = "Open311 客户端（演示）"
EVALUATION_CHANNELS = ["WINDOW_DEVICE", "QR_CODE", "PAPER_FORM", "WEB", "MOBILE_APP", "SELF_SERVICE", "HOTLINE", "SMS"]


@dataclass
class DemoResult:
    tenants_created: int


def _load(name: str):
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def _guide(entry: dict, handling_unit: str) -> GuideInput:
    fee = entry["fee"]
    basis = ""
    if "（" in fee and fee.endswith("）"):
        fee, basis = fee[: fee.index("（")], fee[fee.index("（") + 1: -1]
    immediate = entry["promised_days"] == 0
    return GuideInput(
        handling_unit=handling_unit, case_kind="IMMEDIATE" if immediate else "PROMISED",
        statutory_limit_days=entry["statutory_days"], promised_limit_days=entry["promised_days"],
        channels=entry["channels"], conditions=entry["conditions"], materials=entry["materials"],
        procedure="1. 申请受理\n2. 审查\n3. 决定\n4. 送达（办结）" if not immediate else "1. 申请受理\n2. 当场审核办结",
        fees=fee, fee_basis=basis, evaluation_channels=EVALUATION_CHANNELS,
    )


def _user(username: str, role: str, display_name: str, *, superuser: bool = False) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, role=role, display_name=display_name, is_staff=True, is_superuser=superuser)
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def _populate_tenant(tenant: Tenant, spec: dict, catalog: list[dict], dept_tenants: dict[str, Tenant]) -> None:
    """Orgs, windows, staff, platforms and items inside one tenant schema (skipped if already there)."""
    if ServiceOrg.objects.exists():
        return
    departments = {w_dep for hall in spec["halls"] + spec.get("stations", []) for w in hall["windows"]
                   for w_dep in w["item_departments"]}
    if tenant.kind == Tenant.Kind.TOWNSHIP:
        wanted = [e for e in catalog if e["township_level"]]
        unit = f"{tenant.name}便民服务中心"
    elif tenant.kind == Tenant.Kind.DEPARTMENT:
        wanted = [e for e in catalog if e["department"] == spec["key"]]
        unit = tenant.name
    else:  # the county centre's one-stop windows accept many departments' items
        wanted = [e for e in catalog if e["department"] in departments]
        unit = tenant.name
    items: dict[str, list[ServiceItem]] = {}
    for entry in wanted:
        item = adopt_item(catalog_code=entry["code"], guide=_guide(entry, unit))
        if tenant.kind == Tenant.Kind.CENTER and entry["department"] in dept_tenants:
            item.lead_unit = dept_tenants[entry["department"]]  # accepted here, handled by the department
            item.save(update_fields=["lead_unit"])
        items.setdefault(entry["department"], []).append(item)

    main_org = None
    for kind_prefix, halls in (("H", spec["halls"]), ("S", spec.get("stations", []))):
        for number, hall in enumerate(halls, start=1):
            org = orgs.save_org(orgs.OrgInput(
                kind=hall["kind"], code=f"{kind_prefix}{number:02d}", name=hall["name"],
                address=f"内乡县{tenant.name if tenant.kind == Tenant.Kind.TOWNSHIP else ''}{hall['name']}",
                opening_hours="工作日 8:30–12:00, 14:30–17:30",
                parent_id=main_org.pk if (main_org and kind_prefix == "S") else None))
            main_org = main_org or org
            for service in hall.get("ancillary", []):
                orgs.create_ancillary_service(org_id=org.pk, name=service["name"], is_free=service["free"],
                                              fee="" if service["free"] else service["fee"])
            for window_spec in hall["windows"]:
                window_items = [i.pk for dep in window_spec["item_departments"] for i in items.get(dep, [])]
                window = orgs.save_window(orgs.WindowInput(
                    org_id=org.pk, code=window_spec["code"], name=window_spec["name"],
                    is_one_stop=window_spec["one_stop"], item_ids=window_items))
                for person in window_spec["staff"]:
                    orgs.save_staff(orgs.StaffInput(employee_no=person["employee_no"], name=person["name"],
                                                    title=person["title"], org_id=org.pk, window_ids=[window.pk]))
    for platform in _load("county.json")["platforms"]:
        orgs.create_platform(kind=platform["kind"], code=platform["code"], name=platform["name"])
    _user(f"{tenant.schema_name}_admin", Role.TENANT_ADMIN, f"{tenant.name}管理员")


def load_demo_county(stdout=None) -> DemoResult:
    county = _load("county.json")
    catalog = _load("base_catalog.json")
    say = (lambda msg: stdout.write(msg)) if stdout else (lambda msg: None)

    with schema_context("public"):
        ensure_public_tenant(county_name=county["county"]["name"], county_code=county["county"]["code"],
                             agency_name=county["county"]["agency"])
        import_catalog("base_catalog.json", catalog, deactivate_missing=False)
        _user("county_admin", Role.COUNTY_ADMIN, "县政务服务管理局管理员", superuser=False)
        _user("county_supervisor", Role.COUNTY_SUPERVISOR, "县级监督员")

    specs = ([(county["center"], Tenant.Kind.CENTER, county["center"]["slug"], "")]
             + [(d, Tenant.Kind.DEPARTMENT, d["key"], "") for d in county["departments"]]
             + [(t, Tenant.Kind.TOWNSHIP, t["slug"], t["agency"]) for t in county["townships"]])
    created = 0
    for spec, kind, slug, agency in specs:
        with schema_context("public"):
            if not Tenant.objects.filter(schema_name=slug).exists():
                create_tenant(TenantSpec(slug, spec["name"], kind, spec["code"], agency))
                created += 1
    with schema_context("public"):
        tenants = {t.schema_name: t for t in Tenant.objects.exclude(schema_name="public")}
    dept_tenants = {d["key"]: tenants[d["key"]] for d in county["departments"]}
    for spec, kind, slug, agency in specs:
        tenant = tenants[slug]
        with schema_context(slug), transaction.atomic():
            _populate_tenant(tenant, spec, catalog, dept_tenants)
        say(f"  {tenant.name} ({slug}) ready\n")
    with schema_context("chengguan"), transaction.atomic():
        agency = _user("chengguan_agency", Role.AGENCY, "城关镇政务服务管理办公室")
        if not agency.email:  # hall-board alerts are mailed to the hall's managers
            agency.email = "agency@chengguan.example.cn"
            agency.save(update_fields=["email"])
        _user("chengguan_handler", Role.HANDLER, "城关镇整改专人")
        _chengguan_channels()
    for spec, kind, slug, agency in specs:
        with schema_context(slug):
            added = load_history()
        if added:
            say(f"  {spec['name']}: {added} ratings of history\n")
    # Existing rows (a re-run over an older demo) reach the portal too; new writes published themselves.
    from haochaping.disclosure.services import publish_catalog

    for tenant in tenants.values():
        publish_catalog(tenant)
    say("  portal catalog published\n")
    # The history's counts now, not a moment after the worker starts: the portal opens with its rankings filled.
    from haochaping.analytics.fold import fold_all

    say(f"  {fold_all()} ratings counted for the portal\n")
    return DemoResult(tenants_created=created)


DEMO_DEVICE_SERIAL = "CG-PAD-W01"
SYSTEM_TOKEN_NAME = "演示业务系统令牌（城关镇）"


def _chengguan_channels() -> None:
    """What a person needs to try every rating channel by hand in 城关镇: a device on W01, a clerk login,
    and completed cases (with invitations) to rate."""
    from datetime import timedelta

    from django.utils import timezone

    from haochaping.evaluations.cases import CaseInput, upsert_case
    from haochaping.evaluations.models import ServiceCase
    from haochaping.organizations.models import RatingDevice, Staff, Window

    window = Window.objects.select_related("org").get(org__code="H01", code="W01")
    clerk = _user("chengguan_clerk", Role.STAFF, "城关镇窗口人员")
    staff = Staff.objects.filter(windows=window).order_by("employee_no").first()
    if staff and staff.user_id is None:
        staff.user = clerk
        staff.save(update_fields=["user"])
    if not RatingDevice.objects.filter(serial=DEMO_DEVICE_SERIAL).exists():
        orgs.register_device(window_id=window.pk, serial=DEMO_DEVICE_SERIAL, name="城关镇综合受理窗口评价器")
    if ServiceCase.objects.exists():
        return
    item = window.items.select_related("catalog_item").order_by("catalog_item__code").first()
    now = timezone.now()
    people = [("王秀英", "13900001234"), ("李建国", "13700005678"), ("张丽", "13600002468"), ("刘强", "13500001357")]
    for n, (name, phone) in enumerate(people, start=1):
        accepted = now - timedelta(days=n, hours=2)
        upsert_case(CaseInput(
            case_number=f"CG-DEMO-{n:04d}", item_code=item.catalog_item.code, applicant_kind="INDIVIDUAL",
            applicant_name=name, applicant_phone=phone, applicant_email=f"demo{n}@example.cn" if n == 1 else "",
            accepted_at=accepted, promised_at=accepted + timedelta(days=1), completed_at=accepted + timedelta(hours=n * 9),
            status="COMPLETED", window=f"H01/{window.code}", staff_no=staff.employee_no if staff else None,
        ), source_system="演示数据")


def issue_demo_secrets() -> dict[str, str]:
    """(Re)issue the demo's tokens; secrets are shown once, so the command writes them to a file."""
    from haochaping.accounts.tokens import issue_token
    from haochaping.core.links import tenant_url
    from haochaping.evaluations.invitations import invitation_url
    from haochaping.evaluations.models import Invitation
    from haochaping.evaluations.submission import window_qr_token
    from haochaping.organizations.models import RatingDevice
    from haochaping.core.ids import global_id

    secrets_: dict[str, str] = {}
    with schema_context("public"):
        secrets_["evaluator_token"] = _demo_evaluator_grant()
        for key, name, scopes in (("hotline_token", HOTLINE_TOKEN_NAME, ["workorders:write"]),
                                  ("open311_key", OPEN311_TOKEN_NAME, ["comments:write"])):
            ApiToken.objects.filter(name=name, revoked_at__isnull=True).update(revoked_at=timezone_now())
            secrets_[key] = issue_token(name=name, kind=ApiToken.Kind.SYSTEM, scopes=scopes).secret
    with schema_context("chengguan"), transaction.atomic():
        ApiToken.objects.filter(name=SYSTEM_TOKEN_NAME).update(revoked_at=timezone_now())
        secrets_["system_token"] = issue_token(name=SYSTEM_TOKEN_NAME, kind=ApiToken.Kind.SYSTEM,
                                               scopes=["read", "cases:write", "evaluations:write"]).secret
        device = RatingDevice.objects.select_related("window").get(serial=DEMO_DEVICE_SERIAL)
        if device.token_id:
            ApiToken.objects.filter(pk=device.token_id).update(revoked_at=timezone_now())
        issued = issue_token(name=f"评价器 {device.serial}", kind=ApiToken.Kind.DEVICE, scopes=["evaluations:write"])
        device.token = issued.token
        device.save(update_fields=["token"])
        secrets_["device_token"] = issued.secret
        secrets_["qr_url"] = tenant_url("chengguan", f"/r/{window_qr_token(device.window)}/")
        secrets_["board_url"] = board_url(device.window.org)
        secrets_["board_manage_url"] = tenant_url("chengguan", f"/board/{device.window.org.code}/manage/")
        secrets_["poster_url"] = tenant_url("chengguan", f"/windows/{global_id('Window', device.window.pk)}/poster.png")
        invitation = Invitation.objects.filter(case__case_number="CG-DEMO-0001", channel="SMS").first()
        secrets_["invitation_url"] = invitation_url(invitation) if invitation else ""
    return secrets_


def _demo_evaluator_grant() -> str:
    """委托第三方评估: a registered research institute with a 180-day read grant on 城关镇 and 夏馆镇's last 90 days
    (a re-run revokes the previous grant and issues a new one)."""
    from datetime import timedelta

    from haochaping.assessments import services as assessments
    from haochaping.assessments.models import EvaluatorGrant, EvaluatorOrg

    org = EvaluatorOrg.objects.filter(owner_tenant=None, name=EVALUATOR_ORG_NAME).first()
    if org is None:
        org = assessments.register_org(name=EVALUATOR_ORG_NAME, kind=EvaluatorOrg.Kind.RESEARCH, by="演示数据")
    for grant in EvaluatorGrant.objects.filter(org=org, revoked_at__isnull=True):
        assessments.revoke_grant(grant.pk, by="演示数据（重新签发）")
    today = timezone_now().date()
    units = [slug for slug in EVALUATOR_UNITS if Tenant.objects.filter(schema_name=slug).exists()]
    return assessments.grant_access(org_id=org.pk, tenant_slugs=units, period_start=today - timedelta(days=90),
                                    period_end=today, expires_at=timezone_now() + timedelta(days=180),
                                    by="演示数据").secret


def timezone_now():
    from django.utils import timezone

    return timezone.now()
