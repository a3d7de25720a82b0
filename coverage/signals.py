"""Keep views and coverage current: a camera saved or deleted, a building that cuts (or cut) a
view added, moved or removed → those cameras' views, then the coverage of the grids involved.

Bulk loads (COPY, QuerySet.update) fire no signals: run `manage.py compute_coverage` after them.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

from django.apps import apps
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

NEAR_WALL_DEG = 2e-5  # ≈2 m: cameras mounted on a changed building are recomputed too


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


def _building_changed(sender, instance, raw=False, **kwargs):
    if raw:
        return
    old = getattr(instance, "_coverage_old_fp", None)
    new = None if kwargs.get("signal") is post_delete else instance.footprint
    if old is not None and new is not None and old.equals_exact(new, tolerance=0):
        return  # attributes only (rooms, address): views and open space unchanged
    footprints = [g for g in (old, new) if g is not None]
    from coverage.models import ViewBand
    from gis_core.models import Camera

    ids: set[int] = set()
    for fp in footprints:
        ids |= set(ViewBand.objects.filter(geom__dwithin=(fp, NEAR_WALL_DEG)).values_list("camera_id", flat=True))
        ids |= set(Camera.objects.filter(location__dwithin=(fp, NEAR_WALL_DEG)).values_list("pk", flat=True))
    if ids:
        refresh_cameras(ids, extra_geoms=footprints)
    else:  # open space of the grid changed all the same
        from coverage import gridcover

        for grid in gridcover.grids_touched(footprints):
            gridcover.compute(grid, _levels())


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
