"""Writing exports: GeoJSON (one layer per file), GeoPackage (every layer in one file, through
GDAL's ogr2ogr, which sets the CRS and field types a planner's QGIS expects), and the room
register as XLSX or CSV in the layout the room import reads — so an export re-imports as is.
Spreadsheet cells that start with = + - @ are written as text (gis_core.csvexport)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from buildings.models import Landlord, Room
from gis_core import csvexport
from gis_core.errors import BadRequest
from onboarding.exports.layers import LAYERS
from onboarding.rooms.columns import TEMPLATE_FIELDS, header_label

GEO_FORMATS = ("gpkg", "geojson")
REGISTER_FORMATS = ("xlsx", "csv")


def _params(communities, ids) -> dict:
    return {"communities": list(communities) if communities is not None else None,
            "ids": list(ids) if ids is not None else None, "today": timezone.localdate(),
            "consenting": list(Landlord.objects.consenting().values_list("pk", flat=True))}


def _jsonable(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def layer_rows(name: str, *, communities=None, ids=None):
    """(column names, rows) of one layer; the first column is the geometry as GeoJSON text."""
    layer = LAYERS[name]
    with connection.cursor() as cur:
        cur.execute(layer.sql, _params(communities, ids))
        return [c.name for c in cur.description], cur.fetchall()


def write_geojson(name: str, target, *, communities=None, ids=None) -> int:
    """One layer as a GeoJSON FeatureCollection (RFC 7946: lon/lat WGS 84); returns the feature count."""
    columns, rows = layer_rows(name, communities=communities, ids=ids)
    with open(target, "w", encoding="utf-8") as out:
        out.write('{"type": "FeatureCollection", "name": %s, "features": [\n' % json.dumps(name))
        for n, row in enumerate(rows):
            properties = {k: _jsonable(v) for k, v in zip(columns[1:], row[1:])}
            out.write(("," if n else "") + '{"type": "Feature", "geometry": %s, "properties": %s}\n'
                      % (row[0] or "null", json.dumps(properties, ensure_ascii=False)))
        out.write("]}\n")
    return len(rows)


def write_geopackage(target, layers=None, *, communities=None, ids=None, srid: int | None = None) -> dict[str, int]:
    """The layers (default: all) into one GeoPackage; returns the feature count per layer."""
    target = Path(target)
    target.unlink(missing_ok=True)
    counts = {}
    with tempfile.TemporaryDirectory(prefix="export-") as tmp:
        for name in layers or LAYERS:
            source = Path(tmp) / f"{name}.geojson"
            counts[name] = write_geojson(name, source, communities=communities, ids=ids)
            command = ["ogr2ogr", "-f", "GPKG", *(["-update"] if target.exists() else []), "-nln", name,
                       "-nlt", LAYERS[name].geometry, "-a_srs", "EPSG:4326",
                       *(["-t_srs", f"EPSG:{srid}"] if srid else []), str(target), str(source)]
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode:
                raise BadRequest(_("GeoPackage 写入失败：%(error)s") % {"error": done.stderr.strip()[:500]})
    return counts


def register_rows(*, communities=None, ids=None):
    """The room register: TEMPLATE_FIELDS in order, values as a person types them."""
    columns, rows = layer_rows("rooms", communities=communities, ids=ids)
    at = {c: i for i, c in enumerate(columns)}
    labels = dict(Room.Status.choices)
    methods = dict(Landlord.ConsentMethod.choices)
    for row in rows:
        consent_at = row[at["consent_at"]]
        yield [row[at["building_code"]], row[at["address"]], row[at["floor"]], row[at["number"]],
               row[at["area_m2"]], row[at["rent_monthly"]], row[at["capacity"]], str(labels[row[at["status"]]]),
               row[at["landlord_name"]] or "", row[at["landlord_phone"]] or "",
               _("是") if consent_at else "", timezone.localtime(consent_at).date().isoformat() if consent_at else "",
               str(methods.get(row[at["consent_method"]], "")) if consent_at else ""]


def write_register(target, fmt: str, *, communities=None, ids=None, title: str = "") -> int:
    rows = list(register_rows(communities=communities, ids=ids))
    if fmt == "csv":
        # utf-8-sig: Excel reads the BOM as UTF-8 (without it, Chinese Excel assumes GB18030).
        with open(target, "w", newline="", encoding="utf-8-sig") as out:
            writer = csvexport.writer(out)
            writer.writerow([header_label(f) for f in TEMPLATE_FIELDS])
            writer.writerows(rows)
    elif fmt == "xlsx":
        from onboarding.rooms.template import register_workbook

        register_workbook(rows, title or _("出租房屋登记表")).save(target)
    else:
        raise BadRequest(_("登记表只能导出为 xlsx 或 csv"))
    return len(rows)


def export(target: str | os.PathLike, *, layers=None, communities=None, srid=None) -> dict[str, int]:
    """What `manage.py export` writes, by the target's name: .gpkg (layers), .geojson (one layer),
    a directory (one .geojson per layer), .xlsx/.csv (the room register)."""
    target = Path(target)
    suffix = target.suffix.lower().lstrip(".")
    unknown = [name for name in layers or () if name not in LAYERS]
    if unknown:
        raise BadRequest(_("未知图层：%(names)s；可用：%(all)s") % {"names": ", ".join(unknown), "all": ", ".join(LAYERS)})
    if suffix == "gpkg":
        return write_geopackage(target, layers, communities=communities, srid=srid)
    if suffix in REGISTER_FORMATS:
        return {"rooms": write_register(target, suffix, communities=communities)}
    if suffix == "geojson":
        if not layers or len(layers) != 1:
            raise BadRequest(_("GeoJSON 每个文件一个图层：请用 --layers 指定一个，或给出一个目录"))
        return {layers[0]: write_geojson(layers[0], target, communities=communities)}
    if suffix:
        raise BadRequest(_("不支持的导出格式 .%(ext)s（gpkg、geojson、xlsx、csv 或目录）") % {"ext": suffix})
    target.mkdir(parents=True, exist_ok=True)
    return {name: write_geojson(name, target / f"{name}.geojson", communities=communities) for name in layers or LAYERS}
