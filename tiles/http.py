"""The HTTP answer for a tile, shared by the Django view and the WSGI fast path (tiles/fastpath.py)."""

from __future__ import annotations

from django.conf import settings
from isal import igzip

from tiles.cache import CachedTile

MVT = "application/vnd.mapbox-vector-tile"


def cache_control() -> str:
    max_age = settings.TILES_MAX_AGE
    return f"public, max-age={max_age}" + (", must-revalidate" if max_age == 0 else "")


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    return if_none_match.strip() == "*" or etag in (t.strip().removeprefix("W/") for t in if_none_match.split(","))


def tile_answer(tile: CachedTile, *, if_none_match: str | None, accept_encoding: str | None
                ) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body): 304 when the client has it, 204 when empty, gzip when accepted."""
    headers = [("ETag", tile.etag), ("Cache-Control", cache_control()), ("Vary", "Accept-Encoding"),
               ("Access-Control-Allow-Origin", "*"), ("X-Content-Type-Options", "nosniff")]
    if etag_matches(if_none_match, tile.etag):
        return 304, headers, b""
    if tile.empty:
        return 204, headers, b""
    headers.append(("Content-Type", MVT))
    if "gzip" in (accept_encoding or ""):
        headers.append(("Content-Encoding", "gzip"))
        return 200, headers, tile.gz
    return 200, headers, igzip.decompress(tile.gz)
