"""Survey files as a survey office hands them over, written by the tests (helpers, not tests):
DXF with Chinese layer names (GBK, $DWGCODEPAGE ANSI_936, as Chinese AutoCAD saves them),
GeoJSON in CGCS2000 (EPSG:4490), a zipped Shapefile in a Gauss–Krüger zone.

Written with GDAL's own command-line tools (ogr2ogr, already used by the onboarding tests): the
venv has no osgeo bindings and nothing needs ezdxf."""

from __future__ import annotations

import json
import subprocess
import zipfile

from pyproj import Transformer

from tests.factories import lonlat

GK_CM_102E = 4543  # CGCS2000 3-degree GK CM 102E, no zone number in the easting
GK_ZONE_34 = 4522  # CGCS2000 3-degree GK zone 34 (CM 102E), easting prefixed with 34


def coords(points, epsg: int | None = None):
    """Local metres → lon/lat (epsg None or 4490) or projected coordinates."""
    lonlats = [lonlat(x, y) for x, y in points]
    if epsg in (None, 4490, 4326):
        return [list(c) for c in lonlats]
    to = Transformer.from_crs(4326, epsg, always_xy=True)
    return [list(to.transform(*c)) for c in lonlats]


def feature(kind: str, points, epsg=None, **props):
    c = coords(points, epsg)
    geometry = {"Point": c[0], "LineString": c, "Polygon": [c]}[kind]
    return {"type": "Feature", "properties": props, "geometry": {"type": kind, "coordinates": geometry}}


def write_geojson(path, features, *, crs: int | None = None):
    data = {"type": "FeatureCollection", "features": features}
    if crs:
        data["crs"] = {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{crs}"}}
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def ogr2ogr(*args):
    subprocess.run(["ogr2ogr", *map(str, args)], check=True, capture_output=True)


def write_dxf(path, features):
    """features: GeoJSON features whose "Layer" property names the CAD layer (Chinese)."""
    src = write_geojson(path.with_suffix(".src.geojson"), features)
    if path.exists():
        path.unlink()
    ogr2ogr("-f", "DXF", path, src)
    # GDAL writes the UTF-8 bytes under a Western code page header; a Chinese CAD file is GBK
    # with $DWGCODEPAGE ANSI_936, which GDAL's reader decodes.
    text = path.read_bytes().decode("utf-8").replace("ANSI_1252", "ANSI_936")
    path.write_bytes(text.encode("gbk"))
    return path


def write_zipped_shapefile(path, features, epsg: int):
    src = write_geojson(path.with_suffix(".src.geojson"), features)
    shp = path.with_suffix(".shp")
    ogr2ogr("-f", "ESRI Shapefile", "-a_srs", f"EPSG:{epsg}", "-lco", "ENCODING=GBK", shp, src)
    with zipfile.ZipFile(path, "w") as z:
        for ext in ("shp", "shx", "dbf", "prj", "cpg"):
            part = path.with_suffix(f".{ext}")
            if part.exists():
                z.write(part, f"{path.stem}.{ext}")
    return path
