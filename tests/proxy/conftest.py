"""nginx in front of the real server command, both on loopback ports of their own."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def proxied(serve, settings):
    """start(**env) → (proxy URL, app URL): scripts/serve.sh behind scripts/proxy.sh; this test
    process removes invalidated tiles from the proxy's cache as the server would."""
    dirs = []

    def start(**env):
        folder = ROOT / "var" / f"test-proxy-{os.getpid()}-{len(dirs)}"
        dirs.append(folder)
        cache = folder / "cache" / "tiles"
        app, _ = serve(TILE_CACHE="none", TILES_PROXY_CACHE_DIR=str(cache), **env)
        port = free_port()
        proc = subprocess.run([str(ROOT / "scripts/proxy.sh"), "start", str(port), urlsplit(app).netloc],
                              env={**os.environ, "PROXY_DIR": str(folder)}, capture_output=True, text=True, timeout=30)
        assert proc.returncode == 0, proc.stderr
        settings.TILES_PROXY_CACHE_DIR = str(cache)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while True:
            try:
                urllib.request.urlopen(base + "/tiles/tiles.json", timeout=5).read()
                break
            except OSError:
                assert time.monotonic() < deadline, (folder / "log" / "error.log").read_text()
                time.sleep(0.1)
        return base, app

    yield start
    for folder in dirs:
        subprocess.run([str(ROOT / "scripts/proxy.sh"), "stop"], env={**os.environ, "PROXY_DIR": str(folder)})
        shutil.rmtree(folder, ignore_errors=True)
