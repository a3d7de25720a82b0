"""Replacing an extract's features, for every writer (the OSM importer, the demo generator).

`replace_extract` runs in one transaction: it deletes every feature of the extract, lets the
writer insert the new ones, records the extract's area and counts, and refreshes the tiles over
the old and the new area when the transaction commits. Readers (tiles, routes) see either the
old set or the new one, never a mix — PostgreSQL's snapshots do the rest.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.gis.geos import GEOSGeometry
from django.db import connection, transaction
from psycopg import sql

from basemap.models import FEATURE_MODELS, Extract
from basemap.signals import extract_replaced
from tiles.extent import CELL
from tiles.invalidation import invalidate_boxes
from tiles.layers import basemap_layers

Box = tuple[float, float, float, float]


def cell_boxes(extract_id: int) -> list[Box]:
    """EPSG:3857 boxes of the extract's features, one per 2 km cell (what tiles must be refreshed over)."""
    parts = [
        sql.SQL("SELECT floor(ST_XMin(geom_3857) / {cell}) AS i, floor(ST_YMin(geom_3857) / {cell}) AS j,"
                " ST_Extent(geom_3857)::geometry AS e FROM {table} WHERE extract_id = %s GROUP BY 1, 2").format(
            table=sql.Identifier(model._meta.db_table), cell=sql.Literal(CELL))
        for model in FEATURE_MODELS
    ]
    query = sql.SQL("SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM"
                    " (SELECT ST_Extent(e) AS b FROM ({}) per_table GROUP BY i, j) per_cell").format(
        sql.SQL(" UNION ALL ").join(parts))
    with connection.cursor() as cur:
        cur.execute(query.as_string(None), [extract_id] * len(parts))
        return [tuple(row) for row in cur.fetchall()]


def counts(extract_id: int) -> dict[str, int]:
    found = {}
    with connection.cursor() as cur:
        for model in FEATURE_MODELS:
            cur.execute(sql.SQL("SELECT count(*) FROM {} WHERE extract_id = %s").format(
                sql.Identifier(model._meta.db_table)).as_string(None), [extract_id])
            found[model._meta.model_name] = cur.fetchone()[0]
    return found


def _area(extract_id: int) -> GEOSGeometry | None:
    parts = sql.SQL(" UNION ALL ").join(
        sql.SQL("SELECT ST_Extent(geom) AS e FROM {} WHERE extract_id = %s").format(sql.Identifier(m._meta.db_table))
        for m in FEATURE_MODELS)
    with connection.cursor() as cur:
        cur.execute(sql.SQL("SELECT ST_AsEWKB(ST_SetSRID(ST_Extent(e)::geometry, 4326)) FROM ({}) x").format(parts)
                    .as_string(None), [extract_id] * len(FEATURE_MODELS))
        raw = cur.fetchone()[0]
    if raw is None:
        return None
    geom = GEOSGeometry(memoryview(raw))
    return geom if geom.geom_type == "Polygon" else geom.envelope


def delete_features(extract_id: int, models=FEATURE_MODELS) -> None:
    with connection.cursor() as cur:
        for model in models:
            cur.execute(sql.SQL("DELETE FROM {} WHERE extract_id = %s").format(
                sql.Identifier(model._meta.db_table)).as_string(None), [extract_id])


def replace_extract(name: str, source: str, write: Callable[[int], None], *, models=None,
                    base: Extract | None = None) -> Extract:
    """Replace extract `name` by what `write(extract_id)` inserts, atomically.

    `models`: replace only the features of these tables (a survey re-importing its walls keeps
    its roads); default all. `base`: the extract this one joins (a survey; see Extract.base)."""
    with transaction.atomic():
        extract, _ = Extract.objects.get_or_create(name=name, defaults={"source": source})
        # Two imports of the same extract at once: the second waits here for the first.
        extract = Extract.objects.select_for_update().get(pk=extract.pk)
        if base is not None and extract.base_id != base.pk:
            extract.base = base
            extract.save(update_fields=["base"])
        old = cell_boxes(extract.pk)
        delete_features(extract.pk, models or FEATURE_MODELS)
        write(extract.pk)
        extract_replaced.send(sender=Extract, extract_id=extract.pk, models=tuple(models or FEATURE_MODELS))
        extract.source = source
        extract.area = _area(extract.pk)
        extract.counts = counts(extract.pk)
        extract.save()
        invalidate_boxes(old + cell_boxes(extract.pk), basemap_layers(), geometry_changed=True)
    return extract


def remove_extract(name: str) -> bool:
    with transaction.atomic():
        extract = Extract.objects.select_for_update().filter(name=name).first()
        if extract is None:
            return False
        old = cell_boxes(extract.pk)
        surveys = list(extract.surveys.values_list("pk", flat=True))
        delete_features(extract.pk)
        extract.delete()
        # What was derived from both must follow: the base's network without the survey's ways,
        # or a survey's own network once its base is gone.
        for other in ([extract.base_id] if extract.base_id else []) + surveys:
            extract_replaced.send(sender=Extract, extract_id=other, models=())
        invalidate_boxes(old, basemap_layers(), geometry_changed=True)
    return True
