from datetime import date

import strawberry
from django_tenants.utils import get_public_schema_name, schema_context

from haochaping.workcalendar import models
from schema.core.limits import refusal
from schema.core.permissions import public

from .types import CalendarDay, CalendarYear


@strawberry.type
class WorkCalendarQueries:
    @strawberry.field(extensions=public(), description="某年的节假日与调休上班日（公开；其余周一至周五上班）")
    def calendar_days(self, year: int) -> list[CalendarDay]:
        if not date.min.year <= year <= date.max.year:  # no date exists there to filter by
            raise refusal("INVALID_YEAR", f"年份须在{date.min.year}至{date.max.year}之间",
                          f"The year must be between {date.min.year} and {date.max.year}", field="year")
        with schema_context(get_public_schema_name()):
            return list(models.CalendarDay.objects.filter(date__year=year).order_by("date"))

    @strawberry.field(extensions=public(), description="已载入工作日历的年份（公开）")
    def calendar_years(self) -> list[CalendarYear]:
        with schema_context(get_public_schema_name()):
            return list(models.CalendarYear.objects.order_by("year"))
