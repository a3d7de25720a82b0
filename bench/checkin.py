#!/usr/bin/env python
"""Benchmark: kiosk check-in end to end — a signed ID-card reading → tenancy committed.

    make bench-checkin            # or: .venv/bin/python bench/checkin.py

Against the server as `make run` serves it (scripts/serve.sh: granian, $WORKERS × $THREADS, default
3 × 4, access log on) on the
database of DATABASE_URL (the demo). Setup (not timed): KIOSKS bench kiosks with credentials,
each with an operator signed in and one demo room picked (capacity raised for the run), and one
pre-built card record per request (distinct, valid people from a region the demo does not use).
Each request is what the agent sends: JSON with the base64 record, signed (HMAC, timestamp,
fresh nonce). Every answer must be 201 and every reading a committed tenancy (checked in the
database afterwards).

Two measurements:
* sustained — closed loop, CONCURRENCY clients as fast as the server answers, for DURATION s:
  check-ins per second and latency percentiles;
* at 200/s — open loop, one request every 5 ms for RATE_DURATION s: latency percentiles at the
  target rate (latency counted from the scheduled send time, so a backlog shows).
Afterwards the bench kiosks, tenancies, persons and readings are removed and rooms restored
(audit entries stay: the log is append-only). Writes bench/results/checkin.json and .md.
Targets: p95 under 50 ms, at least 200 check-ins per second.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
KIOSKS = int(os.environ.get("BENCH_KIOSKS", 200))  # rooms of ≈80 bench tenants each, not thousands
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", 8))
DURATION = float(os.environ.get("BENCH_DURATION", 20))
RATE = float(os.environ.get("BENCH_RATE", 200))
RATE_DURATION = float(os.environ.get("BENCH_RATE_DURATION", 15))
WORKERS, THREADS = os.environ.get("WORKERS", "3"), os.environ.get("THREADS", "4")
PATH = "/api/kiosk/readings/"
TAG = os.environ.get("BENCH_TAG", "")  # e.g. BENCH_TAG=no-tile-cache TILE_CACHE=none: a diagnostic run
REGION = "110101"  # not among the demo's regions: no clash with seeded people


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def django_setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY_FILE", str(ROOT / "var" / "secret_key"))
    os.environ.setdefault("GIS_RESIDENT_DATA_KEYS_FILE", str(ROOT / "var" / "data_keys"))
    import django

    django.setup()


def people(n: int):
    from kiosk.agent.record import build_record
    from residents.ids import check_character

    out = []
    for i in range(n):
        born = date(1970, 1, 1) + timedelta(days=i // 499)
        first17 = f"{REGION}{born:%Y%m%d}{(i % 499) * 2 + 1:03d}"
        out.append(build_record(name=f"压测{i % 1000:03d}", sex="1", nation="01", birth_date=f"{born:%Y%m%d}",
                                address="北京市东城区测试胡同1号", id_number=first17 + check_character(first17),
                                authority="北京市公安局东城分局", valid_from="20200101", valid_to="长期"))
    return out


def setup():
    from datetime import timedelta as td

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from accounts.models import StaffProfile
    from accounts.roles import Role, grant
    from gis_core.models import Grid
    from buildings.models import Room
    from kiosk.models import Kiosk
    from registration.models import KioskCredential, KioskSession

    cleanup()
    first = Kiosk.objects.order_by("code").first()
    if first is None:
        raise SystemExit("no kiosks: seed the demo first (make run / manage.py seed_demo)")
    # A grid worker serving the community's grids (not an administrator): the reading's scope
    # check is the one a real operator goes through.
    user, _ = get_user_model().objects.get_or_create(username="bench-checkin-operator")
    user.groups.clear()
    grant(user, Role.GRID_WORKER)
    profile, _ = StaffProfile.objects.get_or_create(user=user)
    profile.grids.set(Grid.objects.filter(community=first.community))
    rooms = list(Room.objects.vacant().filter(building__community=first.community).order_by("pk")[:KIOSKS])
    saved = {r.pk: (r.capacity, r.status) for r in rooms}
    (RESULTS / ".checkin-rooms.json").write_text(json.dumps(saved))
    Room.objects.filter(pk__in=saved).update(capacity=30_000)  # the column is a smallint
    kiosks = []
    for k, room in enumerate(rooms):
        kiosk = Kiosk.objects.create(code=f"bench-checkin-{k:02d}", name="压测终端", community=first.community,
                                     resident_group="压测", location=first.location)
        secret = KioskCredential.issue(kiosk)
        now = timezone.now()
        KioskSession.objects.create(kiosk=kiosk, operator=user, room=room, armed_at=now, expires_at=now + td(hours=2))
        kiosks.append((kiosk.code, secret, room.pk))
    return kiosks


def cleanup():
    from django.db import transaction

    from buildings.models import Room
    from kiosk.models import Kiosk
    from residents.models import Person, PersonPhoto, Tenancy

    with transaction.atomic():
        tenancies = Tenancy.objects.filter(kiosk__code__startswith="bench-checkin-")
        person_ids = list(tenancies.values_list("person_id", flat=True))
        room_ids = set(tenancies.values_list("room_id", flat=True))
        tenancies.delete()
        PersonPhoto.objects.filter(person_id__in=person_ids).delete()
        Person.objects.filter(pk__in=person_ids).delete()
        Kiosk.objects.filter(code__startswith="bench-checkin-").delete()
        saved_file = RESULTS / ".checkin-rooms.json"
        if saved_file.exists():
            for pk, (capacity, status) in json.loads(saved_file.read_text()).items():
                Room.objects.filter(pk=int(pk)).update(capacity=capacity, status=status)
            saved_file.unlink()
        Room.objects.filter(pk__in=room_ids).sync_status()


class Loader:
    def __init__(self, port, kiosks, records):
        from kiosk.agent import signing

        self.port, self.kiosks, self.signing = port, kiosks, signing
        self.records = records
        self.next = 0
        self.lock = threading.Lock()

    def take(self):
        with self.lock:
            i = self.next
            self.next += 1
        if i >= len(self.records):
            raise RuntimeError("ran out of prepared records: lower BENCH_DURATION")
        return i

    def request(self, conn, i):
        code, secret, _room = self.kiosks[i % len(self.kiosks)]
        body = json.dumps({"reading_id": uuid.uuid4().hex, "record": base64.b64encode(self.records[i]).decode(),
                           "photo": None}).encode()
        headers = {"Content-Type": "application/json", **self.signing.sign(code, secret, "POST", PATH, body)}
        conn.request("POST", PATH, body=body, headers=headers)
        r = conn.getresponse()
        r.read()
        return r.status


def closed_loop(loader, seconds, clients):
    lat, statuses = [], []
    end = time.perf_counter() + seconds

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", loader.port, timeout=30)
        while time.perf_counter() < end:
            i = loader.take()
            t0 = time.perf_counter()
            status = loader.request(conn, i)
            lat.append((time.perf_counter() - t0) * 1000)
            statuses.append(status)
        conn.close()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return lat, statuses, time.perf_counter() - t0


def open_loop(loader, rate, seconds, clients=32):
    """Requests scheduled every 1/rate s; latency from the scheduled time."""
    lat, statuses = [], []
    n = int(rate * seconds)
    start = time.perf_counter() + 0.2
    slots = iter(range(n))
    slot_lock = threading.Lock()

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", loader.port, timeout=30)
        while True:
            with slot_lock:
                k = next(slots, None)
            if k is None:
                break
            due = start + k / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            status = loader.request(conn, loader.take())
            lat.append((time.perf_counter() - due) * 1000)
            statuses.append(status)
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return lat, statuses, time.perf_counter() - start


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def summary(lat, statuses, elapsed):
    return {"requests": len(lat), "seconds": round(elapsed, 2), "per_second": round(len(lat) / elapsed, 1),
            "p50_ms": round(pct(lat, 50), 1), "p95_ms": round(pct(lat, 95), 1), "p99_ms": round(pct(lat, 99), 1),
            "max_ms": round(max(lat), 1), "mean_ms": round(statistics.mean(lat), 1),
            "statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))}}


def main():
    django_setup()
    from django.db import connection

    from residents.models import Tenancy

    RESULTS.mkdir(exist_ok=True)
    load_before = [round(x, 1) for x in os.getloadavg()]
    kiosks = setup()
    connection.close()
    total = int(RATE * RATE_DURATION) + int(DURATION * 600) + 500
    log(f"preparing {total} card records")
    records = people(total)
    port = int(os.environ.get("BENCH_PORT", os.environ.get("PORT", "8000"))) + 1000
    env = {**os.environ, "TILE_CACHE": os.environ.get("TILE_CACHE", "file")}
    env.update(PORT=str(port), WORKERS=WORKERS, THREADS=THREADS)
    log(f"starting scripts/serve.sh on port {port}, {WORKERS} workers x {THREADS} threads")
    server_log = open(ROOT / "var" / "bench-checkin-server.log", "w")
    server = subprocess.Popen([str(ROOT / "scripts" / "serve.sh")], cwd=ROOT, env=env, stdout=server_log,
                              stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/api/summary/")
                break
            except OSError:
                time.sleep(0.2)
        loader = Loader(port, kiosks, records)
        log("warm-up")
        closed_loop(loader, 3, CONCURRENCY)
        log(f"sustained: {CONCURRENCY} clients for {DURATION:.0f} s")
        sustained = summary(*closed_loop(loader, DURATION, CONCURRENCY))
        log(sustained)
        time.sleep(2)
        log(f"open loop at {RATE:.0f}/s for {RATE_DURATION:.0f} s")
        at_rate = summary(*open_loop(loader, RATE, RATE_DURATION))
        log(at_rate)
        committed = Tenancy.objects.filter(kiosk__code__startswith="bench-checkin-").count()
        sent = loader.next
    finally:
        server.terminate()
        server.wait(20)
        server_log.close()
        connection.close()
        cleanup()
    load = os.getloadavg()
    ok = sustained["statuses"].get("201", 0) + at_rate["statuses"].get("201", 0)
    result = {
        "when": time.strftime("%Y-%m-%d %H:%M"), "machine": f"{os.cpu_count()} cores, {platform.python_version()}",
        "server": f"granian (scripts/serve.sh) {WORKERS} workers x {THREADS} threads", "kiosks": KIOSKS,
        "sustained": sustained, "at_rate": {**at_rate, "offered_per_second": RATE},
        "readings_sent": sent, "tenancies_committed": committed, "answered_201": ok,
        "targets": {"p95_ms": 50, "per_second": 200}, "load_average_before": load_before,
        "load_average_after": [round(x, 1) for x in load],
    }
    (RESULTS / f"checkin{'-' + TAG if TAG else ''}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    s, r = sustained, at_rate
    met = lambda c: "met" if c else "**not met**"  # noqa: E731
    md = f"""# Kiosk check-in benchmark (signed reading → tenancy committed)

{result['when']} · {result['machine']} · {result['server']} · {KIOSKS} kiosks/rooms ·
TILE_CACHE={env['TILE_CACHE']}{' · diagnostic run ' + TAG if TAG else ''} ·
`make bench-checkin` (bench/checkin.py).

| run | requests | check-ins/s | p50 ms | p95 ms | p99 ms | max ms | answers |
|---|---:|---:|---:|---:|---:|---:|---|
| sustained, {CONCURRENCY} clients closed loop, {DURATION:.0f} s | {s['requests']} | {s['per_second']} | {s['p50_ms']} | {s['p95_ms']} | {s['p99_ms']} | {s['max_ms']} | {s['statuses']} |
| open loop at {RATE:.0f}/s, {RATE_DURATION:.0f} s | {r['requests']} | {r['per_second']} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | {r['max_ms']} | {r['statuses']} |

Readings sent (incl. warm-up): {sent}; tenancies committed: {committed}. Load average (1/5/15 min) before
the run {load_before}, after {result['load_average_after']} (the load generator runs on the same 2 cores).

Targets: ≥ 200 check-ins/s sustained — {met(s['per_second'] >= 200)}; p95 < 50 ms at 200/s —
{met(r['p95_ms'] < 50)}.
"""
    (RESULTS / f"checkin{'-' + TAG if TAG else ''}.md").write_text(md)
    log("wrote bench/results/checkin.md")
    print(md)


if __name__ == "__main__":
    main()
