"""Compute every camera's view and every grid's coverage (after rows written by hand-made SQL, which
bypass the change pipeline; or to recompute everything)."""

import time

from django.core.management.base import BaseCommand, CommandError

from coverage import fov, gridcover
from gis_core.models import Camera, Community, Grid


class Command(BaseCommand):
    help = "计算摄像机视场与网格覆盖率 / compute camera views and grid coverage"

    def add_arguments(self, parser):
        parser.add_argument("--community", help="社区代码 / community code (default: all)")
        parser.add_argument("--views-only", action="store_true", help="只算视场 / views only")
        parser.add_argument("--if-empty", action="store_true",
                            help="只在尚无任何视场时计算（make run 用）/ only when no view is stored yet")

    def handle(self, *args, community=None, views_only=False, if_empty=False, **opts):
        from coverage.models import ViewBand

        if if_empty and ViewBand.objects.exists():
            self.stdout.write("views already computed")
            return
        cams, grids = Camera.objects.all(), Grid.objects.grids().current()
        if community:
            c = Community.objects.filter(code=community).first()
            if c is None:
                raise CommandError(f"no community with code {community!r}")
            cams, grids = cams.filter(community=c), grids.filter(community=c)
        levels = fov.default_levels()
        t0 = time.perf_counter()
        fov.recompute_views(cams, levels)
        t1 = time.perf_counter()
        self.stdout.write(f"views: {cams.count()} cameras in {t1 - t0:.2f} s")
        if not views_only:
            n = 0
            for grid in grids:
                gridcover.compute(grid, levels, levels)  # blind spots at every level too
                n += 1
            self.stdout.write(f"coverage: {n} grids in {time.perf_counter() - t1:.2f} s")
