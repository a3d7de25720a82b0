"""Coverage of a small hand-computed layout, per grid and mesh, blind spots split by mesh.

    grid 100..140 × 100..120 m, meshes A (x < 120) and B (x > 120)
    one building 120..125 × 100..120 (full height of the grid: B's open space is 15 × 20 = 300 m²)
    camera at (90, 110) looking east, HFOV 100°, 5000 px: Observe reaches 33.6 m, Recognise 16.8 m,
    Identify 8.4 m; 30 m mast, tilt 60°, VFOV 60°: no blind zone, ground visible to 49 m.

By hand: open space 800 − 100 = 700 m². At Observe the camera sees all of mesh A (its cone is 23.8 m
wide at x = 100 and the farthest corner is 31.6 m away) and nothing of B (every ray into B crosses
the building): 400 m², 57.1 %; the one blind spot is B's 300 m². At Identify nothing (8.4 m < 10 m).
At Recognise: ∫ min(2·√(r² − (x − 90)²), 20) dx over x = 100 … 90 + r, r = 16.78 m.
"""

import math

import numpy as np
import pytest

from coverage.models import AreaCoverage, BlindSpot
from gis_core.models import Camera
from tests.factories import make_building, make_camera, point

pytestmark = pytest.mark.django_db

R_OBSERVE = 5000 / (2 * 62.5 * math.tan(math.radians(50)))
R_RECOGNISE = R_OBSERVE / 2


def coverage(area, level):
    return AreaCoverage.objects.get(area=area, level__code=level)


def blind_spots(grid, level):
    """Blind spots as the API serves them: an edit drops them, the first read computes them."""
    from coverage.fov import default_levels
    from coverage.gridcover import ensure_blind_spots

    levels = default_levels()
    ensure_blind_spots(grid, next(lv for lv in levels if lv.code == level), levels)
    return BlindSpot.objects.filter(grid=grid, level__code=level)


def recognise_by_hand():
    r = R_RECOGNISE
    x = np.linspace(100, 90 + r, 200001)
    width = np.minimum(2 * np.sqrt(np.maximum(r**2 - (x - 90) ** 2, 0)), 20)
    return float(np.trapezoid(width, x))


def test_grid_and_mesh_coverage_by_hand(layout):
    g = coverage(layout["grid"], "observe")
    assert g.open_m2 == pytest.approx(700, rel=1e-3)
    assert g.covered_m2 == pytest.approx(400, rel=1e-3)
    assert g.percent == pytest.approx(57.14, abs=0.1)
    assert coverage(layout["a"], "observe").percent == pytest.approx(100, abs=0.1)
    assert coverage(layout["b"], "observe").covered_m2 == pytest.approx(0, abs=0.01)
    assert coverage(layout["b"], "observe").open_m2 == pytest.approx(300, rel=1e-3)
    assert coverage(layout["grid"], "identify").covered_m2 == pytest.approx(0, abs=0.01)
    assert coverage(layout["grid"], "recognise").covered_m2 == pytest.approx(recognise_by_hand(), rel=2e-3)
    # Detect and Monitor contain Observe
    assert coverage(layout["grid"], "detect").covered_m2 == pytest.approx(400, rel=1e-3)


def test_blind_spots_are_split_by_mesh(layout):
    assert not BlindSpot.objects.exists()  # not computed until asked for
    spots = list(blind_spots(layout["grid"], "observe"))
    assert [(s.mesh.name, round(s.area_m2)) for s in spots] == [("B", 300)]
    recognise = blind_spots(layout["grid"], "recognise")
    assert blind_spots(layout["grid"], "observe").count() == 1  # still there
    assert {s.mesh.name for s in recognise} == {"A", "B"}
    assert sum(s.area_m2 for s in recognise) == pytest.approx(700 - recognise_by_hand(), rel=2e-3)


def test_moving_the_camera_moves_the_coverage(layout):
    c = layout["camera"]
    c.location = point(150, 110)  # east of the grid, looking west: now it sees B, and A is behind the building
    c.heading_deg = 270
    c.save()
    assert coverage(layout["grid"], "observe").covered_m2 == pytest.approx(300, rel=1e-3)
    assert coverage(layout["a"], "observe").covered_m2 == pytest.approx(0, abs=0.01)
    assert [s.mesh.name for s in blind_spots(layout["grid"], "observe")] == ["A"]
    c.delete()
    assert coverage(layout["grid"], "observe").covered_m2 == 0


def test_a_ptz_sweep_does_not_count_as_covered(layout):
    ptz = make_camera(layout["grid"].community, code="PTZ", at=(110, 110), heading=0, ptz_type=Camera.PTZType.DOME,
              hfov_deg=60, resolution_h=1920, ptz_zoom_max=10, range_m=5)
    # its preset looks north within 5 m: a 60° sector of 5 m (minus the blind zone) in mesh A
    assert ptz.view_bands.filter(kind="sweep").exists()
    covered = coverage(layout["grid"], "detect").covered_m2
    assert covered == pytest.approx(400, rel=1e-3)  # A was already fully covered by the fixed camera
    layout["camera"].delete()
    preset = sum(b.area_m2 for b in ptz.view_bands.filter(kind="preset"))
    assert 0 < coverage(layout["grid"], "monitor").covered_m2 == pytest.approx(preset, rel=1e-3)
    assert preset < math.pi * 25 / 6 + 0.1  # the 360° sweep (78 m²) would be far more


def test_a_new_building_no_camera_sees_changes_open_space_when_next_read(layout):
    from coverage.api import coverage_rows
    from coverage.fov import default_levels

    make_building("shed", (130, 105, 135, 110))  # in mesh B, hidden from the camera: 25 m² less open space
    assert not AreaCoverage.objects.filter(area=layout["grid"]).exists()  # dropped, not recomputed per building
    assert AreaCoverage.objects.filter(area=layout["a"]).exists()  # mesh A is untouched
    levels = default_levels()
    observe = next(lv for lv in levels if lv.code == "observe")
    rows = coverage_rows([layout["grid"], layout["b"]], observe, levels)
    assert rows[layout["grid"].pk].open_m2 == pytest.approx(675, rel=1e-3)
    assert rows[layout["grid"].pk].covered_m2 == pytest.approx(400, rel=1e-3)
    assert rows[layout["b"].pk].open_m2 == pytest.approx(275, rel=1e-3)
    assert sum(s.area_m2 for s in blind_spots(layout["grid"], "observe")) == pytest.approx(275, rel=1e-3)
