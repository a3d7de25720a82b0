"""One SQL statement per tile: every requested layer's ST_AsMVT, concatenated.

    WITH env AS (SELECT ST_TileEnvelope(z, x, y) AS tile,
                        ST_TileEnvelope(z, x, y, margin => buffer / extent) AS area)
    SELECT (layer 1 MVT) || (layer 2 MVT) || …

Each layer selects rows whose *stored* EPSG:3857 geometry intersects the margin-widened envelope
(`&&`, answered by the column's GiST index), clips them with ST_AsMVTGeom, and encodes them with
its table id as the feature id. Only z, x, y and the caps are parameters; identifiers are quoted
and the attribute expressions are fixed code from tiles/layers.py. The statement text depends
only on the zoom band and the set of layers, so tiles/service.py prepares it once per connection.
"""

from __future__ import annotations

from functools import lru_cache

from psycopg import sql

from tiles.layers import BUFFER, EXTENT, Layer


def _layer_sql(layer: Layer, z: int) -> sql.Composable:
    cap = layer.cap_for(z)
    columns = sql.SQL(", ").join(
        sql.SQL("{expr} AS {name}").format(expr=sql.SQL(expr), name=sql.Identifier(name))
        for name, (expr, _type) in layer.fields_for(z).items()
    )
    geom = sql.SQL("t.") + sql.Identifier(layer.geometry_for(z))
    return sql.SQL(
        "(SELECT coalesce(ST_AsMVT(q, {name}, {extent}, 'geom', 'id'), ''::bytea) FROM ("
        "SELECT t.id, {columns}, ST_AsMVTGeom({geom}, env.tile, {extent}, {buffer}, true) AS geom"
        " FROM {table} t {join}, env WHERE {geom} && env.area {where} {order} {limit}"
        ") q WHERE q.geom IS NOT NULL)"
    ).format(
        name=sql.Literal(layer.name),
        extent=sql.Literal(EXTENT),
        buffer=sql.Literal(BUFFER),
        columns=columns,
        geom=geom,
        table=sql.Identifier(layer.table),
        join=sql.SQL(layer.join),
        where=sql.SQL("AND " + layer.where_for(z) if layer.where_for(z) else ""),
        order=sql.SQL("ORDER BY " + layer.order_by if layer.order_by and cap else ""),
        limit=sql.SQL("LIMIT %s") if cap else sql.SQL(""),
    )


@lru_cache(maxsize=256)
def tile_query(layers: tuple[Layer, ...], z: int) -> tuple[str, tuple[int, ...]]:
    """(SQL text, caps to pass after z, x, y) for these layers at zoom z.

    The text has %s placeholders for: z, x, y, z, x, y (the two envelopes), then one cap per
    capped layer, in order.
    """
    parts = [_layer_sql(layer, z) for layer in layers if layer.serves(z)]
    if not parts:
        return "", ()
    caps = tuple(layer.cap_for(z) for layer in layers if layer.serves(z) and layer.cap_for(z))
    query = sql.SQL(
        "WITH env AS (SELECT ST_TileEnvelope(%s, %s, %s) AS tile,"
        " ST_TileEnvelope(%s, %s, %s, margin => {margin}) AS area) SELECT {body}"
    ).format(margin=sql.Literal(BUFFER / EXTENT), body=sql.SQL(" || ").join(parts))
    return query.as_string(None), caps


def tile_params(z: int, x: int, y: int, caps: tuple[int, ...]) -> list[int]:
    return [z, x, y, z, x, y, *caps]
