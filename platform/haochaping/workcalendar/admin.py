from django.contrib import admin

from haochaping.accounts.admin_sites import platform_admin_site

from .models import CalendarDay, CalendarYear


@admin.register(CalendarDay, site=platform_admin_site)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "is_workday", "name", "source")
    list_filter = ("is_workday", "source")
    date_hierarchy = "date"

    def save_model(self, request, obj, form, change):
        obj.source = CalendarDay.Source.MANUAL
        super().save_model(request, obj, form, change)
        CalendarYear.objects.get_or_create(year=obj.date.year)


@admin.register(CalendarYear, site=platform_admin_site)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ("year", "loaded_at")
