#!/usr/bin/env python
"""Benchmark: the police feed page and the person lookup at city scale, p95.

    make bench-police                 # or: .venv/bin/python bench/police.py [--scale 1.0]

Dataset (database bench_police, made if missing or of another size, ~2–3 minutes): generated in
SQL, deterministic (setseed), at --scale 1.0: 40 communities, 2,000 grids, 100,000 buildings,
1,000,000 rooms, 1,500,000 people and 2,000,000 tenancies — 1,000,000 open (one per room,
registered over the last two years, times rounded to the minute so that many rows share one
timestamp, as kiosk bursts do) and 1,000,000 ended (over the four years before). Sealed columns
hold opaque bytes; 300 people get real ID numbers whose blind index is computed with the
product's keys, so the lookup runs its real path. Communities are laid out apart from each other;
buildings carry their grid directly (what the placement pipeline would derive).

Requests go through Django's full request handling in-process (no network), signed in as a
police officer: the time is the server's (middleware, scoping, SQL, templates). Measured, after
one warm-up round:
* feed pages (HTML, 50 rows): the first page of the last 7 days; each flag; a grid over the last
  year; a random 30-day range; oldest first; and pages 2–20 by following `next` (keyset);
* the lookup: POST an ID number + reason → the person's history page (found), and numbers nobody
  has (not found, audited too);
* the CSV export: rows per second streaming a large filtered set (not a latency target).
Writes bench/results/police.json and .md. Target: p95 < 200 ms for a feed page and a lookup.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "tiles"))
sys.path.insert(0, str(HERE.parent))

from common import RESULTS, base_env, log, psql, with_database  # noqa: E402

DATABASE = "bench_police"
SAMPLE_PEOPLE = 300


def _sizes(scale: float) -> dict[str, int]:
    communities = max(1, round(40 * scale))
    return {"communities": communities, "grids": communities * 50, "buildings": communities * 2500,
            "rooms": communities * 25_000, "open": communities * 25_000, "ended": communities * 25_000}


def _seed_sql(n: dict[str, int]) -> list[str]:
    c, g, b, r, o, e = n["communities"], n["grids"], n["buildings"], n["rooms"], n["open"], n["ended"]
    people = o + e // 2
    return [
        "SELECT setseed(0.42)",
        f"""INSERT INTO gis_core_community (id, name, code, boundary)
            SELECT i, '基准社区' || i, '530112' || lpad(i::text, 6, '0'),
                   ST_Multi(ST_MakeEnvelope(x0, y0, x0 + 0.01, y0 + 0.01, 4326))
            FROM generate_series(1, {c}) i,
                 LATERAL (SELECT 102.5 + ((i - 1) % 10) * 0.012 AS x0, 24.9 + ((i - 1) / 10) * 0.012 AS y0) o""",
        f"""INSERT INTO gis_core_grid (id, level, kind, code, name, boundary, responsible_person, responsible_phone,
                                       valid_from, version, community_id)
            SELECT i, 'grid', 'basic', cm.code || lpad(k::text, 3, '0'), '网格' || k,
                   ST_Multi(ST_MakeEnvelope(x0, y0, x0 + 0.001, y0 + 0.002, 4326)), '', '', '2015-01-01', 1, cm.id
            FROM generate_series(1, {g}) i
            CROSS JOIN LATERAL (SELECT (i - 1) / 50 + 1 AS cid, (i - 1) % 50 + 1 AS k) a
            JOIN gis_core_community cm ON cm.id = a.cid
            CROSS JOIN LATERAL (SELECT ST_XMin(cm.boundary) + ((k - 1) % 10) * 0.001 AS x0,
                                       ST_YMin(cm.boundary) + ((k - 1) / 10) * 0.002 AS y0) o""",
        f"""INSERT INTO buildings_building (id, code, address, footprint, floors, floor_height_m, qr_token, source,
                                            source_id, updated_at, community_id, grid_id)
            SELECT i, 'B' || i, '基准路 ' || i || ' 号',
                   ST_MakeEnvelope(x0, y0, x0 + 0.00008, y0 + 0.0003, 4326), 5, 3.0, md5('qr' || i), '', '', now(),
                   gr.community_id, gr.id
            FROM generate_series(1, {b}) i
            CROSS JOIN LATERAL (SELECT (i - 1) / 50 + 1 AS gid, (i - 1) % 50 AS k) a
            JOIN gis_core_grid gr ON gr.id = a.gid
            CROSS JOIN LATERAL (SELECT ST_XMin(gr.boundary) + (k % 10) * 0.0001 + 0.00001 AS x0,
                                       ST_YMin(gr.boundary) + (k / 10) * 0.0004 + 0.00002 AS y0) o""",
        f"""INSERT INTO buildings_room (id, floor, number, area_m2, rent_monthly, capacity, status, updated_at,
                                        building_id)
            SELECT i, ((i - 1) % 10) / 2 + 1, (((i - 1) % 10) / 2 + 1) * 100 + (i - 1) % 2 + 1, 20, 800, 2, 'let',
                   now(), (i - 1) / 10 + 1
            FROM generate_series(1, {r}) i""",
        f"""INSERT INTO residents_person (id, name_sealed, id_number_sealed, id_number_index, name_masked,
                                          id_number_masked, sex, nation_code, region_code, created_at)
            SELECT i, '\\x00'::bytea, '\\x00'::bytea, sha256(('bench-person-' || i)::bytea), '张*',
                   '530112**********' || lpad((i % 100)::text, 2, '0'), (1 + i % 2)::text, '01', '530112', now()
            FROM generate_series(1, {people}) i""",
        # open: one per room, registered over two years at whole minutes, moved in 0–5 days before
        f"""INSERT INTO residents_tenancy (id, person_id, room_id, start_date, registered_via, registered_at,
                                           lease_registered_on, lease_ends_on)
            SELECT i, i, i, s.start, 'kiosk_card', s.at, CASE WHEN random() < 0.7 THEN s.start + 10 END,
                   s.start + 365
            FROM generate_series(1, {o}) i
            CROSS JOIN LATERAL (SELECT date_trunc('minute', now() - random() * interval '730 days'
                                                  + (i - i) * interval '1 s') AS at) a
            CROSS JOIN LATERAL (SELECT (a.at AT TIME ZONE 'Asia/Shanghai')::date - floor(random() * 6)::int AS start,
                                       a.at) s""",
        # ended: the four years before; half of them are earlier homes of people living somewhere now
        f"""INSERT INTO residents_tenancy (id, person_id, room_id, start_date, end_date, registered_via,
                                           registered_at, lease_registered_on)
            SELECT {o} + k, CASE WHEN k % 2 = 0 THEN k ELSE {o} + (k + 1) / 2 END, (k::bigint * 7919) % {r} + 1,
                   s.start, s.start + 30 + floor(random() * 300)::int, 'kiosk_card', s.at, s.start + 5
            FROM generate_series(1, {e}) k
            CROSS JOIN LATERAL (SELECT date_trunc('minute', now() - interval '730 days'
                                                  - random() * interval '1000 days' + (k - k) * interval '1 s') AS at) a
            CROSS JOIN LATERAL (SELECT (a.at AT TIME ZONE 'Asia/Shanghai')::date - floor(random() * 4)::int AS start,
                                       a.at) s""",
        *[f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT max(id) FROM {t}))"
          for t in ("gis_core_community", "gis_core_grid", "buildings_building", "buildings_room", "residents_person",
                    "residents_tenancy")],
    ]


def ensure(env: dict[str, str], scale: float) -> dict[str, int]:
    import subprocess

    url = with_database(env["DATABASE_URL"], DATABASE)
    admin = with_database(env["DATABASE_URL"], "postgres")
    want = _sizes(scale)
    try:
        have = int(psql(url, "SELECT count(*) FROM residents_tenancy"))
    except RuntimeError:
        have = -1
    if have == want["open"] + want["ended"]:
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=HERE.parent,
                       env={**env, "DATABASE_URL": url}, check=True)
        log(f"reusing {DATABASE}: {have:,} tenancies")
        return {**want, "generated_s": None}
    log(f"generating {DATABASE}: {want}")
    started = time.perf_counter()
    psql(admin, f'DROP DATABASE IF EXISTS "{DATABASE}"')
    psql(admin, f'CREATE DATABASE "{DATABASE}"')
    psql(url, "CREATE EXTENSION IF NOT EXISTS postgis")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=HERE.parent,
                   env={**env, "DATABASE_URL": url}, check=True)
    for sql in _seed_sql(want):
        t0 = time.perf_counter()
        psql(url, sql)
        log(f"  {sql.split()[0]} {sql.split()[2] if sql.startswith('INSERT') else ''} {time.perf_counter() - t0:.1f} s")
    psql(url, "VACUUM ANALYZE")
    log(f"generated in {time.perf_counter() - started:.0f} s")
    return {**want, "generated_s": round(time.perf_counter() - started)}


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def _stats(values: list[float]) -> dict:
    return {"n": len(values), "p50_ms": round(_pct(values, 50), 1), "p95_ms": round(_pct(values, 95), 1),
            "max_ms": round(max(values), 1), "mean_ms": round(statistics.mean(values), 1)}


def measure(rounds: int = 3) -> dict:
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from accounts.roles import Role, grant
    from gis_core.models import Grid
    from residents import crypto
    from residents.ids import check_character

    user, _ = get_user_model().objects.get_or_create(username="bench-police")
    grant(user, Role.POLICE)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    rng = random.Random(7)

    # people with real ID numbers: their blind index under the product's keys
    with connection.cursor() as cur:
        cur.execute("SELECT max(id) FROM residents_person")
        top = cur.fetchone()[0]
    numbers = []
    for k in range(SAMPLE_PEOPLE):
        pid = 1 + k * (top // SAMPLE_PEOPLE)
        first17 = f"530112{1970 + k % 30}0{1 + k % 9}1{k % 10}{k % 1000:03d}"
        number = first17 + check_character(first17)
        with connection.cursor() as cur:
            cur.execute("UPDATE residents_person SET id_number_index = %s WHERE id = %s",
                        [crypto.blind_index("id_number", number), pid])
        numbers.append(number)
    strangers = []
    for k in range(60):
        first17 = f"110105{1950 + k}12{10 + k % 18}{k:03d}"
        strangers.append(first17 + check_character(first17))

    grids = list(Grid.objects.values_list("code", flat=True))
    today = timezone.localdate()

    def feed_mix():
        out = [("first page, last 7 days", {})]
        out += [(f"flag {f}", {"flag": f}) for f in ("late", "lease_unregistered", "six_months", "checked_out")]
        for _ in range(6):
            out.append(("grid, last year", {"grid": rng.choice(grids), "from": (today - timedelta(days=365)).isoformat()}))
        for _ in range(4):
            start = today - timedelta(days=rng.randrange(30, 700))
            out.append(("30-day range", {"from": start.isoformat(), "to": (start + timedelta(days=29)).isoformat()}))
        out.append(("oldest first, two years", {"order": "old", "from": (today - timedelta(days=730)).isoformat()}))
        return out

    timings: dict[str, list[float]] = {}

    def timed(label, call):
        t0 = time.perf_counter()
        response = call()
        elapsed = (time.perf_counter() - t0) * 1000
        if response.status_code not in (200, 404):
            raise SystemExit(f"{label}: HTTP {response.status_code} {response.content[:300]!r}")
        return elapsed, response

    for rnd in range(rounds + 1):  # round 0 warms up
        for label, params in feed_mix():
            ms, _r = timed(label, lambda: client.get("/police/feed/", params))
            if rnd:
                timings.setdefault(label, []).append(ms)
        url, params = "/police/feed/", {"from": (today - timedelta(days=730)).isoformat()}
        for page in range(1, 21):  # keyset: follow `next`
            ms, r = timed("pages", lambda: client.get(url, params))
            if rnd and page > 1:
                timings.setdefault("pages 2–20 (keyset)", []).append(ms)
            nxt = html.unescape(re.search(r'id="next" href="([^"]+)"', r.content.decode()).group(1))
            url, params = nxt, {}
        for number in rng.sample(numbers, 40):
            ms, r = timed("lookup", lambda: client.post("/police/lookup/", {"id_number": number, "reason": "基准测试"}))
            assert r.status_code == 200, r.status_code
            if rnd:
                timings.setdefault("lookup, found", []).append(ms)
        for number in rng.sample(strangers, 10):
            ms, r = timed("lookup", lambda: client.post("/police/lookup/", {"id_number": number, "reason": "基准测试"}))
            assert r.status_code == 404, r.status_code
            if rnd:
                timings.setdefault("lookup, not found", []).append(ms)

    feed_all = [ms for label, values in timings.items() if not label.startswith("lookup") for ms in values]
    lookup_all = [ms for label, values in timings.items() if label.startswith("lookup") for ms in values]

    # the CSV: stream a large filtered set
    t0 = time.perf_counter()
    response = client.get("/police/feed.csv", {"from": (today - timedelta(days=60)).isoformat(), "reason": "基准测试"})
    first_byte = None
    rows = 0
    for chunk in response.streaming_content:
        if first_byte is None:
            first_byte = (time.perf_counter() - t0) * 1000
        rows += chunk.count(b"\n")
    csv_s = time.perf_counter() - t0
    return {
        "by_request": {label: _stats(values) for label, values in timings.items()},
        "feed_pages": _stats(feed_all), "lookups": _stats(lookup_all),
        "csv": {"rows": rows - 1, "seconds": round(csv_s, 2), "rows_per_s": round((rows - 1) / csv_s),
                "first_byte_ms": round(first_byte or 0, 1)},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 2,000,000 tenancies")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    env = base_env()
    started = time.perf_counter()
    sizes = ensure(env, args.scale)
    os.environ.update({**env, "DATABASE_URL": with_database(env["DATABASE_URL"], DATABASE)})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    import django

    django.setup()
    result = {"target_p95_ms": 200, "scale": args.scale, "sizes": sizes, **measure(args.rounds),
              "total_s": round(time.perf_counter() - started)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "police.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    s = sizes
    md = [f"Dataset: {s['communities']} communities, {s['grids']:,} grids, {s['buildings']:,} buildings, "
          f"{s['rooms']:,} rooms, {s['open'] + s['ended']:,} tenancies ({s['open']:,} open). Target p95 < 200 ms.", "",
          "| request | n | p50 | p95 | max |", "|---|---:|---:|---:|---:|"]
    for label, st in [("**feed pages, all**", result["feed_pages"]), ("**lookups, all**", result["lookups"])] + \
            list(result["by_request"].items()):
        md.append(f"| {label} | {st['n']} | {st['p50_ms']} ms | {st['p95_ms']} ms | {st['max_ms']} ms |")
    c = result["csv"]
    load = os.getloadavg()
    md += ["", f"CSV export (last 60 days, streamed): {c['rows']:,} rows in {c['seconds']} s "
               f"({c['rows_per_s']:,} rows/s), first byte after {c['first_byte_ms']} ms.",
           f"Benchmark run time: {result['total_s']} s"
           + (f" (the dataset generated in {s['generated_s']} s of it)." if s.get("generated_s") else
              " (the dataset reused from an earlier run)."),
           f"Machine: {os.cpu_count()} CPUs, load average {load[0]:.1f} at the end of the run (other work shares it).",
           "", "Method: bench/police.py (docstring). Requests in-process through Django's full stack as a police officer;",
           "one warm-up round, then the rounds counted. Pages are 50 rows of HTML."]
    (RESULTS / "police.md").write_text("\n".join(md) + "\n")
    log("\n".join(md))


if __name__ == "__main__":
    main()
