"""Keep the spatially derived links current: which community, grid and mesh a thing lies in.

Every located model (buildings, cameras, kiosks, patrol points) gets its grid and mesh — and,
where the model says so, its community — from its geometry, never by hand. A building is placed
by its anchor, ST_PointOnSurface of its footprint (the stored `anchor` column) — a point
guaranteed inside the footprint, so an L-shaped building is never placed by a centroid that falls
in the neighbour's yard; a footprint cut by a grid boundary is a planning error that the planner
map reports, not something this lookup has to resolve. Where boundaries overlap, the first
community by code and the first grid by id win.

The updates are single set-based statements (one UPDATE for any number of rows) that write only
the rows whose placement changes and return their ids. They are called by the change pipeline
(gis_core/changes.py) after a save, a bulk load or a boundary edit — not directly.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.utils import timezone
from psycopg import sql

from gis_core.rules import current_grid_sql
from gis_core.spatial import PointOnSurface

# Models whose grid is derived from their location (app_label.Model): re-placed when a boundary moves.
LOCATED_MODELS = ("buildings.Building", "gis_core.Camera", "kiosk.Kiosk", "reports.PatrolPoint", "safety.Incident")
# Models whose community, too, follows the geometry (a camera's or kiosk's is chosen by hand).
COMMUNITY_FROM_LOCATION = frozenset({"buildings.Building", "reports.PatrolPoint", "reports.Report", "safety.Incident"})

# The point that places a row, by the geometry column the model has: a building's stored anchor
# (buildings.Building.anchor, ST_PointOnSurface of the footprint), a point feature's location.
_ANCHOR_COLUMN = {"footprint": "anchor", "location": "location"}
# The stored EPSG:3857 column of each located model's geometry: its GiST index finds the rows under
# an area's box before any anchor is tested.
_INDEXED_3857 = {"footprint": "footprint_3857", "location": "location_3857"}


def _fields(model) -> set[str]:
    return {f.name for f in model._meta.concrete_fields}


def anchor_column(model) -> str:
    """The column holding the point that places rows of `model` in a community, grid and mesh."""
    names = _fields(model)
    for geometry, anchor in _ANCHOR_COLUMN.items():
        if geometry in names:
            return anchor
    raise TypeError(f"{model.__name__} has no footprint or location to place in a grid")


def _community_at(point: sql.Composable) -> sql.Composable:
    """The community a point lies in (a scalar subquery)."""
    from gis_core.models import Community

    return sql.SQL("(SELECT c.id FROM {communities} c WHERE ST_Covers(c.boundary, {point})"
                   " ORDER BY c.code LIMIT 1)").format(communities=sql.Identifier(Community._meta.db_table),
                                                       point=point)


def communities_at(ewkbs: list[bytes]) -> list[int | None]:
    """The community each geometry (EWKB; one not stored, or no longer) is placed in, in order: the
    one covering its anchor (ST_PointOnSurface, as the stored `anchor` column); None outside every
    community. One statement for any number."""
    query = sql.SQL(
        "SELECT {community} FROM unnest(%s::bytea[]) WITH ORDINALITY AS u(g, n) ORDER BY u.n"
    ).format(community=_community_at(sql.SQL(PointOnSurface.function) + sql.SQL("(ST_GeomFromEWKB(u.g))")))
    with connection.cursor() as cur:
        cur.execute(query.as_string(cur.connection), [list(ewkbs)])
        return [row[0] for row in cur.fetchall()]


def _update(model, where: sql.Composable, params: list, *, set_community: bool) -> set[int]:
    """Recompute community (optionally), grid and mesh for the rows of `model` matching `where`
    (over alias t); returns the ids of the rows whose placement changed."""
    from gis_core.models import Grid

    names = _fields(model)
    table = sql.Identifier(model._meta.db_table)
    anchor = sql.SQL("t.") + sql.Identifier(anchor_column(model))
    # "Current" in the community's local calendar (settings.TIME_ZONE), not the session's UTC date.
    current = sql.SQL(current_grid_sql("g", "{d}")).format(d=sql.Literal(timezone.localdate()))

    def lookup(level: str) -> sql.Composable:
        return sql.SQL(
            "(SELECT g.id FROM {grids} g WHERE g.level = {level} AND g.community_id = t.community_id"
            " AND {current} AND ST_Covers(g.boundary, {anchor}) ORDER BY g.id LIMIT 1)"
        ).format(grids=sql.Identifier(Grid._meta.db_table), level=sql.Literal(level), current=current,
                 anchor=anchor)

    def write(cur, columns: list[tuple[str, sql.Composable]]) -> set[int]:
        """SET each column to its lookup where any differs; only those rows are written (a boundary
        edit re-places a few dozen buildings, not every one under it)."""
        cols = [sql.Identifier(c) for c, _ in columns]
        cur.execute(sql.SQL(
            "WITH placed AS (SELECT t.id, {lookups} FROM {table} t WHERE {where})"
            " UPDATE {table} t SET {sets} FROM placed p WHERE t.id = p.id"
            " AND ROW({old}) IS DISTINCT FROM ROW({new}) RETURNING t.id"
        ).format(
            table=table, where=where,
            lookups=sql.SQL(", ").join(sql.SQL("{} AS {}").format(expr, col) for col, (_, expr) in zip(cols, columns)),
            sets=sql.SQL(", ").join(sql.SQL("{c} = p.{c}").format(c=col) for col in cols),
            old=sql.SQL(", ").join(sql.SQL("t.") + col for col in cols),
            new=sql.SQL(", ").join(sql.SQL("p.") + col for col in cols),
        ).as_string(cur.connection), params)
        return {row[0] for row in cur.fetchall()}

    changed: set[int] = set()
    with connection.cursor() as cur:
        if set_community:
            # Community first, in its own statement, so the grid lookup below sees the new value;
            # a row outside every community keeps the one it has.
            changed |= write(cur, [("community_id", sql.SQL("coalesce({}, t.community_id)").format(_community_at(anchor)))])
        levels = [("grid_id", lookup("grid"))] + ([("mesh_id", lookup("mesh"))] if "mesh" in names else [])
        changed |= write(cur, levels)
    return changed


def assign_points(model, ids: Iterable[int], *, set_community: bool = False) -> set[int]:
    """Place the given rows of `model` in their grid and mesh (and community, when asked)."""
    ids = [i for i in ids if i is not None]
    if not ids:
        return set()
    return _update(model, sql.SQL("t.id = ANY(%s)"), [ids], set_community=set_community)


def assign_within(model, area, community_id: int | None) -> set[int]:
    """Re-place the rows whose anchor lies in `area` (a GEOSGeometry): after a boundary moved, only
    the area it swept can change where anything lies. With a `community_id` (a grid moved), the rows
    of that community; without (a community boundary moved), every row there, and its community too
    where the model derives it."""
    columns = {f.column for f in model._meta.concrete_fields}
    column = next((c for f, c in _INDEXED_3857.items() if c in columns), None)
    where = sql.SQL("ST_Intersects(t.{anchor}, ST_GeomFromEWKT(%s))").format(anchor=sql.Identifier(anchor_column(model)))
    params = [area.ewkt]
    if column is not None:
        # A model with a stored 3857 copy: its GiST index finds the rows under the area's box first.
        where = sql.SQL("t.{col} && ST_Transform(ST_Envelope(ST_GeomFromEWKT(%s)), 3857) AND ").format(
            col=sql.Identifier(column)) + where
        params.insert(0, area.ewkt)
    if community_id is not None:
        where = sql.SQL("t.community_id = %s AND ") + where
        params.insert(0, community_id)
    return _update(model, where, params,
                   set_community=community_id is None and model._meta.label in COMMUNITY_FROM_LOCATION)


def reassign_area(area, community_id: int | None) -> dict[str, set[int]]:
    """After a boundary changed inside `area`, re-place everything located there (see assign_within):
    {model label: ids of the rows whose placement changed}."""
    from django.apps import apps

    if area is None or area.empty:
        return {}
    return {label: assign_within(apps.get_model(label), area, community_id) for label in LOCATED_MODELS}
