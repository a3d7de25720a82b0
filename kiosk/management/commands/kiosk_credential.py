"""Issue (or replace) a kiosk's signing secret and write the agent's configuration file."""

import json
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kiosk.models import Kiosk
from registration.models import KioskCredential


class Command(BaseCommand):
    help = "Issue a new secret for a kiosk's ID-card reader agent (the old one stops working)."

    def add_arguments(self, parser):
        parser.add_argument("code", help="kiosk code, e.g. 530112001001-01")
        parser.add_argument("--server", default="http://127.0.0.1:8000", help="the address the kiosk PC reaches")
        parser.add_argument("--output", help="write agent.json here (mode 600) instead of printing it")

    def handle(self, code, server, output, **options):
        kiosk = Kiosk.objects.filter(code=code).first()
        if kiosk is None:
            raise CommandError(f"no kiosk {code!r}; codes are listed at /api/kiosks/")
        config = {"server": server, "kiosk": kiosk.code, "secret": KioskCredential.issue(kiosk),
                  "spool": "agent-spool.db"}
        text = json.dumps(config, indent=2)
        if output:
            fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(text + "\n")
            self.stdout.write(f"wrote {Path(output).resolve()}: copy it to the kiosk PC, then delete it here")
        else:
            self.stdout.write(text)
