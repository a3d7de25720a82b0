#!/usr/bin/env python
"""Benchmark: importing a city-sized OpenStreetMap extract with `manage.py import_basemap`.

    make bench-basemap [KM=8]         # or: .venv/bin/python bench/basemap.py [--km 8]

No extract can be downloaded here, so the benchmark writes a synthetic one with pyosmium shaped
like a dense Chinese city extract (what dominates real files): a street grid every 120 m (a
trunk road every 600 m), service alleys every 25 m, building outlines along them (closed ways,
read and skipped by our style but stored by osm2pgsql like in a real file), walls with gates
around blocks, a river, POIs. KM × KM km; KM=4 gives ≈300,000 nodes and ≈76,000 ways, KM=8
four times that. Its regular grid compresses far better than a real file (0.4 MB for KM=4):
compare node and way counts with a real extract, not file sizes.

Imports it into a scratch database (`bench_basemap`), twice (the second run is a re-import:
delete + insert in one transaction, the tiles invalidated), and reports file size, wall time,
osm2pgsql's peak memory (it runs with --cache 256, slim mode) and what was loaded. Writes
bench/results/basemap.json and .md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "tiles"))
from common import OUR_PYTHON, RESULTS, ROOT, base_env, log, psql, with_database  # noqa: E402

ORIGIN = (102.62, 24.95)


def write_city(path: Path, km: float) -> dict:
    import osmium

    m_lat = 111_320.0
    m_lon = m_lat * math.cos(math.radians(ORIGIN[1]))
    ll = lambda x, y: (ORIGIN[0] + x / m_lon, ORIGIN[1] + y / m_lat)  # noqa: E731
    size = km * 1000
    counts = {"nodes": 0, "ways": 0}
    nid, wid = [0], [0]
    path.unlink(missing_ok=True)
    ways = []  # written after every node: osm2pgsql wants a file sorted nodes, ways, relations
    with osmium.SimpleWriter(str(path)) as w:
        def node(x, y, **tags):
            nid[0] += 1
            w.add_node(osmium.osm.mutable.Node(id=nid[0], location=ll(x, y), tags=tags, version=1))
            return nid[0]

        def way(ids, **tags):
            wid[0] += 1
            ways.append((wid[0], ids, tags))

        step = 120.0
        for k in range(int(size / step) + 1):  # streets both ways, a node every 30 m
            c = k * step
            kind = "trunk" if k % 5 == 0 else "residential"
            name = f"{k}号路"
            way([node(c, t) for t in range(0, int(size) + 1, 30)], highway=kind, name=name)
            way([node(t, c) for t in range(0, int(size) + 1, 30)], highway=kind, name=f"{k}号街")
        bx = 0.0
        while bx + step <= size:  # blocks: alleys every 25 m, buildings along them, a wall and gate
            by = 0.0
            while by + step <= size:
                x0, y0 = bx + 8, by + 8
                gate = node(x0 + 50, y0, barrier="gate", opening_hours="06:00-23:00")
                corners = [node(x0 + 104, y0), node(x0 + 104, y0 + 104), node(x0, y0 + 104), node(x0, y0)]
                way([gate, *corners, gate], barrier="wall")
                for a in range(4):
                    ay = y0 + 12 + 25 * a
                    way([node(x0 + 1, ay), node(x0 + 103, ay)], highway="service", service="alley")
                    for b in range(8):
                        for side in (-1, 1):
                            hx, hy = x0 + 2 + 12.5 * b, ay + side * 1.5
                            ring = [node(hx, hy), node(hx + 11, hy), node(hx + 11, hy + side * 10), node(hx, hy + side * 10)]
                            way([*ring, ring[0]], building="apartments", **{"building:levels": "6"})
                way([gate, node(x0 + 50, y0 + 100)], highway="footway")
                if (bx + by) % (step * 7) == 0:
                    node(x0 + 60, y0 + 60, amenity="clinic", name="社区卫生服务站")
                by += step
            bx += step
        way([node(size + 40, t) for t in range(0, int(size) + 1, 20)], waterway="river", name="盘龙江")
        node(size / 2, size / 2, place="suburb", name="演示城区")
        for i, ids, tags in ways:
            w.add_way(osmium.osm.mutable.Way(id=i, nodes=ids, tags=tags, version=1))
    counts["nodes"], counts["ways"] = nid[0], wid[0]
    return counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--km", type=float, default=8.0)
    args = parser.parse_args()
    env = base_env()
    url = with_database(env["DATABASE_URL"], "bench_basemap")
    admin = with_database(env["DATABASE_URL"], "postgres")
    work = ROOT / "var" / "bench-basemap"
    work.mkdir(parents=True, exist_ok=True)
    pbf = work / f"city-{args.km:g}km.osm.pbf"
    log(f"writing a synthetic {args.km:g} × {args.km:g} km city extract")
    t = time.monotonic()
    counts = write_city(pbf, args.km)
    log(f"  {pbf.stat().st_size / 1e6:.1f} MB, {counts['nodes']:,} nodes, {counts['ways']:,} ways in {time.monotonic() - t:.0f} s")
    psql(admin, 'DROP DATABASE IF EXISTS "bench_basemap"')
    psql(admin, 'CREATE DATABASE "bench_basemap"')
    psql(url, "CREATE EXTENSION IF NOT EXISTS postgis")
    run_env = {**env, "DATABASE_URL": url}
    subprocess.run([OUR_PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=run_env, check=True)
    runs = []
    for label in ("first import", "re-import"):
        t = time.monotonic()
        subprocess.run([OUR_PYTHON, "manage.py", "import_basemap", str(pbf), "--name", "city"], cwd=ROOT,
                       env=run_env, check=True, stdout=subprocess.DEVNULL)
        runs.append({"run": label, "seconds": round(time.monotonic() - t, 1)})
        log(f"  {label}: {runs[-1]['seconds']} s")
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    loaded = json.loads(psql(url, "SELECT counts::text FROM basemap_extract WHERE name = 'city'"))
    edges = int(psql(url, "SELECT count(*) FROM routes_edge"))
    size_db = psql(url, "SELECT pg_size_pretty(pg_database_size(current_database()))")
    result = {"date": time.strftime("%Y-%m-%d %H:%M"), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
              "km": args.km, "pbf_mb": round(pbf.stat().st_size / 1e6, 1), **counts, "runs": runs,
              "peak_rss_mb": round(peak_mb), "loaded": loaded, "route_edges": edges, "database": size_db}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "basemap.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    (RESULTS / "basemap.md").write_text(
        "# Basemap import — `make bench-basemap`\n\n"
        f"{result['date']}, {result['machine']} (shared with other work while measured). Synthetic city extract "
        f"{args.km:g} × {args.km:g} km: {result['pbf_mb']} MB PBF, {counts['nodes']:,} nodes, {counts['ways']:,} ways "
        "(most of them building outlines, as in real extracts).\n\n"
        "| run | seconds |\n|---|---:|\n" + "".join(f"| {r['run']} | {r['seconds']} |\n" for r in runs) +
        f"\nPeak memory of a child process (osm2pgsql, --cache 256, slim): {result['peak_rss_mb']} MB. Loaded: "
        + ", ".join(f"{n:,} {k}" for k, n in loaded.items()) + f"; walking network {edges:,} edges; database {size_db}.\n")
    log(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
