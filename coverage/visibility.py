"""Exact 2D visibility of a point among polygon obstacles, in local metres (shapely).

A ground point q is hidden from the camera at p exactly when the segment p→q crosses a wall.
The region hidden by one wall segment ab is its *shadow*: the part of the cone p·a·b beyond ab.
The visible region is therefore

    sector(p, heading, HFOV, R) − ∪ shadow(wall) − ∪ footprint

with every wall facing p (a wall facing away is always behind a facing wall of the same
footprint). This is exact — the boundary is made of wall pieces and rays through wall end points,
the same polygon a rotational sweep produces — up to the arcs of the circle of radius R, drawn
with a chord every `ARC_STEP_DEG` (3 mm sagitta at 80 m). No rays are sampled.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import Point, Polygon
from shapely.geometry.polygon import orient

ARC_STEP_DEG = 1.0
NUDGE_M = 0.05  # a camera on (or, by survey error, just inside) a wall is moved this far outside it


def _arc(cx: float, cy: float, r: float, az_from: float, az_to: float) -> np.ndarray:
    """Points of the arc of radius r from azimuth az_from clockwise to az_to (degrees, north = 0)."""
    span = az_to - az_from
    n = max(1, math.ceil(abs(span) / ARC_STEP_DEG))
    azs = np.radians(np.linspace(az_from, az_to, n + 1))
    return np.column_stack((cx + r * np.sin(azs), cy + r * np.cos(azs)))


def sector(x: float, y: float, heading_deg: float, fov_deg: float, radius: float) -> Polygon:
    """The sector of a camera (azimuths clockwise from grid north); a full disc when fov ≥ 360°."""
    if radius <= 0:
        return Polygon()
    if fov_deg >= 360:
        return Polygon(_arc(x, y, radius, 0, 360)[:-1])
    return Polygon(np.vstack(([[x, y]], _arc(x, y, radius, heading_deg - fov_deg / 2, heading_deg + fov_deg / 2))))


def disc(x: float, y: float, radius: float) -> Polygon:
    return sector(x, y, 0, 360, radius)


def place_outside(x: float, y: float, footprints) -> tuple[float, float]:
    """A camera mounted on a wall is surveyed on (or inside) the footprint: move it just outside,
    through the nearest wall."""
    p = Point(x, y)
    for fp in footprints:
        inside = fp.contains(p)
        if not inside and fp.exterior.distance(p) >= NUDGE_M / 2:
            continue
        ring = fp.exterior
        s = ring.project(p)
        near = ring.interpolate(s)
        # the wall's direction at that point, and its normal pointing out of the footprint
        ahead, behind = ring.interpolate(s + 0.01), ring.interpolate(max(s - 0.01, 0.0))
        tx, ty = ahead.x - behind.x, ahead.y - behind.y
        t = math.hypot(tx, ty) or 1.0
        nx, ny = ty / t, -tx / t
        if fp.contains(Point(near.x + nx * NUDGE_M, near.y + ny * NUDGE_M)):
            nx, ny = -nx, -ny
        return near.x + nx * NUDGE_M, near.y + ny * NUDGE_M
    return x, y


def shadows(x: float, y: float, footprints, radius: float) -> list[Polygon]:
    """The shadow polygon of every wall facing (x, y) within `radius`."""
    far = 2.0 * radius
    out = []
    for fp in footprints:
        fp = orient(fp, 1.0)  # exterior counter-clockwise, holes clockwise: material on the left
        for ring in (fp.exterior, *fp.interiors):
            c = np.asarray(ring.coords)
            a, b = c[:-1], c[1:]
            # facing p: p on the right of a→b
            cross = (b[:, 0] - a[:, 0]) * (y - a[:, 1]) - (b[:, 1] - a[:, 1]) * (x - a[:, 0])
            for (ax, ay), (bx, by) in zip(a[cross < -1e-9], b[cross < -1e-9]):
                az_a = math.degrees(math.atan2(ax - x, ay - y))
                az_b = math.degrees(math.atan2(bx - x, by - y))
                span = (az_b - az_a) % 360  # p on the right of a→b: the wall runs clockwise from a to b
                if span <= 0 or span >= 180:
                    continue
                # ray through b, arc back to the ray through a: chords of ≤1° at 2R stay beyond R, and
                # beyond both ends of a wall longer than that
                reach = max(far, 1.05 * math.hypot(ax - x, ay - y), 1.05 * math.hypot(bx - x, by - y))
                arc = _arc(x, y, reach, az_a + span, az_a)
                out.append(Polygon(np.vstack(([[ax, ay], [bx, by]], arc))))
    return [s if s.is_valid else shapely.make_valid(s) for s in out if not s.is_empty]


def visible_region(x: float, y: float, heading_deg: float, fov_deg: float, radius: float, footprints,
                   near_m: float = 0.0):
    """Ground visible from (x, y) within the sector, minus footprints and the near blind disc.

    `footprints` are shapely Polygons in the same local metric frame; only those near the sector
    matter (the caller may pass more). Returns (geometry, camera point actually used).
    """
    footprints = [fp for fp in footprints if not fp.is_empty]
    x, y = place_outside(x, y, footprints)
    view = sector(x, y, heading_deg, fov_deg, radius)
    if view.is_empty:
        return view, (x, y)
    near = [fp for fp in footprints if fp.distance(Point(x, y)) < radius]
    blockers = shadows(x, y, near, radius) + near
    if blockers:
        view = view.difference(shapely.union_all(blockers))
    if near_m > 0:
        view = view.difference(disc(x, y, near_m))
    return shapely.make_valid(view) if not view.is_valid else view, (x, y)
