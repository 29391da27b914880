"""曝光: internal circulars published as public notices after approval and redaction."""
from __future__ import annotations

from datetime import datetime

import strawberry

from haochaping.supervision import services
from haochaping.supervision.models import PublicNotice as NoticeModel
from schema.core.context import principal
from schema.core.errors import UserError, attempt
from schema.core.nodes import global_id, pk_for
from schema.core.permissions import platform_admin, platform_reader, public


@strawberry.type(description="曝光公告（已去除个人信息）")
class PublicNotice:
    id: strawberry.ID
    title: str
    body: str
    state: str
    published_at: datetime | None

    @classmethod
    def of(cls, row) -> PublicNotice:
        return cls(id=global_id("PublicNotice", row.pk), title=row.title, body=row.body, state=row.state,
                   published_at=row.decided_at if row.state == NoticeModel.State.PUBLISHED else None)


@strawberry.type
class PublicNoticePayload:
    notice: PublicNotice | None
    errors: list[UserError]


@strawberry.type
class NoticeQueries:
    @strawberry.field(extensions=public(), description="已公开的曝光公告（最近的在前）")
    def public_notices(self, first: int = 20) -> list[PublicNotice]:
        rows = NoticeModel.objects.filter(state=NoticeModel.State.PUBLISHED).order_by("-decided_at")
        return [PublicNotice.of(r) for r in rows[: max(0, min(first, 100))]]


@strawberry.type
class NoticeMutations:
    @strawberry.mutation(extensions=platform_reader(),
                         description="申请将内部通报作为曝光公告公开（文本中的个人信息会被去除），须另一名县级管理员审核")
    def request_public_notice(self, info: strawberry.Info, circular_id: strawberry.ID, title: str,
                              body: str) -> PublicNoticePayload:
        def run():
            pk = pk_for(circular_id, "Circular", what_zh="内部通报", what_en="Circular", field="circularId")
            return services.request_notice(pk, title=title, body=body, county_user=principal(info).user)

        row, errors = attempt(run)
        return PublicNoticePayload(notice=PublicNotice.of(row) if row else None, errors=errors)

    @strawberry.mutation(extensions=platform_admin(), description="审核曝光申请：批准即在门户公开（申请人不能审核自己的申请）")
    def decide_public_notice(self, info: strawberry.Info, id: strawberry.ID, approve: bool) -> PublicNoticePayload:
        def run():
            pk = pk_for(id, "PublicNotice", what_zh="曝光申请", what_en="Notice")
            return services.decide_notice(pk, approve=approve, county_user=principal(info).user)

        row, errors = attempt(run)
        return PublicNoticePayload(notice=PublicNotice.of(row) if row else None, errors=errors)
