"""From the features of a source to boundary candidates: level, code, attributes and a valid
lon/lat multipolygon each — or a report row saying why not."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import shapely
from django.contrib.gis.gdal import CoordTransform
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.utils.translation import gettext as _
from shapely.errors import GEOSException
from shapely.geometry import MultiPolygon as ShapelyMultiPolygon, Polygon

from gis_core.spatial import STORAGE_SRID
from onboarding import crs
from onboarding.boundaries import fields as f
from onboarding.boundaries.options import CODE_DIGITS, BoundaryOptions
from onboarding.errors import Rejected
from onboarding.report import ReportRow, reject
from onboarding.source import RawFeature


@dataclass
class Boundary:
    row: ReportRow
    level: str
    code: str  # as given ("" when the file has none); the written code lands in row.code
    name: str
    parent_code: str
    kind: str
    person: str
    phone: str
    valid_from: dt.date | None
    geometry: MultiPolygon  # lon/lat (EPSG:4326)
    notes: list[str] = field(default_factory=list)
    parent: object = None  # the Community (grids) or Grid (meshes) it belongs to
    community_id: int | None = None
    existing: object = None  # the Community or Grid of the same code, when updating

    def reject(self, reason: str) -> None:
        reject(self.row, "; ".join([*self.notes, reason]))

    @property
    def rejected(self) -> bool:
        return self.row.action is not None


def boundary(feature: RawFeature, layer: str, fields: f.BoundaryFields, options: BoundaryOptions,
             to_storage: CoordTransform, row: ReportRow) -> Boundary | None:
    attributes = feature.attributes
    code = fields.text(attributes, "code")
    row.source_id = code or fields.text(attributes, "name") or f"{layer}#{feature.index}"
    notes: list[str] = []
    try:
        level = options.level or f.level_of(fields.text(attributes, "level")) or _level_from_code(code)
        if code and not (code.isdigit() and len(code) == CODE_DIGITS[level]):
            raise Rejected(_("编码 %(code)s 格式不对：%(level)s 编码应为 %(n)d 位数字")
                           % {"code": code, "level": level, "n": CODE_DIGITS[level]})
        geometry = _multipolygon(feature, to_storage, options.repair, notes)
        candidate = Boundary(
            row=row, level=level, code=code,
            name=f.checked_text(fields.text(attributes, "name"), f.NAME_MAX, _("名称")),
            parent_code=fields.text(attributes, "parent"),
            kind=f.kind_of(fields.text(attributes, "kind")),
            person=f.checked_text(fields.text(attributes, "person"), f.PERSON_MAX, _("责任人")),
            phone=f.checked_text(fields.text(attributes, "phone"), f.PHONE_MAX, _("电话")),
            valid_from=f.date_of(fields.value(attributes, "valid_from")),
            geometry=geometry, notes=notes,
        )
    except (Rejected, GEOSException) as exc:
        reject(row, "; ".join([*notes, str(exc)]))
        return None
    return candidate


def _level_from_code(code: str) -> str:
    for level, digits in CODE_DIGITS.items():
        if code.isdigit() and len(code) == digits:
            return level
    raise Rejected(_("无法确定层级：请用 --level 指定（community、grid 或 mesh），或给出 12/15/18 位编码"))


def _multipolygon(feature: RawFeature, to_storage: CoordTransform, repair: bool, notes: list[str]) -> MultiPolygon:
    if feature.geometry is None:
        raise Rejected(_("没有几何"))
    shape = crs.in_storage(feature.geometry, to_storage)
    if shape.geom_type in ("LineString", "MultiLineString", "LinearRing"):
        # CAD (DXF) draws a boundary as a closed polyline: the ring it closes is the polygon.
        shape = shapely.polygonize(shapely.get_parts(shape))
        shape = ShapelyMultiPolygon([p for p in shapely.get_parts(shape) if isinstance(p, Polygon)])
        if shape.is_empty:
            raise Rejected(_("线没有闭合，不能作为边界"))
        notes.append(_("闭合线已转为面"))
    if shape.is_empty:
        raise Rejected(_("空几何"))
    if shape.geom_type not in ("Polygon", "MultiPolygon"):
        raise Rejected(_("不是面：%(type)s") % {"type": shape.geom_type})
    if not shape.is_valid:
        problem = shapely.is_valid_reason(shape)
        if not repair:
            raise Rejected(_("边界无效：%(problem)s（确认后可用 --repair 修复）") % {"problem": problem})
        shape = shapely.make_valid(shape)
        notes.append(_("已修复：%(problem)s") % {"problem": problem})
    parts = [p for g in shapely.get_parts(shape) for p in shapely.get_parts(g) if isinstance(p, Polygon) and not p.is_empty]
    if not parts:
        raise Rejected(_("修复后没有面"))
    return GEOSGeometry(memoryview(shapely.to_wkb(ShapelyMultiPolygon(parts))), srid=STORAGE_SRID)
