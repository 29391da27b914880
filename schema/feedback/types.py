"""综合点评 as GraphQL types. Staff of the unit see the comment; the commenter's name and phone stay masked here
(the full contact is a logged read on the comment page)."""
from __future__ import annotations

from datetime import datetime

import strawberry
from django_tenants.utils import schema_context

from haochaping.core.ids import global_id as scoped_global_id
from haochaping.core.privacy import mask_name, mask_phone, redact_text
from haochaping.feedback import models
from schema.core.nodes import global_id

CommentChannel = strawberry.enum(models.Channel, name="CommentChannel")
CommentCategory = strawberry.enum(models.Category, name="CommentCategory")
CommentStatus = strawberry.enum(models.PublicComment.Status, name="CommentStatus")
CommentRoute = strawberry.enum(models.PublicComment.Route, name="CommentRoute")


@strawberry.type(name="PublicComment", description="综合点评（意见箱、热线、电子邮箱、12345、Open311）")
class PublicCommentType:
    id: strawberry.ID
    receipt_code: str = strawberry.field(description="回执码：评价人凭此查询答复")
    channel: CommentChannel
    category: CommentCategory
    status: CommentStatus
    route: CommentRoute = strawberry.field(description="分派依据")
    text: str
    contact_name: str = strawberry.field(description="姓名（脱敏）")
    contact_phone: str = strawberry.field(description="电话（脱敏）")
    allow_publish: bool = strawberry.field(description="允许公开答复")
    item_code: str
    item_name: str
    org_name: str
    submitted_at: datetime
    answer: str
    answered_by: str | None = strawberry.field(description="答复人")
    answered_at: datetime | None
    is_hidden: bool
    hidden_reason: str
    rectification_id: strawberry.ID | None = strawberry.field(description="投诉开启的整改（本单位）")
    transferred_to: str | None = strawberry.field(description="转办至（单位标识）")
    transferred_from: str | None = strawberry.field(description="转办自（单位标识）")
    version: int


def comment_type(c: models.PublicComment) -> PublicCommentType:
    return PublicCommentType(
        id=global_id("PublicComment", c.pk), receipt_code=c.receipt_code, channel=CommentChannel(c.channel),
        category=CommentCategory(c.category), status=CommentStatus(c.status), route=CommentRoute(c.route), text=c.text,
        contact_name=mask_name(c.contact_name), contact_phone=mask_phone(c.contact_phone), allow_publish=c.allow_publish,
        item_code=c.item_code, item_name=c.item_name, org_name=c.org_name, submitted_at=c.submitted_at,
        answer=c.answer, answered_by=(c.answered_by.display_name or c.answered_by.username) if c.answered_by_id else None,
        answered_at=c.answered_at, is_hidden=c.is_hidden, hidden_reason=c.hidden_reason,
        rectification_id=global_id("Rectification", c.rectification_id) if c.rectification_id else None,
        transferred_to=c.transferred_to.schema_name if c.transferred_to_id else None,
        transferred_from=c.transferred_from.schema_name if c.transferred_from_id else None, version=c.version)


@strawberry.type(description="一页综合点评")
class PublicCommentPage:
    total_count: int
    items: list[PublicCommentType]


@strawberry.type(description="待县级转办的点评（无姓名电话，内容已脱敏）")
class CommentAwaitingTransfer:
    id: strawberry.ID = strawberry.field(description="点评的全局 id（在所在单位的模式中）")
    tenant: str = strawberry.field(description="当前所在单位标识")
    category: CommentCategory
    channel: CommentChannel
    text: str
    submitted_at: datetime


def awaiting(tenant, c: models.PublicComment) -> CommentAwaitingTransfer:
    with schema_context(tenant.schema_name):
        gid = strawberry.ID(scoped_global_id("PublicComment", c.pk))
    return CommentAwaitingTransfer(id=gid, tenant=tenant.schema_name, category=CommentCategory(c.category),
                                   channel=CommentChannel(c.channel), text=redact_text(c.text), submitted_at=c.submitted_at)
