#!/usr/bin/env python
"""Benchmark: time to seed the demo community and a city-scale set, and the database size.

    make bench-seed                      # or: .venv/bin/python bench/seed.py [--scale 67]

Runs in a scratch database (bench_seed) on the same cluster as DATABASE_URL, which it creates and
drops; the product database is not touched. Writes bench/results/seed.json and seed.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def scratch_url(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def psql(url: str, sql: str) -> str:
    url = url.replace("postgis://", "postgresql://", 1)
    return subprocess.run(["psql", url, "-XAtqc", sql], check=True, capture_output=True, text=True).stdout.strip()


def manage(url: str, *args: str) -> float:
    env = {**os.environ, "DATABASE_URL": url}
    started = time.monotonic()
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)
    return time.monotonic() - started


def run(scale: int) -> dict:
    base = os.environ["DATABASE_URL"]
    admin = scratch_url(base, "postgres")
    url = scratch_url(base, "bench_seed")
    out = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": platform.node(),
           "cpus": os.cpu_count(), "runs": []}
    for label, args in (("demo", []), (f"city ×{scale}", ["--scale", str(scale)])):
        psql(admin, "DROP DATABASE IF EXISTS bench_seed")
        psql(admin, "CREATE DATABASE bench_seed")
        psql(url, "CREATE EXTENSION postgis")
        manage(url, "migrate", "-v", "0")
        seconds = manage(url, "seed_demo", *args)
        counts = psql(url, "SELECT (SELECT count(*) FROM gis_core_community) || ',' || "
                           "(SELECT count(*) FROM buildings_building) || ',' || (SELECT count(*) FROM buildings_room)"
                           " || ',' || (SELECT count(*) FROM residents_person)")
        communities, buildings, rooms, tenants = map(int, counts.split(","))
        size = int(psql(url, "SELECT pg_database_size('bench_seed')"))
        out["runs"].append({"dataset": label, "seconds": round(seconds, 1), "communities": communities,
                            "buildings": buildings, "rooms": rooms, "tenants": tenants,
                            "database_bytes": size, "database_mb": round(size / 2**20)})
        print(out["runs"][-1], flush=True)
    psql(admin, "DROP DATABASE IF EXISTS bench_seed")
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=67, help="communities in the city-scale set (67 ≈ 100k buildings)")
    result = run(parser.parse_args().scale)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "seed.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    lines = ["| dataset | communities | buildings | rooms | tenants | seed time | database size |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in result["runs"]:
        lines.append(f"| {r['dataset']} | {r['communities']} | {r['buildings']:,} | {r['rooms']:,} | {r['tenants']:,} "
                     f"| {r['seconds']} s | {r['database_mb']:,} MB |")
    (RESULTS / "seed.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
