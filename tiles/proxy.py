"""Forget tiles in the caching proxy in front (nginx, docker/nginx/default.conf.template) when an
edit invalidates them, so the next request after the edit commits is a miss and shows the edit.

nginx caches public tiles under `proxy_cache_key $uri` (one gzip variant per tile address) for
TILES_PROXY_SECONDS, and revalidates with the tile's ETag when that runs out. Open-source nginx
has no purge request, but a cache entry is a file named by the MD5 of its key, in the
`levels=1:2` sub-folders (last hex digit, then the two before it); when the file is gone nginx
treats the entry as a miss. So the process that commits an edit removes the files of exactly the
tiles it tombstones (tiles/cache.py), as it does in the app's own cache — which works where the
app can reach the proxy's cache folder (the same machine, or a shared volume in Docker).

A response already on its way from the app when the files are removed could be stored after
the removal; the same files are removed once more PURGE_AGAIN_S later, longer than any tile
answer takes, so such a tile does not outlive the edit by more than that.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from pathlib import Path

from django.conf import settings

PURGE_AGAIN_S = 2.0
log = logging.getLogger(__name__)


def uri(layer: str, z: int, x: int, y: int) -> str:
    from tiles.invalidation import COMBINED

    return f"/tiles/{z}/{x}/{y}.mvt" if layer == COMBINED else f"/tiles/{layer}/{z}/{x}/{y}.mvt"


def cache_file(root: Path, key: str) -> Path:
    digest = hashlib.md5(key.encode()).hexdigest()  # noqa: S324  (nginx's own naming, not security)
    return root / digest[-1] / digest[-3:-1] / digest


def _remove(paths: list[Path]) -> int:
    removed = 0
    for path in paths:
        try:
            os.unlink(path)
            removed += 1
        except FileNotFoundError:
            pass
        except OSError as exc:  # never fail an edit because the proxy's folder misbehaves
            log.warning("could not remove proxy cache file %s: %s", path, exc)
    return removed


def purge(tile_keys: list[str]) -> int:
    """Remove the proxy's copies of these tiles (keys of tiles/cache.py: t:layer:z:x:y)."""
    root = settings.TILES_PROXY_CACHE_DIR
    if not root or not tile_keys:
        return 0
    paths = []
    for key in tile_keys:
        _, layer, z, x, y = key.split(":")
        paths.append(cache_file(Path(root), uri(layer, int(z), int(x), int(y))))
    removed = _remove(paths)
    timer = threading.Timer(PURGE_AGAIN_S, _remove, args=(paths,))
    timer.daemon = True
    timer.start()
    return removed
