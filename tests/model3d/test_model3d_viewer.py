"""The /3d/ viewer in headless Chromium (software WebGL): CesiumJS from our static files, the
tileset renders, vacant rooms lit, a click on a room opens its card, the floor filter cuts the
buildings, and no request leaves for another host (no ion, no imagery, no terrain)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from buildings.models import Room
from tests.model3d.pages import FIND_ROOM

pytestmark = pytest.mark.django_db(transaction=True)


def _shot(rp) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(rp.page.screenshot())).convert("RGB")).astype(int)


def _open(open_page, live_server):
    rp = open_page(width=1280, height=720)
    rp.page.goto(f"{live_server.url}/3d/")
    rp.page.wait_for_selector("body[data-ready='1']", timeout=180_000)
    return rp


def _settle(rp):
    rp.page.wait_for_function("village3d.tileset.tilesLoaded", timeout=120_000)
    rp.page.evaluate("village3d.viewer.scene.requestRender()")
    rp.page.wait_for_timeout(300)


def _describe():
    """The landlord's description on every room, a photo on the vacant ones."""
    from buildings.models import RoomPhoto
    from tests.landlords.conftest import jpeg

    Room.objects.update(description="朝南，带阳台")
    for room in Room.objects.filter(status="vacant"):
        RoomPhoto.objects.create(room=room, image=jpeg((80, 60), exif=False), width=80, height=60)


def test_viewer_renders_the_tileset_and_picks_a_room(open_page, live_server, model):
    _describe()
    rp = _open(open_page, live_server)
    assert rp.page.evaluate("typeof Cesium") == "object"
    assert rp.page.evaluate("window.CESIUM_BASE_URL") == "/static/vendor/cesium/"
    _settle(rp)
    with_model = _shot(rp)
    rp.screenshot("model3d-overview")
    rp.page.evaluate("village3d.tileset.show = false; village3d.viewer.scene.requestRender()")
    rp.page.wait_for_timeout(500)
    without = _shot(rp)
    rp.page.evaluate("village3d.tileset.show = true; village3d.viewer.scene.requestRender()")
    # Not blank: the buildings change a visible share of the picture, in more than a few colours.
    changed = np.any(np.abs(with_model - without) > 30, axis=2).mean()
    assert changed > 0.01, f"the tileset changed only {changed:.2%} of the pixels"
    assert len(np.unique(with_model.reshape(-1, 3) // 8, axis=0)) > 20

    # Close to one building, rooms replace the coarse blocks: find one under the cursor and click it.
    b = model["buildings"][1]
    c = b.footprint.point_on_surface
    rp.page.evaluate(f"village3d.focus({c.x}, {c.y}, {{range: 70, pitch: -30}})")
    _settle(rp)
    hit = rp.page.evaluate(FIND_ROOM)
    assert hit, "no room feature under any point of the screen"
    room = Room.objects.select_related("building").get(pk=hit["id"])
    assert (room.building.code, room.floor) == (hit["building"], hit["floor"])
    rp.page.mouse.click(hit["x"], hit["y"])
    rp.page.wait_for_selector(f"#card[data-room='{hit['id']}']:not([hidden])", timeout=30_000)
    text = rp.page.inner_text("#card")
    assert f"{room.floor}楼 · {room.number}室" in text and "13800003333" in text and str(int(room.rent_monthly)) in text
    assert rp.page.evaluate("document.body.dataset.room") == str(room.pk)
    # the landlord's description, and the photos of a vacant room (as the kiosk card shows them)
    assert rp.page.inner_text("#card .about") == "朝南，带阳台"
    if room.status == "vacant":
        rp.page.wait_for_function("[...document.querySelectorAll('#card .photos img')].every(i => i.naturalWidth > 0)"
                                  " && document.querySelectorAll('#card .photos img').length === 1", timeout=30_000)
    else:
        assert rp.page.locator("#card .photos img").count() == 0
    rp.screenshot("model3d-room-card")
    # Colours come from live data: vacant rooms lit, the picked one selected, the others neutral.
    colours = rp.page.evaluate("""() => {
      const out = {};
      const t = village3d.tileset;
      const seen = [];
      t.root.children.forEach(function walk(tile) {
        if (tile.content && tile.content.featuresLength) seen.push(tile.content);
        tile.children.forEach(walk);
      });
      for (const content of seen) for (let i = 0; i < content.featuresLength; i++) {
        const f = content.getFeature(i);
        const id = f.getProperty('room_id');
        if (id !== undefined) out[id] = f.color.toCssHexString();
      }
      return out;
    }""")
    assert colours
    vacant = set(Room.objects.vacant().values_list("pk", flat=True))
    for rid, colour in colours.items():
        rid = int(rid)
        expected = "#1e6fd9" if rid == room.pk else "#2e9e5b" if rid in vacant else "#e4e1dc"
        assert colour == expected, (rid, colour)


def test_floor_filter_and_live_vacancy(open_page, live_server, model):
    rp = _open(open_page, live_server)
    b = model["buildings"][2]
    c = b.footprint.point_on_surface
    rp.page.evaluate(f"village3d.focus({c.x}, {c.y}, {{range: 70, pitch: -30}})")
    _settle(rp)
    rp.page.click("#floors button[data-floor='2']")
    rp.page.wait_for_timeout(500)
    _settle(rp)
    hit = rp.page.evaluate(FIND_ROOM)
    assert hit and hit["floor"] <= 2  # nothing above the chosen floor is drawn, so none can be picked
    assert rp.page.evaluate("village3d.floor") == 2
    # A room let through the API turns neutral at the next poll (status.json with its ETag).
    room = Room.objects.get(building=b, floor=1, number="101")
    assert rp.page.evaluate(f"village3d.vacant.has({room.pk})")
    Room.objects.filter(pk=room.pk).update(status="let")
    rp.page.evaluate("village3d.refreshStatus()")
    rp.page.wait_for_function(f"!village3d.vacant.has({room.pk})", timeout=20_000)
    rp.page.click("#floors button[data-floor='']")


def test_viewer_says_when_the_model_is_not_built(open_page, live_server, two_grids):
    rp = open_page()
    rp.page.goto(f"{live_server.url}/3d/")
    rp.page.wait_for_function("document.querySelector('#note').textContent.includes('请稍后')", timeout=60_000)
