"""三个全覆盖 (every item, every evaluated party, every channel): what in the current tenant cannot be rated on some
channel, or was not rated at all in a period. Gaps are facts with a stable code, so a report can be filtered,
counted across the county and fixed one by one."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Exists, OuterRef

from haochaping.core.channels import EvaluationChannel
from haochaping.items.models import ServiceItem
from haochaping.organizations.models import RatingDevice, ServiceOrg, ServicePlatform, Staff, Window

from .models import TenantCount

# The channels that reach a citizen at home (一网通办): an item rated on none of them has no online link.
ONLINE_CHANNELS = {EvaluationChannel.WEB, EvaluationChannel.MOBILE_APP, EvaluationChannel.SMS}
IN_PERSON_CHANNELS = {EvaluationChannel.WINDOW_DEVICE, EvaluationChannel.QR_CODE, EvaluationChannel.PAPER_FORM}

GAP_TEXT = {
    "NOT_RATED": ("期间内没有评价", "No rating in the period"),
    "NO_GUIDE": ("没有办事指南，无法确定评价渠道", "No service guide, so no evaluation channels"),
    "NO_ONLINE_CHANNEL": ("办事指南未开放网上、移动端或短信评价", "The guide opens no online, mobile or SMS rating"),
    "NO_IN_PERSON_CHANNEL": ("办事指南未开放评价器、二维码或书面评价", "The guide opens no device, QR or paper rating"),
    "NO_DEVICE": ("没有启用的评价器", "No active rating device"),
    "NO_WINDOWS": ("没有启用的窗口", "No active windows"),
    "NO_WINDOW": ("未分配到窗口，现场无法评价", "Not assigned to a window, so not rateable in person"),
}


@dataclass
class Gap:
    kind: str  # ITEM, ORG, WINDOW, STAFF, PLATFORM
    code: str
    name: str
    problems: list[str] = field(default_factory=list)


@dataclass
class CoverageReport:
    start: date
    end: date
    gaps: list[Gap]
    totals: dict[str, int]  # kind → how many exist (active)

    def count(self, kind: str, problem: str | None = None) -> int:
        return sum(1 for g in self.gaps if g.kind == kind and (problem is None or problem in g.problems))

    @property
    def fully_covered(self) -> bool:
        return not self.gaps


def coverage(start: date, end: date) -> CoverageReport:
    rated = TenantCount.objects.filter(day__gte=start, day__lte=end, excluded=False, n__gt=0)
    gaps: list[Gap] = []

    items = ServiceItem.objects.filter(is_active=True).select_related("catalog_item").prefetch_related("guides")
    rated_items = set(rated.exclude(item=None).values_list("item_id", flat=True).distinct())
    for item in items:
        problems = []
        guides = sorted(item.guides.all(), key=lambda g: g.version)
        if not guides:
            problems.append("NO_GUIDE")
        else:
            channels = set(guides[-1].evaluation_channels or [])
            if not channels & ONLINE_CHANNELS:
                problems.append("NO_ONLINE_CHANNEL")
            if not channels & IN_PERSON_CHANNELS:
                problems.append("NO_IN_PERSON_CHANNEL")
        if item.pk not in rated_items:
            problems.append("NOT_RATED")
        if problems:
            gaps.append(Gap("ITEM", item.catalog_item.code, item.catalog_item.name, problems))

    active_device = RatingDevice.objects.filter(window=OuterRef("pk"), is_active=True)
    windows = Window.objects.filter(is_active=True, org__is_active=True).select_related("org").annotate(
        has_device=Exists(active_device))
    rated_windows = set(rated.exclude(window=None).values_list("window_id", flat=True).distinct())
    for window in windows:
        problems = [p for p, missing in (("NO_DEVICE", not window.has_device),
                                         ("NOT_RATED", window.pk not in rated_windows)) if missing]
        if problems:
            gaps.append(Gap("WINDOW", f"{window.org.code}/{window.code}", f"{window.org.name} {window.name}", problems))

    orgs = ServiceOrg.objects.filter(is_active=True).annotate(
        has_windows=Exists(Window.objects.filter(org=OuterRef("pk"), is_active=True)))
    rated_orgs = set(rated.exclude(org=None).values_list("org_id", flat=True).distinct())
    for org in orgs:
        problems = [p for p, missing in (("NO_WINDOWS", not org.has_windows),
                                         ("NOT_RATED", org.pk not in rated_orgs)) if missing]
        if problems:
            gaps.append(Gap("ORG", org.code, org.name, problems))

    staff = Staff.objects.filter(is_active=True).annotate(
        on_window=Exists(Window.objects.filter(staff=OuterRef("pk"), is_active=True)))
    rated_staff = set(rated.exclude(staff=None).values_list("staff_id", flat=True).distinct())
    for member in staff:
        problems = [p for p, missing in (("NO_WINDOW", not member.on_window),
                                         ("NOT_RATED", member.pk not in rated_staff)) if missing]
        if problems:
            gaps.append(Gap("STAFF", member.employee_no, member.name, problems))

    rated_platforms = set(rated.exclude(platform=None).values_list("platform_id", flat=True).distinct())
    for platform in ServicePlatform.objects.filter(is_active=True):
        if platform.pk not in rated_platforms:
            gaps.append(Gap("PLATFORM", platform.code, platform.name, ["NOT_RATED"]))

    totals = {"ITEM": items.count(), "WINDOW": windows.count(), "ORG": orgs.count(), "STAFF": staff.count(),
              "PLATFORM": ServicePlatform.objects.filter(is_active=True).count()}
    return CoverageReport(start=start, end=end, gaps=gaps, totals=totals)


def county_coverage(start: date, end: date) -> list[tuple[str, str, CoverageReport]]:
    """(slug, name, report) per active tenant, for the county agency."""
    from django_tenants.utils import schema_context

    from haochaping.jobs.scheduler import tenant_schemas
    from tenants.models import Tenant

    names = dict(Tenant.objects.values_list("schema_name", "name"))
    reports = []
    for schema in tenant_schemas():
        with schema_context(schema):
            reports.append((schema, names.get(schema, schema), coverage(start, end)))
    return reports



