"""The planner map in headless Chromium: log in, select a grid, drag a shared vertex, see the live
check, save, and find a building in the neighbouring grid; a stale save offers keep mine/theirs."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.roles import Role, grant
from buildings.models import Building
from gis_core.models import Grid
from planner.models import GridVersion
from tests.factories import lonlat, make_building

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def scene(two_grids):
    """West 0–200 m and east 200–400 m share the edge x = 200. Building N (180–195, 150–160) is in
    the west near the shared edge; building S (20–40, 20–40) deep in the west."""
    west, east = two_grids
    make_building("N", (180, 150, 195, 160))
    make_building("S", (20, 20, 40, 40))
    user = get_user_model().objects.create_user("planner", password="pw-planner-1")
    grant(user, Role.PLANNER)
    return {"west": west, "east": east, "user": user}


def login(rp, live_server, user):
    client = Client()
    client.force_login(user)
    rp.page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                                  "url": live_server.url}])


def screen_xy(rp, x, y):
    """Page pixel of the point x, y metres from the test origin."""
    lon, lat = lonlat(x, y)
    return rp.page.evaluate(
        """([lat, lng]) => { const p = plannerMap.latLngToContainerPoint([lat, lng]);
             const r = document.getElementById('map').getBoundingClientRect(); return [p.x + r.left, p.y + r.top]; }""",
        [lat, lon])


def open_planner(open_page, live_server, scene):
    rp = open_page(width=1400, height=800)
    login(rp, live_server, scene["user"])
    rp.page.goto(f"{live_server.url}/planner/?community={scene['west'].community.code}")
    rp.page.wait_for_selector("body[data-ready='1']", timeout=30_000)
    return rp


def drag(rp, start, end):
    page = rp.page
    page.mouse.move(*start)
    page.mouse.down()
    for i in range(1, 11):
        page.mouse.move(start[0] + (end[0] - start[0]) * i / 10, start[1] + (end[1] - start[1]) * i / 10)
    page.mouse.up()


def test_drag_a_shared_vertex_save_and_the_building_moves_to_the_neighbour(open_page, live_server, scene):
    rp = open_planner(open_page, live_server, scene)
    page = rp.page
    assert Building.objects.get(code="N").grid_id == scene["west"].pk
    page.mouse.click(*screen_xy(rp, 60, 120))  # select the west grid
    page.wait_for_function("document.querySelector('#selected .code') !== null")
    assert page.inner_text("#selected .code") == scene["west"].code
    assert page.inner_text("#selected .buildings") == "2"
    page.click("#btn-edit")
    page.wait_for_selector(".marker-icon")
    # drag the north end of the shared edge (200, 200) west to (150, 195)
    drag(rp, screen_xy(rp, 200, 200), screen_xy(rp, 150, 195))
    page.wait_for_selector("#report[data-state='ok'] li[data-building='N']", timeout=20_000)
    report = page.inner_text("#report")
    assert "N" in report and scene["east"].code in report
    assert page.locator("#report li[data-rule='gap']").count() >= 1  # the small wedge at the north edge
    rp.screenshot("planner-live-check")
    page.fill("#note", "北侧新围墙")
    page.click("#btn-save")
    page.wait_for_selector("body[data-saved='1']", timeout=20_000)
    page.wait_for_function("document.querySelector('#selected .version') && "
                           "document.querySelector('#selected .version').textContent === '2'")
    # the building now lies in the neighbouring grid; both sides of the shared edge were saved
    assert Building.objects.get(code="N").grid_id == scene["east"].pk
    assert Building.objects.get(code="S").grid_id == scene["west"].pk
    assert Grid.objects.get(pk=scene["east"].pk).version == 2
    v = GridVersion.objects.get(grid=scene["west"], version=2)
    assert v.note == "北侧新围墙" and v.author == scene["user"]
    assert page.inner_text("#selected .code") == scene["west"].code  # still the grid the planner edited
    assert page.inner_text("#selected .buildings") == "1"
    page.wait_for_selector("#history li[data-version='2']")
    rp.screenshot("planner")


def test_stale_save_offers_keep_mine_or_theirs(open_page, live_server, scene):
    rp = open_planner(open_page, live_server, scene)
    page = rp.page
    page.mouse.click(*screen_xy(rp, 60, 120))
    page.wait_for_function("document.querySelector('#selected .code') !== null")
    page.click("#btn-edit")
    page.wait_for_selector(".marker-icon")
    # meanwhile someone else saves the west grid (version 1 → 2)
    from planner import services
    from planner.checks import parse_polygon

    other = {"type": "Polygon", "coordinates": [[list(lonlat(*p)) for p in
                                                 ((0, 0), (200, 0), (200, 200), (0, 190), (0, 0))]]}
    services.save_boundary(scene["west"].pk, parse_polygon(other), version=1, note="他人修改")
    drag(rp, screen_xy(rp, 0, 0), screen_xy(rp, 5, 5))
    page.wait_for_selector("#conflict:not([hidden]) #keep-mine", timeout=20_000)
    assert "他人修改" in page.inner_text("#conflict")
    rp.screenshot("planner-conflict")
    page.click("#keep-theirs")
    page.wait_for_selector("#conflict", state="hidden")
    page.wait_for_function("document.querySelector('#selected .version') && "
                           "document.querySelector('#selected .version').textContent === '2'")
    assert Grid.objects.get(pk=scene["west"].pk).version == 2
    # again, and this time keep mine: saved over version 3 as version 4 with my vertex
    page.click("#btn-edit")
    page.wait_for_selector(".marker-icon")
    services.save_boundary(scene["west"].pk, parse_polygon(other), version=2, note="他人又改")
    drag(rp, screen_xy(rp, 0, 0), screen_xy(rp, 5, 5))
    page.wait_for_selector("#conflict:not([hidden]) #keep-mine", timeout=20_000)
    page.click("#keep-mine")
    page.wait_for_selector("body[data-saved='1']", timeout=20_000)
    west = Grid.objects.get(pk=scene["west"].pk)
    assert west.version == 4
    corner = min(west.boundary.coords[0][0], key=lambda c: c[0] + c[1])
    assert corner[0] > lonlat(2, 2)[0] and corner[1] > lonlat(2, 2)[1]  # my dragged vertex, not theirs


def test_planner_page_needs_the_role(open_page, live_server, scene):
    rp = open_page()
    rp.page.goto(f"{live_server.url}/planner/")
    assert "/planner/login/" in rp.page.url
    rp.page.fill("input[name=username]", "planner")
    rp.page.fill("input[name=password]", "pw-planner-1")
    rp.page.click("button[type=submit]")
    rp.page.wait_for_selector("body[data-ready='1']", timeout=30_000)
    assert rp.page.url.endswith("/planner/")
    worker = get_user_model().objects.create_user("worker", password="pw-worker-1")
    grant(worker, Role.GRID_WORKER)
    rp2 = open_page()
    login(rp2, live_server, worker)
    response = rp2.page.goto(f"{live_server.url}/planner/")
    assert response.status == 403


def test_vertices_snap_to_building_corners(open_page, live_server, scene):
    rp = open_planner(open_page, live_server, scene)
    page = rp.page
    page.mouse.click(*screen_xy(rp, 60, 120))
    page.wait_for_function("document.querySelector('#selected .code') !== null")
    page.click("#btn-edit")
    page.wait_for_selector(".marker-icon")
    drag(rp, screen_xy(rp, 0, 0), screen_xy(rp, 17, 17))  # ~6 px from building S's corner (20, 20)
    corner = Building.objects.get(code="S").footprint.coords[0][0]
    vertices = page.evaluate(
        "id => plannerState.grids.get(id).getLatLngs().flat(3).map(ll => [ll.lng, ll.lat])", scene["west"].pk)
    assert any(abs(lng - corner[0]) < 1e-9 and abs(lat - corner[1]) < 1e-9 for lng, lat in vertices), vertices


def test_restore_a_past_version_and_rotate_a_camera(open_page, live_server, scene):
    from gis_core.models import Camera
    from planner import services
    from planner.checks import parse_polygon
    from tests.factories import point

    cam = Camera.objects.create(community=scene["west"].community, code="34020000001320000009", name="北门",
                                location=point(100, 150), mount_height_m=4, heading_deg=0, hfov_deg=60)
    shrunk = {"type": "Polygon", "coordinates": [[list(lonlat(*p)) for p in
                                                  ((0, 0), (150, 0), (150, 200), (0, 200), (0, 0))]]}
    services.save_boundary(scene["west"].pk, parse_polygon(shrunk), version=1, note="收缩")
    assert Building.objects.get(code="N").grid_id is None
    rp = open_planner(open_page, live_server, scene)
    page = rp.page
    page.mouse.click(*screen_xy(rp, 60, 120))
    page.wait_for_selector("#history li[data-version='1'] .restore")
    page.click("#history li[data-version='1'] .view")  # drawn on the map
    page.wait_for_function("plannerMap.hasLayer && document.querySelectorAll('.leaflet-overlay-pane path').length > 0")
    page.click("#history li[data-version='1'] .restore")
    page.wait_for_function("document.querySelector('#selected .version') && "
                           "document.querySelector('#selected .version').textContent === '3'", timeout=20_000)
    west = Grid.objects.get(pk=scene["west"].pk)
    assert west.version == 3 and Building.objects.get(code="N").grid_id == west.pk
    assert GridVersion.objects.get(grid=west, version=3).restored_from == 1
    # cameras: open the layer, pick the camera, turn it to 135°, save
    page.click("#btn-cameras")
    page.wait_for_selector(f".leaflet-marker-icon[title='{cam.code}']")
    page.click(f".leaflet-marker-icon[title='{cam.code}']")
    page.fill("#cam-heading", "135")
    page.fill("#cam-fov", "75")
    page.click("#cam-save")
    page.wait_for_selector("#message p.ok")
    cam.refresh_from_db()
    assert (cam.heading_deg, cam.hfov_deg, cam.grid_id) == (135, 75, scene["west"].pk)
    rp.screenshot("planner-camera")


def test_split_a_grid_along_a_drawn_line(open_page, live_server, scene):
    rp = open_planner(open_page, live_server, scene)
    page = rp.page
    answers = iter(["东二"])
    page.on("dialog", lambda d: d.accept(next(answers, "")) if d.type == "prompt" else d.accept())
    page.mouse.click(*screen_xy(rp, 300, 120))  # the east grid
    page.wait_for_function(f"document.querySelector('#selected .code') && "
                           f"document.querySelector('#selected .code').textContent === '{scene['east'].code}'")
    page.click("#btn-split")
    start, end = screen_xy(rp, 300, -30), screen_xy(rp, 300, 230)
    page.mouse.click(*start)
    page.mouse.click(*end)
    page.mouse.click(*end)  # clicking the last vertex again finishes the line
    page.wait_for_function("document.querySelector('#selected .version') && "
                           "document.querySelector('#selected .version').textContent === '2'", timeout=20_000)
    grids = Grid.objects.grids().order_by("code")
    assert [g.code for g in grids] == [scene["west"].code, scene["east"].code, scene["west"].community.code + "003"]
    assert grids[2].name == "东二"
    assert abs(grids[1].boundary.area - grids[2].boundary.area) < grids[1].boundary.area * 0.05
