"""The file tile cache (TILE_CACHE=file): still culls to MAX_ENTRIES, but not on every set()."""

from tiles.filecache import FileTileCache


def _cache(tmp_path, interval):
    return FileTileCache(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": 10, "CULL_FREQUENCY": 2,
                                                     "CULL_INTERVAL": interval}})


def _files(tmp_path):
    return len(list(tmp_path.glob("*.djcache")))


def test_culls_to_max_entries_when_due(tmp_path):
    cache = _cache(tmp_path, interval=0)
    for i in range(30):
        cache.set(f"t:buildings:18:{i}:0", b"x")
    assert _files(tmp_path) <= 10
    assert cache.get("t:buildings:18:29:0") == b"x"  # the newest entry survives its own cull


def test_lists_the_directory_at_most_once_per_interval(tmp_path, monkeypatch):
    cache = _cache(tmp_path, interval=3600)
    walks = []
    real = FileTileCache._list_cache_files
    monkeypatch.setattr(FileTileCache, "_list_cache_files", lambda self: walks.append(1) or real(self))
    for i in range(30):
        cache.set(f"t:rooms:18:{i}:0", b"x")
    assert len(walks) == 1  # the first set() culls; the next 29 do not walk the directory
    assert _files(tmp_path) > 10  # so the cache may overshoot until the next check
    cache._next_cull = 0  # the interval has passed
    cache.set("t:rooms:18:99:0", b"x")
    assert len(walks) == 2 and _files(tmp_path) <= 10


def test_the_stamp_changes_with_every_write(tmp_path):
    """tiles/extent.py keeps the extent while stamp() is unchanged: every write and delete must
    change it, even the same value written twice within one clock tick."""
    cache = _cache(tmp_path, interval=3600)
    assert cache.stamp("t:extent") is None
    seen = set()
    for _ in range(5):
        cache.set("t:extent", b"same bytes")
        seen.add(cache.stamp("t:extent"))
    assert len(seen) == 5 and None not in seen
    cache.delete("t:extent")
    assert cache.stamp("t:extent") is None


def test_the_setting_uses_it(settings):
    from django.core.cache import caches

    from project import settings as project

    if project._tile_cache == "file":
        assert isinstance(caches["tiles"], FileTileCache)
    assert project.CACHES["tiles_extent"]["BACKEND"] in ("tiles.filecache.FileTileCache",
                                                         project.CACHES["tiles"]["BACKEND"])


def test_one_cache_directory_used_with_two_databases_keeps_them_apart(tmp_path):
    """The same var/ (or Redis) used with another DATABASE_URL — a benchmark or test database,
    another deployment — must not answer with the first database's tiles or data extent (an extent
    from a smaller database answers real tiles as empty). Each process stores a value under the same
    key; the other database's process does not see it."""
    import os
    import subprocess
    import sys
    from pathlib import Path
    from urllib.parse import urlsplit, urlunsplit

    root = Path(__file__).resolve().parents[2]
    code = ("import sys, django; django.setup()\n"
            "from django.core.cache import caches\n"
            "seen = [caches[n].get('t:extent') for n in ('tiles', 'tiles_extent')]\n"
            "for n in ('tiles', 'tiles_extent'): caches[n].set('t:extent', sys.argv[1])\n"
            "print(seen)\n")

    def run(db_name):
        url = urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path="/" + db_name))
        env = {**os.environ, "DATABASE_URL": url, "TILE_CACHE": "file", "GIS_VAR_DIR": str(tmp_path),
               "DJANGO_SETTINGS_MODULE": "project.settings"}
        done = subprocess.run([sys.executable, "-c", code, db_name], env=env, cwd=root, capture_output=True,
                              text=True, check=True)
        return done.stdout.strip()

    assert run("village_a") == "[None, None]"
    assert run("village_b") == "[None, None]"  # not village_a's
    assert run("village_a") == "['village_a', 'village_a']"  # its own, still there
