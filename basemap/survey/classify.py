"""From one surveyed feature (lon/lat shape + attributes) to basemap rows, or Rejected.

A survey office's class values are Chinese (主干道, 巷道, 围墙, 院门…) or, in files that went
through OSM tools, OSM words (residential, footway, wall…): both are understood; anything else
is imported with the layer's default kind, and the report says so.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import shapely
from django.contrib.gis.geos import GEOSGeometry
from django.utils.translation import gettext as _
from shapely.geometry import LineString, MultiPolygon, Point, Polygon

from basemap.importer import RANKS
from basemap.models import Barrier, Gate, Landuse, Road, Water, Waterway
from gis_core.spatial import STORAGE_SRID
from onboarding.errors import Rejected

R = Road.Rank
ROAD_CLASSES = {
    **dict.fromkeys(("主干道", "主干路", "快速路", "干道", "城市道路"), ("primary", R.MAJOR)),
    **dict.fromkeys(("次干道", "次干路", "街道", "街"), ("secondary", R.STREET)),
    **dict.fromkeys(("支路", "道路", "路", "巷道", "巷", "街巷", "村道"), ("residential", R.LANE)),
    **dict.fromkeys(("小巷", "胡同", "窄巷", "弄", "里弄"), ("alley", R.ALLEY)),
    **dict.fromkeys(("步道", "人行道", "小路", "绿道", "小径"), ("footway", R.PATH)),
    **dict.fromkeys(("台阶", "梯道", "踏步"), ("steps", R.PATH)),
    **{kind: (kind, rank) for kind, rank in RANKS.items()},
}
WALL_CLASSES = {**dict.fromkeys(("围墙", "墙", "院墙", "wall"), "wall"),
                **dict.fromkeys(("栅栏", "护栏", "篱笆", "铁栅栏", "fence"), "fence")}
GATE_CLASSES = {**dict.fromkeys(("主出入口", "大门", "主门", "entrance_main"), "entrance_main"),
                **dict.fromkeys(("院门", "门", "侧门", "gate"), "gate"),
                **dict.fromkeys(("出入口", "入口", "entrance"), "entrance")}
WATERWAY_CLASSES = {**dict.fromkeys(("河", "河流", "河道", "river"), "river"),
                    **dict.fromkeys(("渠", "水渠", "沟渠", "明渠", "canal"), "canal"),
                    **dict.fromkeys(("溪", "小溪", "stream"), "stream"),
                    **dict.fromkeys(("沟", "排水沟", "ditch", "drain"), "ditch")}
WATER_CLASSES = {**dict.fromkeys(("水面", "湖", "塘", "池塘", "水库", "water", "pond", "lake"), "water"),
                 **dict.fromkeys(("河", "河流", "河道", "river", "riverbank"), "river")}
LANDUSE_CLASSES = {**dict.fromkeys(("居住", "住宅", "居住用地", "residential"), "residential"),
                   **dict.fromkeys(("商业", "商业用地", "commercial", "retail"), "commercial"),
                   **dict.fromkeys(("工业", "工业用地", "industrial"), "industrial"),
                   **dict.fromkeys(("绿地", "公园", "grass", "park"), "grass"),
                   **dict.fromkeys(("农田", "耕地", "farmland"), "farmland")}
DEFAULTS = {"roads": ("residential", R.LANE), "paths": ("footway", R.PATH), "walls": "wall", "gates": "gate",
            "waterway": "river", "water": "water", "landuse": "residential"}
KIND_MAX, NAME_MAX = 40, 200
HOURS = re.compile(r"(\d{1,2}):(\d{2})\s*[-–~至]\s*(\d{1,2}):(\d{2})")
MIN_LENGTH_DEG = 1e-7  # ≈ 1 cm: shorter is a CAD slip, not a way


@dataclass
class Classified:
    rows: list = field(default_factory=list)  # unsaved basemap model instances (extract_id set on write)
    notes: list[str] = field(default_factory=list)
    repaired: bool = False

    @property
    def what(self) -> str:
        """The report's "code" column: the tables and kinds written."""
        return ", ".join(sorted({f"{type(r)._meta.model_name}/{r.kind}" for r in self.rows}))


def _geos(shape) -> GEOSGeometry:
    return GEOSGeometry(memoryview(shapely.to_wkb(shape)), srid=STORAGE_SRID)


def _wrong_type(expected: str, shape) -> Rejected:
    return Rejected(_("几何类型不对：应为%(expected)s，实为 %(type)s") % {"expected": expected, "type": shape.geom_type})


def _lines(shape, kind: str, out: Classified) -> list[LineString]:
    if shape.geom_type in ("Polygon", "MultiPolygon") and kind == "walls":
        shape = shape.boundary  # a courtyard wall drawn as a closed area
        out.notes.append(_("面的边线作为围墙"))
    if shape.geom_type not in ("LineString", "MultiLineString", "LinearRing"):
        raise _wrong_type(_("线"), shape)
    parts = [LineString(p.coords) for p in shapely.get_parts(shape) if p.length > MIN_LENGTH_DEG]
    if not parts:
        raise Rejected(_("线太短或为空"))
    if len(parts) > 1:
        out.notes.append(_("拆分为 %(n)d 段") % {"n": len(parts)})
    return parts


def _areas(shape, out: Classified) -> MultiPolygon:
    if shape.geom_type in ("LineString", "MultiLineString", "LinearRing"):
        # CAD draws an area as a closed polyline: the rings it closes are the area.
        found = [p for p in shapely.get_parts(shapely.polygonize(shapely.get_parts(shape))) if isinstance(p, Polygon)]
        if not found:
            raise Rejected(_("线没有闭合，不能作为面"))
        shape = MultiPolygon(found)
        out.notes.append(_("闭合线已转为面"))
    if shape.geom_type not in ("Polygon", "MultiPolygon"):
        raise _wrong_type(_("面"), shape)
    if not shape.is_valid:
        out.notes.append(_("已修复：%(problem)s") % {"problem": shapely.is_valid_reason(shape)})
        out.repaired = True
        shape = shapely.make_valid(shape)
    parts = [p for g in shapely.get_parts(shape) for p in shapely.get_parts(g) if isinstance(p, Polygon) and not p.is_empty]
    if not parts:
        raise Rejected(_("空面"))
    return MultiPolygon(parts)


def _kind(table: dict, value: str, default, out: Classified):
    if not value:
        return default
    found = table.get(value) or table.get(value.lower())
    if found is None:
        out.notes.append(_("未知类别 %(value)s，按 %(default)s 导入") % {"value": value, "default": default if isinstance(default, str) else default[0]})
        return default
    return found


def _width(value, out: Classified) -> float | None:
    if value in (None, ""):
        return None
    try:
        width = float(str(value).strip().removesuffix("m").removesuffix("米"))
    except ValueError:
        width = -1
    if not 0 < width < 200:
        out.notes.append(_("宽度 %(value)s 无效，已忽略") % {"value": value})
        return None
    return width


def _hours(text: str) -> tuple[dt.time | None, dt.time | None]:
    match = HOURS.search(text or "")
    if not match:
        return None, None
    h0, m0, h1, m1 = (int(v) for v in match.groups())
    try:
        return dt.time(h0 % 24, m0), dt.time(h1 % 24, m1)
    except ValueError:
        return None, None


def classify(kind: str, shape, attrs: dict) -> Classified:
    """`shape`: lon/lat, 2-D; `attrs`: role → value (name, class, width, hours)."""
    out = Classified()
    if shape is None or shape.is_empty:
        raise Rejected(_("没有几何"))
    name = str(attrs.get("name") or "").strip()[:NAME_MAX]
    cls = str(attrs.get("class") or "").strip()
    if kind in ("roads", "paths"):
        osm_kind, rank = _kind(ROAD_CLASSES, cls, DEFAULTS[kind], out)
        width = _width(attrs.get("width"), out)
        out.rows = [Road(kind=osm_kind[:KIND_MAX], rank=int(rank), name=name, width_m=width, geom=_geos(p))
                    for p in _lines(shape, kind, out)]
    elif kind == "walls":
        wall = _kind(WALL_CLASSES, cls, DEFAULTS[kind], out)
        out.rows = [Barrier(kind=wall, geom=_geos(p)) for p in _lines(shape, kind, out)]
    elif kind == "gates":
        if shape.geom_type not in ("Point", "MultiPoint"):
            raise _wrong_type(_("点"), shape)
        gate = _kind(GATE_CLASSES, cls, DEFAULTS[kind], out)
        hours = str(attrs.get("hours") or "").strip()[:200]
        opens, closes = _hours(hours)
        if hours and opens is None:
            out.notes.append(_("开放时间 %(hours)s 无法识别，按全天开放") % {"hours": hours})
        out.rows = [Gate(kind=gate, name=name, hours=hours, opens=opens, closes=closes, main=gate == "entrance_main",
                         geom=_geos(Point(p.coords[0]))) for p in shapely.get_parts(shape)]
    elif kind == "water":
        closed = shape.geom_type == "LinearRing" or (shape.geom_type == "LineString" and shape.is_closed)
        if shape.geom_type in ("Polygon", "MultiPolygon") or closed:
            water = _kind(WATER_CLASSES, cls, DEFAULTS["water"], out)
            out.rows = [Water(kind=water, name=name, geom=_geos(_areas(shape, out)))]
        else:
            waterway = _kind(WATERWAY_CLASSES, cls, DEFAULTS["waterway"], out)
            out.rows = [Waterway(kind=waterway, name=name, geom=_geos(p)) for p in _lines(shape, kind, out)]
    elif kind == "landuse":
        use = _kind(LANDUSE_CLASSES, cls, DEFAULTS[kind], out)
        out.rows = [Landuse(kind=use[:KIND_MAX], name=name, geom=_geos(_areas(shape, out)))]
    else:  # options.KINDS guards this
        raise Rejected(kind)
    return out
