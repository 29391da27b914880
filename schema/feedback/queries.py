"""综合点评 reads: a unit's comments (tenant host), the comments awaiting 转办 (platform host, county users)."""
from __future__ import annotations

import strawberry

from haochaping.core.errors import NotFound
from haochaping.feedback import routing, selectors
from schema.core.nodes import pk_for
from schema.core.permissions import PLATFORM_READERS, TENANT_READERS, HasRole, allow

from .types import (CommentAwaitingTransfer, CommentCategory, CommentChannel, CommentStatus, PublicCommentPage,
                    PublicCommentType, awaiting, comment_type)


@strawberry.type
class FeedbackQueries:
    @strawberry.field(extensions=allow(HasRole(*TENANT_READERS)), description="本单位的综合点评（姓名电话脱敏）")
    def public_comments(self, status: CommentStatus | None = None, category: CommentCategory | None = None,
                        channel: CommentChannel | None = None, hidden: bool | None = None, query: str = "",
                        first: int = 50, offset: int = 0) -> PublicCommentPage:
        rows = selectors.comments(status=status.value if status else None, category=category.value if category else None,
                                  channel=channel.value if channel else None, hidden=hidden, query=query[:100])
        first, offset = max(0, min(first, 200)), max(0, offset)
        page = rows.select_related("answered_by", "transferred_to", "transferred_from")[offset:offset + first]
        return PublicCommentPage(total_count=rows.count(), items=[comment_type(c) for c in page])

    @strawberry.field(extensions=allow(HasRole(*TENANT_READERS)), description="一条综合点评；其他单位的 id 查不到")
    def public_comment(self, id: strawberry.ID) -> PublicCommentType | None:
        try:
            pk = pk_for(id, "PublicComment", what_zh="该点评", what_en="Comment")
        except NotFound:
            return None
        row = selectors.comment(pk)
        return comment_type(row) if row else None


@strawberry.type
class PlatformFeedbackQueries:
    @strawberry.field(extensions=allow(HasRole(*PLATFORM_READERS)),
                      description="无法自动分派、待县级转办的点评（在县政务服务中心）")
    def comments_awaiting_transfer(self) -> list[CommentAwaitingTransfer]:
        centre = routing.county_centre()
        if centre is None:
            return []
        return [awaiting(centre, c) for c in selectors.awaiting_transfer(centre)]
