"""Rate every grid (and, where a rule set says so, mesh and building) for one month.

    manage.py rate_safety                       # the month in progress, every community
    manage.py rate_safety --month 2026-11       # a past month (run on the 1st for the month before)
    manage.py rate_safety --month last --community 530112001001
"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from gis_core.errors import DomainError
from safety import evaluate, services


def parse_month(text: str | None) -> date | None:
    if text in (None, "", "current"):
        return None
    if text == "last":
        return evaluate.previous_month(evaluate.month_start(timezone.localdate()))
    try:
        year, month = text.split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise CommandError(f"--month must be YYYY-MM, 'last' or 'current', not {text!r}") from None


class Command(BaseCommand):
    help = "三色评定 / Rate places red, yellow or green for one month with each community's active rule set."

    def add_arguments(self, parser):
        parser.add_argument("--month", help="YYYY-MM, 'last' or 'current' (default: the month in progress)")
        parser.add_argument("--community", action="append", metavar="CODE",
                            help="a community code (repeatable; default: every community)")

    def handle(self, *args, month=None, community=None, **opts):
        try:
            result = services.rate(parse_month(month), community)
        except DomainError as exc:
            raise CommandError(str(exc.message)) from None
        self.stdout.write(self.style.SUCCESS(
            f"{result.month:%Y-%m}: {result.ratings} ratings by {result.rule_sets} rule set(s) "
            f"in {result.seconds:.2f} s"))
