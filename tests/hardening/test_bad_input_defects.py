"""Each input that answered 500 (or a wrong 2xx) in the hardening probe, now a 4xx with a message."""

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gis_core.csvexport import safe_cell
from gis_core.models import Camera
from kiosk.agent.client import Outcome
from tests.factories import lonlat

ROOT = Path(__file__).resolve().parents[2]
NUL_URLS = [
    "/api/buildings/?grid=%00", "/api/buildings/?code=%00", "/api/rooms/?building=%00",
    "/api/grids/?community=%00", "/api/grids/?parent=%00", "/b/%00/", "/tiles/3d/%00/tileset.json",
    "/3d/status.json?community=%00", "/api/coverage/grids/%00/", "/api/coverage/cameras/export.csv?community=%00",
]


def _ring(*pts):
    return {"type": "Polygon", "coordinates": [[list(lonlat(*p)) for p in pts]]}


BAD_GEOMETRIES = [
    {"type": "Foo"},
    {"": {}},
    {"type": "Polygon", "coordinates": [[["a", "b"], ["c", "d"], ["e", "f"], ["a", "b"]]]},
    _ring((10, 10), (100, 10), (10, 10)),                     # 3-point ring
    {"type": "Polygon", "coordinates": [[[1e10, 1e10], [2e10, 1e10], [1e10, 2e10], [1e10, 1e10]]]},
    [1, 2, 3],
    "not json",
    {"type": "Point", "coordinates": [0, 0]},
]


@pytest.mark.parametrize("url", NUL_URLS)
def test_nul_bytes_answer_400(admin_client, scene, url):
    response = admin_client.get(url)
    assert response.status_code == 400, (url, response.content[:200])
    assert "NUL" in response.content.decode()  # JSON for API paths, a short page for /b/


def test_nul_in_a_basic_auth_user_name_answers_400(anon, scene):
    token = base64.b64encode(b"ad\x00min:pw").decode()
    assert anon.get("/api/buildings/", HTTP_AUTHORIZATION=f"Basic {token}").status_code in (200, 400, 401, 403)
    raw = "Basic " + "ad\x00min:pw"
    assert anon.get("/api/buildings/", HTTP_AUTHORIZATION=raw).status_code == 400


@pytest.mark.parametrize("url", [
    "/api/buildings/?limit=99999999999999999999", "/api/buildings/?offset=99999999999999999999999",
    "/api/buildings/?offset=-1", "/api/buildings/?limit=abc", "/api/vacant-rooms/?kiosk=k1&offset=99999999999999999999999",
])
def test_integer_overflow_answers_400_before_postgresql(anon, scene, url):
    response = anon.get(url)
    assert response.status_code == 400, (url, response.content[:300])
    assert response.json()["detail"]


@pytest.mark.parametrize("geometry", BAD_GEOMETRIES, ids=range(len(BAD_GEOMETRIES)))
def test_planner_bad_geometry_answers_400_everywhere(planner_client, scene, geometry):
    west = scene["west"]
    calls = [
        ("put", f"/api/planner/grids/{west.pk}/", {"geometry": geometry, "version": west.version}),
        ("post", "/api/planner/grids/check/", {"geometry": geometry, "grid": west.pk}),
        ("post", "/api/planner/grids/batch/", {"edits": [{"grid": west.pk, "geometry": geometry,
                                                           "version": west.version}]}),
        ("post", f"/api/planner/grids/{west.pk}/split/", {"line": geometry, "version": west.version, "name": "x"}),
        ("patch", f"/api/planner/cameras/{Camera.objects.get(code='C1').pk}/", {"location": geometry}),
    ]
    for method, url, body in calls:
        response = getattr(planner_client, method)(url, json.dumps(body), content_type="application/json")
        assert response.status_code == 400, (method, url, response.content[:300])
        assert response.json()["detail"], (method, url)


def test_deep_json_answers_400(admin_client, planner_client, scene):
    deep = "[" * 100_000
    r = admin_client.post("/api/coverage/cameras/import/", deep, content_type="application/json")
    assert r.status_code == 400 and r.json()["detail"]
    r = planner_client.post("/api/planner/grids/check/", deep, content_type="application/json")
    assert r.status_code == 400 and r.json()["detail"]


def test_camera_csv_with_a_nul_answers_400(admin_client, scene):
    csv_text = "DeviceID,Longitude,Latitude,Name\nX1,102.66,25.03,ab\x00c\n"
    r = admin_client.post("/api/coverage/cameras/import/", csv_text.encode(), content_type="text/csv")
    assert r.status_code == 400 and "NUL" in r.json()["detail"]


def test_kiosk_reading_of_3_mb_answers_413_and_the_agent_does_not_resend_it(anon, db):
    r = anon.post("/api/kiosk/readings/", b"x" * (3 * 1024 * 1024), content_type="application/json")
    assert r.status_code == 413 and r.json()["detail"]
    assert Outcome("r1", 413, r.json()).delivered  # final: the spool stops resending it


@pytest.mark.parametrize("url", ["/tiles/0/0/0.mvt", "/tiles/tiles.json", "/tiles/3d/tileset.json", "/kiosk/k1/"])
def test_head_answers_like_get_without_a_body(anon, scene, url):
    get, head = anon.get(url), anon.head(url)
    assert head.status_code == get.status_code != 405, url
    assert head.content == b""


def test_grid_parent_is_nullable_in_the_schema_as_in_the_answer(anon, scene):
    schema = anon.get("/api/schema/?format=json").json()
    parent = schema["components"]["schemas"]["Grid"]["properties"]["properties"]["properties"]["parent"]
    assert parent.get("nullable") is True
    grids = anon.get("/api/grids/").json()
    assert any(f["properties"]["parent"] is None for f in grids["features"])


def test_placement_refuses_a_boolean_count(admin_client, scene):
    r = admin_client.post(f"/api/coverage/grids/{scene['west'].code}/placement/", {"count": True},
                          content_type="application/json")
    assert r.status_code == 400 and "count" in r.json()


def test_camera_patch_with_a_list_answers_400(admin_client, scene):
    pk = Camera.objects.get(code="C1").pk
    r = admin_client.patch(f"/api/coverage/cameras/{pk}/", [{"heading_deg": 10}], content_type="application/json")
    assert r.status_code == 400 and r.json()["detail"]


@pytest.mark.parametrize("value, written", [
    ("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"), ("+1", "'+1"), ("-2", "'-2"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("院门", "院门"), (-2.5, -2.5),
])
def test_formula_cells_are_escaped(value, written):
    assert safe_cell(value) == written


def test_camera_export_escapes_a_formula_name(admin_client, scene):
    Camera.objects.filter(code="C1").update(name='=HYPERLINK("http://evil","x")')
    body = admin_client.get("/api/coverage/cameras/export.csv").content.decode("utf-8-sig")
    assert "'=HYPERLINK" in body and ',=HYPERLINK' not in body


_UNREACHABLE = r"""
import json, os
import django
django.setup()
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()  # allows the "testserver" host
from project.wsgi import application
c = Client(raise_request_exception=False)
out = {}
for url in ("/r/1/", "/api/buildings/", "/tiles/3d/tileset.json", "/kiosk/k1/"):
    r = c.get(url, HTTP_ACCEPT="application/json" if url.startswith("/api/") else "text/html")
    out[url] = [r.status_code, r.get("Retry-After"), r["Content-Type"]]
seen = {}
def start_response(status, headers):
    seen["status"], seen["headers"] = status, dict(headers)
body = b"".join(application({"REQUEST_METHOD": "GET", "PATH_INFO": "/tiles/14/13000/7000.mvt", "SERVER_NAME": "testserver",
                   "SERVER_PORT": "80", "wsgi.url_scheme": "http", "wsgi.input": __import__("io").BytesIO(),
                   "QUERY_STRING": "", "HTTP_HOST": "testserver"}, start_response))
out["tile"] = [int(seen["status"].split()[0]), seen["headers"].get("Retry-After"), body.decode()]
print(json.dumps(out))
"""


def test_database_unreachable_answers_503_with_retry_after():
    env = {**os.environ, "DATABASE_URL": "postgis://nobody@127.0.0.1:1/none", "DJANGO_SETTINGS_MODULE": "project.settings"}
    run = subprocess.run([sys.executable, "-c", _UNREACHABLE], cwd=ROOT, capture_output=True, text=True, env=env,
                         timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    for url, (status, retry, content_type) in out.items():
        assert status == 503 and retry, (url, out)
    assert out["/r/1/"][2].startswith("text/html") and out["/api/buildings/"][2].startswith("application/json")
    assert "detail" in json.loads(out["tile"][2])


def test_openapi_schema_validates_without_warnings(tmp_path):
    run = subprocess.run([sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn",
                          "--file", str(tmp_path / "schema.yaml")], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Warning" not in run.stderr and "Error" not in run.stderr


def test_http_basic_auth_signs_nobody_in(anon, scene):
    """Issue 17 item 2: the API takes no HTTP Basic credentials, even right ones."""
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_superuser("basicroot", password="right-password-1")
    token = base64.b64encode(b"basicroot:right-password-1").decode()
    assert anon.get("/api/cameras/", HTTP_AUTHORIZATION=f"Basic {token}").status_code in (401, 403)
