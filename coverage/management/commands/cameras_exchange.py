"""Export or import cameras as CSV/JSON with GB/T 28181 / ONVIF fields (coverage/exchange.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from coverage import exchange
from gis_core.models import Camera


class Command(BaseCommand):
    help = "导入/导出摄像机（GB/T 28181、ONVIF 字段）/ import or export cameras"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["export", "import"])
        parser.add_argument("path", help="file (.csv or .json); '-' = stdout for export")

    def handle(self, *args, action, path, **opts):
        fmt = "json" if path.lower().endswith(".json") else "csv"
        if action == "export":
            text = exchange.export(Camera.objects.all(), fmt)
            if path == "-":
                self.stdout.write(text)
            else:
                Path(path).write_text(text, encoding="utf-8")
                self.stdout.write(f"exported {Camera.objects.count()} cameras to {path}")
            return
        p = Path(path)
        if not p.is_file():
            raise CommandError(f"no such file: {path}")
        try:
            result = exchange.import_rows(exchange.parse(p.read_text(encoding="utf-8-sig"), fmt))
        except UnicodeDecodeError:
            raise CommandError(f"{path} is not UTF-8") from None
        except exchange.ImportError_ as e:
            raise CommandError("nothing was imported:\n  " + "\n  ".join(e.errors)) from None
        self.stdout.write(f"created {result['created']}, updated {result['updated']} cameras")
