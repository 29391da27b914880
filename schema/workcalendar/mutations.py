from datetime import date

import strawberry

from haochaping.core.errors import ErrorCollector
from haochaping.workcalendar.services import set_day
from schema.core.errors import UserError, attempt
from schema.core.permissions import platform_admin

from .types import CalendarDay


@strawberry.type
class CalendarDayPayload:
    day: CalendarDay | None
    errors: list[UserError]


def _set(day: date, is_workday: bool, name: str):
    errors = ErrorCollector()
    errors.max_length(name, 50, "name", "名称", "Name")
    if not 2000 <= day.year <= 2100:
        errors.add("INVALID_DATE", "date", "日期须在2000年至2100年之间", "The date must be between 2000 and 2100")
    errors.raise_if_any()
    return set_day(day=day, is_workday=is_workday, name=name)


@strawberry.type
class WorkCalendarMutations:
    @strawberry.mutation(extensions=platform_admin(),
                         description="维护一天：法定节假日休息或调休上班（手工维护的日期不被数据包覆盖）")
    def set_calendar_day(self, date: date, is_workday: bool, name: str = "") -> CalendarDayPayload:
        day, errors = attempt(lambda: _set(date, is_workday, name))
        return CalendarDayPayload(day=day, errors=errors)
