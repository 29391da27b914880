"""The rectification clocks, each a platform setting (RECTIFICATION_* in settings, from the environment):
follow-up within 1 working day, rectification and feedback within 15 working days, due-soon alerts 2 working
days ahead. A year missing from the calendar never blocks a rating: the deadline then
counts Monday–Friday and the opening event says so."""
from __future__ import annotations

from datetime import datetime

from django.conf import settings

from haochaping.workcalendar.services import CalendarUnknown, WorkingCalendar

FOLLOW_UP_WORKING_DAYS = settings.RECTIFICATION_FOLLOW_UP_WORKING_DAYS
RECTIFY_WORKING_DAYS = settings.RECTIFICATION_WORKING_DAYS
DUE_SOON_WORKING_DAYS = settings.RECTIFICATION_DUE_SOON_WORKING_DAYS


def _calendar() -> WorkingCalendar:
    return WorkingCalendar.load()


def deadlines(arrival: datetime) -> tuple[datetime, datetime, bool]:
    """(follow-up due, rectification due, estimated) for a review arriving at `arrival`."""
    calendar = _calendar()
    try:
        return (calendar.deadline(arrival, FOLLOW_UP_WORKING_DAYS), calendar.deadline(arrival, RECTIFY_WORKING_DAYS), False)
    except CalendarUnknown:
        weekdays = WorkingCalendar({}, {arrival.year, arrival.year + 1})
        return (weekdays.deadline(arrival, FOLLOW_UP_WORKING_DAYS), weekdays.deadline(arrival, RECTIFY_WORKING_DAYS), True)


def extended(due: datetime, days: int) -> datetime:
    return _calendar().deadline(due, days)


def working_days_between(start: datetime, end: datetime) -> int:
    try:
        return _calendar().working_days_between(start, end)
    except CalendarUnknown:
        return WorkingCalendar({}, {start.year, end.year}).working_days_between(start, end)
