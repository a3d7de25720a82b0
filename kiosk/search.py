"""Vacant-room search for kiosks, building QR pages and phones: the domain query, no HTTP.

Rooms are found through their building: community, grid or building narrow the search (a kiosk
always searches its own community), then rent, area and floor ranges.

The query must stay fast at city scale (millions of rooms), where one community alone can have
tens of thousands of vacant rooms. So it never collects all matches to sort them:

* by distance (the kiosk's default): buildings stream out of the GiST index of their EPSG:3857
  footprints in KNN order (`<->`), each building's vacant rooms are joined LATERAL in floor and
  number order, and the scan stops once a page is full;
* by rent or area: the partial indexes `room_vacant_rent` / `room_vacant_area` (vacant rooms only)
  are walked in order, keeping the rooms whose building is in scope.

Distances are metres on the ellipsoid between the point and the building's anchor point (a point
inside its footprint). Walking distance is the length of the walking route along the basemap's
alleys (routes/: one Dijkstra search for a page's buildings, closed gates avoided); where no
network covers the building, the straight line times a detour factor (through 2–4 m alleys the
walk is about a quarter longer).

Counting uses the buildings' trigger-kept vacancy counters when no room-level filter applies.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from django.contrib.gis.geos import Point
from psycopg import sql

from replicas.routing import read_connection

WALK_DETOUR = 1.25
SORTS = {"distance", "rent", "-rent", "area", "-area"}
_ROOM_ORDER = {"rent": "r.rent_monthly, r.id", "-rent": "r.rent_monthly DESC, r.id DESC",
               "area": "r.area_m2, r.id", "-area": "r.area_m2 DESC, r.id DESC"}


@dataclass(frozen=True)
class RoomQuery:
    community_id: int | None = None
    grid_id: int | None = None
    grid_level: str | None = None
    building_id: int | None = None
    rent_min: int | None = None
    rent_max: int | None = None
    area_min: float | None = None
    area_max: float | None = None
    floor_min: int | None = None
    floor_max: int | None = None
    near: Point | None = None
    sort: str = "distance"

    def replace(self, **changes) -> RoomQuery:
        return RoomQuery(**{**{f.name: getattr(self, f.name) for f in fields(self)}, **changes})

    @property
    def room_filtered(self) -> bool:
        return any(v is not None for v in (self.rent_min, self.rent_max, self.area_min, self.area_max,
                                            self.floor_min, self.floor_max))


def _building_scope(q: RoomQuery, *, community: bool = True) -> tuple[list[sql.Composable], list]:
    # Only buildings with a vacant room (trigger-kept counter): in a let-out village most
    # buildings are full, and each one skipped is an index probe saved.
    where, params = [sql.SQL("b.vacant_count > 0")], []
    if q.building_id is not None:
        where.append(sql.SQL("b.id = %s"))
        params.append(q.building_id)
    if community and q.community_id is not None:
        where.append(sql.SQL("b.community_id = %s"))
        params.append(q.community_id)
    if q.grid_id is not None:
        where.append(sql.SQL("b.mesh_id = %s" if q.grid_level == "mesh" else "b.grid_id = %s"))
        params.append(q.grid_id)
    return where, params


def _room_filters(q: RoomQuery, *, community: bool = False) -> tuple[list[sql.Composable], list]:
    where, params = [sql.SQL("r.status = 'vacant'")], []
    if community and q.community_id is not None:
        where.append(sql.SQL("r.community_id = %s"))  # the room_vacant_comm_* indexes lead with it
        params.append(q.community_id)
    for column, op, value in (("rent_monthly", ">=", q.rent_min), ("rent_monthly", "<=", q.rent_max),
                              ("area_m2", ">=", q.area_min), ("area_m2", "<=", q.area_max),
                              ("floor", ">=", q.floor_min), ("floor", "<=", q.floor_max)):
        if value is not None:
            # Rent and area are numeric columns: a float parameter would turn the comparison into
            # float8 (column cast per row) and the (community, area) index could not serve it.
            cast = sql.SQL("::numeric" if column in ("rent_monthly", "area_m2") else "")
            where.append(sql.SQL("r.{} {} %s{}").format(sql.Identifier(column), sql.SQL(op), cast))
            params.append(value)
    return where, params


# What a result shows (a building's stored anchor: its map point); distances for the page's rows only.
_SELECT = sql.SQL("""
    r.id, b.id AS building_id, r.floor, r.number, r.area_m2::float8 AS area_m2, r.rent_monthly::int AS rent, r.capacity,
    b.code AS building, b.address, g.code AS grid, g.name AS grid_name,
    CASE WHEN l.phone_consent AND l.consent_at IS NOT NULL AND l.phone <> '' THEN l.phone END AS landlord_phone,
    ST_X(b.anchor) AS lon, ST_Y(b.anchor) AS lat, r.description,
    ARRAY(SELECT p.id FROM buildings_roomphoto p WHERE p.room_id = r.id ORDER BY p.position, p.id) AS photo_ids""")
_JOINS = sql.SQL("""
    LEFT JOIN gis_core_grid g ON g.id = b.grid_id
    LEFT JOIN buildings_landlord l ON l.id = b.landlord_id""")


def search(q: RoomQuery, *, offset: int = 0, limit: int = 20) -> list[dict]:
    """One page of vacant rooms as dicts (see _SELECT), with distance_m/walk_m when `near` is set."""
    by_distance = q.sort == "distance" and q.near is not None
    # Buildings lead the distance order (KNN), rooms lead the rent and area orders: the community
    # is filtered on whichever side the query starts from, where an index has it first.
    b_where, b_params = _building_scope(q, community=by_distance)
    r_where, r_params = _room_filters(q, community=not by_distance)
    distance = sql.SQL(", NULL::float8 AS distance_m")
    d_params: list = []
    if q.near is not None:
        distance = sql.SQL(", ST_Distance(b.anchor::geography, "
                           "ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography) AS distance_m")
        d_params = [q.near.x, q.near.y]

    parts = {"select": _SELECT, "distance": distance, "joins": _JOINS,
             "b_where": sql.SQL(" AND ").join(b_where),
             "r_where": sql.SQL(" AND ").join(r_where)}
    if by_distance:
        query = sql.SQL("""
            SELECT {select}{distance}
              FROM (SELECT b.*, b.footprint_3857 <-> ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 4326), 3857) AS knn
                      FROM buildings_building b
                     WHERE {b_where}
                     ORDER BY knn) b
              CROSS JOIN LATERAL (SELECT * FROM buildings_room r WHERE r.building_id = b.id AND {r_where}) r
              {joins}
             ORDER BY b.knn, b.id, r.floor, r.number
             LIMIT %s OFFSET %s""").format(**parts)
        params = [*d_params, q.near.x, q.near.y, *b_params, *r_params, limit, offset]
    else:
        query = sql.SQL("""
            SELECT {select}{distance}
              FROM buildings_room r JOIN buildings_building b ON b.id = r.building_id
              {joins}
             WHERE {r_where} AND {b_where}
             ORDER BY {order}
             LIMIT %s OFFSET %s""").format(order=sql.SQL(_ROOM_ORDER.get(q.sort, "b.code, r.floor, r.number")),
                                           **parts)
        params = [*d_params, *r_params, *b_params, limit, offset]
    with read_connection().cursor() as cur:
        cur.execute(query.as_string(cur.connection), params)
        columns = [c.name for c in cur.description]
        rows = [dict(zip(columns, row)) for row in cur.fetchall()]
    walks = _walks(q, rows)
    for row in rows:
        straight = None if row["distance_m"] is None else row["distance_m"] * WALK_DETOUR
        row["walk_m"] = walks.get(row["building_id"], straight)
    return rows


def _walks(q: RoomQuery, rows: list[dict]) -> dict[int, float]:
    """Walking metres along the alleys (routes/, one search for the page's buildings); where the
    basemap has no network, the straight-line estimate stays."""
    if q.near is None or not rows:
        return {}
    from replicas.routing import current
    from routes.services import lengths

    return lengths((q.near.x, q.near.y), [row["building_id"] for row in rows], using=current())


def count_vacant(q: RoomQuery) -> int:
    """How many rooms match. Without room-level filters this sums the buildings' vacancy counters
    (kept by a trigger): a few thousand building rows instead of tens of thousands of rooms."""
    if q.room_filtered:
        # Rooms of one community in the index (community, rent/area) INCLUDE the other filters.
        r_where, r_params = _room_filters(q, community=True)
        b_where, b_params = _building_scope(q, community=False)
        if q.building_id is None and q.grid_id is None:
            query = sql.SQL("SELECT count(*) FROM buildings_room r WHERE {}").format(sql.SQL(" AND ").join(r_where))
            params = r_params
        else:
            query = sql.SQL("SELECT count(*) FROM buildings_room r JOIN buildings_building b ON b.id = r.building_id"
                            " WHERE {} AND {}").format(sql.SQL(" AND ").join(r_where), sql.SQL(" AND ").join(b_where))
            params = [*r_params, *b_params]
    else:
        b_where, b_params = _building_scope(q)
        query = sql.SQL("SELECT coalesce(sum(b.vacant_count), 0) FROM buildings_building b WHERE {}").format(
            sql.SQL(" AND ").join(b_where))
        params = b_params
    with read_connection().cursor() as cur:
        cur.execute(query.as_string(cur.connection), params)
        return int(cur.fetchone()[0])
