from django.core.management.base import BaseCommand

from reports import clock


class Command(BaseCommand):
    help = "Run the reports' response clock (offer timeouts, deadlines, escalation) until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run the due timers and exit")
        parser.add_argument("--poll", type=float, default=1.0)

    def handle(self, *args, once=False, poll=1.0, **options):
        if once:
            self.stdout.write(f"ran {clock.run_due(limit=10_000)} timer(s)")
            return
        clock.loop(poll)
