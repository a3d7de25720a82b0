"""PgBouncer (Debian's 1.18, transaction mode) between the real server and the test database:
with DATABASE_POOLER=transaction every public read and a write work under concurrency, through a
pool much smaller than the server's threads, with no prepared statement lost between connections."""

from __future__ import annotations

import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection

from buildings.models import Room
from tests.ports import free_port
from tests.servers import fetch
from tests.tiles_helpers import url_at

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture
def pooler(django_db_setup):
    port = free_port()
    env = {**os.environ, "PGLOCAL_DIR": str(ROOT / "var" / f"test-pooler-{os.getpid()}"),
           "PGLOCAL_PORT": str(connection.settings_dict["PORT"])}
    proc = subprocess.run([str(ROOT / "scripts/pooler.sh"), "start", str(port)], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    yield port
    subprocess.run([str(ROOT / "scripts/pooler.sh"), "stop"], env=env)


def test_the_server_runs_through_pgbouncer_in_transaction_mode(pooler, serve, scene):  # (the server stops before the pooler)
    base, log = serve(DATABASE_URL=f"postgis://gis@127.0.0.1:{pooler}/{connection.settings_dict['NAME']}",
                      DATABASE_POOLER="transaction", WORKERS="2", THREADS="8")
    paths = [url_at(20 + 7 * i, 40 + 3 * (i % 5), z=14 + i % 5) for i in range(40)]
    paths += [url_at(60, 57, z=17, layer="buildings")] * 20
    paths += ["/api/vacant-rooms/?kiosk=k1", "/3d/status.json", "/api/summary/"] * 10

    def get(path):
        return path, fetch(base + path)[0]

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(get, paths * 2))
    assert [a for a in answers if a[1] not in (200, 204)] == []
    Room.objects.filter(pk=scene["rooms"][0].pk).update(rent_monthly=777)
    status, _, body = fetch(base + "/api/vacant-rooms/?kiosk=k1")
    assert status == 200 and 777 in {r["rent"] for r in json.loads(body)["results"]}
    assert "prepared statement" not in log.read_text()
