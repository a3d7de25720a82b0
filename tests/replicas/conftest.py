"""Real streaming replicas of the test cluster, made and removed by the tests themselves
(scripts/pg.sh replicas, in a folder and on ports of their own), and a TCP relay in front of the
primary that a test can cut to take the primary away from a server."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from tests.ports import free_port
from tests.servers import test_database_url

ROOT = Path(__file__).resolve().parents[2]


def pg_sh(env, *args):
    proc = subprocess.run(["bash", str(ROOT / "scripts/pg.sh"), *args], env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr


@dataclass
class Replica:
    env: dict
    port: int

    @property
    def url(self) -> str:
        return test_database_url(self.port)

    def stop(self):
        pg_sh(self.env, "replica-stop", "1")

    def start(self):
        pg_sh(self.env, "replica-start", "1")

    def client_backends(self) -> int:
        """Connections of the server under test (the test process never connects to a replica)."""
        name = urlsplit(self.url).path.lstrip("/")
        with psycopg.connect(host="127.0.0.1", port=self.port, user="gis", dbname="postgres", autocommit=True) as c:
            return c.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'",
                             [name]).fetchone()[0]


@pytest.fixture
def replica(django_db_setup):
    """make(name, delay="0") → a running hot standby of the test cluster, removed after the test.
    Made after the test's data is committed, so its base backup already holds that data."""
    primary_port = urlsplit(os.environ["DATABASE_URL"]).port
    var = ROOT / "var"
    local = (var / "pg" / "PG_VERSION").exists() and f"port = {primary_port}" in (var / "pg" / "postgresql.conf").read_text()
    if not local:
        pytest.skip("replica tests make replicas of the project-local cluster (make test starts it)")
    made = []

    def make(name: str, delay: str = "0") -> Replica:
        port = free_port()
        env = {**os.environ, "PGLOCAL_DIR": str(var), "PGLOCAL_PORT": str(primary_port),
               "PGLOCAL_REPLICAS": str(var / f"test-replicas-{os.getpid()}-{name}"), "PGLOCAL_REPLICA_PORT0": str(port - 1)}
        made.append(env)
        pg_sh(env, "replicas", "1", delay)
        return Replica(env, port)

    yield make
    for env in made:
        pg_sh(env, "replicas", "0")


class Relay:
    """A TCP relay to the primary: stop() takes the primary away from whoever connects through it
    (refused connections, open ones cut), start() brings it back on the same port."""

    def __init__(self, target_port: int):
        self.target = target_port
        self.port = free_port()
        self._conns: list[socket.socket] = []
        self._listener = None

    def start(self):
        self._listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                client.close()
                continue
            self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self):
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept() (Linux)
        except OSError:
            pass
        self._listener.close()
        for s in self._conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass
        self._conns.clear()


@pytest.fixture
def relay():
    r = Relay(urlsplit(os.environ["DATABASE_URL"]).port)
    r.start()
    yield r
    r.stop()
