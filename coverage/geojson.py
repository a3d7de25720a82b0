"""Small GeoJSON builders for the coverage API (lon/lat, six decimals ≈ 0.1 m)."""

from __future__ import annotations

import json


def geometry(geom, precision: int = 6) -> dict:
    g = json.loads(geom.json)

    def rnd(c):
        return [round(v, precision) for v in c] if isinstance(c[0], float | int) else [rnd(x) for x in c]

    g["coordinates"] = rnd(g["coordinates"])
    return g


def feature(geom, fid=None, **props) -> dict:
    return {"type": "Feature", "id": fid, "geometry": geometry(geom), "properties": props}


def collection(features) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}
