"""The kiosk's 3D mode (Kiosk.map_mode == "3d"): the same kiosk page over the 3D Tiles model in
CesiumJS instead of MapLibre; the light MapLibre mode stays the default."""

from __future__ import annotations

import pytest
from django.test import Client

from kiosk.models import Kiosk
from tests.factories import point
from tests.model3d.pages import FIND_ROOM

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def kiosk3d(model):
    return Kiosk.objects.create(code="k3d", name="三维终端", community=model["community"], resident_group="第二居民小组",
                                location=point(150, 40), idle_seconds=600, map_mode=Kiosk.MapMode.THREE_D)


def test_flat_mode_stays_the_default(model, client: Client):
    k = Kiosk.objects.create(code="kflat", name="终端", community=model["community"], resident_group="一组",
                             location=point(150, 40))
    assert k.map_mode == "flat"
    html = client.get("/kiosk/kflat/").content.decode()
    assert "maplibre-gl.mjs" in html and "Cesium.js" not in html and "kiosk3d.js" not in html


def test_kiosk_3d_mode(open_page, live_server, kiosk3d, model):
    from buildings.models import Room

    Room.objects.update(description="朝南，带阳台")
    rp = open_page(width=1280, height=720, touch=True)
    rp.page.goto(f"{live_server.url}/kiosk/k3d/")
    rp.page.wait_for_selector("body[data-ready='1']", timeout=120_000)
    rp.page.wait_for_function("window.kioskMap && window.kioskMap.loaded()", timeout=180_000)
    assert rp.page.evaluate("typeof Cesium") == "object"
    assert rp.page.locator("#map .cesium-widget canvas").count() == 1
    assert not [u for u in rp.requests if "maplibre-gl.mjs" in u]
    assert any("/tiles/3d/" in u and u.endswith(".glb") or ".glb?" in u for u in rp.requests)
    # The list is the same as in the flat mode; tapping a card flies the 3D camera to the room.
    assert rp.page.locator(".room").count() == 30  # the first page of 40 (8 buildings × 5 floors × 1 vacant)
    assert "40" in rp.page.inner_text("#count")
    before = rp.page.evaluate("kioskMap.village.viewer.camera.positionWC.x")
    rp.page.locator(".room >> nth=5").tap()
    rp.page.wait_for_selector("#sheet:not([hidden]) .detail")
    rp.page.wait_for_function(f"Math.abs(kioskMap.village.viewer.camera.positionWC.x - {before}) > 1", timeout=30_000)
    rp.page.click("#sheet [data-close]")
    # A tap on the model opens that building's floors, as a tap on the flat map does.
    b = model["buildings"][0]
    c = b.footprint.point_on_surface
    rp.page.evaluate(f"kioskMap.village.focus({c.x}, {c.y}, {{range: 70, pitch: -30}})")
    rp.page.wait_for_function("kioskMap.village.tileset.tilesLoaded", timeout=120_000)
    rp.page.wait_for_timeout(300)
    hit = rp.page.evaluate(FIND_ROOM.replace("village3d", "kioskMap.village"))
    assert hit
    rp.page.mouse.click(hit["x"], hit["y"])
    rp.page.wait_for_selector(f".floors[data-building='{hit['building']}']", timeout=30_000)
    # the tapped room, marked on its floor, with the landlord's description (the 3D card's fields)
    rp.page.wait_for_selector(f"#sheet .picked-room[data-room='{hit['id']}'] .about", timeout=30_000)
    assert rp.page.inner_text("#sheet .picked-room .about") == "朝南，带阳台"
    assert rp.page.locator(f"#sheet .cell.picked[data-room='{hit['id']}']").count() == 1
    rp.screenshot("kiosk-3d")
