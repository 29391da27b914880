"""12345 work-order intake on the platform host (派单 / 回单 / 回访): a system token with the `workorders:write`
scope. The domain (haochaping.feedback.workorders) routes, stores and answers; errors come back as data."""
from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from haochaping.feedback import workorders
from haochaping.feedback.models import WorkOrder
from schema.core.errors import UserError, attempt
from schema.core.permissions import HasScope, allow

from .types import CommentCategory

SCOPE = "workorders:write"


@strawberry.enum(description="12345工单状态")
class WorkOrderState(Enum):
    DISPATCHED = "DISPATCHED"
    REPLIED = "REPLIED"
    CALLED_BACK = "CALLED_BACK"


@strawberry.enum(description="12345回访结果")
class CallbackResult(Enum):
    SATISFIED = "SATISFIED"
    BASICALLY_SATISFIED = "BASICALLY_SATISFIED"
    UNSATISFIED = "UNSATISFIED"


@strawberry.type(description="12345工单（对方可读回的内容：承办单位、状态、回单、回访）")
class WorkOrderType:
    order_number: str
    unit_slug: str
    unit_name: str
    state: WorkOrderState
    receipt_code: str
    reply: str = strawberry.field(description="回单：承办单位的答复（未回单时为空）")
    replied_at: datetime | None
    callback_result: CallbackResult | None
    called_back_at: datetime | None
    callbacks: int
    opened_rectification: bool = strawberry.field(description="投诉类工单是否已开启整改")
    created: bool = strawberry.field(description="本次派单是否新建（重复派单为 false）")

    @classmethod
    def of(cls, view: workorders.WorkOrderView) -> "WorkOrderType":
        return cls(order_number=view.order_number, unit_slug=view.unit_slug, unit_name=view.unit_name,
                   state=WorkOrderState(view.state), receipt_code=view.receipt_code, reply=view.reply,
                   replied_at=view.replied_at,
                   callback_result=CallbackResult(view.callback_result) if view.callback_result else None,
                   called_back_at=view.called_back_at, callbacks=view.callbacks,
                   opened_rectification=view.rectification_id is not None, created=view.created)


@strawberry.input(description="12345派单")
class DispatchWorkOrderInput:
    order_number: str
    content: str
    category: CommentCategory
    unit: str | None = strawberry.field(default=None, description="承办单位标识（不填则按事项或内容分派）")
    item_code: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    allow_publish: bool = False
    dispatched_at: datetime | None = None
    due_at: datetime | None = None


@strawberry.input(description="12345回访结果")
class WorkOrderCallbackInput:
    order_number: str
    result: CallbackResult
    note: str = ""
    called_back_at: datetime | None = None


@strawberry.type
class WorkOrderPayload:
    work_order: WorkOrderType | None
    errors: list[UserError]


def _payload(action) -> WorkOrderPayload:
    view, errors = attempt(action)
    return WorkOrderPayload(work_order=WorkOrderType.of(view) if view else None, errors=errors)


@strawberry.type
class WorkOrderQueries:
    @strawberry.field(extensions=allow(HasScope(SCOPE)), description="查询12345工单的承办、回单与回访情况")
    def work_order(self, order_number: str) -> WorkOrderPayload:
        return _payload(lambda: workorders.status(order_number))


@strawberry.type
class WorkOrderMutations:
    @strawberry.mutation(extensions=allow(HasScope(SCOPE)), description="12345派单：按规则分派到承办单位（重复派单幂等）")
    def dispatch_work_order(self, input: DispatchWorkOrderInput) -> WorkOrderPayload:
        return _payload(lambda: workorders.dispatch(
            order_number=input.order_number, content=input.content, category=input.category.value, unit=input.unit,
            item_code=input.item_code, contact_name=input.contact_name, contact_phone=input.contact_phone,
            allow_publish=input.allow_publish, dispatched_at=input.dispatched_at, due_at=input.due_at))

    @strawberry.mutation(extensions=allow(HasScope(SCOPE)), description="12345回访结果（不满意则重新办理）")
    def record_work_order_callback(self, input: WorkOrderCallbackInput) -> WorkOrderPayload:
        return _payload(lambda: workorders.record_callback(
            order_number=input.order_number, result=input.result.value, note=input.note,
            called_back_at=input.called_back_at))


assert set(WorkOrderState.__members__) == set(WorkOrder.State.values)
assert set(CallbackResult.__members__) == set(WorkOrder.CallbackResult.values)
