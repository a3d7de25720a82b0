"""Serve cached public tiles before Django's middleware stack (like WhiteNoise does for files).

A cached tile is public, identical for every client, and already has its ETag and gzip body, so
the whole answer is a cache read: going through sessions, locale, CSRF and URL resolution would
cost several times that. Anything that is not a cache hit for a public tile — a miss, a staff
layer, a malformed path, a non-GET — goes to Django unchanged, which renders, validates and
caches. The answer is built by tiles.http.tile_answer, the same function the view uses.
"""

from __future__ import annotations

import re
from http import HTTPStatus

from tiles import cache
from tiles.http import tile_answer
from tiles.invalidation import COMBINED
from tiles.layers import LAYERS, is_public

TILE_PATH = re.compile(r"^/tiles/(?:(?P<layer>[a-z_]+)/)?(?P<z>\d{1,2})/(?P<x>\d{1,7})/(?P<y>\d{1,7})\.mvt$")
STATUS_LINES = {s.value: f"{s.value} {s.phrase}" for s in HTTPStatus}


class TileFastPath:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "GET":
            match = TILE_PATH.match(environ.get("PATH_INFO", ""))
            if match:
                answer = self._cached(match, environ)
                if answer is not None:
                    status, headers, body = answer
                    headers.append(("Content-Length", str(len(body))))
                    start_response(STATUS_LINES[status], headers)
                    return [body]
        return self.app(environ, start_response)

    @staticmethod
    def _cached(match, environ):
        name = match["layer"]
        if name is None:
            name = COMBINED
        elif name not in LAYERS or not is_public(LAYERS[name]):
            return None  # unknown or staff-only: Django answers (404 / permission check)
        tile = cache.get(name, int(match["z"]), int(match["x"]), int(match["y"]))
        if tile is None:
            return None
        return tile_answer(tile, if_none_match=environ.get("HTTP_IF_NONE_MATCH"),
                           accept_encoding=environ.get("HTTP_ACCEPT_ENCODING"))
