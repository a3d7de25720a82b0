from django.core.management.base import BaseCommand

from reports.models import WorkerPosition


class Command(BaseCommand):
    help = "Delete grid workers' positions older than 24 hours (they are kept for dispatch only)."

    def handle(self, *args, **options):
        self.stdout.write(f"deleted {WorkerPosition.purge()} position(s)")
