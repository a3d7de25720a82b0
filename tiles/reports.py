"""The `reports` tile layer's own invalidation (the layer: tiles/layers.py, the view: reports'
migration 0007). Lives here, with the listeners: the reports app writes, and imports no listener. The change pipeline tombstones the tiles around a report's point; a sensitive category's
reports are drawn at their mesh's label point, so those tiles go too. Making a category
sensitive (or not) moves all its open reports: their tiles go at once, not at midnight."""

from __future__ import annotations

from django.db import connection, transaction

# EPSG:3857 points where the layer may draw these reports: their mesh's (or grid's) label point,
# and with `own` their own point too.
_POINTS = ("SELECT DISTINCT ST_X(g.label_3857), ST_Y(g.label_3857) FROM reports_report r"
           " JOIN gis_core_grid g ON g.id = coalesce(r.mesh_id, r.grid_id) WHERE r.id = ANY(%s)")
# Only a sensitive category's reports are drawn there (an ordinary one's point is the pipeline's):
# half the tombstones of an escalation batch of ordinary reports.
_SENSITIVE = " AND r.category_id IN (SELECT id FROM reports_category WHERE sensitive)"
_OWN = " UNION SELECT ST_X(r.location_3857), ST_Y(r.location_3857) FROM reports_report r WHERE r.id = ANY(%s)"


def _boxes(ids: list[int], own: bool = False) -> list[tuple]:
    """With `own` (a category switched sensitive or not), every mesh point and own point of the
    reports; without, the mesh points of the sensitive ones."""
    with connection.cursor() as cur:
        cur.execute(_POINTS + _OWN if own else _POINTS + _SENSITIVE, [ids, ids] if own else [ids])
        return [(x, y, x, y) for x, y in cur.fetchall()]


def _invalidate(boxes) -> None:
    from tiles import cache
    from tiles.invalidation import keys_for
    from tiles.layers import LAYERS

    if boxes:
        cache.invalidate(keys_for(boxes, [LAYERS["reports"]]))


def report_changed(sender, change, **kwargs) -> None:
    """After the commit of a report's change: the tiles of its mesh point (its own point's tiles
    are the pipeline's)."""
    if change.model == "reports.Report" and change.ids:
        _invalidate(_boxes(list(change.ids)))


def category_changed(sender, instance, created, **kwargs) -> None:
    if created:
        return
    ids = list(instance.reports.filter(status__in=instance.reports.model.OPEN).values_list("pk", flat=True))
    if ids:
        boxes = _boxes(ids, own=True)
        transaction.on_commit(lambda: _invalidate(boxes))


def connect() -> None:
    from django.apps import apps
    from django.db.models.signals import post_save

    from gis_core import changes

    if not apps.is_installed("reports"):
        return
    Category = apps.get_model("reports", "Category")

    changes.located_changed.connect(report_changed, dispatch_uid="reports-tiles-mesh")
    post_save.connect(category_changed, sender=Category, dispatch_uid="reports-tiles-category")
