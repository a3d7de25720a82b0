"""The least a Python tile server can do: the reference row "minimal Python server" of the tiles
benchmark.

A WSGI app, run by the same server command as ours (scripts/serve.sh: granian, the same workers
and threads), that answers /tiles/{z}/{x}/{y}.mvt and /tiles/buildings/{z}/{x}/{y}.mvt with the
exact statement of tiles/sql.py through psycopg — prepared, one connection per thread, the same
session settings — and nothing else: no Django request, no gzip, no ETag, no data extent, no
error handling. Its distance from the floor is what the HTTP hop and a Python thread cost on this
machine, which no Python server can avoid; ours sits between it and the peers.

Not part of the product: only bench/tiles/peers.py starts it.
"""

from __future__ import annotations

import os
import threading

import django
import psycopg

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
django.setup()

from django.conf import settings  # noqa: E402

from common import libpq  # noqa: E402  (bench/tiles: how the floor connects)
from tiles.layers import LAYERS, public_layers  # noqa: E402
from tiles.sql import tile_params, tile_query  # noqa: E402

_LAYERS = {"": tuple(public_layers()), "buildings": (LAYERS["buildings"],)}
_local = threading.local()


def _connection() -> psycopg.Connection:
    """The thread's connection, opened as the floor opens its own (bench/tiles/loadgen.run_sql)."""
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = _local.conn = psycopg.connect(
            libpq(os.environ["DATABASE_URL"]), autocommit=True, prepare_threshold=0,
            options=settings.DATABASES["default"].get("OPTIONS", {}).get("options", ""))
    return conn


def application(environ, start_response):
    *layer, z, x, y = environ["PATH_INFO"].removesuffix(".mvt").split("/")[2:]
    z, x, y = int(z), int(x), int(y)
    query, caps = tile_query(_LAYERS["/".join(layer)], z)
    body = b""
    if query:
        body = bytes(_connection().execute(query, tile_params(z, x, y, caps), prepare=True).fetchone()[0] or b"")
    start_response("200 OK" if body else "204 No Content", [("Content-Length", str(len(body)))])
    return [body]
