"""Keep the spatially derived links current: which community, grid and mesh a thing lies in.

Every located model (buildings, cameras, kiosks) gets its community/grid/mesh from its
geometry, never by hand. A building is placed by ST_PointOnSurface of its footprint — a point
guaranteed inside the footprint, so an L-shaped building is never placed by a centroid that
falls in the neighbour's yard; a footprint cut by a grid boundary is a planning error that the
planner map reports, not something this lookup has to resolve.

The updates are single set-based statements (one UPDATE for any number of rows), used after a
single save, after a bulk load, and after a grid boundary moves.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.utils import timezone
from psycopg import sql

from gis_core.rules import current_grid_sql

# For each located model: the column holding its geometry and how to reduce it to a point.
_ANCHOR = {
    "footprint": "ST_PointOnSurface({col})",
    "location": "{col}",
}


def _anchor_sql(model) -> sql.Composable:
    for field, template in _ANCHOR.items():
        if any(f.name == field for f in model._meta.concrete_fields):
            return sql.SQL(template).format(col=sql.SQL("t.") + sql.Identifier(field))
    raise TypeError(f"{model.__name__} has no footprint or location to place in a grid")


def _update(model, where: sql.Composable, params: list, *, set_community: bool) -> int:
    """Recompute community (optionally), grid and mesh for the rows of `model` matching `where`."""
    from gis_core.models import Community, Grid

    has_mesh = any(f.name == "mesh" for f in model._meta.concrete_fields)
    anchor = _anchor_sql(model)
    # "Current" in the community's local calendar (settings.TIME_ZONE), not the session's UTC date.
    current = sql.SQL(current_grid_sql("g", "{d}")).format(d=sql.Literal(timezone.localdate()))
    grid_table = sql.Identifier(Grid._meta.db_table)

    def lookup(level: str) -> sql.Composable:
        return sql.SQL(
            "(SELECT g.id FROM {grids} g WHERE g.level = {level} AND g.community_id = t.community_id"
            " AND {current} AND ST_Covers(g.boundary, {anchor}) ORDER BY g.id LIMIT 1)"
        ).format(grids=grid_table, level=sql.Literal(level), current=current, anchor=anchor)

    assignments = []
    statements = []
    if set_community:
        # Community first, in its own statement, so the grid lookup below sees the new value.
        statements.append(
            sql.SQL(
                "UPDATE {table} t SET community_id = c.id FROM {communities} c"
                " WHERE ST_Covers(c.boundary, {anchor}) AND t.community_id IS DISTINCT FROM c.id AND {where}"
            ).format(
                table=sql.Identifier(model._meta.db_table),
                communities=sql.Identifier(Community._meta.db_table),
                anchor=anchor,
                where=where,
            )
        )
    assignments.append(sql.SQL("grid_id = {}").format(lookup("grid")))
    if has_mesh:
        assignments.append(sql.SQL("mesh_id = {}").format(lookup("mesh")))
    statements.append(
        sql.SQL("UPDATE {table} t SET {sets} WHERE {where}").format(
            table=sql.Identifier(model._meta.db_table), sets=sql.SQL(", ").join(assignments), where=where
        )
    )
    count = 0
    with connection.cursor() as cur:
        for stmt in statements:
            cur.execute(stmt.as_string(cur.connection), params)
        count = cur.rowcount
    return count


def assign_points(model, ids: Iterable[int], *, set_community: bool = False) -> int:
    """Place the given rows of `model` in their grid and mesh (and community, when asked)."""
    ids = [i for i in ids if i is not None]
    if not ids:
        return 0
    return _update(model, sql.SQL("t.id = ANY(%s)"), [ids], set_community=set_community)


def assign_all(model, community_id: int | None = None) -> int:
    """Place every row of `model` (optionally of one community): after a bulk load."""
    if community_id is None:
        return _update(model, sql.SQL("TRUE"), [], set_community=False)
    return _update(model, sql.SQL("t.community_id = %s"), [community_id], set_community=False)


def assign_within(model, area_wkt: str, community_id: int) -> int:
    """Re-place the rows of one community whose anchor lies in `area` (EWKT): after a boundary moved."""
    where = sql.SQL("t.community_id = %s AND ST_Intersects({anchor}, ST_GeomFromEWKT(%s))").format(
        anchor=_anchor_sql(model)
    )
    return _update(model, where, [community_id, area_wkt], set_community=False)


# Models whose grid is derived from their location (app_label.Model).
LOCATED_MODELS = ("buildings.Building", "gis_core.Camera", "kiosk.Kiosk", "reports.PatrolPoint", "safety.Incident")


def reassign_area(area, community_id: int) -> dict[str, int]:
    """After a boundary changed inside `area` (a GEOSGeometry), re-place everything located there."""
    from django.apps import apps

    return {
        label: assign_within(apps.get_model(label), area.ewkt, community_id) for label in LOCATED_MODELS
    }
