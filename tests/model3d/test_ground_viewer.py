"""The basemap on the 3D ground in headless Chromium: at a known camera view over the model, the
river and the main road show in their 2D style colours where they lie (and not when the ground is
hidden), walls and gates drawn, loaded after the first frame, nothing requested from another host
(the page fixture fails on any). The kiosk's 3D mode draws the same ground."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from tests.factories import lonlat
from tiles import basemap_style

pytestmark = pytest.mark.django_db(transaction=True)

# Where on the window a lon/lat on the ground is drawn (CSS pixels), or null when off screen.
TO_WINDOW = """([lon, lat]) => {
  const v = village3d.viewer;
  const p = Cesium.SceneTransforms.worldToWindowCoordinates(v.scene, Cesium.Cartesian3.fromDegrees(lon, lat, 0));
  return p ? [p.x, p.y] : null;
}"""


def _rgb(css: str) -> np.ndarray:
    return np.array([int(css[i:i + 2], 16) for i in (1, 3, 5)])


def _shot(rp) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(rp.page.screenshot())).convert("RGB")).astype(int)


def _patch(img, xy, r=3) -> np.ndarray:
    x, y = int(round(xy[0])), int(round(xy[1]))
    return img[y - r:y + r + 1, x - r:x + r + 1].reshape(-1, 3).mean(axis=0)


def _render(rp, ms=400):
    # The globe's tiles (what the ground is drawn on) load only while frames are rendered.
    rp.page.wait_for_function("(village3d.viewer.scene.requestRender(), village3d.viewer.scene.globe.tilesLoaded)",
                              timeout=60_000, polling=100)
    rp.page.evaluate("village3d.viewer.scene.requestRender()")
    rp.page.wait_for_timeout(ms)


def test_river_and_road_on_the_3d_ground(open_page, live_server, streets):
    rp = open_page(width=1280, height=720)
    rp.page.goto(f"{live_server.url}/3d/")
    rp.page.wait_for_selector("body[data-ready='1']", timeout=180_000)
    rp.page.wait_for_selector("body[data-ground='loaded']", timeout=120_000)
    # Loaded after the first frame, in one request.
    assert len([u for u in rp.requests if "/3d/ground/" in u]) == 1
    counts = rp.page.evaluate("village3d.ground.counts")
    assert counts["road"] == 2 and counts["waterway"] == 1 and counts["wall"] == 1 and counts["gate"] == 1
    # Straight down over the west part of the community (no building there): river at y = 175,
    # main road at y = 30, from 420 m up.
    centre = lonlat(60, 105)
    rp.page.evaluate(f"village3d.focus({centre[0]}, {centre[1]}, {{range: 420, heading: 0, pitch: -89.9}})")
    _render(rp)
    river_xy = rp.page.evaluate(TO_WINDOW, list(lonlat(40, 175)))
    road_xy = rp.page.evaluate(TO_WINDOW, list(lonlat(40, 30)))
    bare_xy = rp.page.evaluate(TO_WINDOW, list(lonlat(40, 80)))  # residential landuse, nothing else
    for xy in (river_xy, road_xy, bare_xy):
        assert xy and 0 < xy[0] < 1280 and 60 < xy[1] < 720, xy
    rp.screenshot("model3d-ground")
    shot = _shot(rp)
    water, major = _rgb(basemap_style.WATER), _rgb(basemap_style.MAJOR)
    assert np.abs(_patch(shot, river_xy) - water).max() < 24, (_patch(shot, river_xy), water)
    assert np.abs(_patch(shot, road_xy) - major).max() < 24, (_patch(shot, road_xy), major)
    bare = _patch(shot, bare_xy)
    assert np.abs(bare - water).max() > 40 and np.abs(bare - major).max() > 40
    # Hidden, the same places show the empty ground: the colours were the basemap's.
    rp.page.evaluate("village3d.ground.show = false")
    _render(rp)
    hidden = _shot(rp)
    assert np.abs(_patch(hidden, river_xy) - water).max() > 30
    assert np.abs(_patch(hidden, road_xy) - major).max() > 30
    rp.page.evaluate("village3d.ground.show = true")
    # The ground is never painted on the buildings: a room is still picked and coloured as before.
    assert rp.page.evaluate("village3d.tileset.show") is True


def test_kiosk_3d_mode_draws_the_ground(open_page, live_server, streets):
    from kiosk.models import Kiosk
    from tests.factories import point

    Kiosk.objects.create(code="k3g", name="三维终端", community=streets["community"], resident_group="二组",
                         location=point(150, 40), idle_seconds=600, map_mode=Kiosk.MapMode.THREE_D)
    rp = open_page(width=1280, height=720, touch=True)
    rp.page.goto(f"{live_server.url}/kiosk/k3g/")
    rp.page.wait_for_function("window.kioskMap && window.kioskMap.loaded()", timeout=180_000)
    rp.page.wait_for_selector("body[data-ground='loaded']", timeout=120_000)
    counts = rp.page.evaluate("kioskMap.village.ground.counts")
    assert counts["road"] == 2 and counts["waterway"] == 1 and counts["landuse"] == 1
