#!/usr/bin/env python
"""Benchmark: camera fields of view, coverage, edits and placement.

    make bench-cameras            # or: .venv/bin/python bench/cameras.py [--skip-city]

1. Demo community (own database `bench_cameras_demo`, seeded if missing): all views and the
   coverage of every grid (`compute_coverage`).
2. Edits on the demo: 60 PATCHes through the planner API (turn 30°, move 4 m, tilt) of 20 cameras,
   each answered after the camera's view and its grids' coverage (all levels) are recomputed and
   stored: p50/p95/max server time. Target p95 < 500 ms.
3. City scale (`bench_cameras`: a copy of the tile benchmark's city database when it exists,
   otherwise seeded from scratch — 67 communities, ≈100,000 buildings): cameras are added on
   building corners (deterministic) up to 10,000, then every view is computed, one community at a
   time; time, cameras/s, peak memory.
4. Placement on the demo, Observe level, a typical new camera (1920 px, 90°, 4 m, tilt 15°), from
   nothing: greedy vs integer program (scipy milp/HiGHS, time limit) — cameras needed for 90 % of
   a grid's open space, and the coverage 10 cameras reach.

Writes bench/results/cameras.json and cameras.md.
"""

from __future__ import annotations

import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "tiles"))
sys.path.insert(0, str(HERE.parent))

from common import RESULTS, base_env, log, psql, with_database  # noqa: E402
from datasets import CITY, Dataset, ensure  # noqa: E402

DEMO = Dataset("cameras-demo", "demo community (no tenants)", "bench_cameras_demo", ("--no-tenants",),
               1_000, 20_000, 1)
CITY_CAMS = Dataset("cameras-city", "city scale (67 communities)", "bench_cameras", ("--scale", "67", "--no-tenants"),
                    100_000, 1_000_000, 67)
TARGET_CAMERAS = 10_000
PLACEMENT_GRIDS = 2
PLACEMENT_TIME_LIMIT = 60.0


def copy_city(env) -> None:
    """Copy the tile benchmark's city (saves ~7 minutes of seeding) when it exists and ours does not."""
    admin = with_database(env["DATABASE_URL"], "postgres")
    exists = psql(admin, f"SELECT count(*) FROM pg_database WHERE datname IN ('{CITY_CAMS.database}', '{CITY.database}')")
    have_ours = psql(admin, f"SELECT count(*) FROM pg_database WHERE datname = '{CITY_CAMS.database}'") == "1"
    if have_ours or exists == "0":
        return
    for attempt in range(10):
        try:
            psql(admin, f'CREATE DATABASE "{CITY_CAMS.database}" TEMPLATE "{CITY.database}"')
            log(f"copied {CITY.database} into {CITY_CAMS.database}")
            return
        except RuntimeError as e:
            if "being accessed by other users" not in str(e):
                raise
            log("template busy, retrying in 10 s")
            time.sleep(10)
    log("could not copy the city database: it will be seeded from scratch")


def all_views_demo() -> dict:
    from coverage import fov, gridcover
    from coverage.models import AreaCoverage, ViewBand
    from gis_core.models import Camera, Grid

    levels = fov.default_levels()
    t0 = time.perf_counter()
    fov.recompute_views(Camera.objects.all(), levels)
    t1 = time.perf_counter()
    grids = list(Grid.objects.grids().current())
    for g in grids:
        gridcover.compute(g, levels, levels)  # with blind spots at every level
    t2 = time.perf_counter()
    observe = AreaCoverage.objects.filter(area__level="grid", level__code="observe")
    open_m2 = sum(c.open_m2 for c in observe)
    covered = sum(c.covered_m2 for c in observe)
    return {"cameras": Camera.objects.count(), "bands": ViewBand.objects.count(), "views_s": round(t1 - t0, 2),
            "grids": len(grids), "coverage_s": round(t2 - t1, 2),
            "community_open_m2": round(open_m2), "covered_observe_percent": round(100 * covered / open_m2, 2)}


def edits() -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from accounts.roles import Role, grant
    from gis_core.models import Camera

    user, _ = get_user_model().objects.get_or_create(username="bench-planner")
    grant(user, Role.PLANNER)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    cams = list(Camera.objects.select_related("community").order_by("code")[:20])
    timings = []
    for c in cams:
        # 4 m towards the middle of its community (cameras at gates stand on its boundary)
        centre = c.community.boundary.point_on_surface
        dx = (centre.x - c.location.x) * math.cos(math.radians(c.location.y))
        dy = centre.y - c.location.y
        step = 4 / 111_320 / math.hypot(dx, dy)
        for body in ({"heading_deg": (c.heading_deg + 30) % 360},
                     {"lon": c.location.x + (centre.x - c.location.x) * step,
                      "lat": c.location.y + dy * step},
                     {"tilt_deg": min(60, c.tilt_deg + 10)}):
            t = time.perf_counter()
            r = client.patch(f"/api/coverage/cameras/{c.pk}/", json.dumps(body), content_type="application/json")
            timings.append((time.perf_counter() - t) * 1000)
            if r.status_code != 200:
                raise SystemExit(f"edit {body}: HTTP {r.status_code} {r.content[:300]!r}")
    for c in cams:  # put them back as they were (not timed), so every run measures the same edits
        c.save()
    timings.sort()
    pct = lambda p: timings[min(len(timings) - 1, round(p / 100 * (len(timings) - 1)))]  # noqa: E731
    return {"edits": len(timings), "p50_ms": round(pct(50), 1), "p95_ms": round(pct(95), 1),
            "max_ms": round(timings[-1], 1), "mean_ms": round(statistics.mean(timings), 1), "target_p95_ms": 500}


def add_city_cameras() -> int:
    """Cameras on building corners (every n-th building, deterministic) up to TARGET_CAMERAS."""
    from django.contrib.gis.geos import Point

    from buildings.models import Building
    from gis_core.models import Camera

    have = Camera.objects.count()
    need = TARGET_CAMERAS - have
    if need <= 0:
        return have
    total = Building.objects.count()
    step = max(1, total // need)
    new = []
    for i, (bid, fp, community_id) in enumerate(Building.objects.order_by("id").values_list("id", "footprint",
                                                                                        "community_id")[::step]):
        if len(new) >= need or community_id is None:
            continue
        ring = fp.exterior_ring.coords
        (x0, y0), (x1, y1) = ring[0], ring[1]
        cx, cy = fp.centroid.x, fp.centroid.y
        dx, dy = x0 - cx, y0 - cy  # outward from the centre through the corner
        heading = math.degrees(math.atan2(dx * math.cos(math.radians(cy)), dy)) % 360
        new.append(Camera(community_id=community_id, code=f"BENCH{bid:012d}", name=f"bench {bid}",
                          location=Point(x0 + dx * 0.02, y0 + dy * 0.02, srid=4326), mount_height_m=4,
                          heading_deg=round(heading, 1), tilt_deg=15, hfov_deg=90 if i % 3 else 60,
                          resolution_h=1920 if i % 2 else 2560, resolution_v=1080 if i % 2 else 1440, range_m=80,
                          ptz_type=Camera.PTZType.DOME if i % 10 == 0 else Camera.PTZType.FIXED_BULLET,
                          ptz_zoom_max=20 if i % 10 == 0 else None))
    Camera.objects.bulk_create(new, batch_size=2000)
    return Camera.objects.count()


def city_views() -> dict:
    from coverage import fov
    from coverage.models import ViewBand
    from gis_core.models import Camera, Community

    n = add_city_cameras()
    levels = fov.default_levels()
    started = time.perf_counter()
    done = 0
    for community in Community.objects.order_by("code"):
        cams = list(Camera.objects.filter(community=community))
        fov.recompute_views(cams, levels)
        done += len(cams)
        if community.code.endswith(("0", "5")):
            log(f"  {done:,} cameras, {time.perf_counter() - started:.0f} s")
    elapsed = time.perf_counter() - started
    from buildings.models import Building

    return {"cameras": n, "ptz": Camera.objects.ptz().count(), "buildings": Building.objects.count(),
            "bands": ViewBand.objects.count(), "seconds": round(elapsed, 1),
            "cameras_per_s": round(n / elapsed, 1), "ms_per_camera": round(1000 * elapsed / n, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def placement() -> list[dict]:
    from coverage import placement as pl
    from coverage.fov import default_levels
    from gis_core.models import Grid

    observe = next(lv for lv in default_levels() if lv.code == "observe")
    rows = []
    for grid in Grid.objects.grids().current().order_by("code")[:PLACEMENT_GRIDS]:
        ten = pl.suggest(grid, observe, count=10, time_limit=PLACEMENT_TIME_LIMIT, ignore_existing=True)
        # 90 % of the grid's open space is out of reach of wall-mounted cameras at Observe in the demo's
        # large courtyards, so the target is also asked as 90 % of what all candidates together reach.
        ninety = pl.suggest(grid, observe, target_percent=90, time_limit=PLACEMENT_TIME_LIMIT, ignore_existing=True)
        reach90 = pl.suggest(grid, observe, target_percent=-90, time_limit=PLACEMENT_TIME_LIMIT,
                             ignore_existing=True)
        pct = lambda a, p: round(100 * a / p.open_m2, 2)  # noqa: E731
        rows.append({
            "grid": grid.code, "open_m2": round(ten.open_m2), "candidates": ten.candidates, "samples": ten.samples,
            "k10_greedy_percent": pct(ten.greedy_after_m2, ten), "k10_best_percent": pct(ten.after_m2, ten),
            "k10_method": ten.method, "k10_seconds": round(ten.seconds, 1),
            "t90_greedy_cameras": ninety.greedy_count, "t90_greedy_percent": pct(ninety.greedy_after_m2, ninety),
            "t90_best_cameras": len(ninety.chosen), "t90_best_percent": pct(ninety.after_m2, ninety),
            "t90_method": ninety.method, "t90_seconds": round(ninety.seconds, 1),
            "reachable_percent": pct(reach90.reachable_m2, reach90),
            "r90_greedy_cameras": reach90.greedy_count, "r90_greedy_percent": pct(reach90.greedy_after_m2, reach90),
            "r90_best_cameras": len(reach90.chosen), "r90_best_percent": pct(reach90.after_m2, reach90),
            "r90_method": reach90.method, "r90_seconds": round(reach90.seconds, 1),
        })
        log(f"  placement {rows[-1]}")
    return rows


def part(name: str, out: str) -> None:
    """One part in its own process (Django's PostGIS backend caches type ids per database)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    os.environ.setdefault("TILE_CACHE", "locmem")
    import django

    django.setup()
    if name == "demo":
        log("demo: all views and grid coverage")
        result = {"demo_all": all_views_demo()}
        log(f"  {result['demo_all']}")
        log("demo: camera edits through the API")
        result["edits"] = edits()
        log(f"  {result['edits']}")
        if "--skip-placement" not in sys.argv:
            log("demo: placement, greedy vs milp")
            result["placement"] = placement()
    else:
        log(f"city: views of {TARGET_CAMERAS:,} cameras")
        result = {"city": city_views()}
        log(f"  {result['city']}")
    Path(out).write_text(json.dumps(result))


def run_part(name: str, url: str, env: dict) -> dict:
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        subprocess.run([sys.executable, __file__, "--part", name, f.name, *sys.argv[1:]],
                       env={**env, "DATABASE_URL": url}, check=True)
        return json.loads(Path(f.name).read_text())


def main() -> None:
    if "--part" in sys.argv:
        i = sys.argv.index("--part")
        return part(sys.argv[i + 1], sys.argv[i + 2])
    skip_city = "--skip-city" in sys.argv
    env = base_env()
    demo_counts = ensure(DEMO, env)
    result = {"machine": f"{os.cpu_count()} CPUs (shared)", "demo": demo_counts}
    if not skip_city:
        copy_city(env)
        city_counts = ensure(CITY_CAMS, env)
        result["city"] = {**city_counts, **run_part("city", CITY_CAMS.url(env["DATABASE_URL"]), env)["city"]}
    result.update(run_part("demo", DEMO.url(env["DATABASE_URL"]), env))
    result.setdefault("placement", [])
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "cameras.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    d, e = result["demo_all"], result["edits"]
    md = ["| measurement | dataset | result |", "|---|---|---|",
          f"| all views + coverage and blind spots of every grid | demo ({d['cameras']} cameras, "
          f"{demo_counts['buildings']:,} buildings, {d['grids']} grids) | views {d['views_s']} s, coverage {d['coverage_s']} s;"
          f" Observe coverage {d['covered_observe_percent']} % of {d['community_open_m2']:,} m² open space |",
          f"| camera edit → view + grid coverage (API PATCH) | demo, {e['edits']} edits | p50 {e['p50_ms']} ms, "
          f"**p95 {e['p95_ms']} ms** (target < 500), max {e['max_ms']} ms |"]
    if "city" in result:
        c = result["city"]
        md.append(f"| all views | city ({c['cameras']:,} cameras of which {c['ptz']:,} PTZ, {c['buildings']:,} buildings)"
                  f" | {c['seconds']} s ({c['ms_per_camera']} ms/camera), peak RSS {c['peak_rss_mb']} MB |")
    for p in result["placement"]:
        md.append(f"| placement, Observe, from nothing | demo grid {p['grid']} ({p['open_m2']:,} m² open, "
                  f"{p['candidates']} candidates, {p['samples']} samples) | 10 cameras: greedy {p['k10_greedy_percent']} %,"
                  f" best {p['k10_best_percent']} % ({p['k10_method']}); 90 % of open space: not reachable from walls"
                  f" (greedy stops at {p['t90_greedy_percent']} % with {p['t90_greedy_cameras']} cameras); 90 % of the "
                  f"{p['reachable_percent']} % the candidates can reach: greedy {p['r90_greedy_cameras']} cameras, best "
                  f"{p['r90_best_cameras']} ({p['r90_method']}) |")
    (RESULTS / "cameras.md").write_text("\n".join(md) + "\n")
    log("\n".join(md))


if __name__ == "__main__":
    main()
