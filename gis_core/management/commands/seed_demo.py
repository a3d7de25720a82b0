"""Load the demo community (or a city-scale set for benchmarks).

    manage.py seed_demo                  # the reference community, Chuanfang-like (refuses a non-empty db)
    manage.py seed_demo --if-empty       # what `make run` calls: load only into an empty database
    manage.py seed_demo --scale 67       # 67 communities: ≈100,000 buildings, ≈2,000,000 rooms
"""

import time

from django.core.management.base import BaseCommand, CommandError

from fixtures import load


class Command(BaseCommand):
    help = "生成演示社区数据 / Load a plausible demo urban-village community (deterministic with --seed)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same layout)")
        parser.add_argument("--scale", type=int, default=1, metavar="N",
                            help="number of communities (1 ≈ 1,500 buildings and 30,000 rooms each)")
        parser.add_argument("--if-empty", action="store_true", help="do nothing if a community already exists")
        parser.add_argument("--append", action="store_true", help="add to a database that already holds data")
        parser.add_argument("--no-tenants", action="store_true", help="skip tenants (rooms are then all vacant or unavailable)")

    def handle(self, *args, seed, scale, if_empty, append, no_tenants, **opts):
        if scale < 1:
            raise CommandError("--scale must be at least 1")
        if not load.is_empty():
            if if_empty:
                self.stdout.write("演示数据已存在，跳过 / database already holds a community; nothing loaded")
                return
            if not append:
                raise CommandError(
                    "数据库已有数据 / the database already holds communities: use --if-empty to skip, "
                    "--append to add more, or start from an empty database (make clean-db)."
                )
        started = time.monotonic()

        def progress(done, total):
            if scale > 1:
                self.stdout.write(f"  {done}/{scale} communities, {total.rooms:,} rooms, "
                                  f"{time.monotonic() - started:.0f} s")

        offset = 0
        if append:
            from gis_core.models import Community

            offset = Community.objects.count()
        stats = load.load(scale, seed, with_tenants=not no_tenants, progress=progress, first=offset)
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(
            f"loaded {stats.communities} communities, {stats.grids} grids, {stats.meshes} meshes, "
            f"{stats.buildings:,} buildings, {stats.rooms:,} rooms ({stats.vacant:,} vacant), "
            f"{stats.tenants:,} tenants, {stats.cameras} cameras, {stats.kiosks} kiosks in {elapsed:.1f} s"
        ))
