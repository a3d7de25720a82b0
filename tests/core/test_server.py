"""The production server command (scripts/serve.sh: what `make run`, the Docker image and the
benchmarks exec) serves the whole app: tiles through the WSGI fast path, pages, static files, the
kiosk agents' POSTs and Django's error answers, with an access log; X-Forwarded-Proto is trusted
only when configured."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import mapbox_vector_tile
import pytest

from buildings.models import Building
from tests.servers import fetch
from tests.tiles_helpers import url_at

ROOT = Path(__file__).resolve().parents[2]


def tile_buildings(base, path):
    status, headers, body = fetch(base + path, **{"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip", (status, body[:200])
    layer = mapbox_vector_tile.decode(gzip.decompress(body))["buildings"]
    return {f["properties"]["code"]: f["properties"] for f in layer["features"]}


def test_the_production_server_serves_the_app(serve, scene):
    base, log = serve()
    path = url_at(60, 57, z=17, layer="buildings")
    assert tile_buildings(base, path)["B-1"]["floors"] == 2
    Building.objects.filter(pk=scene["building"].pk).update(floors=5)  # committed: another process reads it
    assert tile_buildings(base, path)["B-1"]["floors"] == 5

    status, _, body = fetch(base + "/tiles/19/0/0.mvt")
    assert status == 404 and "不提供第 19 级瓦片" in json.loads(body)["detail"]

    status, headers, body = fetch(base + "/map/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    script = re.search(r'"(/static/vendor/maplibre-gl/[^"]+\.mjs)"', body.decode()).group(1)
    status, headers, body = fetch(base + script, **{"Accept-Encoding": "gzip"})
    assert status == 200 and "javascript" in headers["Content-Type"] and len(body) > 100_000

    # The agents' endpoint (kiosk/fastpath.py) reads the POST body through the server.
    status, _, body = fetch(base + "/api/kiosk/readings/", data=b"{}", **{"Content-Type": "application/json"})
    assert status == 401 and "缺少签名头" in json.loads(body)["detail"]

    time.sleep(0.3)
    logged = log.read_text()
    assert f'"GET {path} HTTP/1.1" 200' in logged and '"POST /api/kiosk/readings/ HTTP/1.1" 401' in logged


@pytest.mark.parametrize("trusted", [False, True])
def test_forwarded_proto_is_trusted_only_when_configured(serve, trusted):
    base, _ = serve(DJANGO_SECURE_PROXY_SSL_HEADER="true" if trusted else "false")
    status, _, body = fetch(base + "/tiles/tiles.json", **{"X-Forwarded-Proto": "https"})
    assert status == 200
    scheme = json.loads(body)["tiles"][0].split("://")[0]
    assert scheme == ("https" if trusted else "http")


def test_a_worker_loads_the_views_and_catalogues_before_its_first_request():
    """Importing the WSGI application (what each server worker does at start) loads every app's
    views and both languages' catalogues, so the first request after a restart does not wait ≈0.7 s;
    then it freezes what it loaded, so full garbage collections do not walk it."""
    code = ("import gc, sys, project.wsgi\n"
            "assert gc.get_freeze_count() > 100_000, gc.get_freeze_count()\n"
            "from django.conf import settings\n"
            "from django.utils.translation import trans_real\n"
            "views = all(m in sys.modules for m in ('planner.api', 'police.views', 'kiosk.views'))\n"
            "print(views, sorted(trans_real._translations) == sorted(c for c, _ in settings.LANGUAGES))\n")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "project.settings"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "True"], done.stdout + done.stderr
