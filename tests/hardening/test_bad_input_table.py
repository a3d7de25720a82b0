"""A table of bad inputs sent to every operation of the OpenAPI schema and to every plain
Django page: whatever the input, the answer is never a 5xx."""

import json
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.hardening import figures

BAD_SEGMENTS = ["%00", "99999999999999999999", "-1", "abc", "%E4%B8", "..%2F..%2Fetc"]
BAD_QUERY = ["%00", "99999999999999999999999", "-1", "1e309", "%FF%FE", "x" * 3000, "[]"]
BAD_GEOMETRIES = [{"type": "Foo"}, {"": {}}, {"type": "Polygon", "coordinates": [[["a", "b"]]]},
                  {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}, [1, 2], "POINT(0 0)"]
BAD_BODIES = [
    ("application/json", b"[" * 100_000),
    ("application/json", json.dumps({"name": "a\x00b", "count": True, "limit": 10 ** 30}).encode()),
    ("application/json", b"\xff\xfe\x00{"),
    ("application/json", json.dumps([{"heading_deg": 1}]).encode()),
    ("application/json", b"x" * (3 * 1024 * 1024)),
    ("text/csv", "DeviceID,Longitude,Latitude\nA,1\x00,2\n".encode()),
    ("text/csv", "DeviceID,Longitude,Latitude\n=HYPERLINK(1),1e999,nan\n".encode("gb18030")),
] + [("application/json", json.dumps({f: g, "version": 1, "grid": 1, "community": 1, "edits": [
        {"grid": 1, "geometry": g, "version": 1}]}).encode())
     for g in BAD_GEOMETRIES for f in ("geometry", "line", "location")]


def _schema(client):
    return client.get("/api/schema/?format=json").json()


def _fill(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


def _check(response, what):
    # One deliberate 5xx: 3D tiles not built yet answer 503 with Retry-After (built in the background).
    if response.status_code == 503 and response.get("Retry-After") and "3d" in str(what):
        return
    assert response.status_code < 500, (what, response.status_code, response.content[:300])
    figures.count("bad_input_requests")


def test_every_api_operation_survives_bad_input(admin_client, scene):
    schema = _schema(admin_client)
    for path, ops in schema["paths"].items():
        if "placement" in path:  # covered separately below: a good body runs an optimiser
            continue
        for method, op in ops.items():
            params = [p["name"] for p in op.get("parameters", []) if p.get("in") == "query"]
            for seg in BAD_SEGMENTS:
                url = _fill(path, seg)
                _check(admin_client.generic(method.upper(), url), (method, url))
            url = _fill(path, "1")
            for name in params or ["q"]:
                for value in BAD_QUERY:
                    _check(admin_client.generic(method.upper(), f"{url}?{name}={value}"), (method, url, name, value))
            if method in ("post", "put", "patch"):
                for content_type, body in BAD_BODIES:
                    _check(admin_client.generic(method.upper(), url, body, content_type=content_type),
                           (method, url, body[:40]))


def test_placement_survives_bad_input(admin_client, scene):
    url = f"/api/coverage/grids/{scene['west'].code}/placement/"
    for body in ({"count": True}, {"count": 10 ** 30}, {"target_percent": "x"}, {"time_limit": True, "count": 1},
                 {"camera": {"hfov": "x"}, "count": 1}, [1], "x"):
        _check(admin_client.post(url, json.dumps(body), content_type="application/json"), body)


def _patterns(resolver=None, prefix=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def _page_urls(value: str):
    for pattern in _patterns():
        if pattern.startswith(("api/", "admin/", "^static", "static/")):
            continue
        url = re.sub(r"<[^>]+>", value, pattern)
        url = re.sub(r"\(\?P<[^>]+>[^)]*\)", value, url)
        url = url.lstrip("^").rstrip("$").replace("\\", "")
        if re.search(r"[()\[\]*+?]", url):
            continue
        yield "/" + url


@pytest.mark.parametrize("value", ["%00", "99999999999999999999", "0", "abc"])
def test_every_page_survives_bad_input(anon, admin_client, scene, value):
    urls = list(_page_urls(value))
    assert len(urls) >= 30 and any(u.startswith("/police/") for u in urls)  # the walk found the pages
    for url in urls:
        for client in (anon, admin_client):
            _check(client.get(url), url)
            _check(client.get(url + "?community=%00&grid=99999999999999999999&page=-1"), url)
            _check(client.head(url), url)
            _check(client.post(url, b"[" * 100_000, content_type="application/json"), url)
