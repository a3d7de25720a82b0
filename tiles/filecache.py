"""The file-based tile cache, with culling amortised.

Django's FileBasedCache decides whether to cull by listing every file in the cache directory on
*every* set(). A tile cache holds up to MAX_ENTRIES (200,000) files, so each miss that stores a
tile, and each tombstone an edit writes, paid for a directory walk: one room let at a kiosk
wrote ≈13 tombstones and spent ≈32 ms listing files. Here the check runs at most once per
CULL_INTERVAL seconds per process; between checks the cache can grow past MAX_ENTRIES by what a
process stores in that interval; the next cull removes the overshoot as well as the usual
1/CULL_FREQUENCY of MAX_ENTRIES, so the cache stays bounded.

It also tells, by one stat(), whether an entry changed since it was last read (stamp()): every
write replaces the entry's file (a new inode), so a process can keep a small, hot value such as
the data extent (tiles/extent.py) in memory and still see another process's edit at once.
"""

from __future__ import annotations

import os
import random
import time

from django.core.cache.backends.filebased import FileBasedCache


class FileTileCache(FileBasedCache):
    def __init__(self, dir, params):
        options = dict(params.get("OPTIONS") or {})
        self._cull_interval = float(options.pop("CULL_INTERVAL", 30))
        super().__init__(dir, {**params, "OPTIONS": options})
        self._next_cull = 0.0

    def _cull(self):
        now = time.monotonic()
        if now < self._next_cull:
            return
        self._next_cull = now + self._cull_interval
        files = self._list_cache_files()
        excess = len(files) - self._max_entries
        if excess < 0:
            return
        if self._cull_frequency == 0:
            self.clear()
            return
        for name in random.sample(files, min(len(files), excess + self._max_entries // self._cull_frequency)):
            self._delete(name)

    def stamp(self, key) -> tuple[int, int, int] | None:
        """A token that changes whenever the entry is written or deleted: (inode, mtime, size)
        of its file, None when there is none. Every set() writes a new file and renames it over
        the old one, so the inode changes even within one clock tick."""
        try:
            st = os.stat(self._key_to_file(key))
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    def validate_key(self, key):
        """Keys here are ours (tiles/cache.py: short ASCII): skip the base class's scan of every
        character for memcached-unsafe ones, which ran on every get() and set()."""
