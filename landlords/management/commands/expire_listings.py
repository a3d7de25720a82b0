from django.core.management.base import BaseCommand

from landlords.services import expire_listings


class Command(BaseCommand):
    help = "Take vacant rooms whose 'publish until' day has passed off the market (run daily)."

    def handle(self, *args, **options):
        n = expire_listings()
        self.stdout.write(f"{n} room(s) taken off the market")
