"""Issue 17, "keep proving it": signed card readings through the real reader agent (kiosk/agent:
its SQLite spool, its signing, its retries) to the real server (scripts/serve.sh under
scripts/supervise.sh, as `make run` starts it) while app-server workers are killed with SIGKILL,
over and over, and once the master itself. Every reading the server acknowledged is stored exactly
once, the ones cut off are resent by the spool until they are, and nothing is lost or doubled.

The figures (readings, kills, restarts, resends) go to test-artifacts/fault-readings.json; the
administrator's guide quotes them."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from kiosk.agent.client import Agent
from kiosk.agent.spool import Spool
from registration.models import CardReading
from residents.models import Tenancy
from tests.factories import make_room
from tests.idcard_helpers import arm, make_kiosk, make_landlord_user, record
from tests.ports import free_port
from tests import servers
from tests.servers import answers, children, kill, wait_until

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

KIOSKS = 2
MAX_READINGS_PER_KIOSK = 2000  # (the room's capacity; the faults end much sooner)
WORKER_KILLS = 8


def card(n: int) -> bytes:
    """The n-th distinct card (id_number() repeats its sequence number after 499: vary the birth year)."""
    return record(1 + n % 400, born=f"{1960 + n // 400}0101")


@pytest.fixture
def desks(building):
    room = make_room(building, 2, "201", capacity=KIOSKS * MAX_READINGS_PER_KIOSK)
    operator = make_landlord_user(building)
    out = []
    for k in range(KIOSKS):
        kiosk, secret = make_kiosk(building.community, code=f"530112001001-{k + 1:02d}")
        arm(kiosk, operator, room)
        out.append((kiosk, secret))
    return room, out


def test_acknowledged_readings_survive_killed_workers_exactly_once(desks, tmp_path):
    room, kiosks = desks
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    env = {**os.environ, "DATABASE_URL": servers.test_database_url(), "PORT": str(port), "WORKERS": "2", "THREADS": "2",
           "TILE_CACHE": "none", "GIS_VAR_DIR": str(tmp_path / "var")}
    supervisor = subprocess.Popen([str(ROOT / "scripts/supervise.sh"), str(ROOT / "scripts/serve.sh")], cwd=ROOT,
                                  env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    acknowledged: dict[str, dict] = {}  # reading id → the server's first 2xx answer the agent heard
    cut_off: set[str] = set()  # readings whose sending failed at least once (killed, refused, reset)
    lock = threading.Lock()
    kills = {"workers": 0, "masters": 0}
    faults_over = threading.Event()
    submitted = [0] * KIOSKS
    started = time.monotonic()
    try:
        wait_until(lambda: answers(base + "/tiles/tiles.json"), 30, "server not up:\n" + log.read_text()[-2000:])

        def agent_loop(k: int, kiosk, secret):
            agent = Agent(base, kiosk.code, secret, Spool(str(tmp_path / f"spool-{k}.db")), timeout=5)
            agents[k] = agent
            for i in range(MAX_READINGS_PER_KIOSK):
                if faults_over.is_set():
                    break
                agent.submit(card(k * MAX_READINGS_PER_KIOSK + i))
                submitted[k] += 1
                for outcome in agent.flush():  # every pending one, oldest first; stops at a dead server
                    with lock:
                        if outcome.delivered and 200 <= outcome.status < 300:
                            acknowledged.setdefault(outcome.reading_id, outcome.body)
                        else:
                            cut_off.add(outcome.reading_id)
                time.sleep(0.05)
            agent.spool.close()  # (SQLite objects stay in their thread; the spool file is what persists)

        agents: dict[int, Agent] = {}
        threads = [threading.Thread(target=agent_loop, args=(k, *kv)) for k, kv in enumerate(kiosks)]
        for t in threads:
            t.start()

        # SIGKILL a random worker every 0.4–1.2 s (granian respawns it, or gives up after two
        # quick deaths and supervise.sh starts it again), then the master once, readings flowing.
        rng = random.Random(17)
        while kills["workers"] < WORKER_KILLS or kills["masters"] == 0:
            time.sleep(rng.uniform(0.4, 1.2))
            master = (children(supervisor.pid) or [None])[0]
            if master is None:
                continue
            if kills["workers"] >= WORKER_KILLS:
                kills["masters"] += kill(master)
                continue
            workers = children(master)
            if workers:
                kills["workers"] += kill(rng.choice(workers))
        wait_until(lambda: answers(base + "/tiles/tiles.json"), 60, "the server did not come back")
        time.sleep(2)  # readings go on a little after the last fault
        faults_over.set()
        for t in threads:
            t.join()

        # The server comes back (supervise.sh); the spools send what is left.
        wait_until(lambda: answers(base + "/tiles/tiles.json"), 60, "the server did not come back")
        for k, (kiosk, secret) in enumerate(kiosks):
            # the same agent and spool file, reopened here: what was cut off is still queued in it
            agent = Agent(base, kiosk.code, secret, Spool(str(tmp_path / f"spool-{k}.db")), timeout=5)
            for outcome in agent.flush_until_empty(deadline_s=45, backoff=(0.2, 0.5, 1)):
                if outcome.delivered and 200 <= outcome.status < 300:
                    acknowledged.setdefault(outcome.reading_id, outcome.body)
            assert agent.spool.pending() == [], "readings left unsent"
            assert agent.spool.counts() == {"done": submitted[k]}, agent.spool.counts()
            agent.spool.close()
    finally:
        supervisor.send_signal(signal.SIGTERM)
        supervisor.wait(timeout=30)
    elapsed = time.monotonic() - started

    total = sum(submitted)
    stored = list(CardReading.objects.values_list("kiosk__code", "reading_id", "outcome", "tenancy_id"))
    ids = [r[1] for r in stored]
    assert len(ids) == len(set(ids)) == total, "every reading stored, none twice"
    assert set(acknowledged) == set(ids), "every stored reading was acknowledged to its agent in the end"
    assert [r for r in stored if r[2] != "linked" or not r[3]] == [], "each reading linked its tenant"
    assert Tenancy.objects.filter(room=room).count() == total  # one tenancy per card, none doubled
    assert all(body["outcome"] == "linked" for body in acknowledged.values())
    restarts = log.read_text().count("starting it again")
    assert kills["workers"] == WORKER_KILLS and kills["masters"] == 1 and restarts >= 1, (kills, restarts)
    assert cut_off, "no reading was cut off: the faults did not hit the sending"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "fault-readings.json").write_text(json.dumps({
        "readings": total, "kiosks": KIOSKS, "workers_killed": kills["workers"], "masters_killed": kills["masters"],
        "server_restarts": restarts, "readings_cut_off_and_resent": len(cut_off), "stored": len(ids),
        "duplicates": len(ids) - len(set(ids)), "lost": total - len(set(ids)), "seconds": round(elapsed, 1)}, indent=1))
