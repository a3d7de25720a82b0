"""Shared helpers for the tile benchmark: paths, environment, psql, and server processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
RESULTS = ROOT / "bench" / "results"
WORK = ROOT / "var" / "bench-tiles"  # generated configs, logs, file caches (ignored by git)
VENVS = ROOT / "var" / "bench-venvs"  # throwaway virtualenvs of the peers (ignored by git)
OUR_PYTHON = sys.executable
PORTS = range(8100, 8200)


def log(*args) -> None:
    print(time.strftime("%H:%M:%S"), *args, flush=True)


def base_env() -> dict[str, str]:
    """The environment `make run` gives the server (DATABASE_URL etc.), for direct invocations too."""
    env = dict(os.environ)
    if not env.get("DATABASE_URL"):
        url = subprocess.run([str(ROOT / "scripts" / "pg.sh"), "url"], capture_output=True, text=True,
                             check=True, env={**env, "PGLOCAL_DIR": str(ROOT / "var")}).stdout.strip()
        env["DATABASE_URL"] = url
    env.setdefault("DJANGO_SECRET_KEY_FILE", str(ROOT / "var" / "secret_key"))
    env.setdefault("GIS_RESIDENT_DATA_KEYS_FILE", str(ROOT / "var" / "data_keys"))
    return env


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def libpq(url: str) -> str:
    """postgis://… → postgresql://… (what libpq, psql and psycopg accept)."""
    return "postgresql://" + url.split("://", 1)[1]


def psql(url: str, sql: str) -> str:
    done = subprocess.run(["psql", libpq(url), "-XAtqv", "ON_ERROR_STOP=1", "-c", sql],
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"psql failed: {sql[:200]}\n{done.stderr}")
    return done.stdout.strip()


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS.start}–{PORTS.stop - 1}")


# --- server processes ---------------------------------------------------------------------------

def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def tree(pid: int) -> list[int]:
    """pid and all its descendants."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(_children(p))
    return out


def memory_bytes(pids: list[int]) -> tuple[int, int]:
    """(RSS, PSS) summed over these processes. RSS counts pages that forked workers share with
    their master once per process; PSS splits each shared page between its sharers."""
    rss = pss = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1]) * 1024
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
        except OSError:  # the process has just exited
            pass
    return rss, pss


class Server:
    """A server process group started by the benchmark, with an RSS sampler over its process tree."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], port: int, health_path: str,
                 cwd: Path = ROOT):
        self.name, self.port, self.health_path = name, port, health_path
        WORK.mkdir(parents=True, exist_ok=True)
        self.log_path = WORK / f"{name}.log"
        self._log = open(self.log_path, "w")
        # Own session/process group: stopping it reaches granian/uvicorn workers and nothing else.
        self.proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.peak_rss = self.peak_pss = 0
        self._sampling = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _sample(self) -> None:
        while self.proc.poll() is None:
            if self._sampling.is_set():
                rss, pss = memory_bytes(tree(self.proc.pid))
                self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)
            time.sleep(0.2)

    def reset_peak(self) -> None:
        """Start (or restart) tracking the peak memory of the server's processes."""
        self.peak_rss, self.peak_pss = memory_bytes(tree(self.proc.pid))
        self._sampling.set()

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.proc.returncode}); see {self.log_path}:\n"
                                   + self.log_path.read_text()[-3000:])
            try:
                with urllib.request.urlopen(self.url + self.health_path, timeout=5) as r:
                    if r.status < 500:
                        return
            except urllib.error.HTTPError as e:
                if e.code < 500:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} not ready after {timeout} s; see {self.log_path}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            except ProcessLookupError:
                pass
        self._log.close()


@contextmanager
def running(name: str, argv: list[str], env: dict[str, str], port: int, health_path: str, cwd: Path = ROOT):
    server = Server(name, argv, env, port, health_path, cwd)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()
