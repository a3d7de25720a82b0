"""Writers of the files a community brings, made by the tests themselves (helpers, not tests)."""

from __future__ import annotations

import json
import subprocess

from pyproj import Transformer

from tests.factories import lonlat

GK_CM_102E = 4543  # CGCS2000 3-degree Gauss–Krüger CM 102E: the zone of the test community
_to_gk = Transformer.from_crs(4326, GK_CM_102E, always_xy=True)


def ring(x0, y0, x1, y1, *, gk=False):
    """Closed rectangle ring from local metres, in lon/lat or (gk=True) in EPSG:4543 metres."""
    corners = [lonlat(x0, y0), lonlat(x1, y0), lonlat(x1, y1), lonlat(x0, y1), lonlat(x0, y0)]
    return [list(_to_gk.transform(*c)) for c in corners] if gk else [list(c) for c in corners]


def polygon(x0, y0, x1, y1, *, gk=False, **props):
    return {"type": "Feature", "properties": props,
            "geometry": {"type": "Polygon", "coordinates": [ring(x0, y0, x1, y1, gk=gk)]}}


def collection(features, *, crs: int | None = None) -> str:
    data = {"type": "FeatureCollection", "features": features}
    if crs:
        data["crs"] = {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{crs}"}}
    return json.dumps(data, ensure_ascii=False)


def write_geojson(path, features, *, crs: int | None = None, encoding: str = "utf-8"):
    path.write_bytes(collection(features, crs=crs).encode(encoding))
    return path


def ogr2ogr(*args):
    subprocess.run(["ogr2ogr", *map(str, args)], check=True, capture_output=True)


def ogrinfo(*args) -> str:
    return subprocess.run(["ogrinfo", *map(str, args)], check=True, capture_output=True, text=True).stdout


def write_osm_area(path, extent=(0, 0, 400, 200), tags=None):
    """One closed way around `extent` (metres) with area tags: a village outline as OSM maps it."""
    import osmium

    x0, y0, x1, y1 = extent
    corners = [lonlat(x0, y0), lonlat(x1, y0), lonlat(x1, y1), lonlat(x0, y1)]
    writer = osmium.SimpleWriter(str(path))
    try:
        for node_id, location in enumerate(corners, start=1):
            writer.add_node(osmium.osm.mutable.Node(id=node_id, location=location))
        writer.add_way(osmium.osm.mutable.Way(id=7, nodes=[1, 2, 3, 4, 1], tags=tags or {
            "landuse": "residential", "name": "城中村社区"}))
        # A footway: no area, never a community.
        writer.add_way(osmium.osm.mutable.Way(id=8, nodes=[1, 3], tags={"highway": "footway"}))
    finally:
        writer.close()
    return path
