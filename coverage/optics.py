"""Camera optics (EN/IEC 62676-4 "DORI"): pixel density, reach of a quality level, blind zone.

Pure functions of the camera parameters; distances in metres, angles in degrees. Formulas and
test vectors: shared notes "Cameras" (tests/coverage/test_coverage_optics.py). The HFOV of a camera
given by its lens, 2·atan(s_w / 2f), is its stored effective_hfov_deg (gis_core/models.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def vfov(hfov_deg: float, n_h: int, n_v: int) -> float:
    """VFOV = 2·atan(tan(HFOV/2)·N_v/N_h)."""
    return math.degrees(2 * math.atan(math.tan(math.radians(hfov_deg) / 2) * n_v / n_h))


def ppm_at(distance_m: float, n_h: int, hfov_deg: float) -> float:
    """Pixels per metre at a distance: N_h / (2·d·tan(HFOV/2))."""
    if distance_m <= 0:
        return math.inf
    return n_h / (2 * distance_m * math.tan(math.radians(min(hfov_deg, 179.0)) / 2))


def reach(ppm_level: float, n_h: int, hfov_deg: float) -> float:
    """Largest distance giving at least `ppm_level` px/m: N_h / (2·ppm·tan(HFOV/2))."""
    return n_h / (2 * ppm_level * math.tan(math.radians(min(hfov_deg, 179.0)) / 2))


@dataclass(frozen=True)
class GroundFootprint:
    near_m: float  # ground distance where the image starts (the blind zone under the camera ends)
    far_m: float  # ground distance where the image ends (math.inf when the upper edge is at or above the horizon)


def ground_footprint(mount_height_m: float, tilt_deg: float, vfov_deg: float, target_height_m: float = 0.0
                     ) -> GroundFootprint:
    """Near blind zone (H − h)/tan(θ + VFOV/2) and far edge (H − h)/tan(θ − VFOV/2) at target height h.

    A target as tall as the mount (or taller) is seen from the foot of the mast: no blind zone.
    """
    dh = mount_height_m - target_height_m
    if dh <= 0:
        return GroundFootprint(0.0, math.inf)
    lower = math.radians(tilt_deg + vfov_deg / 2)
    upper = math.radians(tilt_deg - vfov_deg / 2)
    near = 0.0 if lower >= math.pi / 2 else dh / math.tan(lower)
    far = math.inf if upper <= 0 else dh / math.tan(upper)
    return GroundFootprint(near, far)
