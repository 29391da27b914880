"""County supervision reads: the county overview, a tenant's ledger, escalations, the rejections awaiting the county
and circulars (platform host); a tenant's own instructions and circulars (tenant host)."""
from __future__ import annotations

from collections import defaultdict

import strawberry
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from haochaping.rectification.models import Rectification
from haochaping.supervision import selectors
from haochaping.supervision.models import Circular as CircularModel
from schema.core.permissions import TENANT_READERS, HasRole, allow, platform_reader
from schema.rectification.types import RectificationState
from schema.tenancy.types import unit_ref
from tenants.models import Tenant

from .types import (Circular, Escalation, LedgerEntry, PendingRejection, ReceivedCircular, SupervisionInstruction,
                    TenantSupervisionOverview, circular, escalation, instruction, ledger_entry, overview_row,
                    received_circular, rejection_kind, tenant_gid)

# County users: COUNTY_ADMIN and COUNTY_SUPERVISOR.
COUNTY = platform_reader


def supervised_tenant(slug: str | None) -> Tenant | None:
    """An active unit by slug (not the county platform, not the base schema)."""
    slug = (slug or "").strip().lower()
    if not slug or slug in (get_public_schema_name(), settings.TENANT_BASE_SCHEMA):
        return None
    return Tenant.objects.filter(schema_name=slug, is_active=True).first()


@strawberry.type
class SupervisionQueries:
    @strawberry.field(extensions=COUNTY(), description="县级总览：各单位未办结、超期、督办、办结数，按期办结率，"
                                                        "实名差评回访整改率，不予采纳及理由")
    def county_overview(self) -> list[TenantSupervisionOverview]:
        return [overview_row(row) for row in selectors.county_overview()]

    @strawberry.field(extensions=COUNTY(), description="某单位的整改台账（不含评价人信息）；单位不存在时为空")
    def tenant_ledger(self, tenant: str, state: RectificationState | None = None,
                      overdue: bool | None = None) -> list[LedgerEntry]:
        unit = supervised_tenant(tenant)
        if unit is None:
            return []
        now = timezone.now()
        rows = [ledger_entry(unit.schema_name, row, now) for row in selectors.tenant_ledger(unit)]
        if state is not None:
            rows = [row for row in rows if row.state.value == state.value]
        if overdue is not None:
            rows = [row for row in rows if row.is_overdue == overdue]
        return rows

    @strawberry.field(extensions=COUNTY(), description="升级督办记录；open 筛选整改是否仍未办结")
    def escalations(self, tenant: str | None = None, open: bool | None = None) -> list[Escalation]:
        unit = None
        if tenant:
            unit = supervised_tenant(tenant)
            if unit is None:
                return []
        rows = list(selectors.escalations(tenant=unit))
        wanted = defaultdict(set)
        for row in rows:
            wanted[row.tenant.schema_name].add(row.rectification_id)
        states = {}
        for schema_name, pks in wanted.items():
            with schema_context(schema_name):
                for pk, state in Rectification.objects.filter(pk__in=pks).values_list("pk", "state"):
                    states[(schema_name, pk)] = state
        result = []
        for row in rows:
            state = states.get((row.tenant.schema_name, row.rectification_id))
            is_open = state is not None and state != Rectification.State.CLOSED
            if open is None or open == is_open:
                result.append(escalation(row, state))
        return result

    @strawberry.field(extensions=COUNTY(), description="待县级审批的不予采纳申请（县直部门、县政务服务中心）")
    def pending_rejections(self) -> list[PendingRejection]:
        result = []
        for unit in selectors.supervised_tenants().exclude(kind=Tenant.Kind.TOWNSHIP):
            with schema_context(unit.schema_name):
                pending = list(Rectification.objects.filter(state=Rectification.State.REJECTION_PENDING)
                               .order_by("due", "pk")
                               .only("pk", "version", "rejection_kind", "rejection_reason", "case_number",
                                     "item_name", "due"))
            result.extend(PendingRejection(
                tenant=unit_ref(unit), id=tenant_gid(unit.schema_name, "Rectification", r.pk), version=r.version,
                kind=rejection_kind(r.rejection_kind), reason=r.rejection_reason, case_number=r.case_number,
                item_name=r.item_name, due=r.due) for r in pending)
        return result

    @strawberry.field(extensions=COUNTY(), description="内部通报（全部）")
    def circulars(self) -> list[Circular]:
        rows = CircularModel.objects.select_related("subject_tenant").prefetch_related("tenants")
        return [circular(row) for row in rows]


@strawberry.type
class TenantSupervisionQueries:
    @strawberry.field(extensions=allow(HasRole(*TENANT_READERS)), description="县级下发给本单位的督办意见")
    def supervision_instructions(self, unacknowledged: bool = False) -> list[SupervisionInstruction]:
        from tenants.resolution import current_tenant

        rows = selectors.instructions_for(current_tenant(), unacknowledged=unacknowledged).select_related("tenant")
        return [instruction(row) for row in rows]

    @strawberry.field(extensions=allow(HasRole(*TENANT_READERS)), description="发给本单位（或全部单位）的内部通报")
    def circulars(self) -> list[ReceivedCircular]:
        from tenants.resolution import current_tenant

        return [received_circular(row) for row in selectors.circulars_for(current_tenant())]
