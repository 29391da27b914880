"""综合点评 actions: the hotline agent records a comment, staff answer or hide it (tenant host); a county user
re-routes one to another unit (转办, platform host). Refusals come back as typed errors."""
from __future__ import annotations

import strawberry
from django_tenants.utils import schema_context

from haochaping.accounts.models import Role
from haochaping.core.errors import NotFound
from haochaping.feedback import routing, services
from haochaping.feedback.models import Channel, PublicComment
from schema.core.context import principal
from schema.core.errors import UserError, attempt
from schema.core.nodes import pk_for
from schema.core.permissions import PLATFORM_READERS, HasRole, allow
from tenants.resolution import current_tenant

from .types import CommentAwaitingTransfer, CommentCategory, PublicCommentType, awaiting, comment_type

ANSWERERS = (Role.TENANT_ADMIN, Role.AGENCY, Role.HANDLER)
HIDERS = (Role.TENANT_ADMIN, Role.AGENCY)


@strawberry.input(description="热线登记的综合点评")
class HotlineCommentInput:
    text: str
    category: CommentCategory
    contact_name: str = ""
    contact_phone: str = ""
    allow_publish: bool = False
    item_code: str = ""


@strawberry.type
class PublicCommentPayload:
    comment: PublicCommentType | None
    errors: list[UserError]
    receipt_code: str | None = strawberry.field(default=None, description="回执码（仅登记时返回）")


@strawberry.type
class TransferCommentPayload:
    comment: CommentAwaitingTransfer | None
    errors: list[UserError]


def _pk(id) -> int:
    return pk_for(id, "PublicComment", what_zh="该点评", what_en="Comment")


def _reload(pk: int) -> PublicCommentType:
    return comment_type(PublicComment.objects.select_related("answered_by", "transferred_to", "transferred_from").get(pk=pk))


@strawberry.type
class FeedbackMutations:
    @strawberry.mutation(extensions=allow(HasRole(*ANSWERERS)), description="热线登记一条综合点评（渠道：热线电话）")
    def record_hotline_comment(self, info: strawberry.Info, input: HotlineCommentInput) -> PublicCommentPayload:
        result, errors = attempt(lambda: services.submit_comment(
            channel=Channel.HOTLINE, text=input.text, category=input.category.value, contact_name=input.contact_name,
            contact_phone=input.contact_phone, allow_publish=input.allow_publish, item_code=input.item_code,
            host_tenant=current_tenant(), entered_by=principal(info).user))
        if result is None:
            return PublicCommentPayload(comment=None, errors=errors)
        return PublicCommentPayload(comment=_reload(result.comment.pk), receipt_code=result.receipt_code, errors=[])

    @strawberry.mutation(extensions=allow(HasRole(*ANSWERERS)), description="答复综合点评（评价人同意时脱敏公开）")
    def answer_public_comment(self, info: strawberry.Info, id: strawberry.ID, answer: str) -> PublicCommentPayload:
        result, errors = attempt(lambda: _reload(services.answer_comment(_pk(id), user=principal(info).user,
                                                                         answer=answer).pk))
        return PublicCommentPayload(comment=result, errors=errors)

    @strawberry.mutation(extensions=allow(HasRole(*HIDERS)), description="屏蔽综合点评（须填写理由，记入审计）")
    def hide_public_comment(self, info: strawberry.Info, id: strawberry.ID, reason: str) -> PublicCommentPayload:
        result, errors = attempt(lambda: _reload(services.hide_comment(_pk(id), user=principal(info).user,
                                                                       reason=reason).pk))
        return PublicCommentPayload(comment=result, errors=errors)


@strawberry.type
class PlatformFeedbackMutations:
    @strawberry.mutation(extensions=allow(HasRole(*PLATFORM_READERS)),
                         description="县级转办：把一条点评移交另一单位（复制到该单位，原件标记已转办）")
    def transfer_public_comment(self, info: strawberry.Info, tenant: str, id: strawberry.ID, to_tenant: str,
                                reason: str) -> TransferCommentPayload:
        def run():
            source = routing.unit_by_slug(tenant)
            if source is None:
                raise NotFound("单位", "Tenant", "tenant")
            target = routing.unit_by_slug(to_tenant)
            if target is None:
                raise NotFound("单位", "Tenant", "toTenant")
            with schema_context(source.schema_name):  # ids minted elsewhere are not found
                pk = _pk(id)
            copy = services.transfer_comment(source, pk, target, county_user=principal(info).user, reason=reason)
            return awaiting(target, copy)

        result, errors = attempt(run)
        return TransferCommentPayload(comment=result, errors=errors)
