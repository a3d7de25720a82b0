"""Reducing a feature's geometry to one valid building footprint, or rejecting it."""

from __future__ import annotations

import shapely
from pyproj import Geod
from shapely.geometry import MultiPolygon, Polygon

from onboarding.errors import Rejected

MIN_AREA_M2 = 2.0

_GEOD = Geod(ellps="WGS84")


def area_m2(polygon: Polygon) -> float:
    return abs(_GEOD.geometry_area_perimeter(polygon)[0])


def footprint_of(shape, repair: bool, notes: list[str]) -> tuple[Polygon, bool]:
    """Reduce a lon/lat geometry to one valid polygon; returns (polygon, repaired)."""
    if shape.is_empty:
        raise Rejected("空几何 / empty geometry")
    if not isinstance(shape, (Polygon, MultiPolygon)):
        raise Rejected(f"不是面 / not a polygon: {shape.geom_type}")
    xmin, ymin, xmax, ymax = shape.bounds
    if not (-180 <= xmin and xmax <= 180 and -90 <= ymin and ymax <= 90):
        raise Rejected("转换后坐标超出经纬度范围 / coordinates outside longitude/latitude after transformation")
    repaired = False
    if not shape.is_valid:
        problem = shapely.is_valid_reason(shape)
        if not repair:
            raise Rejected(f"几何无效 / invalid geometry: {problem} (use --repair)")
        shape = shapely.make_valid(shape)
        notes.append(f"已修复 / repaired: {problem}")
        repaired = True
    parts = [p for p in shapely.get_parts(shape) if isinstance(p, Polygon) and not p.is_empty]
    if not parts:
        raise Rejected("修复后没有面 / nothing polygonal left after repair")
    areas = [area_m2(p) for p in parts]
    substantial = sorted((a, i) for i, a in enumerate(areas) if a >= MIN_AREA_M2)
    if not substantial:
        raise Rejected(f"面积过小 / footprint too small: {max(areas):.2f} m² < {MIN_AREA_M2:g} m²")
    largest_area, largest = substantial[-1]
    if len(substantial) > 1:
        if not repair:
            raise Rejected(f"多部件面（{len(substantial)} 个）/ multipolygon with {len(substantial)} parts (use --repair)")
        notes.append(f"保留最大部件 / kept the largest of {len(substantial)} parts "
                     f"({largest_area:.1f} of {sum(areas):.1f} m²)")
        repaired = True
    elif len(parts) > 1:
        notes.append(f"删除 {len(parts) - 1} 个碎片 / dropped {len(parts) - 1} sliver part(s) under {MIN_AREA_M2:g} m²")
    return parts[largest], repaired

