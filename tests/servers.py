"""The production server command (scripts/serve.sh) started on the test database, for tests that
need real server processes (several workers, kill -9, another process's cache)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[1]


def test_database_url(port: int | None = None) -> str:
    """DATABASE_URL of the test database (optionally at another port of 127.0.0.1)."""
    parts = urlsplit(os.environ["DATABASE_URL"])._replace(path="/" + connection.settings_dict["NAME"])
    if port is not None:
        user = f"{parts.username}@" if parts.username else ""
        parts = parts._replace(netloc=f"{user}127.0.0.1:{port}")
    return urlunsplit(parts)


@pytest.fixture
def serve(transactional_db, tmp_path):
    """start(**env) → (base URL, log file) of scripts/serve.sh on the test database."""
    procs = []

    def start(**env):
        port = free_port()
        url = test_database_url()
        log = tmp_path / f"server-{port}.log"
        proc = subprocess.Popen(
            [str(ROOT / "scripts" / "serve.sh")], cwd=ROOT, start_new_session=True,
            stdout=log.open("w"), stderr=subprocess.STDOUT,
            env={**os.environ, "DATABASE_URL": url, "PORT": str(port), "WORKERS": "1", "THREADS": "2",
                 "TILE_CACHE": "none", "GIS_VAR_DIR": str(tmp_path / f"var-{port}"), **env})
        procs.append(proc)
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/tiles/0/0/0.mvt", timeout=5):
                    break
            except OSError:
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "server not up after 30 s:\n" + log.read_text()
                time.sleep(0.2)
        return f"http://127.0.0.1:{port}", log

    yield start
    for proc in procs:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:  # a server stuck in shutdown must not outlive the test
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def fetch(url, data=None, **headers):
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


# -- watching server processes (tests that kill workers and wait for the service) ---------------

def children(pid: int) -> list[int]:
    """The direct child processes of `pid` (a server master's workers)."""
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def kill(pid: int) -> bool:
    """kill -9 `pid`; False when it was already gone."""
    try:
        os.kill(pid, signal.SIGKILL)
        return True
    except ProcessLookupError:
        return False


def answers(url: str) -> bool:
    """The URL answers 200 within 3 s."""
    try:
        with urllib.request.urlopen(url, timeout=3) as r:
            return r.status == 200
    except OSError:
        return False


def wait_until(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)
