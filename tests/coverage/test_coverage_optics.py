"""Camera optics against the test vectors of the shared notes (EN 62676-4 pixel densities)."""

import math

import pytest

from coverage import optics
from coverage.fov import band_limits
from coverage.levels import TABLES


def test_identify_reach_1920px_68deg():
    assert optics.reach(250, 1920, 68) == pytest.approx(5.7, abs=0.05)


@pytest.mark.parametrize("ppm, metres", [(25, 51.2), (62.5, 20.5), (125, 10.2), (250, 5.1)])
def test_dori_reach_2560px_90deg(ppm, metres):
    assert optics.reach(ppm, 2560, 90) == pytest.approx(metres, abs=0.05)


def test_pixel_density_is_the_inverse_of_reach():
    d = optics.reach(62.5, 2560, 90)
    assert optics.ppm_at(d, 2560, 90) == pytest.approx(62.5)
    assert optics.ppm_at(2 * d, 2560, 90) == pytest.approx(31.25)


def test_vfov_from_frame():  # (HFOV from the lens is the camera's stored effective_hfov_deg: tests/core/test_rules.py)
    assert optics.vfov(90, 1920, 1080) == pytest.approx(58.7, abs=0.05)


def test_blind_zone_vectors():
    vf = optics.vfov(90, 1920, 1080)
    assert optics.ground_footprint(3.5, 20, vf, 0.0).near_m == pytest.approx(3.0, abs=0.02)
    assert optics.ground_footprint(3.5, 20, vf, 1.7).near_m == pytest.approx(1.55, abs=0.02)


def test_far_edge_unbounded_when_the_frame_reaches_the_horizon():
    assert optics.ground_footprint(3.5, 20, 58.7).far_m == math.inf  # 20° < 29.35°
    fp = optics.ground_footprint(10, 60, 60)
    assert fp.near_m == 0.0 and fp.far_m == pytest.approx(10 / math.tan(math.radians(30)))


class _Level:
    def __init__(self, code, ppm):
        self.code, self.ppm = code, ppm


def test_band_limits_nest_the_levels_nearest_best():
    levels = [_Level(c, ppm) for c, _zh, _en, ppm in TABLES["en62676-4-2015"][1]]
    bands = {lv.code: (round(a, 2), round(b, 2)) for lv, a, b in band_limits(levels, 2560, 90)}
    assert bands["inspect"] == (0.0, 1.28)  # 1000 px/m
    assert bands["identify"] == (1.28, 5.12)
    assert bands["recognise"] == (5.12, 10.24) and bands["observe"] == (10.24, 20.48)
    assert bands["detect"] == (20.48, 51.2) and bands["monitor"] == (51.2, 102.4)


def test_seven_level_table_is_available_as_data():
    levels = [_Level(c, ppm) for c, _zh, _en, ppm in TABLES["iec62676-4-2025"][1]]
    assert len(levels) == 7
    bands = {lv.code: b for lv, _a, b in band_limits(levels, 2560, 90)}
    assert bands["overview"] == pytest.approx(64.0) and bands["scrutinise"] == pytest.approx(2560 / 3000)
