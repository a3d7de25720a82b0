"""Keep views and coverage current: a camera placed, moved or edited, a building that cuts (or cut)
a view added, moved or removed → those cameras' views, then the coverage of the grids involved.

Camera and building changes arrive from the change pipeline (gis_core/changes.py) inside the
edit's transaction, whatever made them (a save, the importer, the seed), so views commit or roll
back with the edit. A camera's delete is handled here: its views go with it (cascade), so what
they covered is read just before.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

from django.apps import apps
from django.db.models.signals import post_delete, pre_delete

NEAR_WALL_M = 2.0  # cameras mounted on (or views ending at) a changed building are recomputed


_local = threading.local()


@contextmanager
def deferred():
    """Within the block, camera changes only collect ids (add more to the yielded set); the views
    and coverage of all of them are recomputed once at the end (imports, bulk edits)."""
    touched: set[int] = set()
    _local.deferred = touched
    try:
        yield touched
    finally:
        _local.deferred = None
    refresh_cameras(touched)


def _levels():
    from coverage.fov import default_levels

    return default_levels()


def refresh_cameras(camera_ids, extra_geoms=()) -> None:  # ids or Camera instances
    """Recompute these cameras' views and the coverage of every grid their old or new views,
    their positions or `extra_geoms` touch."""
    from coverage import fov, gridcover
    from gis_core.models import Camera

    ids = [getattr(c, "pk", c) for c in camera_ids]
    if not ids:
        return
    levels = _levels()
    before = fov.view_envelope(ids)
    given = [c for c in camera_ids if isinstance(c, Camera)]
    cams = given if len(given) == len(ids) else list(Camera.objects.filter(pk__in=ids))
    fov.recompute_views(cams, levels)
    after = fov.view_envelope(ids)
    geoms = [before, after, *extra_geoms, *(c.location for c in cams)]
    for grid in gridcover.grids_touched(geoms):
        gridcover.compute(grid, levels)


def cameras_changed(sender, change, **kwargs):
    """A camera placed, moved or edited (its delete: below)."""
    if change.removed:
        return
    if getattr(_local, "deferred", None) is not None:
        _local.deferred.update(change.ids)
        return
    refresh_cameras(change.ids, extra_geoms=list(change.old.values()))


def _camera_before_delete(sender, instance, **kwargs):
    from coverage import fov

    instance._coverage_envelope = fov.view_envelope([instance.pk])
    instance._coverage_boxes = fov._boxes_of([instance.pk]).get(instance.pk, [])


def _camera_deleted(sender, instance, **kwargs):
    from coverage import fov, gridcover

    fov._invalidate_tiles(getattr(instance, "_coverage_boxes", []))
    levels = _levels()
    for grid in gridcover.grids_touched([getattr(instance, "_coverage_envelope", None), instance.location]):
        gridcover.compute(grid, levels)


# For each changed footprint (u.n its index): views meeting it (within NEAR_WALL_M metres, on the
# ellipsoid) and cameras mounted on it. The `&&` box (≈0.0001°, ≥ 5 m up to 60° N) only lets the
# GiST indexes answer first.
_AFFECTED_CAMERAS = """
WITH f AS (SELECT u.n, ST_GeomFromEWKB(u.g) AS fp FROM unnest(%(fps)s::bytea[]) WITH ORDINALITY AS u(g, n))
SELECT v.camera_id, f.n FROM f JOIN coverage_viewband v
    ON v.geom && ST_Expand(f.fp, 0.0001) AND ST_DWithin(v.geom::geography, f.fp::geography, %(d)s)
UNION SELECT c.id, f.n FROM f JOIN gis_core_camera c
    ON c.location_3857 && ST_Expand(ST_Transform(f.fp, 3857), 20) AND ST_DWithin(c.location::geography, f.fp::geography, %(d)s)
"""
# Coverage numbers and blind spots of the grids and meshes the footprints meet are dropped; they
# are computed again when next asked for (an import of thousands of buildings must not recompute
# a grid per building).
_DROP_COVERAGE = """
WITH g AS (SELECT DISTINCT id, parent_id FROM gis_core_grid, unnest(%(fps)s::bytea[]) AS u(fp)
           WHERE ST_Intersects(boundary, ST_GeomFromEWKB(u.fp))),
a AS (DELETE FROM coverage_areacoverage WHERE area_id IN (SELECT id FROM g UNION SELECT parent_id FROM g) RETURNING 1),
b AS (DELETE FROM coverage_blindspot WHERE grid_id IN (SELECT coalesce(parent_id, id) FROM g) RETURNING 1)
SELECT (SELECT count(*) FROM a), (SELECT count(*) FROM b)
"""


def buildings_moved(sender, change, **kwargs):
    """Buildings added, moved or removed (set-based, one query for all of them): cameras whose view
    one meets, or that are mounted on one, get their views recomputed with the grids involved; the
    coverage of grids that only the open space changed in is dropped, to be computed when read."""
    if not change.moved:
        return  # attributes only (floors, address): views and open space unchanged
    from django.db import connection

    footprints = [g for g in (*change.old.values(), *change.new.values()) if g is not None]
    if not footprints:
        return
    fps = [bytes(g.ewkb) for g in footprints]
    with connection.cursor() as cur:
        cur.execute(_AFFECTED_CAMERAS, {"fps": fps, "d": NEAR_WALL_M})
        rows = cur.fetchall()
        near = {n - 1 for _, n in rows}
        lone = [fp for i, fp in enumerate(fps) if i not in near]
        if lone:
            cur.execute(_DROP_COVERAGE, {"fps": lone})
    if rows:
        refresh_cameras({cid for cid, _ in rows}, extra_geoms=[footprints[i] for i in sorted(near)])


def connect() -> None:
    from gis_core.changes import located_written

    camera = apps.get_model("gis_core.Camera")
    building = apps.get_model("buildings.Building")
    located_written.connect(cameras_changed, sender=camera, dispatch_uid="coverage-cameras")
    located_written.connect(buildings_moved, sender=building, dispatch_uid="coverage-buildings")
    pre_delete.connect(_camera_before_delete, sender=camera, dispatch_uid="coverage-cam-predel")
    post_delete.connect(_camera_deleted, sender=camera, dispatch_uid="coverage-cam-del")
