"""Coverage API: planners only, grid/mesh coverage and GeoJSON, moving and turning a camera,
placement suggestions (greedy vs integer program), clear errors that change nothing."""

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from accounts.roles import Role, grant
from coverage import placement
from gis_core.models import Camera
from tests.factories import lonlat

pytestmark = pytest.mark.django_db


def test_only_planners_and_staff(layout):
    api = APIClient()
    url = f"/api/coverage/grids/{layout['grid'].code}/"
    assert api.get(url).status_code == 403
    api.force_login(get_user_model().objects.create_user("landlord", password="pw-for-tests"))
    assert api.get(url).status_code == 403
    api.force_login(get_user_model().objects.create_user("staff", password="pw-for-tests", is_staff=True))
    assert api.get(url).status_code == 200


def test_grid_coverage_and_geojson(planner, layout):
    r = planner.get(f"/api/coverage/grids/{layout['grid'].code}/?level=observe").json()
    assert r["grid"]["percent"] == pytest.approx(57.14, abs=0.1)
    assert {m["name"]: m["percent"] for m in r["meshes"]} == {"A": pytest.approx(100, abs=0.1), "B": 0}
    assert [f["properties"]["mesh"] for f in r["blind_spots"]["features"]] == [layout["b"].code]
    # bands meeting the grid: Identify ends 8.4 m out (x < 100), Detect lies behind the building
    assert {f["properties"]["level"] for f in r["views"]["features"]} == {"observe", "recognise"}
    assert len(r["buildings"]["features"]) == 1 and len(r["cameras"]["features"]) == 1
    listing = planner.get("/api/coverage/grids/?level=recognise").json()
    assert listing["level"] == "recognise" and listing["grids"][0]["percent"] < 57
    levels = planner.get("/api/coverage/levels/").json()
    assert [len(t["levels"]) for t in levels] == [6, 7] and levels[0]["default"]


def test_bad_requests_get_clear_errors(planner, layout):
    code = layout["grid"].code
    r = planner.get(f"/api/coverage/grids/{code}/?level=superb")
    assert r.status_code == 400 and "unknown level" in r.content.decode()
    assert planner.get("/api/coverage/grids/999999999999999/").status_code == 404
    assert planner.patch("/api/coverage/cameras/999999/", {"heading_deg": 10}, format="json").status_code == 404


def test_turning_and_moving_a_camera_updates_coverage(planner, layout):
    c = layout["camera"]
    url = f"/api/coverage/cameras/{c.pk}/?level=observe"
    r = planner.patch(url, {"heading_deg": 270}, format="json")  # turn west: away from the grid
    assert r.status_code == 200, r.content
    assert r.json()["grids"][0]["percent"] == 0
    lon, lat = lonlat(150, 110)  # move east of the grid looking west: it sees mesh B
    r = planner.patch(url, {"lon": lon, "lat": lat}, format="json")
    assert r.json()["grids"][0]["covered_m2"] == pytest.approx(300, rel=1e-3)


@pytest.mark.parametrize("body, field", [
    ({"heading_deg": 400}, "heading_deg"), ({"tilt_deg": "steep"}, "tilt_deg"), ({"lon": 0, "lat": 0}, "lon"),
    ({"code": "X"}, "detail"), ({"hfov_deg": None}, "__all__"),
])
def test_bad_camera_edits_are_refused_and_change_nothing(planner, layout, body, field):
    c = layout["camera"]
    before = (c.heading_deg, c.tilt_deg, c.location.wkt, c.view_bands.count())
    r = planner.patch(f"/api/coverage/cameras/{c.pk}/", body, format="json")
    assert r.status_code == 400 and field in r.json(), r.content
    c = Camera.objects.get(pk=c.pk)
    assert (c.heading_deg, c.tilt_deg, c.location.wkt, c.view_bands.count()) == before


def test_greedy_vs_exact_on_a_textbook_instance():
    # A covers 4 samples, B and C 3 each but together all 6: greedy takes A first and ends at 5.
    sets = [np.array([0, 1, 2, 3]), np.array([0, 1, 4]), np.array([2, 3, 5])]
    g = placement.greedy(sets, 6, 2, None)
    x, status = placement.exact(sets, 6, 2, None, 5)
    assert g[0] == 0 and len(set(np.concatenate([sets[i] for i in g]))) == 5
    assert sorted(x) == [1, 2] and status == "optimal"
    x, _ = placement.exact(sets, 6, None, 6, 5)  # fewest cameras covering everything
    assert sorted(x) == [1, 2]


def test_placement_suggests_cameras_for_the_blind_mesh(planner, layout):
    r = planner.post(f"/api/coverage/grids/{layout['grid'].code}/placement/",
                     {"count": 1, "level": "observe", "time_limit": 5}, format="json")
    assert r.status_code == 200, r.content
    d = r.json()
    assert d["before_percent"] == pytest.approx(57.14, abs=0.1) and d["after_percent"] > 70
    (s,) = d["suggestions"]["features"]
    gain = s["properties"]["gain_m2"]
    assert gain == pytest.approx((d["after_percent"] - d["before_percent"]) / 100 * 700, abs=1)
    from tests.factories import _fwd, _ox
    x, _y = _fwd.transform(*s["geometry"]["coordinates"])
    assert 125 <= x - _ox <= 140  # in mesh B, east of the building
    two = planner.post(f"/api/coverage/grids/{layout['grid'].code}/placement/",
                       {"target_percent": 95, "time_limit": 5}, format="json").json()
    assert two["after_percent"] >= 95 or two["greedy"]["cameras"] >= 2


@pytest.mark.parametrize("body", [{}, {"count": 0}, {"count": 2, "target_percent": 50}, {"count": "3"},
                                  {"target_percent": 150}, {"count": 1, "camera": {"zoom": 3}},
                                  {"count": 1, "camera": {"hfov": 500}}, {"count": 1, "time_limit": 3600}])
def test_placement_bad_input(planner, layout, body):
    r = planner.post(f"/api/coverage/grids/{layout['grid'].code}/placement/", body, format="json")
    assert r.status_code == 400 and r.json(), body


def test_page_speaks_chinese_first_and_english(layout):
    from django.test import Client

    user = get_user_model().objects.create_user("p2", password="pw-for-tests")
    grant(user, Role.PLANNER)
    c = Client()
    c.force_login(user)
    assert "视频覆盖与盲区" in c.get("/cameras/coverage/").content.decode()
    english = c.get("/cameras/coverage/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Camera coverage and blind spots" in english and "Observe" in english


def test_quality_tables_are_data_in_the_admin(client):
    from coverage.levels import ensure_tables
    from coverage.models import QualityTable

    ensure_tables()
    client.force_login(get_user_model().objects.create_superuser("root", "", "pw-for-tests-only"))
    table = QualityTable.objects.get(code="iec62676-4-2025")
    page = client.get(f"/admin/coverage/qualitytable/{table.pk}/change/").content.decode()
    assert "Scrutinise" in page and "1500" in page
