"""Issue 17 item 3: the server comes back by itself. Killing a worker twice in a row makes
granian's master give up ("Worker crash loop detected"); `make run`'s supervisor
(scripts/supervise.sh) starts it again, and a killed master too; SIGTERM stops everything."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.ports import free_port
from tests import servers
from tests.servers import answers, children, wait_until

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_the_server_comes_back_after_workers_and_master_are_killed(tmp_path):
    port = free_port()
    log = tmp_path / "server.log"
    env = {**os.environ, "DATABASE_URL": servers.test_database_url(), "PORT": str(port), "WORKERS": "2", "THREADS": "2",
           "TILE_CACHE": "none", "GIS_VAR_DIR": str(tmp_path / "var")}
    supervisor = subprocess.Popen([str(ROOT / "scripts/supervise.sh"), str(ROOT / "scripts/serve.sh")], cwd=ROOT,
                                  env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/tiles/tiles.json"
    try:
        wait_until(lambda: answers(url), 30, "not up")
        for round_ in range(2):  # twice: a crash loop, then the master itself
            master = children(supervisor.pid)[0]
            if round_ == 0:
                os.kill(children(master)[0], signal.SIGKILL)
                time.sleep(3)
                wait_until(lambda: len(children(master)) >= 2, 10, "no worker respawned")
                os.kill(children(master)[-1], signal.SIGKILL)
            else:
                os.kill(master, signal.SIGKILL)
            wait_until(lambda: children(supervisor.pid) and children(supervisor.pid)[0] != master, 20,
                       "the server was not started again:\n" + log.read_text()[-2000:])
            wait_until(lambda: answers(url), 30, "the server does not answer again")
        assert "starting it again" in log.read_text()
    finally:
        supervisor.send_signal(signal.SIGTERM)
        supervisor.wait(timeout=30)
    assert supervisor.returncode == 0
    time.sleep(0.5)
    assert not answers(url)  # stopped for good when asked
