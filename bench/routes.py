#!/usr/bin/env python
"""Benchmark: walking routes (routes/, pgRouting) on the city dataset's alley network.

    make bench-routes                  # or: .venv/bin/python bench/routes.py [--scale 67] [--queries 400]

Database: the tile benchmark's city set (`bench_tiles_city`: 67 demo communities without
tenants, ≈100,000 buildings, each community with its streets, alleys, walls and gates as basemap
features and their walking network), seeded by our own `seed_demo` when missing or when it
predates the basemap; `--scale N` uses a smaller set of N communities (`bench_routes_N`) instead.

Measured in-process (every SQL statement, no HTTP), deterministic pairs (seed 1):
* `route`: routes.services.route from a random kiosk to a random building of its community
  (gates and snapping, one pgr_dijkstra over 2 × 2 end nodes, the line) — the kiosk's room view
  and the phone page; target p95 < 30 ms;
* `page lengths`: routes.services.lengths from a kiosk to the 30 nearest buildings with vacant
  rooms (one pgr_dijkstraCost) — what a kiosk's result page adds.
Half the queries run at noon, half at 23:30 (side gates closed). Writes bench/results/routes.json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "tiles"))
sys.path.insert(0, str(HERE.parent))

from common import RESULTS, base_env, log, psql, with_database  # noqa: E402
from datasets import CITY, Dataset, ensure  # noqa: E402


def dataset(scale: int) -> Dataset:
    if scale == CITY.communities:
        return CITY
    return Dataset(f"routes-{scale}", f"{scale} communities", f"bench_routes_{scale}",
                   ("--scale", str(scale), "--no-tenants"), 1_400 * scale, 25_000 * scale, scale)


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def summary(ms: list[float]) -> dict:
    return {"n": len(ms), "p50": round(pct(ms, 50), 2), "p95": round(pct(ms, 95), 2), "max": round(max(ms), 2),
            "mean": round(statistics.fmean(ms), 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=int, default=CITY.communities)
    parser.add_argument("--queries", type=int, default=400)
    args = parser.parse_args()
    env = base_env()
    ds = dataset(args.scale)
    url = ds.url(env["DATABASE_URL"])
    try:  # a set seeded before streets were basemap features has no walking network
        stale = int(psql(url, "SELECT count(*) FROM routes_edge")) == 0
    except RuntimeError:
        stale = False
    if stale:
        log(f"{ds.database} has no walking network (seeded before the basemap): seeding it again")
        psql(with_database(env["DATABASE_URL"], "postgres"), f'DROP DATABASE IF EXISTS "{ds.database}"')
    counts = ensure(ds, env)
    os.environ.update(env)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    import django

    django.setup()
    from django.db import connection

    from routes import services

    with connection.cursor() as cur:
        cur.execute("SELECT count(*), sum(length_m) / 1000 FROM routes_edge")
        edges, km = cur.fetchone()
        cur.execute("SELECT k.community_id, ST_X(k.location), ST_Y(k.location) FROM kiosk_kiosk k ORDER BY k.id")
        kiosks = cur.fetchall()
        cur.execute("SELECT community_id, array_agg(id ORDER BY id) FROM buildings_building GROUP BY 1")
        buildings = dict(cur.fetchall())
    log(f"{counts['communities']} communities, {counts['buildings']:,} buildings; network {edges:,} edges, {km:,.0f} km")
    tz = ZoneInfo("Asia/Shanghai")
    times = (datetime(2026, 5, 1, 12, tzinfo=tz), datetime(2026, 5, 1, 23, 30, tzinfo=tz))
    rng = random.Random(1)
    pairs = [(k, rng.choice(buildings[k[0]]), times[i % 2]) for i, k in enumerate(rng.choices(kiosks, k=args.queries))]
    from gis_core.errors import DomainError

    for k, b, at in pairs[:20]:  # warm-up: connection, plans, caches
        try:
            services.route((k[1], k[2]), b, at=at)
        except DomainError:
            pass
    route_ms, lengths_ms, metres, failed = [], [], [], 0
    for k, b, at in pairs:
        t = time.perf_counter()
        try:
            metres.append(services.route((k[1], k[2]), b, at=at).length_m)
        except DomainError:  # behind a side gate at night: no open way (counted, and timed like the rest)
            failed += 1
        route_ms.append((time.perf_counter() - t) * 1000)
    with connection.cursor() as cur:
        for k, _, at in pairs[: max(20, args.queries // 4)]:
            cur.execute("SELECT b.id FROM buildings_building b WHERE b.vacant_count > 0 ORDER BY b.footprint_3857 <->"
                        " ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 4326), 3857) LIMIT 30", [k[1], k[2]])
            ids = [r[0] for r in cur.fetchall()]
            t = time.perf_counter()
            services.lengths((k[1], k[2]), ids, at=at)
            lengths_ms.append((time.perf_counter() - t) * 1000)
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M"), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "dataset": {**counts, "edges": edges, "network_km": round(km)}, "database": ds.database,
        "route": summary(route_ms), "page_lengths": summary(lengths_ms), "no_route": failed,
        "route_length_m": {"p50": round(pct(metres, 50)), "max": round(max(metres))} if metres else None,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "routes.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    r, p = result["route"], result["page_lengths"]
    (RESULTS / "routes.md").write_text(
        "# Walking routes (pgRouting) — `make bench-routes`\n\n"
        f"{result['date']}, {result['machine']} (shared with other work while measured). Dataset `{ds.database}`: "
        f"{counts['communities']} communities, {counts['buildings']:,} buildings; walking network {edges:,} edges, "
        f"{km:,.0f} km. In-process, every SQL statement, no HTTP.\n\n"
        "| measure | n | p50 ms | p95 ms | max ms |\n|---|---:|---:|---:|---:|\n"
        f"| route kiosk → building (target p95 < 30 ms) | {r['n']} | {r['p50']} | {r['p95']} | {r['max']} |\n"
        f"| lengths kiosk → 30 buildings (a result page) | {p['n']} | {p['p50']} | {p['p95']} | {p['max']} |\n\n"
        f"Half the queries at 23:30, when side gates are closed (a courtyard behind one is then out of reach: "
        f"{failed} queries found no open way). Median route "
        f"{result['route_length_m']['p50'] if metres else '–'} m.\n")
    log(json.dumps({"route": r, "page_lengths": p}))


if __name__ == "__main__":
    main()
