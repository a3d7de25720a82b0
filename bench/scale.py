"""Past one machine, measured on one: nginx in front, streaming replicas, their lag, and how soon
an edit reaches a kiosk through both (`make bench-scale`, results in bench/results/scale.md).

    python bench/scale.py [--seconds 8] [--rounds 3]

All on this machine's loopback, on the demo dataset of the tile benchmark (bench_tiles_demo,
seeded by our own seed_demo): the app server as `make run` starts it (scripts/serve.sh), nginx
as `make run PROXY=1` starts it (scripts/proxy.sh), replicas as `make replicas` makes them
(scripts/pg.sh, in a folder of their own). With 2 cores every process shares the same CPUs, so
replicas show their overhead here, not their gain: the CPU each request costs is recorded so a
reader can project to N machines.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "tiles"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import datasets  # noqa: E402
import loadgen  # noqa: E402
import tilelist  # noqa: E402
from common import ROOT, base_env, free_port, libpq, log, psql, running, tree  # noqa: E402

WORK = ROOT / "var" / "bench-scale"
RESULTS = ROOT / "bench" / "results"
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError):
            pass
    return total / TICK


def postmaster(data_dir: Path) -> int:
    return int((data_dir / "postmaster.pid").read_text().split()[0])


class Setup:
    def __init__(self, seconds: float, rounds: int):
        self.seconds, self.rounds = seconds, rounds
        self.env = base_env()
        self.url = datasets.DEMO.url(self.env["DATABASE_URL"])
        self.replica_env = {**self.env, "PGLOCAL_DIR": str(ROOT / "var"), "PGLOCAL_REPLICAS": str(WORK / "replicas")}

    def replicas(self, n: int) -> list[str]:
        subprocess.run([str(ROOT / "scripts/pg.sh"), "replicas", str(n)], env=self.replica_env, check=True)
        urls = subprocess.run([str(ROOT / "scripts/pg.sh"), "replica-urls"], env=self.replica_env, check=True,
                              capture_output=True, text=True).stdout.strip()
        return [datasets.with_database(u, datasets.DEMO.database) for u in urls.split(",") if u]

    def server(self, name: str, **env):
        port = free_port()
        server_env = {**self.env, "DATABASE_URL": self.url, "PORT": str(port), "WORKERS": "3", "THREADS": "4",
                      "GIS_VAR_DIR": str(WORK / "var"), "TILE_CACHE": "file", **env}
        return running(name, [str(ROOT / "scripts/serve.sh")], server_env, port, "/tiles/tiles.json")

    def proxy(self, app_port: int) -> str:
        port = free_port()
        subprocess.run([str(ROOT / "scripts/proxy.sh"), "start", str(port), f"127.0.0.1:{app_port}"],
                       env={**os.environ, "PROXY_DIR": str(WORK / "nginx")}, check=True)
        return f"http://127.0.0.1:{port}"

    def stop_proxy(self):
        subprocess.run([str(ROOT / "scripts/proxy.sh"), "stop"], env={**os.environ, "PROXY_DIR": str(WORK / "nginx")})


def tile_sets(tiles) -> list[list[str]]:
    return [[f"/tiles/{t.z}/{t.x}/{t.y}.mvt"] for t in tiles]


def read_sets(tiles, kiosks: list[str]) -> list[list[str]]:
    """A kiosk's public reads: its tiles, and a vacant-room search every tenth request."""
    sets = []
    for i, t in enumerate(tiles):
        sets.append([f"/tiles/{t.z}/{t.x}/{t.y}.mvt"])
        if i % 10 == 0:
            sets.append([f"/api/vacant-rooms/?kiosk={kiosks[(i // 10) % len(kiosks)]}&limit=20"])
    return sets


def cached(s: Setup, tiles) -> dict:
    """Cached tiles/s: the app server alone (its file cache) against nginx in front (its cache)."""
    (WORK / "nginx").mkdir(parents=True, exist_ok=True)
    cache_dir = WORK / "nginx" / "cache" / "tiles"
    with s.server("app", TILES_PROXY_CACHE_DIR=str(cache_dir)) as app:
        direct = f"http://127.0.0.1:{app.port}"
        proxied = s.proxy(app.port)
        try:
            sets = tile_sets(tiles)
            for base in (proxied, direct):  # warm both caches: nginx's first pass fills the app's too
                loadgen.run_wrk(base, sets, 8, s.seconds, "warm", passes=2)
            runs = {"app server (granian, file cache)": [], "nginx in front": []}
            for r in range(s.rounds):
                order = [("app server (granian, file cache)", direct), ("nginx in front", proxied)]
                for label, base in order if r % 2 == 0 else order[::-1]:
                    out = loadgen.run_wrk(base, sets, 8, s.seconds, f"cached-{r}", passes=200)
                    runs[label].append(out)
                    log(label, out["requests_per_s"], "req/s", out["status"])
        finally:
            s.stop_proxy()
    summary = {label: {"requests_per_s": statistics.median(o["requests_per_s"] for o in outs),
                       "p95_ms": statistics.median(o["wrk_request_ms"]["p95"] for o in outs),
                       "status": outs[-1]["status"]} for label, outs in runs.items()}
    labels = list(summary)
    summary["ratio"] = round(summary[labels[1]]["requests_per_s"] / summary[labels[0]]["requests_per_s"], 2)
    return summary


def uncached(s: Setup, tiles, kiosks) -> dict:
    """Uncached public reads (tiles + search) with 0, 1 and 2 replicas; CPU per request."""
    out = {}
    sets = read_sets(tiles, kiosks)
    primary = ROOT / "var" / "pg"
    for n in (0, 1, 2):
        urls = s.replicas(n)
        with s.server(f"replicas-{n}", TILE_CACHE="none", DATABASE_REPLICA_URLS=",".join(urls),
                      REPLICA_MAX_LAG_S="30") as app:
            base = f"http://127.0.0.1:{app.port}"
            loadgen.run_wrk(base, sets, 8, 3, f"uncached-warm-{n}")
            clusters = [postmaster(primary)] + [postmaster(WORK / "replicas" / f"r{k}") for k in range(1, n + 1)]

            app_before, db_before = cpu_seconds(tree(app.proc.pid)), cpu_seconds(sum((tree(p) for p in clusters), []))
            result = loadgen.run_wrk(base, sets, 8, s.seconds, f"uncached-{n}", passes=20)
            app_cpu = cpu_seconds(tree(app.proc.pid)) - app_before
            db_cpu = cpu_seconds(sum((tree(p) for p in clusters), [])) - db_before
            requests = result["requests"]
            out[f"{n} replicas"] = {
                "requests_per_s": result["requests_per_s"], "p50_ms": result["wrk_request_ms"]["p50"],
                "p95_ms": result["wrk_request_ms"]["p95"], "status": result["status"],
                "app_cpu_ms_per_request": round(1000 * app_cpu / requests, 3),
                "db_cpu_ms_per_request": round(1000 * db_cpu / requests, 3),
            }
            log(f"{n} replicas", out[f"{n} replicas"])
    s.replicas(0)
    return out


def lag_under_writes(s: Setup, rate: int = 200) -> dict:
    """Replica lag while the primary commits `rate` transactions a second shaped like a check-in
    (a tenancy-like row, the room's status, two audit-like rows), on scratch tables."""
    urls = s.replicas(1)
    psql(s.url, "CREATE TABLE IF NOT EXISTS bench_scale_writes (id bigserial PRIMARY KEY, room bigint, at timestamptz,"
                " payload text); CREATE TABLE IF NOT EXISTS bench_scale_rooms (id bigint PRIMARY KEY, status text);"
                " INSERT INTO bench_scale_rooms SELECT g, 'vacant' FROM generate_series(1, 1000) g ON CONFLICT DO NOTHING")
    import psycopg

    stop = threading.Event()
    done = [0]

    def writer():
        with psycopg.connect(libpq(s.url), autocommit=False) as conn:
            interval, k = 1 / rate, 0
            start = time.monotonic()
            while not stop.is_set():
                room = k % 1000 + 1
                conn.execute("INSERT INTO bench_scale_writes (room, at, payload) VALUES (%s, now(), repeat('x', 300))", [room])
                conn.execute("UPDATE bench_scale_rooms SET status = CASE status WHEN 'let' THEN 'vacant' ELSE 'let' END"
                             " WHERE id = %s", [room])
                conn.execute("INSERT INTO bench_scale_writes (room, at, payload) VALUES (%s, now(), 'audit'), (%s, now(), 'audit')",
                             [room, room])
                conn.commit()
                k += 1
                done[0] = k
                delay = start + k * interval - time.monotonic()
                if delay > 0:
                    time.sleep(delay)

    samples_s, samples_bytes = [], []
    thread = threading.Thread(target=writer)
    thread.start()
    try:
        with psycopg.connect(libpq(urls[0]), autocommit=True) as replica, \
                psycopg.connect(libpq(s.url), autocommit=True) as primary:
            end = time.monotonic() + s.seconds * 2
            while time.monotonic() < end:
                lsn = primary.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
                behind, age = replica.execute(
                    "SELECT pg_wal_lsn_diff(%s, pg_last_wal_replay_lsn()),"
                    " EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())", [lsn]).fetchone()
                samples_bytes.append(max(0, float(behind)))
                if behind <= 0 or age is not None:  # (none replayed yet since it started: no time to tell)
                    samples_s.append(0.0 if behind <= 0 else float(age))
                time.sleep(0.05)
    finally:
        stop.set()
        thread.join()
    elapsed = s.seconds * 2
    psql(s.url, "DROP TABLE IF EXISTS bench_scale_writes, bench_scale_rooms")
    s.replicas(0)
    return {"offered_per_s": rate, "committed_per_s": round(done[0] / elapsed, 1), "samples": len(samples_s),
            "lag_s": {"p50": round(loadgen.percentile(samples_s, 50), 4), "p95": round(loadgen.percentile(samples_s, 95), 4),
                      "max": round(max(samples_s), 4)},
            "lag_bytes": {"p50": loadgen.percentile(samples_bytes, 50), "p95": loadgen.percentile(samples_bytes, 95),
                          "max": max(samples_bytes)}}


def edit_to_kiosk(s: Setup, trials: int = 10) -> dict:
    """From an edit's commit to a kiosk seeing it, through nginx and a replica: the vacant-room
    search (the list) and the rooms tile (the map)."""
    urls = s.replicas(1)
    cache_dir = WORK / "nginx" / "cache" / "tiles"
    os.environ.update({"DATABASE_URL": s.url, "GIS_VAR_DIR": str(WORK / "var"), "TILE_CACHE": "file",
                       "TILES_PROXY_CACHE_DIR": str(cache_dir), "DJANGO_SECRET_KEY_FILE": s.env["DJANGO_SECRET_KEY_FILE"],
                       "GIS_RESIDENT_DATA_KEYS_FILE": s.env["GIS_RESIDENT_DATA_KEYS_FILE"],
                       "DJANGO_SETTINGS_MODULE": "project.settings", "MODEL3D_BACKGROUND": "false"})
    import django

    django.setup()
    import mapbox_vector_tile
    from isal import igzip

    from buildings.models import Room
    from kiosk.models import Kiosk

    search_ms, tile_ms = [], []
    with s.server("edit", TILES_PROXY_CACHE_DIR=str(cache_dir), DATABASE_REPLICA_URLS=",".join(urls),
                  REPLICA_MAX_LAG_S="30") as app:
        base = s.proxy(app.port)
        try:
            kiosk = Kiosk.objects.order_by("code").first()
            rooms = list(Room.objects.vacant().filter(building__community=kiosk.community)
                         .select_related("building").order_by("id")[:trials])
            for room in rooms:
                x, y = lonlat_to_tile(room.building.footprint.point_on_surface.x,
                                      room.building.footprint.point_on_surface.y, 18)
                tile = f"{base}/tiles/rooms/18/{x}/{y}.mvt"
                search = f"{base}/api/vacant-rooms/?kiosk={kiosk.code}&building={room.building.code}&limit=100"

                def in_search():
                    with urllib.request.urlopen(search, timeout=10) as r:
                        return room.pk in {row["id"] for row in json.load(r)["results"]}

                def tile_status():
                    req = urllib.request.Request(tile, headers={"Accept-Encoding": "gzip"})
                    with urllib.request.urlopen(req, timeout=10) as r:
                        body = r.read()
                    if r.headers.get("Content-Encoding") == "gzip":
                        body = igzip.decompress(body)
                    features = mapbox_vector_tile.decode(body).get("rooms", {}).get("features", [])
                    return {f["id"]: f["properties"].get("status") for f in features}.get(room.pk)

                assert in_search() and tile_status() == "vacant", "the room should start vacant"
                room.status = Room.Status.LET
                room.save()
                committed = time.perf_counter()
                seen_search = seen_tile = None
                while seen_search is None or seen_tile is None:  # the time a kiosk has the answer in hand
                    if seen_search is None and not in_search():
                        seen_search = time.perf_counter()
                    if seen_tile is None and tile_status() == "let":
                        seen_tile = time.perf_counter()
                    if time.perf_counter() - committed > 30:
                        raise RuntimeError("the edit never reached the kiosk")
                search_ms.append(1000 * (seen_search - committed))
                tile_ms.append(1000 * (seen_tile - committed))
                room.status = Room.Status.VACANT
                room.save()
        finally:
            s.stop_proxy()
    s.replicas(0)
    return {"trials": len(search_ms),
            "search_ms": {"p50": round(statistics.median(search_ms), 1), "max": round(max(search_ms), 1)},
            "tile_ms": {"p50": round(statistics.median(tile_ms), 1), "max": round(max(tile_ms), 1)},
            "note": "each time includes the request that saw the change (search, then tile, in turn)"}


def lonlat_to_tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    import math

    n = 2**z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def report(results: dict) -> str:
    c, u, lag, edit = results["cached"], results["uncached"], results["lag"], results["edit_to_kiosk"]
    labels = [k for k in c if k != "ratio"]
    lines = [
        "# Past one machine: proxy, replicas, lag (`make bench-scale`)", "",
        f"Run {results['when']}, {results['seconds']} s per measurement, {results['rounds']} rounds, demo dataset "
        "(bench_tiles_demo), every process on the same 2 cores and loopback. Method: `bench/scale.py`.", "",
        "## Cached tiles through nginx against the app server alone (c=8, the kiosk tile list)", "",
        "| server | tiles/s (median of rounds) | p95 ms |", "|---|---:|---:|",
        *[f"| {k} | {c[k]['requests_per_s']:,.0f} | {c[k]['p95_ms']} |" for k in labels],
        f"| **ratio** | **{c['ratio']}×** | |", "",
        "## Uncached public reads (tiles + a search every tenth request, c=8) with 0, 1, 2 replicas", "",
        "On 2 shared cores a replica adds work (WAL replay, its own backends) without adding CPUs: this shows the "
        "overhead. The CPU per request is what a machine of its own would spend.", "",
        "| replicas | requests/s | p50 ms | p95 ms | app server CPU ms/request | PostgreSQL CPU ms/request (all clusters) |",
        "|---|---:|---:|---:|---:|---:|",
        *[f"| {k} | {v['requests_per_s']:,.0f} | {v['p50_ms']} | {v['p95_ms']} | {v['app_cpu_ms_per_request']} | "
          f"{v['db_cpu_ms_per_request']} |" for k, v in u.items()], "",
        f"## Replica lag under {lag['offered_per_s']} check-in-shaped transactions/s", "",
        f"Committed {lag['committed_per_s']}/s; {lag['samples']} samples every 50 ms: lag p50 {lag['lag_s']['p50']} s, "
        f"p95 {lag['lag_s']['p95']} s, max {lag['lag_s']['max']} s (bytes behind p95 {lag['lag_bytes']['p95']:,.0f}).", "",
        "## From an edit to the kiosk, through nginx and a replica", "",
        f"{edit['trials']} rooms let one after another; time from the commit until the kiosk's search no longer lists "
        f"the room: p50 {edit['search_ms']['p50']} ms (max {edit['search_ms']['max']}); until its rooms tile shows it let: "
        f"p50 {edit['tile_ms']['p50']} ms (max {edit['tile_ms']['max']}).", "",
    ]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default="cached,uncached,lag,edit", help="comma-separated parts to run")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    WORK.mkdir(parents=True, exist_ok=True)
    s = Setup(args.seconds, args.rounds)
    datasets.ensure(datasets.DEMO, s.env)
    tiles = tilelist.load(s.url, "demo")
    kiosks = psql(s.url, "SELECT string_agg(code, ',' ORDER BY code) FROM kiosk_kiosk").split(",")
    results = {"when": time.strftime("%Y-%m-%d %H:%M"), "seconds": args.seconds, "rounds": args.rounds}
    previous = json.loads((RESULTS / "scale.json").read_text()) if (RESULTS / "scale.json").exists() else {}
    for part, key, run in (("cached", "cached", lambda: cached(s, tiles)),
                           ("uncached", "uncached", lambda: uncached(s, tiles, kiosks)),
                           ("lag", "lag", lambda: lag_under_writes(s)), ("edit", "edit_to_kiosk", lambda: edit_to_kiosk(s))):
        results[key] = run() if part in parts else previous[key]
        previous[key] = results[key]
        (RESULTS / "scale.json").write_text(json.dumps(previous, indent=2, ensure_ascii=False))  # a later part may fail
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scale.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    (RESULTS / "scale.md").write_text(report(results))
    print(report(results))


if __name__ == "__main__":
    main()
