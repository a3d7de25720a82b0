"""Import building footprints from a local GDAL/OGR source: Shapefile, GeoPackage, GeoJSON, OSM PBF…

One module serves both entry points — ``manage.py import_buildings`` and the admin upload page
(buildings.admin_import) — which only turn their input into :class:`ImportOptions` and present the
:class:`ImportReport`. The pipeline, in order:

1. open the file through django.contrib.gis.gdal (local files only) and pick the layer;
2. settle the source CRS (``srid`` overrides the declared one) and check that the raw coordinates
   can be in it, so metres read as degrees fail loudly instead of landing in the ocean;
3. per feature: map the attributes (floors, height, address, source id), transform to EPSG:4326
   and reduce the geometry to one valid polygon of at least 2 m² (measured on the ellipsoid), or
   reject the feature;
4. find each footprint's community in one spatial query — when none lands in any community the
   CRS is almost certainly wrong, and the import fails with a hint;
5. in one transaction: create and update buildings in bulk, keyed by (source, source id), then
   derive community, grid and mesh of the new and moved ones in one set-based UPDATE.

Every feature that was read gets a report row (created / updated / unchanged / repaired /
rejected, with the reason), which the command prints or writes as CSV and the admin shows.
Buildings of the same source that are absent from the file are left alone: a partial extract
must not delete the rest of a city.
"""

from __future__ import annotations

import enum
import hashlib
import math
import os
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import shapely
from gis_core import csvexport
from django.contrib.gis.db.models import Extent
from django.contrib.gis.gdal import (
    CoordTransform, DataSource, GDALException, OGRGeometry, SpatialReference, SRSException,
)
from django.contrib.gis.gdal.feature import Feature
from django.contrib.gis.gdal.prototypes import ds as ogr_api
from django.contrib.gis.geos import GEOSGeometry
from django.db import transaction
from django.utils import timezone
from django.utils.encoding import DjangoUnicodeDecodeError
from pyproj import Geod
from shapely.errors import GEOSException
from shapely.geometry import MultiPolygon, Polygon

from buildings.models import Building
from gis_core import assign, changes
from gis_core.models import Community
from gis_core.spatial import STORAGE_SRID, gauss_kruger_epsg

MIN_AREA_M2 = 2.0
MAX_FLOORS = 200  # Building.floors validator
MAX_HEIGHT_M = 1000.0
CODE_MAX = Building._meta.get_field("code").max_length
SOURCE_MAX = Building._meta.get_field("source").max_length
SOURCE_ID_MAX = Building._meta.get_field("source_id").max_length
ADDRESS_MAX = Building._meta.get_field("address").max_length
BATCH_SIZE = 1000
# Geometries closer than this (degrees, ≈0.1 mm) count as the same footprint on re-import.
SAME_FOOTPRINT_TOLERANCE = 1e-9

ALL_REJECTED = "没有可导入的要素 / nothing could be imported: every feature was rejected"

OSM_LAYER = "multipolygons"
OSM_SOURCE = "osm"

# Attribute names tried, in order, when the options name no field (compared case-insensitively).
# They cover English exports, OSM tags (read from other_tags) and common Chinese survey columns.
ID_NAMES = ("id", "fid", "osm_id", "objectid", "bsm", "编号", "标识码")
FLOORS_NAMES = ("floors", "levels", "building:levels", "storeys", "层数", "楼层数", "地上层数")
HEIGHT_NAMES = ("height", "building:height", "高度", "建筑高度")
ADDRESS_NAMES = ("address", "addr", "addr:full", "地址")
NAME_NAMES = ("name", "名称", "建筑名称")

# GDAL formats whose file only points at data stored elsewhere, possibly on a remote server.
INDIRECT_DRIVERS = frozenset({"OGR_VRT", "WFS", "OAPIF"})

_GEOD = Geod(ellps="WGS84")


# ---------------------------------------------------------------------------------------------
# Errors: the import as a whole could not run. Nothing was written when one of these is raised.


class ImportFailed(Exception):
    """Base of all import failures; the message reads "中文 / English"."""

    def __init__(self, message: str, report: ImportReport | None = None):
        super().__init__(message)
        # Set when the failure came after the features were read: the rows say why each failed.
        self.report = report


class SourceUnreadable(ImportFailed):
    """Missing, unreadable or non-local file (URLs and GDAL virtual paths are refused)."""


class UnknownLayer(ImportFailed):
    """The layer asked for does not exist, or the source has several; the message lists them."""


class UnknownField(ImportFailed):
    """A field named in the options does not exist; the message lists the fields."""


class CRSProblem(ImportFailed):
    """No CRS, an unknown one, or coordinates that cannot be in it; the message suggests a fix."""


class NothingImported(ImportFailed):
    """The source has no usable feature; ``report`` gives the reason for each one."""


class _Rejected(Exception):
    """One feature cannot be imported (flow control inside this module, becomes a report row)."""


# ---------------------------------------------------------------------------------------------
# Options and report


@dataclass(frozen=True)
class ImportOptions:
    layer: str | None = None
    srid: int | None = None  # the source CRS; overrides a declared one that is wrong
    source: str | None = None  # provenance name; default "osm" for OSM files, else the file name stem
    id_field: str | None = None
    floors_field: str | None = None
    height_field: str | None = None
    address_field: str | None = None
    name_field: str | None = None  # Building has no name: a name is appended to the address label
    default_floors: int = 1
    floor_height: float = 3.0  # metres; derives floors from height, stored on new buildings
    repair: bool = True
    dry_run: bool = False

    def __post_init__(self):
        if not 1 <= self.default_floors <= MAX_FLOORS:
            raise ImportFailed(f"默认层数须在 1–{MAX_FLOORS} 之间 / --default-floors must be 1–{MAX_FLOORS}")
        if not 2 <= self.floor_height <= 10:
            raise ImportFailed("层高须在 2–10 米之间 / --floor-height must be 2–10 m")
        if self.source is not None and not 0 < len(self.source.strip()) <= SOURCE_MAX:
            raise ImportFailed(f"来源名称须为 1–{SOURCE_MAX} 个字符 / --source must have 1–{SOURCE_MAX} characters")


class Action(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REPAIRED = "repaired"  # geometry repaired, then created, updated or unchanged (the reason says which)
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return f"{_ACTION_ZH[self]} {self.value}"


_ACTION_ZH = {
    Action.CREATED: "新建",
    Action.UPDATED: "更新",
    Action.UNCHANGED: "未变",
    Action.REPAIRED: "已修复",
    Action.REJECTED: "拒绝",
}


@dataclass
class ReportRow:
    feature: int  # 1-based position of the feature in the layer
    source_id: str
    action: Action | None = None  # None only while the feature is being processed
    reason: str = ""
    code: str = ""  # the building's code, when one was written


@dataclass
class ImportReport:
    path: str
    layer: str
    source: str
    crs: str
    dry_run: bool
    rows: list[ReportRow] = field(default_factory=list)
    elapsed_s: float = 0.0

    CSV_COLUMNS = ("feature", "source_id", "code", "action", "reason")

    def counts(self) -> dict[Action, int]:
        tally = Counter(row.action for row in self.rows)
        return {action: tally[action] for action in Action}

    @property
    def imported(self) -> int:
        return sum(1 for row in self.rows if row.action is not Action.REJECTED)

    def summary(self) -> str:
        head = "试运行，未写入 / dry run, nothing written" if self.dry_run else "导入完成 / import finished"
        counts = ", ".join(f"{action.label} {n}" for action, n in self.counts().items())
        return (f"{head}: {self.path} [{self.layer}, {self.crs}] → source {self.source!r}: {counts}; "
                f"{self.elapsed_s:.1f} s")

    def write_csv(self, stream: TextIO) -> None:
        writer = csvexport.writer(stream)
        writer.writerow(self.CSV_COLUMNS)
        for row in self.rows:
            writer.writerow([row.feature, row.source_id, row.code, row.action, row.reason])


# ---------------------------------------------------------------------------------------------
# Entry point


def import_buildings(path: str | os.PathLike, options: ImportOptions | None = None) -> ImportReport:
    """Import the building footprints of one layer of a local vector file; see the module doc."""
    options = options or ImportOptions()
    started = time.monotonic()
    datasource = _open(path)
    is_osm = datasource.driver.name == "OSM"
    layer = _choose_layer(datasource, options.layer or (OSM_LAYER if is_osm else None))
    source_srs = _source_srs(layer, options.srid)
    fields = _FieldMap.resolve(layer, options, is_osm)
    report = ImportReport(
        path=str(path), layer=layer.name, source=(options.source or "").strip() or _default_source(path, is_osm),
        crs=_describe(source_srs), dry_run=options.dry_run,
    )

    features = _read(layer, fields, is_osm)
    if not features:
        raise NothingImported(f"图层 {layer.name} 没有可导入的要素 / layer {layer.name!r} has no "
                              f"{'building ' if is_osm else ''}features", report)
    _check_coordinates_fit(features, source_srs)

    to_storage = CoordTransform(source_srs, SpatialReference(STORAGE_SRID))
    candidates = _dedupe([_prepare(f, fields, options, to_storage, report) for f in features])
    if not candidates:
        raise NothingImported(ALL_REJECTED, report)
    candidates = _locate(candidates, source_srs, report)

    with transaction.atomic():
        _write(candidates, report.source, options)
        if not report.imported:  # every generated building code was taken
            raise NothingImported(ALL_REJECTED, report)
        if options.dry_run:
            transaction.set_rollback(True)
    report.elapsed_s = time.monotonic() - started
    return report


def parse_hstore(text: str | None) -> dict[str, str | None]:
    """Parse GDAL's OSM ``other_tags`` field: ``"key"=>"value","k2"=>NULL`` with backslash escapes.

    Quoted strings are consumed whole, so ``=>``, commas or escaped quotes inside a value never
    start a new pair; anything that is not a well-formed pair is skipped.
    """
    return {
        _unescape(m["key"]): None if m["value"] is None else _unescape(m["value"])
        for m in _HSTORE_PAIR.finditer(text or "")
    }


_HSTORE_PAIR = re.compile(r'"(?P<key>(?:[^"\\]|\\.)*)"\s*=>\s*(?:"(?P<value>(?:[^"\\]|\\.)*)"|NULL)', re.S)


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text, flags=re.S)


def building_code(source: str, source_id: str) -> tuple[str, ...]:
    """Code choices for a new building, preferred first: ``{source}-{source_id}`` made safe.

    A readable code longer than the column, or one already taken (two sources can normalise to
    the same text), falls back to a truncated form with a hash of the exact (source, source id).
    """
    readable = re.sub(r"[^\w.-]+", "-", f"{source}-{source_id}").strip("-")
    digest = hashlib.sha1(f"{source}\0{source_id}".encode()).hexdigest()[:8]
    hashed = f"{readable[:CODE_MAX - len(digest) - 1]}-{digest}"
    return (readable, hashed) if len(readable) <= CODE_MAX else (hashed,)


# ---------------------------------------------------------------------------------------------
# Opening the source


def _open(path: str | os.PathLike) -> DataSource:
    text = os.fspath(path)
    # Absolute, so GDAL never takes the name for a connection string such as "PG:dbname=…"; GDAL
    # virtual file systems (/vsicurl/, /vsis3/, …) are recognised only at the start of the path.
    local = Path(text).expanduser().resolve()
    if "://" in text or str(local).lower().startswith("/vsi"):
        raise SourceUnreadable(
            f"只能导入本机文件 / only local files can be imported (URLs and GDAL /vsi… paths are refused): {text}"
        )
    if not local.exists():
        raise SourceUnreadable(f"文件不存在 / file not found: {local}")
    gdal_path = f"/vsizip/{local}" if local.suffix.lower() == ".zip" else str(local)  # a zipped shapefile
    try:
        datasource = DataSource(gdal_path)
    except GDALException as exc:
        raise SourceUnreadable(f"无法读取为矢量数据 / cannot read {local} as a GDAL/OGR vector source ({exc})") from exc
    if datasource.driver.name in INDIRECT_DRIVERS:
        raise SourceUnreadable(
            f"不接受 {datasource.driver.name} 格式 / {datasource.driver.name} files only point at data elsewhere "
            "(possibly remote); convert the data to GeoPackage or GeoJSON first"
        )
    return datasource


def _choose_layer(datasource: DataSource, name: str | None):
    names = [datasource[i].name for i in range(datasource.layer_count)]
    if not names:
        raise SourceUnreadable(f"文件中没有图层 / {datasource.name} has no layers")
    if name is None:
        if len(names) == 1:
            return datasource[0]
        raise UnknownLayer(f"文件有 {len(names)} 个图层，请用 --layer 指定 / the source has {len(names)} layers, "
                           f"choose one with --layer: {', '.join(names)}")
    if name not in names:
        raise UnknownLayer(f"没有图层 {name} / no layer named {name!r}; available layers: {', '.join(names)}")
    return datasource[name]


def _default_source(path, is_osm: bool) -> str:
    if is_osm:
        return OSM_SOURCE
    name = Path(os.fspath(path)).name
    stem = name.split(".", 1)[0] or name  # "footprints.osm.pbf" → "footprints", not "footprints.osm"
    return stem[:SOURCE_MAX]


def _features(layer):
    """Yield the features of an OGR layer.

    Django's Layer.__iter__ loops over range(feature count), but streaming drivers such as OSM
    report the count as unknown (-1) and would yield nothing: read until OGR has no more.
    """
    ogr_api.reset_reading(layer.ptr)
    while True:
        try:
            pointer = ogr_api.get_next_feature(layer.ptr)
        except GDALException:  # OGR returned NULL: end of the layer
            return
        yield Feature(pointer, layer)


def _value(feature, name: str):
    """A field's value; text that is not UTF-8 is read as GB18030 (a superset of GBK and GB2312),
    as Chinese GeoJSON and shapefiles without a .cpg often are."""
    try:
        return feature.get(name)
    except DjangoUnicodeDecodeError:
        raw = ogr_api.get_field_as_string(feature.ptr, feature.index(name))
        return raw.decode("gb18030", errors="replace")


@dataclass
class _RawFeature:
    index: int
    attributes: dict
    geometry: OGRGeometry | None  # in the source CRS


def _read(layer, fields: _FieldMap, is_osm: bool) -> list[_RawFeature]:
    features = []
    for index, feature in enumerate(_features(layer), start=1):
        attributes = {name: _value(feature, name) for name in fields.columns}
        if fields.tags_column:
            # Set columns win over tags of the same name (the OSM driver promotes a few tags to columns).
            tags = parse_hstore(attributes.pop(fields.tags_column))
            attributes = {**tags, **{k: v for k, v in attributes.items() if v is not None}}
        if is_osm and attributes.get("building") in (None, "", "no"):
            continue
        try:
            geometry = feature.geom
        except GDALException:  # a feature without geometry
            geometry = None
        features.append(_RawFeature(index, attributes, geometry))
    return features


# ---------------------------------------------------------------------------------------------
# Coordinate reference system


def _source_srs(layer, srid: int | None) -> SpatialReference:
    if srid is not None:
        try:
            return SpatialReference(srid)
        except (GDALException, SRSException) as exc:
            raise CRSProblem(f"未知坐标系 / unknown coordinate reference system --srid {srid}") from exc
    if layer.srs is None:
        raise CRSProblem(
            "数据没有声明坐标系，请用 --srid 指定 / the source declares no coordinate reference system: "
            f"pass --srid 4490 for CGCS2000 longitude/latitude or, for projected metres, {_metres_hint()}"
        )
    return layer.srs


def _describe(srs: SpatialReference) -> str:
    return f"EPSG:{srs.srid}" if srs.srid else srs.name


def _check_coordinates_fit(features: list[_RawFeature], srs: SpatialReference) -> None:
    """Fail when the raw coordinates cannot be in the source CRS (degrees vs metres)."""
    extents = [f.geometry.extent for f in features if f.geometry is not None and not f.geometry.empty]
    if not extents:
        return
    xmin, ymin = min(e[0] for e in extents), min(e[1] for e in extents)
    xmax, ymax = max(e[2] for e in extents), max(e[3] for e in extents)
    in_degree_range = -180 <= xmin and xmax <= 180 and -90 <= ymin and ymax <= 90
    if srs.geographic and not in_degree_range:
        raise CRSProblem(
            f"坐标像是米制投影坐标，请用 --srid 指定 / coordinates x {xmin:.0f}…{xmax:.0f}, y {ymin:.0f}…{ymax:.0f} are "
            f"outside the longitude/latitude range of {_describe(srs)}: they look like metres; {_metres_hint(xmin, xmax)}"
        )
    if srs.projected and in_degree_range:
        raise CRSProblem(
            f"坐标像是经纬度 / coordinates look like degrees, but {_describe(srs)} is projected (metres): "
            "pass --srid 4490 (CGCS2000) or --srid 4326 (WGS 84)"
        )


def _gk_cm_hint(epsg: int) -> str:
    cm = 75 + 3 * (epsg - 4534)
    return f"pass --srid {epsg} for CGCS2000 GK CM {cm}E"


def _metres_hint(xmin: float | None = None, xmax: float | None = None) -> str:
    """Which --srid projected coordinates most likely need (CGCS2000 3-degree Gauss–Krüger)."""
    if xmin is not None and xmin >= 1_000_000 and int(xmin // 1_000_000) == int(xmax // 1_000_000):
        zone = int(xmin // 1_000_000)  # eastings prefixed with the zone number, e.g. 34 500 000
        if 25 <= zone <= 45:
            epsg = 4513 + zone - 25
            return f"pass --srid {epsg} for CGCS2000 GK zone {zone} (CM {zone * 3}E)"
    centre = _communities_centre()
    if centre is not None:
        try:
            return _gk_cm_hint(gauss_kruger_epsg(centre[0]))
        except ValueError:  # communities outside China's zones
            pass
    return "pass --srid with the file's projected CRS, e.g. 4534–4554 for the CGCS2000 3-degree Gauss–Krüger zones"


def _communities_extent() -> tuple[float, float, float, float] | None:
    return Community.objects.aggregate(extent=Extent("boundary"))["extent"]


def _communities_centre() -> tuple[float, float] | None:
    extent = _communities_extent()
    return None if extent is None else ((extent[0] + extent[2]) / 2, (extent[1] + extent[3]) / 2)


def _outside_hint(candidates: list[_Candidate], srs: SpatialReference) -> str:
    """Explain why no footprint lies in any community, and what --srid would fix it."""
    xmin, ymin, xmax, ymax = shapely.total_bounds([c.footprint for c in candidates])
    lon, lat = (xmin + xmax) / 2, (ymin + ymax) / 2
    cxmin, cymin, cxmax, cymax = _communities_extent()
    clon, clat = (cxmin + cxmax) / 2, (cymin + cymax) / 2
    message = (f"所有要素都不在任何社区内 / every feature lies outside every community: the data lies around "
               f"{lon:.4f}, {lat:.4f}, the communities around {clon:.4f}, {clat:.4f}; ")
    margin = 0.1
    if cxmin - margin <= lat <= cxmax + margin and cymin - margin <= lon <= cymax + margin:
        return message + ("经纬度顺序颠倒 / longitude and latitude look swapped: export the file with "
                          "x = longitude, y = latitude")
    if srs.projected and abs(lon - clon) > 1.5:
        try:
            return message + "高斯-克吕格分带可能有误 / the Gauss–Krüger zone looks wrong: " + _gk_cm_hint(
                gauss_kruger_epsg(clon))
        except ValueError:
            pass
    return message + "请检查坐标系 / check the coordinate reference system (--srid) and the community boundaries"


# ---------------------------------------------------------------------------------------------
# Attributes


@dataclass(frozen=True)
class _FieldMap:
    """Which attributes feed which building field (names to try in order, actual spelling)."""

    id: tuple[str, ...]
    floors: tuple[str, ...]
    height: tuple[str, ...]
    address: tuple[str, ...]
    name: tuple[str, ...]
    columns: tuple[str, ...]  # layer columns to read
    tags_column: str | None  # OSM other_tags, parsed into attributes
    osm_ids: bool  # source id from osm_way_id / osm_id
    compose_address: bool  # build the address from addr:street + addr:housenumber when absent

    @classmethod
    def resolve(cls, layer, options: ImportOptions, is_osm: bool) -> _FieldMap:
        columns = list(layer.fields)
        by_lower = {c.lower(): c for c in columns}
        tags_column = "other_tags" if "other_tags" in columns else None

        def names(given: str | None, defaults: tuple[str, ...]) -> tuple[str, ...]:
            if given:
                if given in columns:
                    return (given,)
                if given.lower() in by_lower:
                    return (by_lower[given.lower()],)
                if tags_column:  # an OSM tag, present on some features only
                    return (given,)
                raise UnknownField(f"没有字段 {given} / no field named {given!r}; fields: {', '.join(columns) or '(none)'}")
            found = tuple(by_lower[d.lower()] for d in defaults if d.lower() in by_lower)
            # Tags live in other_tags, not in the columns: keep every default name to look up per feature.
            return found + tuple(d for d in defaults if d not in found) if tags_column else found

        mapping = {
            "id": names(options.id_field, ID_NAMES),
            "floors": names(options.floors_field, FLOORS_NAMES),
            "height": names(options.height_field, HEIGHT_NAMES),
            "address": names(options.address_field, ADDRESS_NAMES),
            "name": names(options.name_field, NAME_NAMES),
        }
        osm_ids = is_osm and not options.id_field
        wanted = {n for group in mapping.values() for n in group}
        wanted |= {tags_column, "building", "osm_id", "osm_way_id"} if is_osm else {tags_column}
        return cls(
            **mapping,
            columns=tuple(c for c in columns if c in wanted),
            tags_column=tags_column,
            osm_ids=osm_ids,
            compose_address=not options.address_field,
        )


def _first(attributes: dict, names: tuple[str, ...]):
    for name in names:
        value = attributes.get(name)
        if value is not None and str(value).strip() != "":
            return value
    return None


def _source_id(feature: _RawFeature, fields: _FieldMap) -> str | None:
    if fields.osm_ids:
        way, relation = feature.attributes.get("osm_way_id"), feature.attributes.get("osm_id")
        return f"way/{way}" if way else f"relation/{relation}" if relation else None
    value = _first(feature.attributes, fields.id)
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 17.0 from a real-typed column is id "17"
    return None if value is None else str(value).strip()


def _geometry_id(geometry) -> str:
    """A stable id for a feature without one: hash of its normalised source geometry.

    Normalising (ring start and orientation) keeps the id when an editor merely re-saves the file.
    """
    shape = shapely.normalize(shapely.force_2d(shapely.from_wkb(bytes(geometry.wkb))))
    return "geom-" + hashlib.sha1(shapely.to_wkb(shape)).hexdigest()[:16]


_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


def _number(value) -> float | None:
    """First number in a value: 5, "5", "5.0", "5;6" (OSM lists), "12 m"."""
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        match = _NUMBER.search(str(value or ""))
        number = float(match.group()) if match else None
    return number if number is not None and math.isfinite(number) else None


def _round_half_up(x: float) -> int:
    return math.floor(x + 0.5)  # round() would round 4.5 floors down to 4 (banker's rounding)


def _storeys(attributes: dict, fields: _FieldMap, options: ImportOptions, notes: list[str]) -> tuple[int, float | None]:
    raw_floors, raw_height = _first(attributes, fields.floors), _first(attributes, fields.height)
    floors = height = None
    if raw_floors is not None:
        number = _number(raw_floors)
        if number is not None and 1 <= _round_half_up(number) <= MAX_FLOORS:
            floors = _round_half_up(number)
        else:
            notes.append(f"层数无效已忽略 / ignored floors value {raw_floors!r}")
    if raw_height is not None:
        number = _number(raw_height)
        if number is not None and re.search(r"'|ft|feet", str(raw_height), re.I):
            number *= 0.3048  # OSM allows feet: height=40' or 40 ft
        if number is not None and 0 < number <= MAX_HEIGHT_M:
            height = round(number, 2)
        else:
            notes.append(f"高度无效已忽略 / ignored height value {raw_height!r}")
    if floors is None and height is not None:
        floors = min(MAX_FLOORS, max(1, _round_half_up(height / options.floor_height)))
    if floors is None:
        floors = options.default_floors
        notes.append(f"无层数和高度，按默认 {floors} 层 / no floors or height: default of {floors} floor(s) used")
    return floors, height


def _address(attributes: dict, fields: _FieldMap) -> str:
    address = str(_first(attributes, fields.address) or "").strip()
    if not address and fields.compose_address:
        street, number = attributes.get("addr:street"), attributes.get("addr:housenumber")
        address = " ".join(str(part).strip() for part in (street, number) if part)
    name = str(_first(attributes, fields.name) or "").strip()
    label = f"{address}（{name}）" if address and name else address or name
    return label[:ADDRESS_MAX]


# ---------------------------------------------------------------------------------------------
# Geometry


def _area_m2(polygon: Polygon) -> float:
    return abs(_GEOD.geometry_area_perimeter(polygon)[0])


def _footprint(shape, repair: bool, notes: list[str]) -> tuple[Polygon, bool]:
    """Reduce a lon/lat geometry to one valid polygon; returns (polygon, repaired)."""
    if shape.is_empty:
        raise _Rejected("空几何 / empty geometry")
    if not isinstance(shape, (Polygon, MultiPolygon)):
        raise _Rejected(f"不是面 / not a polygon: {shape.geom_type}")
    xmin, ymin, xmax, ymax = shape.bounds
    if not (-180 <= xmin and xmax <= 180 and -90 <= ymin and ymax <= 90):
        raise _Rejected("转换后坐标超出经纬度范围 / coordinates outside longitude/latitude after transformation")
    repaired = False
    if not shape.is_valid:
        problem = shapely.is_valid_reason(shape)
        if not repair:
            raise _Rejected(f"几何无效 / invalid geometry: {problem} (use --repair)")
        shape = shapely.make_valid(shape)
        notes.append(f"已修复 / repaired: {problem}")
        repaired = True
    parts = [p for p in shapely.get_parts(shape) if isinstance(p, Polygon) and not p.is_empty]
    if not parts:
        raise _Rejected("修复后没有面 / nothing polygonal left after repair")
    areas = [_area_m2(p) for p in parts]
    substantial = sorted((a, i) for i, a in enumerate(areas) if a >= MIN_AREA_M2)
    if not substantial:
        raise _Rejected(f"面积过小 / footprint too small: {max(areas):.2f} m² < {MIN_AREA_M2:g} m²")
    largest_area, largest = substantial[-1]
    if len(substantial) > 1:
        if not repair:
            raise _Rejected(f"多部件面（{len(substantial)} 个）/ multipolygon with {len(substantial)} parts (use --repair)")
        notes.append(f"保留最大部件 / kept the largest of {len(substantial)} parts "
                     f"({largest_area:.1f} of {sum(areas):.1f} m²)")
        repaired = True
    elif len(parts) > 1:
        notes.append(f"删除 {len(parts) - 1} 个碎片 / dropped {len(parts) - 1} sliver part(s) under {MIN_AREA_M2:g} m²")
    return parts[largest], repaired


# ---------------------------------------------------------------------------------------------
# Per-feature preparation


@dataclass
class _Candidate:
    """A feature that passed every check and awaits writing."""

    row: ReportRow
    footprint: Polygon
    floors: int
    height: float | None
    address: str
    repaired: bool
    notes: list[str]
    community_id: int | None = None

    def finish(self, outcome: Action, code: str) -> None:
        self.row.code = code
        if self.repaired:
            self.row.action = Action.REPAIRED
            self.notes.append(outcome.label)  # a repaired feature was still created/updated/unchanged
        else:
            self.row.action = outcome
        self.row.reason = "; ".join(self.notes)


def _reject(row: ReportRow, reason: str) -> None:
    row.action, row.reason = Action.REJECTED, reason


def _prepare(feature: _RawFeature, fields: _FieldMap, options: ImportOptions, to_storage: CoordTransform,
             report: ImportReport) -> _Candidate | None:
    source_id = _source_id(feature, fields)
    row = ReportRow(feature=feature.index, source_id=source_id or "")
    report.rows.append(row)
    notes: list[str] = []
    try:
        if feature.geometry is None:
            raise _Rejected("没有几何 / no geometry")
        if source_id is None:
            row.source_id = _geometry_id(feature.geometry)
        if len(row.source_id) > SOURCE_ID_MAX:
            raise _Rejected(f"编号超过 {SOURCE_ID_MAX} 个字符 / source id longer than {SOURCE_ID_MAX} characters")
        geometry = feature.geometry.clone()
        try:
            geometry.transform(to_storage)
        except GDALException as exc:
            raise _Rejected(f"坐标无法转换 / cannot transform the coordinates ({exc})") from exc
        shape = shapely.force_2d(shapely.from_wkb(bytes(geometry.wkb)))
        footprint, repaired = _footprint(shape, options.repair, notes)
    except (_Rejected, GEOSException) as exc:  # GEOSException: geometry shapely cannot read (curves)
        _reject(row, str(exc))
        return None
    floors, height = _storeys(feature.attributes, fields, options, notes)
    return _Candidate(row, footprint, floors, height, _address(feature.attributes, fields), repaired, notes)


def _dedupe(prepared: list[_Candidate | None]) -> list[_Candidate]:
    """Drop the rejected features, and reject those whose source id already came earlier in the file."""
    first: dict[str, int] = {}
    candidates = []
    for candidate in filter(None, prepared):
        row = candidate.row
        if row.source_id in first:
            _reject(row, f"编号重复（同第 {first[row.source_id]} 个要素）/ duplicate source id "
                         f"(same as feature {first[row.source_id]})")
        else:
            first[row.source_id] = row.feature
            candidates.append(candidate)
    return candidates


def _locate(candidates: list[_Candidate], srs: SpatialReference, report: ImportReport) -> list[_Candidate]:
    """Set each candidate's community in one query; reject those outside every community, return the rest.

    Like Building.save(), a footprint belongs to the community covering its anchor (gis_core.assign).
    """
    if not Community.objects.exists():
        raise ImportFailed("尚无社区边界 / no community boundaries exist yet: load the communities first")
    ewkbs = [shapely.to_wkb(shapely.set_srid(c.footprint, STORAGE_SRID), include_srid=True) for c in candidates]
    for candidate, community_id in zip(candidates, assign.communities_at(ewkbs), strict=True):
        candidate.community_id = community_id
    located = [c for c in candidates if c.community_id is not None]
    for candidate in candidates:
        if candidate.community_id is None:
            _reject(candidate.row, "不在任何社区内 / outside every community")
    if not located:
        raise CRSProblem(_outside_hint(candidates, srs), report)
    return located


# ---------------------------------------------------------------------------------------------
# Writing


_UPDATED_FIELDS = ["footprint", "floors", "height_m", "address", "community", "updated_at"]


def _write(candidates: list[_Candidate], source: str, options: ImportOptions) -> None:
    """Create and update in bulk, then report them to the change pipeline once (gis_core/changes.py):
    new and moved buildings are placed in their grid with one UPDATE and their rooms laid out again,
    and tiles, camera views and 3D follow, exactly as after Building.save() — but set-based.
    """
    existing = {
        b.source_id: b
        for b in Building.objects.filter(source=source).exclude(source_id="").only(
            "id", "code", "source_id", "footprint", "floors", "height_m", "address", "community")
    }
    now = timezone.now()
    new: list[tuple[_Candidate, Building]] = []
    changed: list[Building] = []
    moved: list[int] = []
    left = []  # footprints the moved buildings left
    for candidate in candidates:
        footprint = GEOSGeometry(memoryview(shapely.to_wkb(candidate.footprint)), srid=STORAGE_SRID)
        building = existing.get(candidate.row.source_id)
        if building is None:
            new.append((candidate, Building(
                source=source, source_id=candidate.row.source_id, footprint=footprint, floors=candidate.floors,
                height_m=candidate.height, address=candidate.address, floor_height_m=options.floor_height,
                community_id=candidate.community_id,
            )))
            continue
        is_moved = not building.footprint.equals_exact(footprint, tolerance=SAME_FOOTPRINT_TOLERANCE)
        values = (candidate.floors, candidate.height, candidate.address)
        if is_moved or values != (building.floors, building.height_m, building.address):
            building.floors, building.height_m, building.address = values
            if is_moved:
                left.append(building.footprint)
                building.footprint, building.community_id = footprint, candidate.community_id
                moved.append(building.pk)
            building.updated_at = now  # bulk_update skips auto_now
            changed.append(building)
            candidate.finish(Action.UPDATED, building.code)
        else:
            candidate.finish(Action.UNCHANGED, building.code)

    created = _assign_codes(new)
    Building.objects.bulk_create(created, batch_size=BATCH_SIZE)
    Building.objects.bulk_update(changed, _UPDATED_FIELDS, batch_size=BATCH_SIZE)
    changes.geometry_changed(Building, [b.pk for b in created] + moved, dict(zip(moved, left)))
    changes.attributes_changed(Building, {b.pk for b in changed} - set(moved), _UPDATED_FIELDS)


def _assign_codes(new: list[tuple[_Candidate, Building]]) -> list[Building]:
    """Give each new building its first free code; a feature with no free code is rejected."""
    choices = {id(b): building_code(b.source, b.source_id) for _, b in new}
    taken = set(Building.objects.filter(
        code__in=[code for codes in choices.values() for code in codes]).values_list("code", flat=True))
    created = []
    for candidate, building in new:
        code = next((c for c in choices[id(building)] if c not in taken), None)
        if code is None:
            _reject(candidate.row, "楼栋编码已被占用 / every generated building code is already taken")
            continue
        taken.add(code)
        building.code = code
        candidate.finish(Action.CREATED, code)
        created.append(building)
    return created
