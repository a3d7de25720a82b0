"""Rebuild 3D tiles after edits, in a background thread of the process that made the edit.

What runs when (honestly):
- When a transaction that changed a building or room commits (gis_core/changes.py: saves, deletes,
  imports, the seed), the community is marked dirty in `model3d_tilesetstate` (one small UPDATE in
  the request) and this process's single worker thread is woken; the request returns at once. The thread builds every dirty community
  (only tiles whose hash changed are meshed again) and exits when nothing is left.
- Builds of one community are serialised by a PostgreSQL advisory lock, so several server
  processes never build the same tiles at once; viewers keep getting the previous tiles until
  the build's transaction commits.
- If the process stops mid-build, the dirty mark stays: `manage.py build_3dtiles --pending` (run
  by `make run`, or from cron) finishes the work. Rows written by hand-made SQL, bypassing the
  pipeline: run `manage.py build_3dtiles` after them.
- MODEL3D_BACKGROUND=false (the default in tests) leaves only the dirty mark.
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import connection

log = logging.getLogger(__name__)

_lock = threading.Lock()
_kick = threading.Event()
_thread: threading.Thread | None = None


def _work():
    global _thread
    from model3d.build import build_pending

    try:
        while True:
            with _lock:
                if not _kick.is_set():
                    _thread = None
                    return
                _kick.clear()
            try:
                build_pending()
            except Exception:  # the dirty marks stay; the next kick or the command retries
                log.exception("background 3D tile build failed")
    finally:
        connection.close()


def kick() -> threading.Thread | None:
    """Wake (or start) this process's builder thread; returns it (None when disabled)."""
    global _thread
    if not settings.MODEL3D_BACKGROUND:
        return None
    with _lock:
        _kick.set()
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_work, name="model3d-builder", daemon=True)
            _thread.start()
        return _thread


def request_rebuild(community_ids) -> None:
    from model3d.build import mark_dirty

    mark_dirty(community_ids)
    kick()
