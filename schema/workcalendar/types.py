from datetime import date, datetime

import strawberry
import strawberry_django

from haochaping.workcalendar import models


@strawberry_django.type(models.CalendarDay, description="节假日或调休上班日（周一至周五以外的例外）")
class CalendarDay:
    date: date
    is_workday: bool
    name: str
    source: str
    updated_at: datetime


@strawberry_django.type(models.CalendarYear, description="已载入工作日历的年份")
class CalendarYear:
    year: int
    loaded_at: datetime
