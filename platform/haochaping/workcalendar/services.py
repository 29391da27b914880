"""Working-day arithmetic in Asia/Shanghai. N working days end at the close of the Nth working day after the
day of arrival: a review arriving on a Friday evening or a holiday starts counting from the next working day."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django_tenants.utils import get_public_schema_name, schema_context

from haochaping.core.errors import DomainError

from .models import CalendarDay, CalendarYear

CHINA = ZoneInfo("Asia/Shanghai")
MAX_WORKING_DAYS = 366


class CalendarUnknown(DomainError):
    def __init__(self, year: int):
        super().__init__("CALENDAR_YEAR_UNKNOWN", f"{year}年的节假日安排尚未载入工作日历",
                         f"The holiday schedule for {year} is not loaded in the working-day calendar", "date")


class WorkingCalendar:
    """A snapshot of the calendar's exceptions, read once and used for many dates."""

    def __init__(self, exceptions: dict[date, bool], years: set[int]):
        self.exceptions = exceptions
        self.years = years

    @classmethod
    def load(cls) -> "WorkingCalendar":
        with schema_context(get_public_schema_name()):
            exceptions = dict(CalendarDay.objects.values_list("date", "is_workday"))
            years = set(CalendarYear.objects.values_list("year", flat=True))
        return cls(exceptions, years)

    def is_workday(self, day: date) -> bool:
        if day.year not in self.years:
            raise CalendarUnknown(day.year)
        if day in self.exceptions:
            return self.exceptions[day]
        return day.weekday() < 5

    def nth_working_day_after(self, day: date, n: int) -> date:
        if not 1 <= n <= MAX_WORKING_DAYS:
            raise DomainError("INVALID_DAYS", "工作日数须在1到366之间", "Working days must be 1 to 366", "days")
        counted = 0
        while counted < n:
            day += timedelta(days=1)
            if self.is_workday(day):
                counted += 1
        return day

    def deadline(self, arrival: datetime, n: int) -> datetime:
        """The end (23:59:59.999999, China time) of the Nth working day after the arrival's date."""
        local_day = arrival.astimezone(CHINA).date()
        last = self.nth_working_day_after(local_day, n)
        return datetime.combine(last, time.max, tzinfo=CHINA)

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Working days after start's date up to and including end's date (0 if end is not later)."""
        day, last, count = start.astimezone(CHINA).date(), end.astimezone(CHINA).date(), 0
        while day < last:
            day += timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return count


def deadline(arrival: datetime, n: int) -> datetime:
    return WorkingCalendar.load().deadline(arrival, n)


def seed_year_from_package(year: int) -> int:
    """Load `chinesecalendar`'s holidays and make-up workdays for a year; manual edits are kept."""
    import chinese_calendar

    start, end = date(year, 1, 1), date(year, 12, 31)
    try:
        chinese_calendar.is_workday(start)
    except NotImplementedError as exc:
        raise DomainError("CALENDAR_PACKAGE_UNKNOWN", f"数据包尚无{year}年的安排，请手工维护",
                          f"The package has no schedule for {year}; enter it by hand", "year") from exc
    exceptions = {}
    day = start
    while day <= end:
        workday = chinese_calendar.is_workday(day)
        if workday != (day.weekday() < 5):
            _, name = chinese_calendar.get_holiday_detail(day)
            exceptions[day] = (workday, (name or "") + ("调休上班" if workday else ""))
        day += timedelta(days=1)
    with schema_context(get_public_schema_name()), transaction.atomic():
        manual = set(CalendarDay.objects.filter(date__year=year, source=CalendarDay.Source.MANUAL).values_list("date", flat=True))
        CalendarDay.objects.filter(date__year=year, source=CalendarDay.Source.PACKAGE).delete()
        CalendarDay.objects.bulk_create([
            CalendarDay(date=d, is_workday=w, name=n[:50], source=CalendarDay.Source.PACKAGE)
            for d, (w, n) in exceptions.items() if d not in manual])
        CalendarYear.objects.get_or_create(year=year)
    return len(exceptions)


def set_day(*, day: date, is_workday: bool, name: str = "") -> CalendarDay:
    """The county agency's edit of one day; marks the year as loaded."""
    with schema_context(get_public_schema_name()), transaction.atomic():
        entry, _ = CalendarDay.objects.update_or_create(
            date=day, defaults={"is_workday": is_workday, "name": name.strip()[:50], "source": CalendarDay.Source.MANUAL})
        CalendarYear.objects.get_or_create(year=day.year)
    return entry


def ensure_calendar_years(years: list[int] | None = None) -> list[int]:
    """Load from the package every year it knows (around today) that is not loaded yet; manual years stay."""
    from django.utils import timezone

    this_year = timezone.localdate().year
    wanted = years or [this_year - 1, this_year, this_year + 1]
    with schema_context(get_public_schema_name()):
        loaded = set(CalendarYear.objects.values_list("year", flat=True))
    done = []
    for year in wanted:
        if year in loaded:
            continue
        try:
            seed_year_from_package(year)
        except DomainError:
            continue  # not announced yet: the county agency enters it by hand
        done.append(year)
    return done
