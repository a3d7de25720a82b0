"""Placement suggestions: where to add cameras in a grid for the most open space covered at a
minimum quality level.

Candidates are positions just outside building walls (corners and the middle of long walls) ×
eight headings; each candidate's view is computed exactly (fov.visible_region, shared by the eight
headings of a position). The uncovered open space is sampled on a lattice; choosing k candidates
that cover the most samples is maximum coverage, solved greedily and then as an integer program
(scipy `milp`, HiGHS) within a time limit — the better of the two is suggested. For a target
("90 % covered") the program minimises the number of cameras instead. The gain of each suggestion
is measured on the exact polygons, in the order of greedy marginal gains.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import shapely
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array, hstack, identity

from buildings.models import Building
from coverage import optics
from coverage.frame import frame_for
from coverage.gridcover import covered_by_level, open_space
from coverage.visibility import sector, visible_region

HEADINGS = tuple(range(0, 360, 45))
WALL_OFFSET_M = 0.3
MAX_POSITIONS = 400
MAX_SAMPLES = 12000


@dataclass(frozen=True)
class CameraModel:
    """The camera a suggestion is for (a typical new fixed camera unless told otherwise)."""

    hfov: float = 90.0
    resolution_h: int = 1920
    resolution_v: int = 1080
    mount_height: float = 4.0
    tilt: float = 15.0
    range_m: float | None = None


@dataclass
class Candidate:
    x: float
    y: float
    heading: float
    geom: object  # local view at ≥ level, within the grid's uncovered open space
    samples: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


@dataclass
class Plan:
    chosen: list[Candidate]
    gains_m2: list[float]
    method: str
    before_m2: float
    after_m2: float
    open_m2: float
    greedy_count: int = 0
    greedy_after_m2: float = 0.0
    seconds: float = 0.0
    candidates: int = 0
    samples: int = 0
    reachable_m2: float = 0.0  # what all candidates together could add


def wall_positions(footprints, area) -> list[tuple[float, float]]:
    """Points 0.3 m outside building corners and the middle of walls ≥ 8 m, within `area`."""
    pts = []
    for fp in footprints:
        ring = shapely.geometry.polygon.orient(fp, 1.0).exterior
        c = np.asarray(ring.coords)[:-1]
        n = len(c)
        for i in range(n):
            a, b, prev = c[i], c[(i + 1) % n], c[i - 1]
            e1, e0 = b - a, a - prev
            n1 = np.array([e1[1], -e1[0]]) / (np.hypot(*e1) or 1)  # outward normal (ccw ring: right side)
            n0 = np.array([e0[1], -e0[0]]) / (np.hypot(*e0) or 1)
            bis = n0 + n1
            if np.hypot(*bis) > 1e-9:
                corner = a + bis / np.hypot(*bis) * WALL_OFFSET_M * math.sqrt(2)
                pts.append(tuple(corner))
            if np.hypot(*e1) >= 8:
                pts.append(tuple((a + b) / 2 + n1 * WALL_OFFSET_M))
    inside = [p for p in pts if area.contains(shapely.Point(p))]
    if len(inside) > MAX_POSITIONS:  # thin evenly
        inside = inside[:: math.ceil(len(inside) / MAX_POSITIONS)]
    return inside


def lattice(geom, max_samples=MAX_SAMPLES):
    """Sample points (and the area each stands for) on a square lattice over a geometry."""
    if geom.is_empty or geom.area <= 0:
        return np.zeros((0, 2)), 1.0
    step = max(1.0, math.sqrt(geom.area / max_samples))
    minx, miny, maxx, maxy = geom.bounds
    xs, ys = np.meshgrid(np.arange(minx + step / 2, maxx, step), np.arange(miny + step / 2, maxy, step))
    xs, ys = xs.ravel(), ys.ravel()
    keep = shapely.contains_xy(geom, xs, ys)
    return np.column_stack((xs[keep], ys[keep])), step * step


def candidates(grid, level, model: CameraModel, *, ignore_existing=False):
    frame = frame_for(round(grid.boundary.centroid.x / 3) * 3)
    open_geom = open_space(grid, frame)
    from coverage.fov import default_levels

    levels = [lv for lv in default_levels() if lv.table_id == level.table_id]
    existing = shapely.Polygon() if ignore_existing else covered_by_level(grid, frame, levels, open_geom)[level.pk]
    uncovered = open_geom.difference(existing)
    margin = frame.to_lonlat(frame.to_local(grid.boundary).buffer(60.0))
    fps = [frame.to_local(g) for g in Building.objects.filter(footprint__intersects=margin)
           .values_list("footprint", flat=True)]
    vf = optics.vfov(model.hfov, model.resolution_h, model.resolution_v)
    ground = optics.ground_footprint(model.mount_height, model.tilt, vf, _target())
    reach = min(optics.reach(level.ppm, model.resolution_h, model.hfov), ground.far_m, model.range_m or math.inf)
    tree = shapely.STRtree(fps)
    out = []
    for x, y in wall_positions([fp for fp in fps if fp.intersects(open_geom.buffer(1))], open_geom.buffer(0.5)):
        near = [fps[i] for i in tree.query(shapely.box(x - reach, y - reach, x + reach, y + reach))]
        around, (cx, cy) = visible_region(x, y, 0, 360, reach, near, near_m=ground.near_m)
        around = around.intersection(uncovered)
        if around.is_empty:
            continue
        for h in HEADINGS:
            g = around.intersection(sector(cx, cy, h, model.hfov, reach + 1e-6))
            if g.area > 1.0:
                out.append(Candidate(cx, cy, h, g))
    return frame, open_geom, existing, uncovered, out


def _target():
    from coverage.fov import target_height_m

    return target_height_m()


def greedy(sets: list[np.ndarray], n_samples: int, k: int | None, target: int | None) -> list[int]:
    covered = np.zeros(n_samples, dtype=bool)
    chosen = []
    while (k is None or len(chosen) < k) and (target is None or covered.sum() < target):
        gains = [0 if i in chosen else int((~covered[s]).sum()) for i, s in enumerate(sets)]
        best = int(np.argmax(gains)) if gains else -1
        if best < 0 or gains[best] == 0:
            break
        chosen.append(best)
        covered[sets[best]] = True
    return chosen


def exact(sets, n_samples, k, target, time_limit):
    """x_i (cameras) binary, y_j (samples) in [0, 1] with y_j ≤ Σ x_i over sets containing j."""
    n = len(sets)
    rows = np.concatenate(sets) if sets else np.zeros(0, dtype=np.int64)
    cols = np.concatenate([np.full(len(s), i) for i, s in enumerate(sets)]) if sets else rows
    a = csr_array((np.ones(len(rows)), (rows, cols)), shape=(n_samples, n))
    # y_j − Σ_i a_ji x_i ≤ 0
    cover = hstack([-a, identity(n_samples, format="csr")], format="csr")
    cons = [LinearConstraint(cover, -np.inf, 0)]
    if target is None:
        cons.append(LinearConstraint(csr_array(np.r_[np.ones(n), np.zeros(n_samples)][None, :]), 0, k))
        c = np.r_[np.zeros(n), -np.ones(n_samples)]  # maximise covered samples
    else:
        cons.append(LinearConstraint(csr_array(np.r_[np.zeros(n), np.ones(n_samples)][None, :]), target, np.inf))
        c = np.r_[np.ones(n), np.zeros(n_samples)]  # minimise cameras
    integrality = np.r_[np.ones(n), np.zeros(n_samples)]
    res = milp(c, constraints=cons, integrality=integrality,
               bounds=Bounds(0, 1), options={"time_limit": time_limit, "disp": False})
    if res.x is None:
        return None, res.message
    return [i for i in range(n) if res.x[i] > 0.5], ("optimal" if res.status == 0 else "time limit")


def suggest(grid, level, *, count: int | None = None, target_percent: float | None = None,
            model: CameraModel = CameraModel(), time_limit: float = 10.0, ignore_existing=False) -> Plan:
    if (count is None) == (target_percent is None):
        raise ValueError("give either a number of cameras or a target percentage")
    t0 = time.perf_counter()
    frame, open_geom, existing, uncovered, cands = candidates(grid, level, model, ignore_existing=ignore_existing)
    samples, cell = lattice(uncovered)
    sets = [np.flatnonzero(shapely.contains_xy(c.geom, samples[:, 0], samples[:, 1])) for c in cands]
    before = existing.area
    reachable = shapely.union_all([c.geom for c in cands]).area if cands else 0.0
    if target_percent is not None and target_percent < 0:  # -p: p % of what the candidates can reach
        target_percent = 100 * (before + -target_percent / 100 * reachable) / open_geom.area
    target = None
    if target_percent is not None:
        need = target_percent / 100 * open_geom.area - before
        if need <= 0:
            return Plan([], [], "already met", before, before, open_geom.area, seconds=time.perf_counter() - t0)
        target = min(len(samples), math.ceil(need / cell))
    g = greedy(sets, len(samples), count, target)
    greedy_after = before + _union_area(cands, g)
    picked, how = g, "greedy"
    remaining = time_limit - (time.perf_counter() - t0)
    if cands and len(samples) and remaining > 0.5:
        x, status = exact(sets, len(samples), count, target, remaining)
        if x is not None:
            better = (len(x) < len(g) or (len(x) == len(g) and _union_area(cands, x) > greedy_after - before)) \
                if target is not None else _union_area(cands, x) > greedy_after - before + 1e-6
            if better:
                picked, how = x, f"milp ({status})"
            else:
                how = f"greedy, milp no better ({status})"
    ordered, gains, acc = [], [], shapely.Polygon()
    rest = list(picked)
    while rest:  # report in order of marginal gain
        best = max(rest, key=lambda i: cands[i].geom.difference(acc).area)
        gains.append(cands[best].geom.difference(acc).area)
        acc = shapely.union_all([acc, cands[best].geom])
        ordered.append(cands[best])
        rest.remove(best)
    return Plan(ordered, gains, how, before, before + acc.area, open_geom.area, greedy_count=len(g),
                greedy_after_m2=greedy_after, seconds=time.perf_counter() - t0, candidates=len(cands),
                samples=len(samples), reachable_m2=reachable)


def _union_area(cands, idx) -> float:
    return shapely.union_all([cands[i].geom for i in idx]).area if idx else 0.0


def as_geojson(plan: Plan, grid) -> dict:
    frame = frame_for(round(grid.boundary.centroid.x / 3) * 3)
    feats = []
    for n, (c, gain) in enumerate(zip(plan.chosen, plan.gains_m2), start=1):
        lon, lat = frame.inv.transform(c.x, c.y)
        true_heading = (c.heading - (frame.grid_azimuth(lon, lat, 0.0))) % 360
        feats.append({"type": "Feature", "id": n, "geometry": {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]},
                      "properties": {"rank": n, "heading": round(true_heading, 1), "gain_m2": round(gain, 1),
                                     "gain_percent": round(100 * gain / plan.open_m2, 2) if plan.open_m2 else 0}})
    return {"type": "FeatureCollection", "features": feats}
