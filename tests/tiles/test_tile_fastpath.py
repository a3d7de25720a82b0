"""The WSGI fast path answers public tiles — hits and misses — without Django's stack, exactly as
the view would; anything else reaches Django."""

import gzip

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import lonlat
from tests.tiles_helpers import tile_of
from tiles import extent
from tiles.fastpath import TileFastPath

pytestmark = pytest.mark.django_db


class Django:
    """Stands in for the rest of the WSGI stack: records what reached it."""

    def __init__(self):
        self.paths = []

    def __call__(self, environ, start_response):
        self.paths.append(environ["PATH_INFO"])
        start_response("418 I'm a teapot", [])
        return [b"django"]


def call(app, path, **headers):
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, **{f"HTTP_{k.upper()}": v for k, v in headers.items()}}
    seen = {}

    def start_response(status, hdrs):
        seen["status"], seen["headers"] = status, dict(hdrs)

    body = b"".join(app(environ, start_response))
    return seen["status"], seen["headers"], body


def path_at(x_m, y_m, z=18, layer=None):
    x, y = tile_of(*lonlat(x_m, y_m), z)
    return f"/tiles/{layer}/{z}/{x}/{y}.mvt" if layer else f"/tiles/{z}/{x}/{y}.mvt"


@pytest.fixture
def app():
    django = Django()
    return TileFastPath(django), django


def test_a_miss_is_rendered_in_one_query_then_served_from_the_cache(app, scene, client):  # noqa: F811
    fast, django = app
    extent.current()
    with CaptureQueriesContext(connection) as q:
        status, headers, body = call(fast, path_at(60, 57), accept_encoding="gzip")
    assert status == "200 OK" and len(q) == 1 and django.paths == []
    assert headers["Content-Encoding"] == "gzip" and headers["Content-Length"] == str(len(body))
    # the very bytes and ETag the Django view gives
    via_view = client.get(path_at(60, 57), HTTP_ACCEPT_ENCODING="gzip")
    assert via_view["ETag"] == headers["ETag"] and via_view.content == body
    with CaptureQueriesContext(connection) as q:
        assert call(fast, path_at(60, 57))[2] == gzip.decompress(body)
    assert len(q) == 0
    status, _, body = call(fast, path_at(60, 57), if_none_match=headers["ETag"])
    assert status == "304 Not Modified" and body == b""


def test_single_public_layer_and_empty_tiles(app, scene):  # noqa: F811
    fast, django = app
    assert call(fast, path_at(60, 57, layer="buildings"))[0] == "200 OK"
    assert call(fast, path_at(20_000, -15_000))[0] == "204 No Content"
    assert django.paths == []


@pytest.mark.parametrize("path", [
    "/tiles/cameras/18/1/1.mvt",      # staff-only layer: needs the session
    "/tiles/nolayer/18/1/1.mvt",      # unknown layer: Django words the 404
    "/tiles/25/1/1.mvt",              # zoom not served: Django words the 400
    "/tiles/3/9/1.mvt",               # x out of range
    "/tiles/tiles.json",
])
def test_everything_else_reaches_django(app, scene, path):  # noqa: F811
    fast, django = app
    assert call(fast, path)[2] == b"django"
    assert django.paths == [path]
