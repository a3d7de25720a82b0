"""The basemap drawn under the product's maps, in headless Chromium, with no outside request."""

from io import BytesIO

import pytest
from PIL import Image

from tiles.basemap_style import MAJOR, WATER

pytestmark = pytest.mark.django_db(transaction=True)


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


def _pixels_near(image: Image.Image, colour: str, tolerance: int = 10) -> int:
    r0, g0, b0 = _rgb(colour)
    return sum(n for n, (r, g, b) in image.getcolors(maxcolors=1 << 22)
               if abs(r - r0) <= tolerance and abs(g - g0) <= tolerance and abs(b - b0) <= tolerance)


def test_map_page_draws_streets_river_and_names_from_our_basemap(page, live_server, village_community):
    p = page.page
    p.goto(live_server.url + "/map/")
    p.wait_for_selector("body[data-ready='1']", timeout=60_000)
    drawn = p.evaluate("""() => {
        const m = window.villageMap;
        const names = id => m.queryRenderedFeatures({layers: [id]}).map(f => f.properties.name);
        return {roads: names('bm-roads'), rivers: names('bm-waterways'), water: names('bm-water'),
                labels: names('bm-places').concat(names('bm-road-names'))};
    }""")
    assert "船房路" in drawn["roads"] and "船房河" in drawn["rivers"] and "小湖" in drawn["water"], drawn
    assert "川坊村" in drawn["labels"], drawn
    shot = Image.open(BytesIO(p.screenshot())).convert("RGB")
    page.screenshot("basemap-map")
    assert _pixels_near(shot, MAJOR) > 500, "the main road is drawn in its colour"
    assert _pixels_near(shot, WATER) > 500, "the river and the lake are drawn in water colour"
    assert any("/tiles/basemap/" in u for u in page.requests)
    # (open_page checks at the end that nothing was requested from another host)


def test_coverage_page_style_is_the_basemap(client, village_community):
    style = client.get("/tiles/basemap-style.json").json()
    assert list(style["sources"]) == ["basemap"]
    assert style["sources"]["basemap"]["url"].endswith("/tiles/basemap.json")
    assert {"bm-roads", "bm-water", "bm-barriers", "bm-gates", "bm-road-names"} <= {l["id"] for l in style["layers"]}
    full = client.get("/tiles/style.json").json()
    ids = [layer["id"] for layer in full["layers"]]
    # Streets under the product's buildings, names over everything.
    assert ids.index("bm-water") < ids.index("bm-roads") < ids.index("buildings-flat") < ids.index("bm-road-names")


def test_planner_draws_the_basemap_under_its_grids(open_page, live_server, village_over_two_grids):
    from django.contrib.auth import get_user_model
    from django.test import Client

    from accounts.roles import Role, grant

    user = get_user_model().objects.create_user("planner", password="pw-planner-1")
    grant(user, Role.PLANNER)
    rp = open_page(width=1200, height=760)
    c = Client()
    c.force_login(user)
    rp.page.context.add_cookies([{"name": "sessionid", "value": c.cookies["sessionid"].value, "url": live_server.url}])
    errors = []
    rp.page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    rp.page.on("pageerror", lambda e: errors.append(str(e)))
    rp.page.goto(f"{live_server.url}/planner/?community={village_over_two_grids[0].community.code}")
    rp.page.wait_for_selector("body[data-ready='1']", timeout=30_000)
    rp.page.wait_for_selector("body[data-basemap='ready']", state="attached", timeout=60_000)
    rp.page.wait_for_function("""() => plannerBasemap.getMaplibreMap().queryRenderedFeatures(
        {layers: ['bm-roads']}).some(f => f.properties.name === '船房路')""", timeout=60_000)
    assert any("/vendor/maplibre-gl-leaflet/" in u for u in rp.requests)
    rp.screenshot("basemap-planner")
    assert errors == []


def test_phone_page_map_shows_the_streets(client, village_over_two_grids):
    import re

    from tests.factories import make_building

    building = make_building("B-1", (185, 125, 195, 135))  # beside the alley, between the main road and the wall
    svg = re.search(r"<svg viewBox.*?</svg>", client.get(f"/b/{building.qr_token}/").content.decode(), re.S).group(0)
    roads = re.findall(r'<path d="([^"]*)" fill="none" stroke="#ffffff" stroke-width="([0-9.]+)"', svg)
    assert len(roads) >= 2, svg  # the main road and the alley, each at its own width
    widths = sorted(float(w) for _, w in roads)
    assert widths[-1] > 2 * widths[0]
    assert 'stroke="#7a6352"' in svg  # the courtyard wall


def test_planner_snaps_a_dragged_vertex_to_the_road(open_page, live_server, village_over_two_grids):
    """The main road runs along y = 100 m across both grids: the west grid's north-west corner
    (0, 200) dragged to (0, 104) lands exactly on the road."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from accounts.roles import Role, grant
    from tests.factories import lonlat

    west = village_over_two_grids[0]
    user = get_user_model().objects.create_user("planner", password="pw-planner-1")
    grant(user, Role.PLANNER)
    rp = open_page(width=1200, height=760)
    c = Client()
    c.force_login(user)
    rp.page.context.add_cookies([{"name": "sessionid", "value": c.cookies["sessionid"].value, "url": live_server.url}])
    page = rp.page
    page.goto(f"{live_server.url}/planner/?community={west.community.code}")
    page.wait_for_selector("body[data-ready='1']", timeout=30_000)
    page.wait_for_function("Number(document.body.dataset.snap) > 0", timeout=30_000)

    def xy(x, y):
        lon, lat = lonlat(x, y)
        return page.evaluate("""([lat, lng]) => { const p = plannerMap.latLngToContainerPoint([lat, lng]);
            const r = document.getElementById('map').getBoundingClientRect(); return [p.x + r.left, p.y + r.top]; }""",
                             [lat, lon])

    page.mouse.click(*xy(60, 150))  # select the west grid
    page.wait_for_function("document.querySelector('#selected .code') !== null")
    page.click("#btn-edit")
    page.wait_for_selector(".marker-icon")
    start, end = xy(0, 200), xy(0, 104)
    page.mouse.move(*start)
    page.mouse.down()
    for i in range(1, 11):
        page.mouse.move(start[0] + (end[0] - start[0]) * i / 10, start[1] + (end[1] - start[1]) * i / 10)
    page.mouse.up()
    corner = page.evaluate("""([lat, lng]) => {
        const pts = plannerState.selected.getLatLngs().flat(3);
        return pts.reduce((a, b) => (a.distanceTo([lat, lng]) < b.distanceTo([lat, lng]) ? a : b));
    }""", list(reversed(lonlat(0, 100))))
    on_road = lonlat(0, 100)
    from pyproj import Geod

    _, _, off = Geod(ellps="WGS84").inv(corner["lng"], corner["lat"], *on_road)
    assert off < 0.5, f"the vertex is {off:.1f} m from the road's point, not snapped"
    rp.screenshot("planner-snap")


def test_snap_lines_api(client, village_over_two_grids):
    from tests.factories import lonlat

    w, s = lonlat(-50, -50)
    e, n = lonlat(450, 250)
    body = client.get("/api/basemap/snap/", {"bbox": f"{w},{s},{e},{n}"}).json()
    kinds = {f["properties"]["kind"] for f in body["features"]}
    assert kinds == {"road", "wall", "river"}
    assert "船房路" in {f["properties"]["name"] for f in body["features"]}
    assert client.get("/api/basemap/snap/", {"bbox": "1,2,3"}).status_code == 400
    assert client.get("/api/basemap/snap/", {"bbox": "100,20,101,21"}).status_code == 413
