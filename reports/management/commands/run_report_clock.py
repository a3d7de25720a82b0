import signal
import threading

from django.core.management.base import BaseCommand

from reports import clock


class Command(BaseCommand):
    help = ("Run the reports' response clock (offer timeouts, deadlines, escalation) and clean uploaded "
            "photos until stopped. Several may run side by side: they share the queue (SKIP LOCKED).")

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run the due timers and pending photos, and exit")
        parser.add_argument("--poll", type=float, default=1.0)

    def handle(self, *args, once=False, poll=1.0, **options):
        with clock.tombstones_in_background():
            if once:
                timers, photos = clock.run_once()
                self.stdout.write(f"ran {timers} timer(s), cleaned {photos} photo(s)")
                return
            # SIGTERM (`make stop`, compose): finish the batch in hand and the tombstones, then exit.
            stopping = threading.Event()
            signal.signal(signal.SIGTERM, lambda *_: stopping.set())
            signal.signal(signal.SIGINT, lambda *_: stopping.set())
            clock.loop(poll, stop=stopping.is_set)
