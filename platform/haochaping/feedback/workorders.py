"""12345 hotline work orders (工单): the supervision platform dispatches (派单), the unit replies (回单) by answering the
comment, 12345 calls the citizen back (回访) and reports the result. The intake API (platform GraphQL, token scope
`workorders:write`) calls these; a work order is a comment of channel HOTLINE_12345 plus its WorkOrder row in the
same unit's schema, and a public index row (number → unit, no personal data)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from haochaping.core.errors import DomainError, ErrorCollector, NotFound
from tenants.models import Tenant

from .models import Channel, CommentEvent, PublicComment, WorkOrder
from .portal.models import WorkOrderIndex

ORDER_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,39}$")
MAX_CALLBACK_NOTE = 1000
W = WorkOrder.State


@dataclass(frozen=True)
class WorkOrderView:
    """What 12345 may read back about its own order: the unit, the state, the reply and the call-back."""

    order_number: str
    unit_slug: str
    unit_name: str
    state: str
    receipt_code: str
    reply: str
    replied_at: datetime | None
    callback_result: str
    called_back_at: datetime | None
    callbacks: int
    rectification_id: int | None
    created: bool = False


def _view(order: WorkOrder, tenant: Tenant, created: bool = False) -> WorkOrderView:
    comment = order.comment
    return WorkOrderView(order_number=order.order_number, unit_slug=tenant.schema_name, unit_name=tenant.name,
                         state=order.state, receipt_code=comment.receipt_code,
                         reply=comment.answer if order.state != W.DISPATCHED else "", replied_at=order.replied_at,
                         callback_result=order.callback_result, called_back_at=order.called_back_at,
                         callbacks=order.callbacks, rectification_id=comment.rectification_id, created=created)


def _event(comment: PublicComment, action: str, note: str = "", **data) -> None:
    CommentEvent.objects.create(comment=comment, actor=None, actor_label="12345热线", action=action, note=note, data=data)


def _clean_number(order_number: str) -> str:
    number = (order_number or "").strip()
    if not ORDER_NUMBER.match(number):
        raise DomainError("INVALID_ORDER_NUMBER", "工单编号须为3–40位字母、数字、-或_",
                          "The order number must be 3–40 letters, digits, - or _", "orderNumber")
    return number


def _indexed(number: str) -> WorkOrderIndex | None:
    with schema_context(get_public_schema_name()):
        return WorkOrderIndex.objects.select_related("tenant").filter(order_number=number).first()


def dispatch(*, order_number: str, content: str, category: str, unit: str | None = None, item_code: str = "",
             contact_name: str = "", contact_phone: str = "", allow_publish: bool = False,
             dispatched_at: datetime | None = None, due_at: datetime | None = None) -> WorkOrderView:
    """派单: store the order as a comment in the unit it is routed to (the same rules as every comment). Dispatching
    a number again returns the stored order unchanged (`created` False), so 12345 can safely retry."""
    from . import services

    number = _clean_number(order_number)
    dispatched_at = dispatched_at or timezone.now()
    if due_at is not None and due_at <= dispatched_at:
        raise DomainError("INVALID_DUE", "办理时限须晚于派单时间", "The due time must be after the dispatch time", "dueAt")
    existing = _indexed(number)
    if existing is not None:
        return status(number)
    try:
        with transaction.atomic():
            submitted = services.submit_comment(
                channel=Channel.HOTLINE_12345, text=content, category=category, contact_name=contact_name,
                contact_phone=contact_phone, allow_publish=allow_publish, unit=unit, item_code=item_code,
                trusted=True, submitted_at=dispatched_at)
            with schema_context(submitted.tenant.schema_name):
                order = WorkOrder.objects.create(comment=submitted.comment, order_number=number,
                                                 dispatched_at=dispatched_at, due_at=due_at)
                _event(submitted.comment, "WORK_ORDER_DISPATCHED", "", order_number=number)
            with schema_context(get_public_schema_name()):
                WorkOrderIndex.objects.create(order_number=number, tenant=submitted.tenant,
                                              comment_id=submitted.comment.pk)
    except IntegrityError:
        # The same number dispatched concurrently: the other transaction won; nothing of this one was kept.
        if _indexed(number) is None:
            raise
        return status(number)
    with schema_context(submitted.tenant.schema_name):
        return _view(WorkOrder.objects.select_related("comment").get(pk=order.pk), submitted.tenant, created=True)


def status(order_number: str) -> WorkOrderView:
    """The order as 12345 sees it (回单 = the unit's answer once given)."""
    number = _clean_number(order_number)
    index = _indexed(number)
    if index is None:
        raise NotFound("工单", "Work order", "orderNumber")
    with schema_context(index.tenant.schema_name):
        order = WorkOrder.objects.select_related("comment").filter(order_number=number).first()
        if order is None:
            raise NotFound("工单", "Work order", "orderNumber")
        return _view(order, index.tenant)


def record_callback(*, order_number: str, result: str, note: str = "",
                    called_back_at: datetime | None = None) -> WorkOrderView:
    """回访: 12345's call-back result on a replied order. Unsatisfied reopens the comment for a new answer (the order
    goes back to DISPATCHED until the unit replies again)."""
    number = _clean_number(order_number)
    note = (note or "").strip()
    errors = ErrorCollector()
    if result not in WorkOrder.CallbackResult.values:
        errors.add("INVALID_RESULT", "result", "回访结果须为满意、基本满意或不满意",
                   "The result must be SATISFIED, BASICALLY_SATISFIED or UNSATISFIED")
    errors.max_length(note, MAX_CALLBACK_NOTE, "note", "回访情况", "Note")
    errors.raise_if_any()
    index = _indexed(number)
    if index is None:
        raise NotFound("工单", "Work order", "orderNumber")
    from . import services

    with transaction.atomic(), schema_context(index.tenant.schema_name):
        order = WorkOrder.objects.select_for_update().select_related("comment").filter(order_number=number).first()
        if order is None:
            raise NotFound("工单", "Work order", "orderNumber")
        if order.state == W.DISPATCHED:
            raise DomainError("NOT_REPLIED", "工单尚未回单，不能回访", "The order has not been replied to yet", "orderNumber")
        order.callback_result, order.callback_note = result, note
        order.called_back_at = called_back_at or timezone.now()
        order.callbacks += 1
        order.state = W.CALLED_BACK
        comment = order.comment
        reopen = result == WorkOrder.CallbackResult.UNSATISFIED and not comment.is_hidden
        if reopen:
            order.state = W.DISPATCHED
            comment.status = PublicComment.Status.OPEN
            comment.version += 1
            comment.save(update_fields=["status", "version"])
            services._publish(comment, index.tenant)
        order.save()
        _event(comment, "WORK_ORDER_CALLED_BACK", note, result=result)
        if reopen:
            _event(comment, "REOPENED", "12345回访不满意，重新办理")
        return _view(order, index.tenant)


def reply_with_answer(comment: PublicComment, user) -> None:
    """回单: the unit answered a comment that came as a work order (in the comment's schema and transaction)."""
    order = WorkOrder.objects.select_for_update().filter(comment=comment).first()
    if order is None:
        return
    order.state, order.replied_at = W.REPLIED, timezone.now()
    order.save(update_fields=["state", "replied_at"])
    _event(comment, "WORK_ORDER_REPLIED", "", order_number=order.order_number)


def follow_transfer(source: Tenant, original: PublicComment, target: Tenant, copy: PublicComment) -> None:
    """转办 of a work order's comment: the order moves to the target unit with it (inside the transfer's transaction)."""
    with schema_context(source.schema_name):
        order = WorkOrder.objects.select_for_update().filter(comment=original).first()
        if order is None:
            return
        fields = {f.name: getattr(order, f.name) for f in WorkOrder._meta.concrete_fields if f.name not in ("id", "comment")}
        order.delete()
    with schema_context(target.schema_name):
        WorkOrder.objects.update_or_create(order_number=fields.pop("order_number"), defaults=dict(fields, comment=copy))
    with schema_context(get_public_schema_name()):
        WorkOrderIndex.objects.filter(order_number=order.order_number).update(tenant=target, comment_id=copy.pk)
