from django.core.management.base import BaseCommand, CommandError

from haochaping.core.errors import DomainError
from haochaping.workcalendar.services import seed_year_from_package


class Command(BaseCommand):
    help = "Load statutory holidays and 调休 workdays for the given years from chinesecalendar"

    def add_arguments(self, parser):
        parser.add_argument("years", nargs="+", type=int)

    def handle(self, *args, years, **options):
        for year in years:
            try:
                count = seed_year_from_package(year)
            except DomainError as error:
                raise CommandError(error.errors[0].message + " / " + error.errors[0].message_en)
            self.stdout.write(f"{year}: {count} exceptions to Monday–Friday loaded")
