"""Keep views and coverage current: a camera saved or deleted, a building that cuts (or cut) a
view added, moved or removed → those cameras' views, then the coverage of the grids involved.

Bulk loads (COPY, QuerySet.update) fire no signals: run `manage.py compute_coverage` after them.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

from django.apps import apps
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

NEAR_WALL_M = 2.0  # cameras mounted on (or views ending at) a changed building are recomputed


_local = threading.local()


@contextmanager
def deferred():
    """Within the block, camera saves only collect ids (add more to the yielded set); the views and
    coverage of all of them are recomputed once at the end (imports, bulk edits)."""
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
    levels = _levels()
    before = fov.view_envelope(ids)
    given = [c for c in camera_ids if isinstance(c, Camera)]
    cams = given if len(given) == len(ids) else list(Camera.objects.filter(pk__in=ids))
    fov.recompute_views(cams, levels)
    after = fov.view_envelope(ids)
    geoms = [before, after, *extra_geoms, *(c.location for c in cams)]
    for grid in gridcover.grids_touched(geoms):
        gridcover.compute(grid, levels)


def _camera_saved(sender, instance, raw=False, **kwargs):
    if raw:
        return
    if getattr(_local, "deferred", None) is not None:
        _local.deferred.add(instance.pk)
        return
    refresh_cameras([instance], extra_geoms=[getattr(instance, "_coverage_old_location", None)])


def _camera_before_save(sender, instance, **kwargs):
    instance._coverage_old_location = (
        sender.objects.filter(pk=instance.pk).values_list("location", flat=True).first() if instance.pk else None)


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


def _building_before_save(sender, instance, **kwargs):
    instance._coverage_old_fp = (
        sender.objects.filter(pk=instance.pk).values_list("footprint", flat=True).first() if instance.pk else None)


# Views meeting the footprint (within NEAR_WALL_M metres, on the ellipsoid) and cameras mounted on
# it. The `&&` box (≈0.0001°, ≥ 5 m up to 60° N) only lets the GiST indexes answer first.
_AFFECTED_CAMERAS = (
    "SELECT camera_id FROM coverage_viewband WHERE geom && ST_Expand(%(fp)s::geometry, 0.0001)"
    " AND ST_DWithin(geom::geography, %(fp)s::geometry::geography, %(d)s)"
    " UNION SELECT id FROM gis_core_camera WHERE location_3857 && ST_Expand(ST_Transform(%(fp)s::geometry, 3857), 20)"
    " AND ST_DWithin(location::geography, %(fp)s::geometry::geography, %(d)s)"
)
# Coverage numbers and blind spots of the grids and meshes a footprint meets are dropped; they are
# computed again when next asked for (an import of thousands of buildings must not recompute a
# grid per building).
_DROP_COVERAGE = (
    "WITH g AS (SELECT id, parent_id FROM gis_core_grid WHERE ST_Intersects(boundary, %(fp)s::geometry)),"
    " a AS (DELETE FROM coverage_areacoverage WHERE area_id IN (SELECT id FROM g UNION SELECT parent_id FROM g)"
    " RETURNING 1),"
    " b AS (DELETE FROM coverage_blindspot WHERE grid_id IN (SELECT coalesce(parent_id, id) FROM g) RETURNING 1)"
    " SELECT (SELECT count(*) FROM a), (SELECT count(*) FROM b)"
)


def _building_changed(sender, instance, raw=False, **kwargs):
    if raw:
        return
    old = getattr(instance, "_coverage_old_fp", None)
    new = None if kwargs.get("signal") is post_delete else instance.footprint
    if old is not None and new is not None and old.equals_exact(new, tolerance=0):
        return  # attributes only (rooms, address): views and open space unchanged
    from django.db import connection

    footprints = [g for g in (old, new) if g is not None]
    ids: set[int] = set()
    with connection.cursor() as cur:
        for fp in footprints:
            cur.execute(_AFFECTED_CAMERAS, {"fp": fp.ewkb, "d": NEAR_WALL_M})
            ids |= {row[0] for row in cur.fetchall()}
            if not ids:
                cur.execute(_DROP_COVERAGE, {"fp": fp.ewkb})
    if ids:
        refresh_cameras(ids, extra_geoms=footprints)


def _building_deleted(sender, instance, **kwargs):
    instance._coverage_old_fp = instance.footprint
    _building_changed(sender, instance, signal=post_delete)


def connect() -> None:
    camera = apps.get_model("gis_core.Camera")
    building = apps.get_model("buildings.Building")
    pre_save.connect(_camera_before_save, sender=camera, dispatch_uid="coverage-cam-pre")
    post_save.connect(_camera_saved, sender=camera, dispatch_uid="coverage-cam-post")
    pre_delete.connect(_camera_before_delete, sender=camera, dispatch_uid="coverage-cam-predel")
    post_delete.connect(_camera_deleted, sender=camera, dispatch_uid="coverage-cam-del")
    pre_save.connect(_building_before_save, sender=building, dispatch_uid="coverage-bld-pre")
    post_save.connect(_building_changed, sender=building, dispatch_uid="coverage-bld-post")
    post_delete.connect(_building_deleted, sender=building, dispatch_uid="coverage-bld-del")
