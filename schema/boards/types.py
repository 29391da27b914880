"""Hall-board types: exactly what a board may show (anonymised), built from the domain's board payloads."""
from __future__ import annotations

from datetime import date, datetime

import strawberry

from schema.core.nodes import global_id


@strawberry.type(description="某一等级的评价数")
class GradeCount:
    grade: int
    count: int


def _counts(figures: dict) -> list[GradeCount]:
    return [GradeCount(grade=int(g), count=n) for g, n in figures["counts"].items()]


@strawberry.type(description="今日（已计入统计的）评价数与好评率")
class BoardFigures:
    total: int
    bad: int
    satisfaction: float | None = strawberry.field(description="好评率：3–5级 ÷ 计入统计的评价；无评价时为空")
    counts: list[GradeCount]

    @classmethod
    def of(cls, figures: dict) -> BoardFigures:
        return cls(total=figures["total"], bad=figures["bad"], satisfaction=figures["satisfaction"], counts=_counts(figures))


@strawberry.type(description="大厅中一个窗口的今日评价")
class BoardWindow:
    code: str
    name: str
    figures: BoardFigures


@strawberry.type(description="今日每小时的好评与差评数")
class BoardTrendPoint:
    hour: int
    good: int
    bad: int


@strawberry.type(description="评价屏上的一条评价：无姓名、电话，意见已去除个人信息")
class BoardRating:
    window: str
    window_name: str
    grade: int
    label: str
    label_en: str
    bad: bool
    counted: bool = strawberry.field(description="是否计入今日统计（今日评价且未被剔除）")
    rated_at: datetime
    comment: str

    @classmethod
    def of(cls, rating: dict) -> BoardRating:
        return cls(window=rating["window"], window_name=rating["windowName"], grade=rating["grade"],
                   label=rating["label"], label_en=rating["labelEn"], bad=rating["bad"], counted=rating["counted"],
                   rated_at=datetime.fromisoformat(rating["ratedAt"]), comment=rating["comment"])


@strawberry.type(description="大厅评价屏快照；seq 之前（含）的评价事件都已计入")
class HallBoardSnapshot:
    hall: str
    hall_name: str
    seq: float = strawberry.field(description="大厅事件序号（整数）")
    date: date
    windows: list[BoardWindow]
    totals: BoardFigures
    trend: list[BoardTrendPoint]
    latest: list[BoardRating]

    @classmethod
    def of(cls, payload: dict) -> HallBoardSnapshot:
        return cls(
            hall=payload["hall"], hall_name=payload["hallName"], seq=payload["seq"],
            date=date.fromisoformat(payload["date"]),
            windows=[BoardWindow(code=w["code"], name=w["name"], figures=BoardFigures.of(w)) for w in payload["windows"]],
            totals=BoardFigures.of(payload["totals"]),
            trend=[BoardTrendPoint(**point) for point in payload["trend"]],
            latest=[BoardRating.of(r) for r in payload["latest"]],
        )


@strawberry.type(description="评价事件（订阅）：seq 连续；出现间断或重连时先取快照")
class BoardRatingEvent:
    version: int
    hall: str
    seq: float
    rating: BoardRating

    @classmethod
    def of(cls, event: dict) -> BoardRatingEvent:
        return cls(version=event["v"], hall=event["hall"], seq=event["seq"], rating=BoardRating.of(event["rating"]))


@strawberry.type(description="差评预警")
class BoardAlert:
    id: strawberry.ID
    hall: str
    window: str
    window_name: str
    raised_at: datetime
    ratings: int
    bad_ratings: int
    period_minutes: int
    threshold_percent: int
    state: str
    acknowledged_at: datetime | None
    note: str

    @classmethod
    def of(cls, alert) -> BoardAlert:
        return cls(id=global_id("BoardAlert", alert.pk), hall=alert.org.code, window=alert.window.code, window_name=alert.window.name,
                   raised_at=alert.raised_at, ratings=alert.ratings, bad_ratings=alert.bad_ratings,
                   period_minutes=alert.period_minutes, threshold_percent=alert.threshold_percent, state=alert.state,
                   acknowledged_at=alert.acknowledged_at, note=alert.note)
