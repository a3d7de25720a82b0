from django.core.management.base import BaseCommand, CommandError

from gis_core.models import Community
from model3d.build import build_community, build_pending


class Command(BaseCommand):
    help = ("Build the 3D Tiles of the communities (only tiles whose buildings changed are meshed again). "
            "--pending: only communities marked dirty by edits (for cron or after a crash).")

    def add_arguments(self, parser):
        parser.add_argument("--community", action="append", help="community code (repeatable); default: all")
        parser.add_argument("--pending", action="store_true", help="only communities with unbuilt changes")
        parser.add_argument("--force", action="store_true", help="mesh every tile again")

    def handle(self, *args, community=None, pending=False, force=False, **opts):
        if pending:
            results = build_pending()
        else:
            qs = Community.objects.order_by("code")
            if community:
                qs = qs.filter(code__in=community)
                missing = set(community) - set(qs.values_list("code", flat=True))
                if missing:
                    raise CommandError(f"no community with code {', '.join(sorted(missing))}")
            results = [build_community(c, force=force) for c in qs]
        for r in results:
            self.stdout.write(f"{r.community}: {r.tiles_built} tiles built ({r.features} features), "
                              f"{r.tiles_reused} reused, {r.tiles_deleted} deleted in {r.seconds:.2f} s")
