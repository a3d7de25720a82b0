"""Pages in real headless Chromium: they work offline (no request to another host)."""

import pytest
from django.contrib.auth import get_user_model

from buildings.models import Building
from tests.factories import make_room

pytestmark = pytest.mark.django_db(transaction=True)


def test_home_shows_live_counts(page, live_server, building):
    make_room(building, 2, "201")
    page.page.goto(live_server.url + "/")
    page.page.wait_for_selector("#summary dd")
    text = page.page.inner_text("#summary")
    assert "楼栋" in text and "空置房间" in text
    assert page.page.inner_text("#summary div:nth-child(4) dd") == "1"  # buildings
    page.screenshot("home")


def test_admin_map_widget_is_served_locally(page, live_server, building):
    get_user_model().objects.create_superuser("admin", "", "pw-for-tests-only")
    p = page.page
    p.goto(live_server.url + "/admin/login/")
    p.fill("#id_username", "admin")
    p.fill("#id_password", "pw-for-tests-only")
    p.click("input[type=submit]")
    p.goto(f"{live_server.url}/admin/buildings/building/{Building.objects.get().pk}/change/")
    # django-leaflet draws the footprint as an SVG path in the map widget.
    p.wait_for_selector(".leaflet-container path.leaflet-interactive", timeout=15_000)
    assert any("/static/leaflet/leaflet.js" in u for u in page.requests)
    page.screenshot("admin-building")


def test_map_renders_our_tiles_offline(page, live_server, two_grids):
    from io import BytesIO

    from PIL import Image

    from tests.factories import make_building, make_room

    for i in range(6):  # a row of buildings, each with a vacant room
        b = make_building(f"B-{i}", (40 + 25 * i, 60, 60 + 25 * i, 75), floors=5)
        make_room(b, 1, "101")
    p = page.page
    p.goto(live_server.url + "/map/")
    p.wait_for_selector("body[data-ready='1']", timeout=60_000)
    drawn = p.evaluate("""() => {
        const m = window.villageMap;
        const count = id => m.queryRenderedFeatures({layers: [id]}).length;
        // Below z17 whole buildings are extruded; from z17 their rooms, floor by floor.
        return {buildings: count('buildings-3d') + count('rooms-3d'), grids: count('grids-line'),
                labels: count('grids-label')};
    }""")
    assert drawn["buildings"] >= 6 and drawn["grids"] >= 1 and drawn["labels"] >= 1, drawn
    shot = Image.open(BytesIO(p.screenshot())).convert("RGB")
    page.screenshot("map")
    colours = shot.getcolors(maxcolors=1 << 20)
    assert len(colours) > 200  # a drawn map, not a blank canvas
    assert any("/tiles/" in u and u.endswith(".mvt") for u in page.requests)
