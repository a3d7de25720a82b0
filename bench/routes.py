#!/usr/bin/env python
"""Benchmark: walking routes (routes/, pgRouting) on the city dataset's alley network, the code
before the bounded search (`BEFORE`, read from git) and now side by side in one run.

    make bench-routes                  # or: .venv/bin/python bench/routes.py [--scale 84] [--queries 400]

Database: the city set of `make bench-safety` (`bench_safety_84`: 84 demo communities with
tenants, ≈118,000 buildings, each community with its streets, alleys, walls and gates as basemap
features and their walking network), reused as it is — read only here; seeded by our own
`seed_demo` only when missing (≈90 min on the 2-core box); `--scale N` uses a smaller set of N
communities without tenants (`bench_routes_N`) instead.

Measured in-process (every SQL statement, no HTTP), deterministic pairs (seed 1), the two codes
alternating query by query (so both see the same load):
* `route`: routes.services.route from a random kiosk to a random building of its community
  (gates and snapping, pgr_dijkstra over 2 × 2 end nodes, the line) — the kiosk's room view
  and the phone page; target p95 < 30 ms;
* `page lengths`: routes.services.lengths from a kiosk to the 30 nearest buildings with vacant
  rooms (one pgr_dijkstraCost) — what a kiosk's result page adds.
Every answer of the bounded search is checked against a search of the whole extract
(`bounded=False`, untimed). Half the queries run at noon, half at 23:30 (side gates closed).
Writes bench/results/routes.json and .md, with the load average before and after.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "tiles"))
sys.path.insert(0, str(HERE.parent))

from common import RESULTS, base_env, log, psql, with_database  # noqa: E402
from datasets import CITY, Dataset, counts as counts_of, ensure  # noqa: E402


BEFORE = "ca489b3"  # routes/services.py before the bounded search (main, 2026-12-04)
CITY_SCALE = 84


def dataset(scale: int) -> Dataset:
    if scale == CITY_SCALE:  # the same definition as bench/safety.py's: one city set for both
        return Dataset(f"safety-{scale}", f"city of {scale} communities with tenants", f"bench_safety_{scale}",
                       ("--scale", str(scale)), 1_000 * scale, 20_000 * scale, scale)
    if scale == CITY.communities:
        return CITY
    return Dataset(f"routes-{scale}", f"{scale} communities", f"bench_routes_{scale}",
                   ("--scale", str(scale), "--no-tenants"), 1_400 * scale, 25_000 * scale, scale)


def shared(ds: Dataset, url: str) -> dict | None:
    """The city set of bench/safety.py as it is, when complete: read only here (no migrate, no
    VACUUM over its millions of rows while another benchmark may be measuring on it)."""
    if not ds.database.startswith("bench_safety_"):
        return None
    try:
        found = counts_of(url)
    except RuntimeError:
        return None
    return found if found["communities"] == ds.communities and found["buildings"] >= ds.min_buildings else None


def before_module():
    """routes/services.py as it was at BEFORE (None outside a git checkout that has it)."""
    done = subprocess.run(["git", "show", f"{BEFORE}:routes/services.py"], cwd=HERE.parent, capture_output=True,
                          text=True)
    if done.returncode:
        log(f"no {BEFORE}:routes/services.py here ({done.stderr.strip()}): measuring the current code only")
        return None
    spec = importlib.util.spec_from_loader("routes_before", loader=None)
    module = importlib.util.module_from_spec(spec)
    sys.modules["routes_before"] = module
    exec(compile(done.stdout, f"{BEFORE}:routes/services.py", "exec"), module.__dict__)
    return module


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def summary(ms: list[float]) -> dict:
    return {"n": len(ms), "p50": round(pct(ms, 50), 2), "p95": round(pct(ms, 95), 2), "max": round(max(ms), 2),
            "mean": round(statistics.fmean(ms), 2)}


def timed(fn, *args, **kwargs):
    """(milliseconds, answer); a DomainError (no open way tonight) is an answer: None."""
    from gis_core.errors import DomainError

    t = time.perf_counter()
    try:
        answer = fn(*args, **kwargs)
    except DomainError:
        answer = None
    return (time.perf_counter() - t) * 1000, answer


def side_by_side(codes: dict, pairs, fn_name: str, args_of) -> tuple[dict, dict]:
    """Milliseconds and answers per code, the codes alternating first and second query by query."""
    ms = {name: [] for name in codes}
    answers = {name: [] for name in codes}
    names = list(codes)
    for i, pair in enumerate(pairs):
        for name in names[i % 2:] + names[:i % 2]:
            args, kwargs = args_of(pair)
            t, answer = timed(getattr(codes[name], fn_name), *args, **kwargs)
            ms[name].append(t)
            answers[name].append(answer)
    return ms, answers


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=int, default=CITY_SCALE)
    parser.add_argument("--queries", type=int, default=400)
    args = parser.parse_args()
    env = base_env()
    ds = dataset(args.scale)
    url = ds.url(env["DATABASE_URL"])
    try:  # a set seeded before streets were basemap features has no walking network
        stale = int(psql(url, "SELECT count(*) FROM routes_edge")) == 0
    except RuntimeError:
        stale = False
    if stale and ds.database.startswith("bench_routes_"):  # never another benchmark's set
        log(f"{ds.database} has no walking network (seeded before the basemap): seeding it again")
        psql(with_database(env["DATABASE_URL"], "postgres"), f'DROP DATABASE IF EXISTS "{ds.database}"')
    elif stale:
        sys.exit(f"{ds.database} has no walking network: run make bench-safety's seeding again")
    counts = shared(ds, url) or ensure(ds, env)
    os.environ.update(env)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    import django

    django.setup()
    from django.db import connection

    from routes import services

    codes = {"now": services}
    before = before_module()
    if before is not None:
        codes = {"before": before, "now": services}
    with connection.cursor() as cur:
        cur.execute("SELECT count(*), sum(length_m) / 1000, count(DISTINCT extract_id) FROM routes_edge")
        edges, km, extracts = cur.fetchone()
        cur.execute("SELECT k.community_id, ST_X(k.location), ST_Y(k.location) FROM kiosk_kiosk k ORDER BY k.id")
        kiosks = cur.fetchall()
        cur.execute("SELECT community_id, array_agg(id ORDER BY id) FROM buildings_building GROUP BY 1")
        buildings = dict(cur.fetchall())
    log(f"{counts['communities']} communities, {counts['buildings']:,} buildings; network {edges:,} edges, "
        f"{km:,.0f} km in {extracts} extracts")
    tz = ZoneInfo("Asia/Shanghai")
    times = (datetime(2026, 5, 1, 12, tzinfo=tz), datetime(2026, 5, 1, 23, 30, tzinfo=tz))
    rng = random.Random(1)
    pairs = [(k, rng.choice(buildings[k[0]]), times[i % 2]) for i, k in enumerate(rng.choices(kiosks, k=args.queries))]

    def route_args(pair):
        k, b, at = pair
        return ((k[1], k[2]), b), {"at": at}

    side_by_side(codes, pairs[:20], "route", route_args)  # warm-up: connection, plans, caches
    load_before = os.getloadavg()
    started = time.perf_counter()
    route_ms, routes = side_by_side(codes, pairs, "route", route_args)
    page_pairs = []
    with connection.cursor() as cur:
        for k, _, at in pairs[: max(20, args.queries // 4)]:
            cur.execute("SELECT b.id FROM buildings_building b WHERE b.vacant_count > 0 ORDER BY b.footprint_3857 <->"
                        " ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 4326), 3857) LIMIT 30", [k[1], k[2]])
            page_pairs.append(((k[1], k[2]), [r[0] for r in cur.fetchall()], at))
    lengths_ms, pages = side_by_side(codes, page_pairs, "lengths", lambda p: ((p[0], p[1]), {"at": p[2]}))
    measured_s = time.perf_counter() - started
    load_after = os.getloadavg()
    # The check: every bounded answer against the whole extract's (untimed).
    whole = [timed(services.route, *route_args(p)[0], **route_args(p)[1], bounded=False)[1] for p in pairs]
    whole_pages = [services.lengths(start, ids, at=at, bounded=False) for start, ids, at in page_pairs]

    def length(r):
        return None if r is None else round(r.length_m, 2)

    def differ(answers, reference) -> int:
        return sum(length(x) != length(y) for x, y in zip(answers, reference))

    def differ_pages(answers, reference) -> int:
        return sum(x.keys() != y.keys() or any(abs(x[k] - y[k]) > 0.01 for k in x) for x, y in zip(answers, reference))

    metres = [r.length_m for r in routes["now"] if r is not None]
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_average": {"before": [round(x, 2) for x in load_before], "after": [round(x, 2) for x in load_after]},
        "measured_s": round(measured_s, 1),
        "dataset": {**counts, "edges": edges, "network_km": round(km), "extracts": extracts}, "database": ds.database,
        "route": {name: summary(v) for name, v in route_ms.items()},
        "page_lengths": {name: summary(v) for name, v in lengths_ms.items()},
        "no_route": sum(r is None for r in routes["now"]),
        "differ_from_whole_extract": {
            name: {"routes": differ(routes[name], whole), "pages": differ_pages(pages[name], whole_pages)}
            for name in codes},
        "route_length_m": {"p50": round(pct(metres, 50)), "max": round(max(metres))} if metres else None,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "routes.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    (RESULTS / "routes.md").write_text(markdown(result, ds))
    log(json.dumps({k: result[k] for k in ("load_average", "route", "page_lengths", "differ_from_whole_extract")}))


def markdown(result: dict, ds: Dataset) -> str:
    c, lb, la = result["dataset"], result["load_average"]["before"], result["load_average"]["after"]
    rows = []
    for name, label in (("before", f"before (`{BEFORE}`)"), ("now", "now (bounded, proved)")):
        if name not in result["route"]:
            continue
        r, p = result["route"][name], result["page_lengths"][name]
        d = result["differ_from_whole_extract"][name]
        rows.append(f"| route kiosk → building, {label} | {r['n']} | {r['p50']} | **{r['p95']}** | {r['max']} |"
                    f" {d['routes']} |")
        rows.append(f"| lengths kiosk → 30 buildings, {label} | {p['n']} | {p['p50']} | {p['p95']} | {p['max']} |"
                    f" {d['pages']} |")
    return (
        "# Walking routes (pgRouting) — `make bench-routes`\n\n"
        f"{result['date']}, {result['machine']}, load average {lb[0]} / {lb[1]} / {lb[2]} (1/5/15 min) before and "
        f"{la[0]} / {la[1]} / {la[2]} after the {result['measured_s']} s measured. Dataset `{ds.database}`: "
        f"{c['communities']} communities, {c['buildings']:,} buildings; walking network {c['edges']:,} edges, "
        f"{c['network_km']:,} km in {c['extracts']} extracts. In-process, every SQL statement, no HTTP; the two codes "
        "alternate query by query.\n\n"
        "| measure | n | p50 ms | p95 ms | max ms | answers ≠ whole-extract search |\n"
        "|---|---:|---:|---:|---:|---:|\n" + "\n".join(rows) + "\n\n"
        f"Target: route p95 < 30 ms. Half the queries at 23:30, when side gates are closed (a courtyard behind one "
        f"is then out of reach: {result['no_route']} queries found no open way). Median route "
        f"{result['route_length_m']['p50'] if result['route_length_m'] else '–'} m. The last column compares each "
        "answer (length to the centimetre, or none) with `bounded=False`, a search of the whole extract.\n\n"
        "What changed (routes/search.py, routes/services.py): before, the building's end was snapped to the "
        "network by sorting every edge of the database by distance (the footprint came from a subquery, so the "
        "KNN index was not used: time in proportion to the city's edges), and a route found in the box around "
        "its ends was taken without proof. Now both ends are snapped in one statement by the edge index's KNN, "
        "the search reads the edges of a box around the ends and proves its answer against any way leaving the "
        "box (widening when it cannot), \"no open way\" is proved from the parts of the network in the box, and "
        "the closed-gate rule is one SQL fragment inside the edge query (one statement fewer per search). "
        "Time per route no longer grows with the city. The figures are wall-clock times on a machine shared with "
        "other work: compare the two codes within a run (same load), and the load average with the idle machine's.\n")


if __name__ == "__main__":
    main()
