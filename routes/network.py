"""Build an extract's walking network from its basemap ways (one transaction, a few statements).

1. Walkable ways (not motorways or trunk roads) are cut at every crossing with ST_Node — after a
   way ending on another (a T junction) has been given a vertex there (ST_Snap to the ends of
   the ways around it, 5 cm): in floating point an end "on" a line is rarely exactly on it.
2. A piece that passes through a wall anywhere but at a gate is dropped: walls are barriers.
3. A piece through a gate (within 10 cm: OSM maps a gate as a node on both the wall and the
   path) is cut there, and both halves carry the gate: while it is closed, routes leave them out,
   so the gate's node is reached from neither side — a route to a building just inside cannot
   slip through a closed gate on the last, partial edge.
4. End points become nodes (to the centimetre), pieces become edges with their length in metres.

A survey's layers (an extract whose `base` is another, basemap/survey/) join their base's
network: the ways, walls and gates of the base and of every survey on it make one network, kept
under the base. So a surveyed alley connects to the OSM streets, and a surveyed wall cuts them.
"""

from __future__ import annotations

from django.db import connection, transaction

WALKABLE_EXCLUDED = ("motorway", "motorway_link", "trunk", "trunk_link")
SNAP_DEG = 1e-7  # ≈ 1 cm: end points closer than this are one node
GATE_DEG = 1e-6  # ≈ 10 cm: a gate this close to a piece is on it
TEE_DEG = 5e-7  # ≈ 5 cm: a way's end this close to another way is a junction on it

_STEPS = (
    "DELETE FROM routes_edge WHERE extract_id = %(e)s",
    "DELETE FROM routes_node WHERE extract_id = %(e)s",
    """CREATE TEMP TABLE routes_ways ON COMMIT DROP AS
       SELECT id, geom FROM basemap_road WHERE extract_id = ANY(%(group)s) AND kind <> ALL(%(excluded)s)""",
    """CREATE TEMP TABLE routes_ends ON COMMIT DROP AS
       SELECT ST_StartPoint(geom) AS p FROM routes_ways UNION ALL SELECT ST_EndPoint(geom) FROM routes_ways""",
    "CREATE INDEX ON routes_ends USING gist (p)",
    """CREATE TEMP TABLE routes_pieces ON COMMIT DROP AS
       SELECT (ST_Dump(ST_Node(ST_Collect(coalesce(
                 ST_Snap(w.geom, (SELECT ST_Collect(p) FROM routes_ends WHERE p && ST_Expand(w.geom, %(tee)s)), %(tee)s),
                 w.geom))))).geom AS geom
         FROM routes_ways w""",
    """DELETE FROM routes_pieces p USING basemap_barrier b
        WHERE b.extract_id = ANY(%(group)s) AND b.geom && p.geom AND ST_Crosses(p.geom, b.geom)
          AND EXISTS (SELECT 1 FROM ST_Dump(ST_Intersection(p.geom, b.geom)) x
                       WHERE NOT EXISTS (SELECT 1 FROM basemap_gate g WHERE g.extract_id = ANY(%(group)s)
                                            AND ST_DWithin(g.geom, x.geom, %(gate)s)))""",
    """CREATE TEMP TABLE routes_cut ON COMMIT DROP AS
       SELECT (ST_Dump(CASE WHEN g.pts IS NULL THEN p.geom
                            ELSE ST_Split(ST_Snap(p.geom, g.pts, %(gate)s), g.pts) END)).geom AS geom
         FROM routes_pieces p
         LEFT JOIN LATERAL (SELECT ST_Collect(geom) AS pts FROM basemap_gate
                             WHERE extract_id = ANY(%(group)s) AND ST_DWithin(geom, p.geom, %(gate)s)) g ON true""",
    "DROP TABLE routes_pieces",
    "ALTER TABLE routes_cut RENAME TO routes_pieces",
    """INSERT INTO routes_node (extract_id, geom)
       SELECT DISTINCT %(e)s, ST_SnapToGrid(p, %(snap)s) FROM (
         SELECT ST_StartPoint(geom) AS p FROM routes_pieces UNION ALL SELECT ST_EndPoint(geom) FROM routes_pieces) x""",
    """CREATE TEMP TABLE routes_nodes_key ON COMMIT DROP AS
       SELECT id, ST_AsBinary(geom) AS k FROM routes_node WHERE extract_id = %(e)s""",
    """INSERT INTO routes_edge (extract_id, source, target, length_m, gate_id, geom)
       SELECT %(e)s, s.id, t.id, ST_Length(p.geom::geography),
              (SELECT g.id FROM basemap_gate g WHERE g.extract_id = ANY(%(group)s)
                  AND (ST_DWithin(g.geom, ST_StartPoint(p.geom), %(gate)s) OR ST_DWithin(g.geom, ST_EndPoint(p.geom), %(gate)s))
                ORDER BY g.geom <-> p.geom LIMIT 1),
              p.geom
         FROM routes_pieces p
         JOIN routes_nodes_key s ON s.k = ST_AsBinary(ST_SnapToGrid(ST_StartPoint(p.geom), %(snap)s))
         JOIN routes_nodes_key t ON t.k = ST_AsBinary(ST_SnapToGrid(ST_EndPoint(p.geom), %(snap)s))
        WHERE s.id <> t.id""",
    "DROP TABLE routes_pieces",
    "DROP TABLE routes_nodes_key",
    "DROP TABLE routes_ends",
    "DROP TABLE routes_ways",
)


def group(extract_id: int) -> list[int]:
    """The extract and the surveys that join it: whose ways make its network."""
    from basemap.models import Extract

    return [extract_id, *Extract.objects.filter(base_id=extract_id).values_list("pk", flat=True)]


def clear(extract_id: int) -> None:
    with connection.cursor() as cur:
        cur.execute("DELETE FROM routes_edge WHERE extract_id = %s", [extract_id])
        cur.execute("DELETE FROM routes_node WHERE extract_id = %s", [extract_id])


def build(extract_id: int) -> int:
    """Rebuild the extract's network (with its surveys' ways); returns its number of edges."""
    params = {"e": extract_id, "group": group(extract_id), "excluded": list(WALKABLE_EXCLUDED), "snap": SNAP_DEG,
              "gate": GATE_DEG, "tee": TEE_DEG}
    with transaction.atomic(), connection.cursor() as cur:
        for step in _STEPS:
            cur.execute(step, params)
        cur.execute("SELECT count(*) FROM routes_edge WHERE extract_id = %s", [extract_id])
        return cur.fetchone()[0]


NETWORK_TABLES = frozenset({"basemap_road", "basemap_barrier", "basemap_gate"})


def on_extract_replaced(sender, extract_id: int, models=(), **kwargs) -> None:
    """Rebuild the network the extract belongs to (its base's, for a survey) — unless only
    features no route uses (water, landuse) changed."""
    from basemap.models import Extract

    if models and not {m._meta.db_table for m in models} & NETWORK_TABLES:
        return
    base = Extract.objects.filter(pk=extract_id).values_list("base_id", flat=True).first()
    if base:
        clear(extract_id)  # a survey joined to a base keeps no network of its own
    build(base or extract_id)
