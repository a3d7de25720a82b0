"""A camera's field of view on the ground: sector, cut by buildings, minus the near blind zone,
split into quality bands; stored as ViewBand rows (one per camera, kind and level).

Fixed cameras get one `fixed` view; PTZ cameras get their current preset (`preset`, the heading,
tilt and HFOV stored on the camera) and, apart from it, their potential `sweep` (full pan, reach
at the longest focal length, no blind zone since the head can look straight down) — only fixed
views and presets count as covered.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import shapely
from django.conf import settings
from django.contrib.gis.geos import Polygon as GPolygon
from django.db import transaction
from shapely.strtree import STRtree

from coverage import optics
from coverage.frame import LocalFrame, as_multipolygon, frame_for
from coverage.models import QualityLevel, QualityTable, ViewBand
from coverage.visibility import disc, visible_region

MAX_RANGE_M = 500.0  # no view is drawn farther than this, whatever the optics


def target_height_m() -> float:
    """Height of the target the picture must contain (a standing person's head, by default)."""
    return settings.COVERAGE_TARGET_HEIGHT_M


@dataclass(frozen=True)
class Optics:
    """What the view computation needs from a camera (a Camera or a placement candidate)."""

    x: float  # local metres
    y: float
    heading: float  # grid azimuth, degrees
    hfov: float
    vfov: float
    n_h: int
    mount_height: float
    tilt: float
    range_m: float | None
    zoom_max: float = 1.0

    @classmethod
    def of(cls, camera, frame: LocalFrame) -> "Optics":
        hfov = camera.effective_hfov_deg
        vf = camera.vfov_deg or optics.vfov(hfov, camera.resolution_h, camera.resolution_v)
        x, y = frame.point(camera.location)
        return cls(x=x, y=y, heading=frame.grid_azimuth(camera.location.x, camera.location.y, camera.heading_deg),
                   hfov=hfov, vfov=vf, n_h=camera.resolution_h, mount_height=camera.mount_height_m,
                   tilt=camera.tilt_deg, range_m=camera.range_m, zoom_max=camera.ptz_zoom_max or 1.0)


def band_limits(levels: list[QualityLevel], n_h: int, hfov: float, zoom: float = 1.0
                ) -> list[tuple[QualityLevel, float, float]]:
    """(level, from, to) distances in metres, best level nearest: the level each distance gets."""
    out, start = [], 0.0
    for level in sorted(levels, key=lambda lv: -lv.ppm):
        end = optics.reach(level.ppm, n_h, hfov) * zoom
        if end > start:
            out.append((level, start, end))
            start = end
    return out


def compute_bands(o: Optics, footprints, levels, *, sweep: bool = False):
    """[(level, near, far, local geometry)] for one view; footprints in the same local frame."""
    if sweep:
        fov, heading, near, zoom = 360.0, 0.0, 0.0, o.zoom_max
        far = math.inf
    else:
        fov, heading, zoom = o.hfov, o.heading, 1.0
        ground = optics.ground_footprint(o.mount_height, o.tilt, o.vfov, target_height_m())
        near, far = ground.near_m, ground.far_m
    limits = band_limits(levels, o.n_h, o.hfov, zoom)
    if not limits:
        return []
    far = min(far, o.range_m or math.inf, limits[-1][2], MAX_RANGE_M)
    if far <= near:
        return []
    visible, (cx, cy) = visible_region(o.x, o.y, heading, fov, far, footprints, near_m=near)
    bands = []
    for level, lo, hi in limits:
        if lo >= far:
            break
        ring = disc(cx, cy, min(hi, far) + 1e-6)
        if lo > 0:
            ring = ring.difference(disc(cx, cy, lo))
        piece = visible.intersection(ring)
        if not piece.is_empty and piece.area > 1e-3:
            bands.append((level, max(lo, near), min(hi, far), piece))
    return bands


def _footprints_near(cameras, frame: LocalFrame, levels):
    """Local footprints around a set of cameras, in an STRtree."""
    from buildings.models import Building

    pts = [frame.point(c.location) for c in cameras]
    worst = min(lv.ppm for lv in levels)
    r = max(_reach_of(c, worst) for c in cameras)
    boxes = [shapely.box(x - r, y - r, x + r, y + r) for x, y in pts]
    area = shapely.union_all(boxes) if len(boxes) < 50 else shapely.box(
        min(p[0] for p in pts) - r, min(p[1] for p in pts) - r, max(p[0] for p in pts) + r, max(p[1] for p in pts) + r)
    envelope = frame.to_lonlat(shapely.envelope(area) if len(boxes) >= 50 else area)
    if envelope.geom_type == "MultiPolygon":
        qs = Building.objects.filter(footprint__bboverlaps=envelope.envelope)
    else:
        qs = Building.objects.filter(footprint__intersects=envelope)
    fps = frame.to_local_many(qs.values_list("footprint", flat=True).iterator(chunk_size=5000))
    return fps, STRtree(fps)


def _reach_of(camera, worst_ppm: float) -> float:
    """The farthest any of a camera's views can reach (the worst level's distance, or its range)."""
    n_h, hfov = camera.resolution_h, camera.effective_hfov_deg
    return min(optics.reach(worst_ppm, n_h, hfov) * max(camera.ptz_zoom_max or 1.0, 1.0),
               camera.range_m or math.inf, MAX_RANGE_M) + 1.0


def camera_views(camera, frame: LocalFrame, fps, tree, levels):
    """[(kind, level, near, far, local geometry)] of one camera."""
    if not camera.active:
        return []
    o = Optics.of(camera, frame)
    reach = min(max(lv[2] for lv in band_limits(levels, o.n_h, o.hfov, max(o.zoom_max, 1.0))),
                o.range_m or math.inf, MAX_RANGE_M)
    near = [fps[i] for i in tree.query(shapely.box(o.x - reach, o.y - reach, o.x + reach, o.y + reach))]
    out = []
    kind = ViewBand.Kind.PRESET if camera.is_ptz else ViewBand.Kind.FIXED
    out += [(kind, *b) for b in compute_bands(o, near, levels)]
    if camera.is_ptz:
        out += [(ViewBand.Kind.SWEEP, *b) for b in compute_bands(o, near, levels, sweep=True)]
    return out


def default_levels() -> list[QualityLevel]:
    from coverage.levels import ensure_tables

    ensure_tables()
    return list(QualityTable.objects.default().levels.all())


def recompute_views(cameras, levels=None) -> dict[int, list]:
    """Compute and store the views of these cameras (replacing old ones); returns camera id → the
    EPSG:3857 boxes of their old and new views (for tile invalidation)."""
    cameras = list(cameras)
    if not cameras:
        return {}
    levels = levels or default_levels()
    by_zone = defaultdict(list)
    for c in cameras:
        by_zone[frame_for(round(c.location.x / 3) * 3).epsg].append(c)
    ids = [c.pk for c in cameras]
    boxes = _boxes_of(ids)
    rows = []
    for zone_cams in by_zone.values():
        frame = frame_for(round(zone_cams[0].location.x / 3) * 3)
        fps, tree = _footprints_near(zone_cams, frame, levels)
        for cam in zone_cams:
            for kind, level, near, far, geom in camera_views(cam, frame, fps, tree, levels):
                mp = as_multipolygon(frame, geom)
                if mp is not None:
                    rows.append(ViewBand(camera=cam, kind=kind, level=level, near_m=near, far_m=far, geom=mp,
                                         area_m2=geom.area))
    with transaction.atomic():
        ViewBand.objects.filter(camera_id__in=ids).delete()
        ViewBand.objects.bulk_create(rows, batch_size=2000)
    new = _boxes_of(ids)
    for cid, bs in new.items():
        boxes.setdefault(cid, []).extend(bs)
    _invalidate_tiles([b for bs in boxes.values() for b in bs])
    return boxes


def _boxes_of(camera_ids) -> dict[int, list]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT camera_id, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM ("
                    " SELECT camera_id, ST_Extent(geom_3857) AS e FROM coverage_viewband"
                    " WHERE camera_id = ANY(%s) GROUP BY camera_id) x", [list(camera_ids)])
        out = defaultdict(list)
        for cid, *box in cur.fetchall():
            out[cid].append(tuple(box))
        return out


def _invalidate_tiles(boxes) -> None:
    from tiles.invalidation import invalidate_boxes
    from tiles.layers import LAYERS

    if boxes and "fields_of_view" in LAYERS:
        invalidate_boxes(boxes, [LAYERS["fields_of_view"]])


def view_envelope(camera_ids, *, counted_only: bool = True) -> GPolygon | None:
    """Lon/lat bounding polygon of the stored views of these cameras (None when they have none);
    by default only views that count as coverage (a PTZ sweep changes no grid's coverage)."""
    from django.contrib.gis.db.models import Extent

    qs = ViewBand.objects.counted() if counted_only else ViewBand.objects.all()
    ext = qs.filter(camera_id__in=camera_ids).aggregate(e=Extent("geom"))["e"]
    return GPolygon.from_bbox(ext) if ext else None
