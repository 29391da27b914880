"""County supervision actions: 督办意见 to a tenant and 内部通报 (platform host); the tenant's acknowledgement (tenant
host). Domain refusals come back as typed errors."""
from __future__ import annotations

import strawberry
from django_tenants.utils import schema_context
from strawberry import relay

from haochaping.core.errors import NotFound
from haochaping.rectification.models import Rectification
from haochaping.supervision import services
from haochaping.supervision.models import Circular as CircularModel
from haochaping.supervision.models import SupervisionInstruction as InstructionModel
from schema.core.context import principal
from schema.core.errors import UserError, attempt
from schema.core.nodes import pk_for
from schema.core.permissions import tenant_admin
from schema.rectification.queries import rectification_pk

from .queries import COUNTY, supervised_tenant
from .types import Circular, SupervisionInstruction, circular, instruction


@strawberry.type
class SupervisionInstructionPayload:
    instruction: SupervisionInstruction | None
    errors: list[UserError]


@strawberry.type
class CircularPayload:
    circular: Circular | None
    errors: list[UserError]


def _unit(slug: str | None, field: str = "tenant"):
    unit = supervised_tenant(slug)
    if unit is None:
        raise NotFound("单位", "Tenant", field)
    return unit


def _rectification_in(unit, node_id, field: str = "rectificationId") -> int:
    """Decode the id in the unit's schema (ids minted elsewhere are not found) and check the case exists there."""
    with schema_context(unit.schema_name):
        pk = rectification_pk(node_id, field)
        if not Rectification.objects.filter(pk=pk).exists():
            raise NotFound("整改", "Rectification", field)
    return pk


def _schema_of(node_id) -> str | None:
    """The schema a global id was minted in (for naming the unit of a circular's rectification)."""
    try:
        gid = node_id if isinstance(node_id, relay.GlobalID) else relay.GlobalID.from_id(str(node_id))
    except Exception:  # noqa: BLE001 - malformed ids are simply not found
        return None
    schema, _, _ = str(gid.node_id).rpartition(":")
    return schema or None


@strawberry.type
class SupervisionMutations:
    @strawberry.mutation(extensions=COUNTY(), description="县级督办：就某单位的一条整改下发督办意见（通知该单位管理员）")
    def issue_supervision_instruction(self, info: strawberry.Info, tenant: str, rectification_id: strawberry.ID,
                                      text: str) -> SupervisionInstructionPayload:
        def run():
            unit = _unit(tenant)
            pk = _rectification_in(unit, rectification_id)
            row = services.issue_instruction(unit, pk, text, principal(info).user)
            return instruction(InstructionModel.objects.select_related("tenant").get(pk=row.pk))

        result, errors = attempt(run)
        return SupervisionInstructionPayload(instruction=result, errors=errors)

    @strawberry.mutation(extensions=COUNTY(),
                         description="内部通报造成不良影响的案例（tenants 为空时发给全部单位；不写评价人姓名电话）")
    def issue_circular(self, info: strawberry.Info, title: str, body: str, tenants: list[str] | None = None,
                       rectification_id: strawberry.ID | None = None,
                       subject_tenant: str | None = None) -> CircularPayload:
        def run():
            units = []
            for slug in tenants or []:
                unit = _unit(slug, "tenants")
                if unit not in units:
                    units.append(unit)
            subject, pk = None, None
            if subject_tenant:
                subject = _unit(subject_tenant, "subjectTenant")
            if rectification_id is not None:
                if subject is None:  # the id names the unit it was minted in
                    subject = supervised_tenant(_schema_of(rectification_id))
                    if subject is None:
                        raise NotFound("整改", "Rectification", "rectificationId")
                pk = _rectification_in(subject, rectification_id)
            row = services.issue_circular(title=title, body=body, county_user=principal(info).user, tenants=units,
                                          subject_tenant=subject, rectification_id=pk)
            return circular(CircularModel.objects.select_related("subject_tenant").get(pk=row.pk))

        result, errors = attempt(run)
        return CircularPayload(circular=result, errors=errors)


@strawberry.type
class TenantSupervisionMutations:
    @strawberry.mutation(extensions=tenant_admin(), description="签收县级督办意见")
    def acknowledge_supervision_instruction(self, info: strawberry.Info,
                                            id: strawberry.ID) -> SupervisionInstructionPayload:
        def run():
            pk = pk_for(id, "SupervisionInstruction", what_zh="督办意见", what_en="Instruction")
            row = services.acknowledge_instruction(pk, principal(info).user)
            return instruction(InstructionModel.objects.select_related("tenant").get(pk=row.pk))

        result, errors = attempt(run)
        return SupervisionInstructionPayload(instruction=result, errors=errors)
