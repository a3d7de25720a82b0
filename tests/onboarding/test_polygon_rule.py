"""Footprints and boundaries are made valid (or refused) by one rule,
onboarding.footprints.geometry.polygon_parts: the same parts, the same notes; only the refusal's
wording is the caller's."""

from __future__ import annotations

import pytest
import shapely
from django.utils import translation
from shapely.geometry import LineString, MultiPolygon, Polygon

from onboarding.errors import Rejected
from onboarding.footprints.geometry import footprint_of, polygon_parts

# crossing at (102.704, 25.004): a small left part and a larger right one
BOW_TIE = Polygon([(102.70, 25.00), (102.71, 25.01), (102.71, 25.00), (102.70, 25.0066667)])


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


def test_valid_polygons_pass_unchanged():
    square = Polygon([(102.70, 25.00), (102.70, 25.01), (102.71, 25.01), (102.71, 25.00)])
    notes = []
    assert polygon_parts(square, False, notes) == ([square], False) and notes == []
    two = MultiPolygon([square, shapely.affinity.translate(square, 0.02)])
    assert len(polygon_parts(two, False, [])[0]) == 2


def test_invalid_refused_or_repaired_with_a_note():
    with pytest.raises(Rejected) as refused:
        polygon_parts(BOW_TIE, False, [])
    assert "几何无效：Self-intersection" in str(refused.value)
    with pytest.raises(Rejected) as refused:
        polygon_parts(BOW_TIE, False, [], invalid="边界无效：%(problem)s（确认后可用 --repair 修复）")
    assert "边界无效：Self-intersection" in str(refused.value)
    notes = []
    parts, repaired = polygon_parts(BOW_TIE, True, notes)
    assert repaired and len(parts) == 2 and all(p.is_valid for p in parts)
    assert len(notes) == 1 and notes[0].startswith("已修复：Self-intersection[")


@pytest.mark.parametrize("shape,says", [(Polygon(), "空几何"), (LineString([(0, 0), (1, 1)]), "不是面：LineString")])
def test_not_a_polygon(shape, says):
    with pytest.raises(Rejected) as refused:
        polygon_parts(shape, True, [])
    assert says in str(refused.value)


def test_a_footprint_keeps_the_largest_part_of_the_same_repair():
    notes = []
    polygon, repaired = footprint_of(BOW_TIE, True, notes)
    assert repaired and polygon.equals(max(polygon_parts(BOW_TIE, True, [])[0], key=lambda p: p.area))
    with pytest.raises(Rejected, match="超出经纬度范围"):
        footprint_of(Polygon([(500, 0), (500, 1), (501, 1)]), True, [])
