#!/usr/bin/env python
"""Benchmark: validate-and-save of a grid with 2,000+ buildings at city scale (planner API).

    make bench-planner            # or: .venv/bin/python bench/planner.py [--rounds N]

Database: `bench_planner`, the city-scale set with tenants (67 communities, ≈100,000 buildings,
≈2,000,000 rooms, ≈2,200,000 tenancies), seeded by our own `seed_demo --scale 67` when missing
(bench/tiles/datasets.py; ~10 minutes). No seeded community has a grid of 2,000 buildings
(a courtyard grid holds ≈60), so the benchmark adds one community of its own, east of the city:
grid W with 2,100 buildings (42 rows × 50 columns, 12 × 12 m with 4 m alleys), grid E with 840,
10 rooms per building, about 70 % of rooms let to 1–2 tenants (synthetic sealed bytes: the
benchmark database holds no real person data). It is created once and reset on every run.

Measured, through Django's full request handling in-process (session auth, JSON parsing, the
view, every SQL statement, serialisation — no network):
* `single`: PUT /api/planner/grids/<W>/ — W's east edge moves two columns in (84 buildings leave,
  a gap warning) and back (they return): validation (validity, parent, siblings, gaps, cut
  buildings, counts before/after), the geometry, reassignment of buildings/cameras/kiosks,
  history, statistics of every grid touched, tile invalidation;
* `shared edge`: POST /api/planner/grids/batch/ — the shared W|E edge moves (84 buildings change
  grid) and back, both grids validated and saved together.
* `dry run`: the same single edit with dry_run=true (the live check while editing).
One warm-up of each, then --rounds measured edits of each (default 40). Target: p95 < 300 ms.
Writes bench/results/planner.json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "tiles"))
sys.path.insert(0, str(HERE.parent))

from common import RESULTS, base_env, log  # noqa: E402
from datasets import Dataset, ensure  # noqa: E402

PLANNER_CITY = Dataset("planner-city", "city scale with tenants", "bench_planner", ("--scale", "67"),
                       100_000, 1_000_000, 67)
BENCH_CODE = "999999999001"
ROWS, W_COLS, E_COLS, PITCH, SIZE = 42, 50, 20, 16.0, 12.0
ORIGIN = (103.2, 25.05)  # east of the seeded city
EPSG = 4544  # CGCS2000 3-degree Gauss–Krüger, CM 105°E: metres around ORIGIN


def _m(x0, y0, x1, y1) -> str:
    """SQL for a lon/lat rectangle given in metres from ORIGIN (numbers only, no user input)."""
    return (f"ST_Transform(ST_MakeEnvelope(o.x + {x0}, o.y + {y0}, o.x + {x1}, o.y + {y1}, {EPSG}), 4326)")


def build_community() -> dict:
    """Create (once) the benchmark community; reset its grids to their initial shapes."""
    from django.db import connection, transaction

    from gis_core.changes import geometry_changed
    from gis_core.models import Community, Grid

    origin = (f"(SELECT ST_X(p) AS x, ST_Y(p) AS y FROM (SELECT ST_Transform(ST_SetSRID(ST_Point({ORIGIN[0]}, "
              f"{ORIGIN[1]}), 4326), {EPSG}) AS p) q) o")
    edge = W_COLS * PITCH - (PITCH - SIZE) / 2  # middle of the alley between W's last and E's first column
    width = (W_COLS + E_COLS) * PITCH
    height = ROWS * PITCH

    def geom(x0, y0, x1, y1):
        with connection.cursor() as cur:
            cur.execute(f"SELECT ST_AsEWKT(ST_Multi({_m(x0, y0, x1, y1)})) FROM {origin}")
            from django.contrib.gis.geos import GEOSGeometry

            return GEOSGeometry(cur.fetchone()[0])

    with transaction.atomic():
        community = Community.objects.filter(code=BENCH_CODE).first()
        if community is None:
            log("adding the benchmark community (2,940 buildings, 29,400 rooms, tenants)")
            community = Community.objects.create(code=BENCH_CODE, name="规划基准社区", boundary=geom(0, 0, width, height))
            Grid.objects.bulk_create([
                Grid(community=community, level="grid", code=BENCH_CODE + "001", name="W", boundary=geom(0, 0, edge, height)),
                Grid(community=community, level="grid", code=BENCH_CODE + "002", name="E",
                     boundary=geom(edge, 0, width, height)),
            ])
            with connection.cursor() as cur:
                cur.execute(f"""
                    INSERT INTO buildings_building (code, address, footprint, floors, floor_height_m, qr_token, source,
                                                    source_id, updated_at, community_id)
                    SELECT 'PB-' || i, '规划基准路 ' || i || ' 号',
                           {_m('(i %% {c}) * {p}'.format(c=W_COLS + E_COLS, p=PITCH), '(i / {c}) * {p}'.format(c=W_COLS + E_COLS, p=PITCH),
                               '(i %% {c}) * {p} + {s}'.format(c=W_COLS + E_COLS, p=PITCH, s=SIZE),
                               '(i / {c}) * {p} + {s}'.format(c=W_COLS + E_COLS, p=PITCH, s=SIZE))},
                           5, 3.0, md5('planner-bench-' || i), 'planner-bench', i::text, now(), %s
                    FROM generate_series(0, {ROWS * (W_COLS + E_COLS) - 1}) i, {origin}""", [community.pk])
                cur.execute("""
                    INSERT INTO buildings_room (building_id, floor, number, area_m2, rent_monthly, capacity, status, updated_at)
                    SELECT b.id, f, f || '0' || n, 15 + (b.id + f + n) %% 20, 500 + ((b.id * 7 + f * 3 + n) %% 10) * 100, 2,
                           CASE WHEN (b.id + f * 3 + n) %% 10 < 7 THEN 'let' ELSE 'vacant' END, now()
                    FROM buildings_building b, generate_series(1, 5) f, generate_series(1, 2) n
                    WHERE b.community_id = %s""", [community.pk])
                # One or two synthetic tenants per let room (random sealed bytes; nothing real).
                cur.execute("""
                    WITH let AS (SELECT r.id, row_number() OVER (ORDER BY r.id) AS k FROM buildings_room r
                                 JOIN buildings_building b ON b.id = r.building_id
                                 WHERE b.community_id = %s AND r.status = 'let'),
                    slots AS (SELECT let.id AS room_id, s FROM let, generate_series(1, 2) s WHERE s = 1 OR let.k %% 3 = 0),
                    people AS (
                        INSERT INTO residents_person (name_sealed, id_number_sealed, id_number_index, name_masked,
                                                      id_number_masked, sex, nation_code, region_code, created_at)
                        SELECT decode(md5(random()::text), 'hex'), decode(md5(random()::text), 'hex'),
                               decode(md5('planner-bench-' || room_id || '-' || s), 'hex'), '*', '*', '1', '01',
                               '530112', now() FROM slots
                        RETURNING id),
                    paired AS (SELECT p.id AS person_id, s.room_id FROM
                               (SELECT id, row_number() OVER (ORDER BY id) AS n FROM people) p
                               JOIN (SELECT room_id, row_number() OVER (ORDER BY room_id, s) AS n FROM slots) s USING (n))
                    INSERT INTO residents_tenancy (person_id, room_id, start_date, registered_via, registered_at)
                    SELECT person_id, room_id, DATE '2026-01-01', 'staff', now() FROM paired""", [community.pk])
        w = Grid.objects.get(code=BENCH_CODE + "001")
        e = Grid.objects.get(code=BENCH_CODE + "002")
        Grid.objects.filter(pk=w.pk).update(boundary=geom(0, 0, edge, height), version=1)
        Grid.objects.filter(pk=e.pk).update(boundary=geom(edge, 0, width, height), version=1)
        from planner.models import GridStats, GridVersion

        GridVersion.objects.filter(grid__in=[w, e]).delete()
        GridStats.objects.filter(grid__in=[w, e]).delete()
        from buildings.models import Building

        # Placed in the reset grids, rooms laid out (gis_core/changes.py), as after any bulk load.
        geometry_changed(Building, Building.objects.filter(community=community).values_list("pk", flat=True))
    with connection.cursor() as cur:
        cur.execute("VACUUM (ANALYZE) gis_core_grid, buildings_building, buildings_room, residents_tenancy, planner_gridstats")
    return {"community": community, "w": w.pk, "e": e.pk, "edge": edge, "height": height, "width": width,
            "geom": geom}


def ensure_city(env) -> dict:
    """The city set; once the benchmark community is in it, it holds one community more than seeded."""
    import subprocess

    from datasets import counts as db_counts

    url = PLANNER_CITY.url(env["DATABASE_URL"])
    try:
        found = db_counts(url)
    except RuntimeError:
        found = None
    if found and found["communities"] >= PLANNER_CITY.communities and found["buildings"] >= PLANNER_CITY.min_buildings:
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=HERE.parent,
                       env={**env, "DATABASE_URL": url}, check=True)
        return found
    return ensure(PLANNER_CITY, env)


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    env = base_env()
    counts = ensure_city(env)
    os.environ.update(env)
    os.environ["DATABASE_URL"] = PLANNER_CITY.url(env["DATABASE_URL"])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    os.environ.setdefault("TILE_CACHE", "locmem")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from accounts.roles import Role, grant
    from buildings.models import Building
    from gis_core.models import Grid

    s = build_community()
    w_id, e_id, edge, height, width, geom = s["w"], s["e"], s["edge"], s["height"], s["width"], s["geom"]
    in_w = Building.objects.filter(grid_id=w_id).count()
    log(f"grid W holds {in_w} buildings; grid E {Building.objects.filter(grid_id=e_id).count()}")
    user, _ = get_user_model().objects.get_or_create(username="planner-bench")
    grant(user, Role.PLANNER)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    inner = edge - 2 * PITCH  # two columns (84 buildings) in
    shapes = {x: json.loads(geom(0, 0, x, height).geojson) for x in (edge, inner)}
    east = {x: json.loads(geom(x, 0, width, height).geojson) for x in (edge, inner)}

    def version(pk):
        return Grid.objects.filter(pk=pk).values_list("version", flat=True).get()

    def single(x, dry=False):
        body = {"geometry": shapes[x], "version": version(w_id), "note": "bench", "dry_run": dry}
        t = time.perf_counter()
        r = client.put(f"/api/planner/grids/{w_id}/", body, content_type="application/json")
        ms = (time.perf_counter() - t) * 1000
        assert r.status_code == 200, r.content[:500]
        return ms, len(r.json()["moved"])

    def shared(x):
        body = {"note": "bench", "edits": [{"grid": w_id, "geometry": shapes[x], "version": version(w_id)},
                                           {"grid": e_id, "geometry": east[x], "version": version(e_id)}]}
        t = time.perf_counter()
        r = client.post("/api/planner/grids/batch/", body, content_type="application/json")
        ms = (time.perf_counter() - t) * 1000
        assert r.status_code == 200, r.content[:500]
        return ms, len(r.json()["moved"])

    load_before = os.getloadavg()
    timings = {"single": [], "shared edge": [], "dry run": []}
    moved = {}
    for rnd in range(args.rounds + 1):
        for name, fn in (("single", single), ("shared edge", shared)):
            for x in (inner, edge):  # out and back: every edit moves 84 buildings
                ms, n = fn(x)
                moved[name] = n
                if rnd:
                    timings[name].append(ms)
        ms, n = single(inner, dry=True)
        if rnd:
            timings["dry run"].append(ms)
    assert Building.objects.filter(grid_id=w_id).count() == in_w  # back where it started
    rows = []
    for name, t in timings.items():
        rows.append({"operation": name, "edits": len(t), "buildings_moved_per_edit": moved.get(name, 84),
                     "p50_ms": round(pct(t, 50), 1), "p95_ms": round(pct(t, 95), 1), "p99_ms": round(pct(t, 99), 1),
                     "max_ms": round(max(t), 1), "mean_ms": round(statistics.mean(t), 1)})
    load_after = os.getloadavg()
    result = {"target_p95_ms": 300, "grid_buildings": in_w, "city": counts,
              "machine": f"{platform.machine()}, {os.cpu_count()} CPUs (shared)",
              "load_average_before": [round(x, 2) for x in load_before],
              "load_average_after": [round(x, 2) for x in load_after], "runs": rows}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "planner.json").write_text(json.dumps(result, indent=2) + "\n")
    md = [f"Grid W: {in_w:,} buildings, in a city of {counts['buildings']:,} buildings / {counts['rooms']:,} rooms. "
          f"{result['machine']}; load average (1/5/15 min) {result['load_average_before']} before, "
          f"{result['load_average_after']} after.", "",
          "| operation | edits | buildings moved per edit | p50 | p95 | p99 | max |", "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        md.append(f"| {r['operation']} | {r['edits']} | {r['buildings_moved_per_edit']} | {r['p50_ms']} ms | "
                  f"{r['p95_ms']} ms | {r['p99_ms']} ms | {r['max_ms']} ms |")
    (RESULTS / "planner.md").write_text("\n".join(md) + "\n")
    log("\n".join(md))


if __name__ == "__main__":
    main()
