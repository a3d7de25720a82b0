"""Our own MapLibre glyphs: SDF glyph PBFs cut from Debian's fonts-noto-cjk, so a kiosk or an
intranet PC without any CJK font still draws Chinese labels.

MapLibre asks `/tiles/glyphs/{fontstack}/{start}-{end}.pbf` for 256-code-point ranges. Every
fontstack is answered with Noto Sans CJK SC (Regular) — it covers Latin, digits and CJK. A range is
rendered once (FreeType through Pillow, 24 px, buffer 3, signed distance radius 8, cutoff 0.25 —
the parameters of MapLibre's own TinySDF and of fontnik) and cached under GLYPHS_CACHE_DIR
(default var/glyphs); `manage.py build_glyphs` fills the cache at setup for the demo's ranges.

PBF layout (glyphs.proto of the Mapbox/MapLibre glyph spec): glyphs { 1: fontstack { 1: name,
2: range, 3: glyph { 1: id, 2: bitmap, 3: width, 4: height, 5: left (sint32), 6: top (sint32),
7: advance } } }. Written by hand (a few varints), no protobuf dependency.
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np
from django.conf import settings
from PIL import Image, ImageDraw, ImageFont
from scipy.ndimage import distance_transform_edt

FONT_FILE = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
FONT_INDEX = 2  # Noto Sans CJK SC in the collection
SIZE, BUFFER, RADIUS, CUTOFF = 24, 3, 8, 0.25
ASCENDER = 21  # MapLibre places glyph tops against a 24 px em with this baseline shift
_lock = threading.Lock()


class GlyphsUnavailable(RuntimeError):
    pass


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _varint(field << 3 | wire)


def _uint(field: int, n: int) -> bytes:
    return _key(field, 0) + _varint(n)


def _sint(field: int, n: int) -> bytes:
    return _key(field, 0) + _varint((n << 1) ^ (n >> 63))


def _bytes(field: int, data: bytes) -> bytes:
    return _key(field, 2) + _varint(len(data)) + data


@lru_cache(maxsize=1)
def _font():
    if not os.path.exists(FONT_FILE):
        raise GlyphsUnavailable(f"{FONT_FILE} missing (Debian package fonts-noto-cjk)")
    return ImageFont.truetype(FONT_FILE, SIZE, index=FONT_INDEX)


def _sdf(mask: np.ndarray) -> np.ndarray:
    """Signed distance field of a coverage mask (0..1), encoded as MapLibre expects: edge ≈ 192."""
    inside = mask > 0.5
    outside_d = distance_transform_edt(~inside)
    inside_d = distance_transform_edt(inside)
    d = outside_d - inside_d  # positive outside
    return np.clip(np.round(255 - 255 * (d / RADIUS + CUTOFF)), 0, 255).astype(np.uint8)


def _glyph(font, cp: int) -> bytes | None:
    ch = chr(cp)
    if cp < 32:
        return None
    advance = round(font.getlength(ch))
    left, top, right, bottom = font.getbbox(ch, anchor="ls")  # relative to the baseline origin
    w, h = max(0, right - left), max(0, bottom - top)
    fields = _uint(1, cp) + _uint(3, w) + _uint(4, h) + _sint(5, left) + _sint(6, -top - ASCENDER) + _uint(7, advance)
    if w and h:
        img = Image.new("L", (w + 2 * BUFFER, h + 2 * BUFFER), 0)
        ImageDraw.Draw(img).text((BUFFER - left, BUFFER - top), ch, font=font, fill=255, anchor="ls")
        fields += _bytes(2, _sdf(np.asarray(img, dtype=np.float32) / 255).tobytes())
    return fields


def render_range(fontstack: str, start: int) -> bytes:
    font = _font()
    body = _bytes(1, fontstack.encode()) + _bytes(2, f"{start}-{start + 255}".encode())
    for cp in range(start, start + 256):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        g = _glyph(font, cp)
        if g is not None:
            body += _bytes(3, g)
    return _bytes(1, body)


def cache_dir() -> Path:
    return Path(getattr(settings, "GLYPHS_CACHE_DIR", None) or Path(settings.BASE_DIR) / "var" / "glyphs")


def range_pbf(start: int) -> bytes:
    """The PBF of the 256-code-point range starting at `start` (cached on disk, any fontstack)."""
    path = cache_dir() / f"{start}-{start + 255}.pbf"
    if path.exists():
        return path.read_bytes()
    with _lock:
        if path.exists():
            return path.read_bytes()
        data = render_range("Noto Sans CJK SC Regular", start)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    return data


def ranges_for(text: str) -> set[int]:
    return {ord(c) // 256 * 256 for c in text}
