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
