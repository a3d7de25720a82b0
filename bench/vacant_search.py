#!/usr/bin/env python
"""Benchmark: public vacant-room search (/api/vacant-rooms/) server time at city scale.

    make bench-search            # or: .venv/bin/python bench/vacant_search.py

Two city-scale datasets (67 communities, ≈100,000 buildings, ≈2,100,000 rooms), created if missing:
* "city": seeded with tenants, so about a fifth of the rooms are vacant, as in a real community —
  the target applies here;
* "city, all vacant": the tile benchmark's set, seeded without tenants, so ~93 % are vacant: the
  worst case, with five times more rows to filter, count and sort. Requests go through Django's full request handling in-process (no network), so the
time is the server's: middleware, validation, two SQL queries, serialisation, ETag. A fixed
request mix: 40 kiosks spread over the communities × filter combinations a kiosk offers (none,
rent, area, floor, grid, sort by rent, second page). One warm-up round, then three measured
rounds. Writes bench/results/vacant_search.json and .md. Target: p95 under 20 ms.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "tiles"))
sys.path.insert(0, str(HERE.parent))

from common import RESULTS, base_env, log  # noqa: E402
from datasets import CITY, Dataset, ensure  # noqa: E402

TENANTED = Dataset("city-tenants", "city scale with tenants", "bench_search_city", ("--scale", "67"),
                   100_000, 1_000_000, 67)

MIXES = [
    {}, {"rent_max": 600}, {"rent_min": 800, "rent_max": 1200}, {"area_min": 15, "area_max": 25},
    {"floor_min": 3, "floor_max": 5}, {"sort": "rent"}, {"offset": 30}, {"rent_max": 500, "floor_min": 6},
]


def measure(url: str) -> list[float]:
    """Milliseconds per request of the fixed mix, on the database at `url`."""
    from django.db import connection
    from django.test import Client

    connection.close()
    connection.settings_dict["NAME"] = url.rsplit("/", 1)[1]

    from kiosk.models import Kiosk

    kiosks = list(Kiosk.objects.order_by("community_id", "code").values_list("code", "grid__code"))
    step = max(1, len(kiosks) // 40)
    sample = kiosks[::step][:40]
    requests = []
    for code, grid in sample:
        for mix in MIXES:
            requests.append({"kiosk": code, **mix})
        requests.append({"kiosk": code, "grid": grid})
    client = Client(HTTP_HOST="127.0.0.1")
    timings = []
    for rnd in range(4):
        for params in requests:
            started = time.perf_counter()
            response = client.get("/api/vacant-rooms/", params)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{params}: HTTP {response.status_code} {response.content[:200]!r}")
            if rnd:
                timings.append(elapsed)
    return sorted(timings)


def summarise(label: str, counts: dict, timings: list[float]) -> dict:
    from buildings.models import Room

    pct = lambda p: timings[min(len(timings) - 1, round(p / 100 * (len(timings) - 1)))]  # noqa: E731
    return {"dataset": label, **counts, "vacant_rooms": Room.objects.vacant().count(), "requests": len(timings),
            "p50_ms": round(pct(50), 2), "p95_ms": round(pct(95), 2), "p99_ms": round(pct(99), 2),
            "max_ms": round(timings[-1], 2), "mean_ms": round(statistics.mean(timings), 2)}


def main() -> None:
    env = base_env()
    sets = [(TENANTED, ensure(TENANTED, env)), (CITY, ensure(CITY, env))]
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    import django

    django.setup()
    rows = [summarise(ds.label, counts, measure(ds.url(env["DATABASE_URL"]))) for ds, counts in sets]
    result = {"target_p95_ms": 20, "mixes": MIXES + [{"grid": "<the kiosk's grid>"}], "runs": rows}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "vacant_search.json").write_text(json.dumps(result, indent=2) + "\n")
    md = ["| dataset | rooms (vacant) | requests | p50 | p95 | p99 | max |", "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        md.append(f"| {r['dataset']} | {r['rooms']:,} ({r['vacant_rooms']:,}) | {r['requests']} | {r['p50_ms']} ms "
                  f"| {r['p95_ms']} ms | {r['p99_ms']} ms | {r['max_ms']} ms |")
    (RESULTS / "vacant_search.md").write_text("\n".join(md) + "\n")
    log("\n".join(md))


if __name__ == "__main__":
    main()
