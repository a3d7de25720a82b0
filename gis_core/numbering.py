"""Standard grid numbering: sequence runs west→east, then north→south (DB11/T 2157-2023).

Reading order needs rows: the northernmost remaining polygon starts a row, every remaining
polygon whose representative point lies within that polygon's north–south extent joins it, and
the row is read west→east. This is stable under small boundary edits, unlike sorting by
rounded centroid coordinates.
"""

from __future__ import annotations

from collections.abc import Sequence


def reading_order(items: Sequence, key) -> list:
    """Order items west→east within rows, rows north→south.

    `key(item)` returns ((x, y) representative point, (miny, maxy) extent) in any planar or
    lon/lat coordinates where y grows northwards.
    """
    remaining = [(item, *key(item)) for item in items]
    ordered = []
    while remaining:
        remaining.sort(key=lambda r: -r[1][1])
        _, _, (row_min, row_max) = remaining[0]
        row = [r for r in remaining if row_min <= r[1][1] <= row_max]
        row.sort(key=lambda r: r[1][0])
        ordered.extend(r[0] for r in row)
        remaining = [r for r in remaining if not any(r is x for x in row)]
    return ordered


def shapely_key(geom):
    p = geom.representative_point()
    return (p.x, p.y), (geom.bounds[1], geom.bounds[3])
