"""Coverage of a grid and its meshes: open space (boundary minus footprints), the part of it the
counted views cover at each quality level, and the blind spots split by mesh.

covered(level) = ∪ views with ppm ≥ level ∩ open space;  blind(level) = open space − covered.
Areas are in the local Gauss–Krüger metres (gis_core.spatial), geometry stored in lon/lat.
"""

from __future__ import annotations

from dataclasses import dataclass

import shapely
from django.db import transaction

from buildings.models import Building
from coverage.frame import LocalFrame, frame_for, polygons
from coverage.models import AreaCoverage, BlindSpot, QualityLevel, ViewBand
from gis_core.models import Grid

MIN_BLIND_SPOT_M2 = 1.0  # slivers along walls smaller than this are not actionable


@dataclass
class AreaResult:
    area: Grid
    level: QualityLevel
    open_m2: float
    covered_m2: float

    @property
    def percent(self) -> float:
        return 100.0 * self.covered_m2 / self.open_m2 if self.open_m2 > 0 else 100.0


def open_space(grid: Grid, frame: LocalFrame):
    boundary = frame.to_local(grid.boundary)
    fps = frame.to_local_many(Building.objects.filter(footprint__intersects=grid.boundary)
                              .values_list("footprint", flat=True))
    return boundary.difference(shapely.union_all(fps)) if fps else boundary


def covered_by_level(grid: Grid, frame: LocalFrame, levels, open_geom, extra=()):
    """level → covered local geometry (∪ counted views of at least that level) within open space.
    `extra` adds (level ppm, local geometry) views not stored (placement what-ifs)."""
    rows = list(ViewBand.objects.counted().filter(geom__intersects=grid.boundary, level__table=levels[0].table_id)
                .values_list("level__ppm", "geom"))
    bands = list(zip([ppm for ppm, _g in rows], frame.to_local_many([g for _p, g in rows])))
    bands += list(extra)
    out, acc = {}, shapely.Polygon()
    for level in sorted(levels, key=lambda lv: -lv.ppm):  # best first: each level adds the next band
        new = [g for ppm, g in bands if ppm == level.ppm]
        if new:
            acc = shapely.union_all([acc, *new])
        out[level.pk] = acc.intersection(open_geom) if not acc.is_empty else shapely.Polygon()
    return out


def compute(grid: Grid, levels, blind_levels=(), *, changed: bool = True) -> list[AreaResult]:
    """Compute and store the coverage of a grid (level 'grid') and of its meshes at every level,
    and its blind spots at `blind_levels`. After a change (`changed`) the blind spots of the other
    levels are dropped, to be computed when first asked for (ensure_blind_spots).

    Runs in a transaction holding the grid's row lock, so two edits in one grid (two planners,
    two cameras) compute one after the other, each from the other's committed views."""
    with transaction.atomic():
        Grid.objects.select_for_update().filter(pk=grid.pk).first()
        return _compute(grid, levels, blind_levels, changed=changed)


def _compute(grid: Grid, levels, blind_levels, *, changed: bool) -> list[AreaResult]:
    frame = frame_for(round(grid.boundary.centroid.x / 3) * 3)
    open_geom = open_space(grid, frame)
    covered = covered_by_level(grid, frame, levels, open_geom)
    meshes = list(Grid.objects.meshes().current().filter(parent=grid))
    # open space per mesh, and outside every mesh, computed once for all levels
    parts = [(m, open_geom.intersection(frame.to_local(m.boundary))) for m in meshes]
    rest = open_geom.difference(shapely.union_all([frame.to_local(m.boundary) for m in meshes])) if meshes \
        else open_geom
    parts.append((None, rest))
    blind_ids = {lv.pk for lv in blind_levels}
    results, spots, memo = [], [], {}
    for level in levels:
        cov = covered[level.pk]
        results.append(AreaResult(grid, level, open_geom.area, cov.area))
        for mesh, o in parts:
            if mesh is not None:
                results.append(AreaResult(mesh, level, o.area, o.intersection(cov).area if not cov.is_empty else 0.0))
        if level.pk not in blind_ids:
            continue
        key = cov.wkb  # levels that add no band share the same pieces
        if key not in memo:
            memo[key] = [(mesh, frame.to_lonlat(p), p.area) for mesh, o in parts
                         for p in polygons(o.difference(cov) if not cov.is_empty else o) if p.area >= MIN_BLIND_SPOT_M2]
        spots += [BlindSpot(grid=grid, mesh=m, level=level, geom=g, area_m2=a) for m, g, a in memo[key]]
    ready = set(AreaCoverage.objects.filter(area=grid, level__in=levels, blind_spots_ready=True)
                .values_list("level_id", flat=True)) if not changed else set()
    ready |= blind_ids
    with transaction.atomic():
        AreaCoverage.objects.filter(area__in=[grid, *meshes], level__in=levels).delete()
        AreaCoverage.objects.bulk_create([AreaCoverage(area=r.area, level=r.level, open_m2=r.open_m2,
                                                       covered_m2=r.covered_m2,
                                                       blind_spots_ready=r.area is grid and r.level.pk in ready)
                                          for r in results])
        BlindSpot.objects.filter(grid=grid, level__in=levels if changed else list(blind_levels)).delete()
        BlindSpot.objects.bulk_create(spots, batch_size=2000)
    return results


def ensure_blind_spots(grid: Grid, level, levels) -> None:
    """Blind spots of a grid at a level, computed now if an edit dropped them (or never computed)."""
    if not AreaCoverage.objects.filter(area=grid, level=level, blind_spots_ready=True).exists():
        compute(grid, levels, [level], changed=False)


def grids_touched(geoms) -> list[Grid]:
    """Current grids (level 'grid') meeting any of these lon/lat geometries."""
    from functools import reduce
    from operator import or_

    from django.db.models import Q

    conds = [Q(boundary__intersects=g) for g in geoms if g is not None]
    if not conds:
        return []
    return list(Grid.objects.grids().current().filter(reduce(or_, conds)).order_by("code"))
