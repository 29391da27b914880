"""China's working-day calendar (public schema): the exceptions to Monday–Friday, i.e. statutory holidays on
weekdays and 调休 make-up workdays on weekends. Seeded from `chinesecalendar`, editable by the county agency
because each year's schedule is announced late in the year before."""
from django.db import models


class CalendarDay(models.Model):
    class Source(models.TextChoices):
        PACKAGE = "PACKAGE", "chinesecalendar 数据包"
        MANUAL = "MANUAL", "县级管理员维护"

    date = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("工作日")
    name = models.CharField("名称", max_length=50, blank=True, help_text="如 春节、国庆节调休上班")
    source = models.CharField("来源", max_length=8, choices=Source.choices, default=Source.MANUAL)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "节假日与调休"
        verbose_name_plural = verbose_name
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {'上班' if self.is_workday else '休息'} {self.name}"


class CalendarYear(models.Model):
    """A year whose schedule has been loaded; deadlines in an unknown year are refused, not guessed."""

    year = models.PositiveIntegerField("年份", unique=True)
    loaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "已载入年份"
        verbose_name_plural = verbose_name
        ordering = ["year"]
