"""Serve public tiles before Django's middleware stack (like WhiteNoise does for files).

A public tile is identical for every client: no session, locale, CSRF or login changes it. Going
through Django's middleware and URL resolver costs ≈1 ms per request, more than a cache hit and
more than the tile query of most small tiles, so public tiles — cache hits *and* misses — are
answered here by the same functions the view uses (tiles.service.get_tile, tiles.http.tile_answer).
The database connection is Django's own per-thread connection, closed when obsolete or broken
as Django does after a request — but without Django's per-request health-check query
(CONN_HEALTH_CHECKS): a broken connection raises, the request falls through to Django, and
Django's own handling checks and replaces the connection. Everything else goes to Django unchanged: staff-only
layers (they need the session), malformed or out-of-range addresses (Django's view words the
error), other methods, and any unexpected failure (Django logs it and answers 500).
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError

from gis_core.db import release_connection
from replicas import health
from replicas.routing import choose, parse_cookie_header
from tiles import service
from tiles.errors import TileError
from tiles.http import tile_answer
from tiles.invalidation import COMBINED
from tiles.layers import public_layers, source_layers

TILE_PATH = re.compile(r"^/tiles/(?:(?P<layer>[a-z_]+)/)?(?P<z>\d{1,2})/(?P<x>\d{1,7})/(?P<y>\d{1,7})\.mvt$")
STATUS_LINES = {s.value: f"{s.value} {s.phrase}" for s in HTTPStatus}
log = logging.getLogger(__name__)


class TileFastPath:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD")
        if method in ("GET", "HEAD"):
            match = TILE_PATH.match(environ.get("PATH_INFO", ""))
            if match:
                answer = self._answer(match, environ)
                if answer is not None:
                    status, headers, body = answer
                    headers.append(("Content-Length", str(len(body))))
                    start_response(STATUS_LINES[status], headers)
                    return [b"" if method == "HEAD" else body]  # HEAD: GET's headers, no body
        return self.app(environ, start_response)

    @staticmethod
    def _answer(match, environ):
        name = match["layer"]
        if name is None:
            name, layers = COMBINED, tuple(public_layers())
        else:
            layers = source_layers(name)  # the basemap, or one public layer
            if layers is None:
                return None  # unknown or staff-only: Django answers (404 / permission check)
        # Public tiles may come from a read replica (replicas/routing.py); one that fails is
        # marked down and the tile is rendered from the primary instead.
        alias = choose(parse_cookie_header(environ.get("HTTP_COOKIE", "")))
        address = int(match["z"]), int(match["x"]), int(match["y"])
        try:
            try:
                tile = service.get_tile(name, layers, *address, alias=alias)
            except (OperationalError, InterfaceError):
                if alias == DEFAULT_DB_ALIAS:
                    raise
                release_connection(alias)
                health.mark_down(alias)
                alias = DEFAULT_DB_ALIAS
                tile = service.get_tile(name, layers, *address)
        except TileError:
            return None  # Django's view words the 400/404
        except Exception:  # noqa: BLE001  let Django render (and log) it
            log.exception("tile fast path failed; handing the request to Django")
            return None
        finally:
            release_connection(alias)
        return tile_answer(tile, if_none_match=environ.get("HTTP_IF_NONE_MATCH"),
                           accept_encoding=environ.get("HTTP_ACCEPT_ENCODING"))
