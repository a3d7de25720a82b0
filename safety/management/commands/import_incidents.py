"""Import police incidents from a CSV file (safety/incidents.py describes the columns).

    manage.py import_incidents incidents.csv [--dry-run]

Prints one line per row that was not stored (row number, why) and a summary; exits with status
1 when any row was bad.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from gis_core.errors import DomainError
from safety.incidents import import_csv


class Command(BaseCommand):
    help = "导入公安警情 CSV / Import police incidents (time, place or coordinates, category) from CSV."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="check every row, store nothing")

    def handle(self, *args, file: Path, dry_run: bool, **opts):
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from None
        try:
            report = import_csv(data, dry_run=dry_run)
        except DomainError as exc:
            raise CommandError(str(exc.message)) from None
        for r in report.rows:
            if r.status != "ok":
                self.stdout.write(f"row {r.row}: {r.status}: {r.message}")
        ok = report.count("ok")
        summary = (f"{report.encoding}: {ok} {'would be stored' if dry_run else 'stored'}, "
                   f"{report.count('duplicate')} already imported, {report.count('error')} bad")
        if report.count("error"):
            self.stderr.write(summary)
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS(summary))
