"""The planners' coverage page in headless Chromium: views, bands, coverage and blind spots of a
grid; turning and dragging a camera updates the coverage shown; placement suggestions; offline."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.roles import Role, grant
from coverage.models import AreaCoverage
from gis_core.models import Camera
from tests.factories import _fwd, _ox, _oy, lonlat

pytestmark = pytest.mark.django_db(transaction=True)


def login(rp, live_server, *, role=Role.PLANNER):
    user = get_user_model().objects.create_user(f"u-{role}", password="pw-for-tests")
    grant(user, role)
    c = Client()
    c.force_login(user)
    rp.page.context.add_cookies([{"name": "sessionid", "value": c.cookies["sessionid"].value,
                                  "url": live_server.url}])


def percent_shown(rp) -> float:
    return float(rp.page.inner_text("#percent"))


def stored_percent(grid) -> float:
    return AreaCoverage.objects.get(area=grid, level__code="observe").percent


def open_coverage(open_page, live_server, layout, **kw):
    rp = open_page(width=1280, height=760, **kw)
    login(rp, live_server)
    rp.page.goto(f"{live_server.url}/cameras/coverage/?grid={layout['grid'].code}")
    rp.page.wait_for_selector("body[data-ready='1']", timeout=60_000)
    return rp


def test_planner_sees_coverage_turns_and_drags_a_camera(open_page, live_server, layout):
    rp = open_coverage(open_page, live_server, layout)
    assert percent_shown(rp) == pytest.approx(57.1, abs=0.05)
    rows = rp.page.eval_on_selector_all("#meshes tbody tr", "rs => rs.map(r => r.innerText)")
    assert len(rows) == 2 and "100.0 %" in rows[0] and "0.0 %" in rows[1] and "300 m²" in rows[1]
    # the map holds the views (counted bands) and the blind spot
    n = rp.page.evaluate("coverageMap.querySourceFeatures('views').length + coverageMap.querySourceFeatures('blind').length")
    assert n >= 3
    rp.screenshot("coverage-page")

    version = rp.page.get_attribute("body", "data-version")
    rp.page.click("#rot-left")  # 90° → 75°: the cone turns north, its south edge leaves the grid
    rp.page.wait_for_function(f"document.body.dataset.version !== '{version}'", timeout=60_000)
    rp.page.wait_for_function("document.getElementById('cam-status').textContent.length > 0")
    assert Camera.objects.get().heading_deg == 75
    turned = percent_shown(rp)
    assert turned < 57.0 and turned == pytest.approx(stored_percent(layout["grid"]), abs=0.05)

    # drag the camera 45 m east, into mesh B (x = 135 m)
    cam = rp.page.evaluate("coverageMap.project(coverageState.data.cameras.features[0].geometry.coordinates)")
    to = rp.page.evaluate(f"coverageMap.project({list(lonlat(135, 110))})")
    box = rp.page.locator("#map").bounding_box()
    version = rp.page.get_attribute("body", "data-version")
    rp.page.mouse.move(box["x"] + cam["x"], box["y"] + cam["y"])
    rp.page.mouse.down()
    rp.page.mouse.move(box["x"] + (cam["x"] + to["x"]) / 2, box["y"] + cam["y"], steps=5)
    rp.page.mouse.move(box["x"] + to["x"], box["y"] + to["y"], steps=5)
    rp.page.mouse.up()
    rp.page.wait_for_function(f"document.body.dataset.version !== '{version}'", timeout=60_000)
    loc = Camera.objects.get().location
    x, y = _fwd.transform(loc.x, loc.y)
    assert x - _ox == pytest.approx(135, abs=2) and y - _oy == pytest.approx(110, abs=2)
    assert percent_shown(rp) == pytest.approx(stored_percent(layout["grid"]), abs=0.05)
    assert percent_shown(rp) != turned


def test_placement_suggestions_on_the_page(open_page, live_server, layout):
    rp = open_coverage(open_page, live_server, layout)
    rp.page.fill("#suggest-count", "2")
    rp.page.click("#suggest-run")
    rp.page.wait_for_selector("#suggestions li >> nth=2", timeout=60_000)
    items = rp.page.eval_on_selector_all("#suggestions li", "ls => ls.map(l => l.innerText)")
    assert len(items) == 3 and "m²" in items[0] and "→" in items[-1]
    assert rp.page.evaluate("coverageState.suggestions.features.length") == 2
    assert rp.page.evaluate("coverageMap.querySourceFeatures('suggestions').length") >= 2  # drawn
    rp.screenshot("coverage-suggestions")


def test_page_needs_the_planner_role(open_page, live_server, layout):
    rp = open_page()
    login(rp, live_server, role=Role.LANDLORD)
    r = rp.page.goto(f"{live_server.url}/cameras/coverage/")
    assert r.status == 403
    r = open_page().page.goto(f"{live_server.url}/cameras/coverage/")  # anonymous → login page
    assert "/login" in r.url or r.status in (302, 404) or "login" in r.url
