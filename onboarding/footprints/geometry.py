"""Reducing a feature's geometry to one valid building footprint, or rejecting it."""

from __future__ import annotations

import shapely
from pyproj import Geod
from shapely.geometry import MultiPolygon, Polygon

from django.utils.translation import gettext as _

from onboarding.errors import Rejected

MIN_AREA_M2 = 2.0

_GEOD = Geod(ellps="WGS84")


def area_m2(polygon: Polygon) -> float:
    return abs(_GEOD.geometry_area_perimeter(polygon)[0])


def footprint_of(shape, repair: bool, notes: list[str]) -> tuple[Polygon, bool]:
    """Reduce a lon/lat geometry to one valid polygon; returns (polygon, repaired)."""
    if shape.is_empty:
        raise Rejected(_("空几何"))
    if not isinstance(shape, (Polygon, MultiPolygon)):
        raise Rejected(_("不是面：%(kind)s") % {"kind": shape.geom_type})
    xmin, ymin, xmax, ymax = shape.bounds
    if not (-180 <= xmin and xmax <= 180 and -90 <= ymin and ymax <= 90):
        raise Rejected(_("转换后坐标超出经纬度范围"))
    repaired = False
    if not shape.is_valid:
        problem = shapely.is_valid_reason(shape)
        if not repair:
            raise Rejected(_("几何无效：%(problem)s（可用 --repair 修复）") % {"problem": problem})
        shape = shapely.make_valid(shape)
        notes.append(_("已修复：%(problem)s") % {"problem": problem})
        repaired = True
    parts = [p for p in shapely.get_parts(shape) if isinstance(p, Polygon) and not p.is_empty]
    if not parts:
        raise Rejected(_("修复后没有面"))
    areas = [area_m2(p) for p in parts]
    substantial = sorted((a, i) for i, a in enumerate(areas) if a >= MIN_AREA_M2)
    if not substantial:
        raise Rejected(_("面积过小：%(area).2f m² < %(min)g m²") % {"area": max(areas), "min": MIN_AREA_M2})
    largest_area, largest = substantial[-1]
    if len(substantial) > 1:
        if not repair:
            raise Rejected(_("多部件面（%(n)s 个，可用 --repair 修复）") % {"n": len(substantial)})
        notes.append(_("保留最大部件（共 %(n)s 个；%(largest).1f m²，合计 %(total).1f m²）")
                     % {"n": len(substantial), "largest": largest_area, "total": sum(areas)})
        repaired = True
    elif len(parts) > 1:
        notes.append(_("删除 %(n)s 个碎片（小于 %(min)g m²）") % {"n": len(parts) - 1, "min": MIN_AREA_M2})
    return parts[largest], repaired

