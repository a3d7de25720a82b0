"""The HTTP answer for a tile, shared by the Django view and the WSGI fast path (tiles/fastpath.py)."""

from __future__ import annotations

from django.conf import settings
from isal import igzip

from gis_core.rules import seconds_to_local_midnight
from tiles.cache import CachedTile

MVT = "application/vnd.mapbox-vector-tile"


def cache_control(public: bool = True) -> str:
    if not public:
        return "private, no-store"  # a staff-only layer: no shared cache may keep it
    max_age = settings.TILES_MAX_AGE
    return f"public, max-age={max_age}" + (", must-revalidate" if max_age == 0 else "")


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    return if_none_match.strip() == "*" or etag in (t.strip().removeprefix("W/") for t in if_none_match.split(","))


def tile_answer(tile: CachedTile, *, if_none_match: str | None, accept_encoding: str | None, public: bool = True
                ) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body): 304 when the client has it, 204 when empty, gzip when accepted.

    With a caching proxy in front (TILES_PROXY_CACHE_DIR), public tiles tell it how long to keep
    them (X-Accel-Expires, read by nginx only): edits remove its copies (tiles/proxy.py), so it
    can keep them longer than browsers, which keep revalidating (Cache-Control).
    """
    # nginx reads X-Accel-Expires only if it comes before Cache-Control (max-age=0 would forbid caching).
    headers = []
    if public and settings.TILES_PROXY_CACHE_DIR:  # at most until local midnight, as the app's own cache
        headers.append(("X-Accel-Expires", str(min(settings.TILES_PROXY_SECONDS, seconds_to_local_midnight()))))
    headers += [("ETag", tile.etag), ("Cache-Control", cache_control(public)), ("Vary", "Accept-Encoding"),
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
