"""Chinese labels drawn from our own glyph PBFs (tiles/glyphs.py), not from the device's fonts:
the pages pass localIdeographFontFamily: false, so every glyph comes from /tiles/glyphs/ on our host."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_map_labels_come_from_our_glyph_ranges(page, live_server, village_community, settings, tmp_path):
    settings.GLYPHS_CACHE_DIR = tmp_path / "glyphs"
    answered = {}
    p = page.page
    p.on("response", lambda r: answered.__setitem__(r.url, r.status) if "/tiles/glyphs/" in r.url else None)
    p.goto(live_server.url + "/map/")
    p.wait_for_selector("body[data-ready='1']", timeout=120_000)
    p.wait_for_function("""() => window.villageMap.queryRenderedFeatures({layers: ['bm-places']})
        .some(f => f.properties.name === '川坊村')""", timeout=120_000)
    assert answered and set(answered.values()) == {200}, answered
    assert all(u.startswith(live_server.url + "/tiles/glyphs/") for u in answered)
    ranges = {u.rsplit("/", 1)[1] for u in answered}
    start = ord("川") // 256 * 256
    assert f"{start}-{start + 255}.pbf" in ranges, ranges
    page.screenshot("basemap-glyph-labels")
