from django.apps import AppConfig


class WorkCalendarConfig(AppConfig):
    name = "haochaping.workcalendar"
    label = "workcalendar"
    verbose_name = "工作日历 / Working-day calendar"
