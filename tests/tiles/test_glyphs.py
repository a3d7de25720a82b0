"""Our own glyphs: the styles point MapLibre at /tiles/glyphs/, which answers SDF PBFs cut from
Noto Sans CJK SC for the ranges Chinese names use (tiles/glyphs.py)."""

import pytest

from tiles import glyphs

pytestmark = pytest.mark.django_db


def _fields(buf: bytes):
    """(field, value) pairs of one protobuf message (varints and length-delimited only)."""
    i = 0

    def varint():
        nonlocal i
        n = shift = 0
        while True:
            b = buf[i]
            i += 1
            n |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return n

    while i < len(buf):
        key = varint()
        if key & 7 == 0:
            yield key >> 3, varint()
        else:
            size = varint()
            yield key >> 3, buf[i:i + size]
            i += size


def decode(pbf: bytes) -> tuple[str, str, dict[int, dict]]:
    (_, stack), = list(_fields(pbf))
    name = rng = None
    out = {}
    for field, value in _fields(stack):
        if field == 1:
            name = value.decode()
        elif field == 2:
            rng = value.decode()
        else:
            g = dict(_fields(value))
            out[g[1]] = g
    return name, rng, out


@pytest.fixture(autouse=True)
def glyph_cache(settings, tmp_path):
    settings.GLYPHS_CACHE_DIR = tmp_path / "glyphs"
    return settings.GLYPHS_CACHE_DIR


def test_styles_point_at_our_glyphs(client):
    for url in ("/tiles/style.json", "/tiles/basemap-style.json"):
        assert client.get(url).json()["glyphs"] == "http://testserver/tiles/glyphs/{fontstack}/{range}.pbf"


def test_a_cjk_range_answers_sdf_glyphs_for_the_demo_names(client, glyph_cache):
    name = "川坊村"
    for start in sorted(glyphs.ranges_for(name)):
        r = client.get(f"/tiles/glyphs/Noto Sans CJK SC,WenQuanYi Micro Hei/{start}-{start + 255}.pbf")
        assert r.status_code == 200 and r["Content-Type"] == "application/x-protobuf"
        _, rng, found = decode(r.content)
        assert rng == f"{start}-{start + 255}"
        assert len(found) == 256  # the CJK block is fully covered by the font
        for ch in name:
            if ord(ch) // 256 * 256 != start:
                continue
            g = found[ord(ch)]
            w, h = g[3], g[4]
            assert 14 <= w <= 26 and 14 <= h <= 26 and 20 <= g[7] <= 26, g  # a 24 px ideograph
            bitmap = g[2]
            assert len(bitmap) == (w + 6) * (h + 6)
            assert max(bitmap) > 192 > min(bitmap)  # inside and outside the edge at 192
        assert (glyph_cache / f"{start}-{start + 255}.pbf").read_bytes() == r.content  # cached for the next kiosk


def test_latin_range_has_space_and_letters(client):
    _, _, found = decode(client.get("/tiles/glyphs/x/0-255.pbf").content)
    assert 2 not in found[32] and found[32][7] > 0  # a space: advance, no bitmap
    assert found[ord("A")][3] > 5


@pytest.mark.parametrize("bad", ["1-256", "0-100", "65536-65791"])
def test_bad_range_is_a_400_with_a_message(client, bad):
    r = client.get(f"/tiles/glyphs/x/{bad}.pbf")
    assert r.status_code == 400 and "字形范围无效" in r.json()["detail"]
