"""The load: wrk (C, one thread) replaying request sets for HTTP servers; psycopg for the floor.

Both take the same list of *sets* (one set = what one tile costs a client: one request to a
server that combines layers, one request per layer otherwise; one SQL statement for the floor)
and replay it in order, cycling through it up to `passes` times, until a time limit, with 1 or 8
concurrent connections.

Each measurement returns the same record:
    sets, requests, elapsed_s          work done and wall time; passes = sets ÷ list length
    sets_per_s, requests_per_s         throughput
    set_ms {p50, p95, mean}            latency of a whole set (one connection only: sequential)
    request_ms {p50, p95, …}           latency of single requests (wrk's own timing)
    status {code: count}, errors       every response, to catch 5xx and socket errors
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import threading
import time
from pathlib import Path

import psycopg

from common import HERE, WORK, log

LUA = HERE / "sets.lua"


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    log("wrk is missing: installing it from Debian (apt-get install wrk)")
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL)
    return shutil.which("wrk") or "wrk"


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0–100)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def _summary(sets: float, requests: int, elapsed: float, set_ms: list[float], request_ms: dict,
             status: dict, errors: dict, list_sets: int, list_requests: int, body_bytes: int) -> dict:
    return {
        "sets": sets, "requests": requests, "elapsed_s": round(elapsed, 3),
        "list_sets": list_sets, "list_requests": list_requests, "passes": round(sets / list_sets, 2),
        "sets_per_s": round(sets / elapsed, 1) if elapsed else None,
        "requests_per_s": round(requests / elapsed, 1) if elapsed else None,
        "set_ms": {"p50": _r(percentile(set_ms, 50)), "p95": _r(percentile(set_ms, 95)),
                   "mean": _r(statistics.fmean(set_ms)) if set_ms else None, "n": len(set_ms)},
        "request_ms": request_ms, "status": status, "errors": errors, "body_bytes": body_bytes,
    }


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 3)


def run_wrk(base_url: str, sets: list[list[str]], connections: int, seconds: float, tag: str,
            passes: int = 1) -> dict:
    """Replay these request sets against base_url, `passes` times over (or until `seconds`), with wrk."""
    WORK.mkdir(parents=True, exist_ok=True)
    list_file = WORK / f"wrk-{tag}.txt"
    n = len(sets)
    with list_file.open("w") as f:
        for k in range(passes):  # set numbers go on across passes: number % n is the list index
            f.writelines(f"{k * n + i} {path}\n" for i, paths in enumerate(sets) for path in paths)
    list_requests = sum(len(s) for s in sets)
    argv = [ensure_wrk(), "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "30s",
            "-s", str(LUA), base_url]
    done = subprocess.run(argv, env={"BENCH_LIST": str(list_file), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=seconds + 60)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    requests = raw["requests"]
    # Sets completed: exact with one connection; with more, requests are interleaved, so count
    # whole sets' worth of requests (every set of a list has about the same number of requests).
    sets_done = raw["sets"] if connections == 1 else requests * n / list_requests
    elapsed = raw["elapsed_s"] or raw["duration_s"]
    per_set = raw["sets_done"]
    result = _summary(round(sets_done, 1), requests, elapsed, [ms for _, ms, _, _ in per_set],
                      {k: round(v, 3) for k, v in raw["request_latency_ms"].items()},
                      {str(k): v for k, v in raw["status"].items()}, raw["socket_errors"],
                      len(sets), list_requests, raw["body_bytes"])
    result["wrk_request_ms"] = result.pop("request_ms")
    if connections == 1:  # [list index, ms, status, bytes]: exact only when sequential
        result["per_set"] = [[i % n, ms, st, b] for i, ms, st, b in per_set]
    return result


def run_sql(dsn: str, statements: list[tuple[str, list]], connections: int, seconds: float,
            passes: int = 1, options: str = "") -> dict:
    """The floor: run these (query, params) in order, `passes` times over (or until `seconds`),
    through psycopg, prepared, one persistent connection per client thread, with the session
    settings (`options`, e.g. "-c jit=off") that our server's connections get."""
    lock = threading.Lock()
    cursor = iter(range(len(statements) * passes))
    latencies: list[tuple[int, float, int, int]] = []  # (index, ms, 200 or 204 if empty, bytes)
    body_bytes = [0]
    deadline = [0.0]
    errors: list[str] = []
    conns = [psycopg.connect(dsn, autocommit=True, prepare_threshold=0, options=options)
             for _ in range(connections)]

    def client(conn) -> None:
        mine, size = [], 0
        try:
            while time.monotonic() < deadline[0]:
                with lock:
                    i = next(cursor, None)
                if i is None:
                    break
                query, params = statements[i % len(statements)]
                started = time.perf_counter()
                row = conn.execute(query, params, prepare=True).fetchone()
                ms = (time.perf_counter() - started) * 1000
                nbytes = len(row[0]) if row and row[0] else 0
                mine.append((i % len(statements), ms, 200 if nbytes else 204, nbytes))
                size += nbytes
        except Exception as exc:  # reported, and the measurement is marked incomplete
            errors.append(repr(exc))
        with lock:
            latencies.extend(mine)
            body_bytes[0] += size

    try:
        threads = [threading.Thread(target=client, args=(c,)) for c in conns]
        started = time.monotonic()
        deadline[0] = started + seconds
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
    finally:
        for c in conns:
            c.close()
    n = len(latencies)
    ms = [m for _, m, _, _ in latencies]
    status = {"200": sum(1 for *_, st, _b in latencies if st == 200)}
    status["204"] = n - status["200"]
    result = _summary(n, n, elapsed, ms, {}, status, {"exceptions": errors[:3]},
                      len(statements), len(statements), body_bytes[0])
    result.pop("request_ms")
    if connections == 1:
        result["per_set"] = [list(r) for r in sorted(latencies)]
    return result


def cpu_busy_fraction(seconds: float = 1.0) -> float:
    """Share of the machine's CPU time that was busy over `seconds` (all processes)."""
    def sample() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = fields[3] + fields[4]
        return sum(fields), idle

    total0, idle0 = sample()
    time.sleep(seconds)
    total1, idle1 = sample()
    return 1 - (idle1 - idle0) / max(1, total1 - total0)
