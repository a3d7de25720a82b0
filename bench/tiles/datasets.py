"""The two datasets, each in its own scratch database on the project's cluster.

Both are built with our own `seed_demo` (deterministic: seed 1), so every run and every clone
benchmarks the same rows. The product database (`gis`) is never touched: the benchmark adds
views for tipg (see peers.py) and runs ANALYZE, which it must not do to live data.

A database that already holds the expected counts is reused; anything else (missing, empty, a
seed that was interrupted) is dropped and seeded again.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

from common import OUR_PYTHON, ROOT, log, psql, with_database


@dataclass(frozen=True)
class Dataset:
    key: str
    label: str
    database: str
    seed_args: tuple[str, ...]
    min_buildings: int
    min_rooms: int
    communities: int

    def url(self, base_url: str) -> str:
        return with_database(base_url, self.database)


DEMO = Dataset("demo", "demo community", "bench_tiles_demo", (), 1_000, 20_000, 1)
CITY = Dataset("city", "city scale (67 communities)", "bench_tiles_city", ("--scale", "67", "--no-tenants"),
               100_000, 1_000_000, 67)
DATASETS = {d.key: d for d in (DEMO, CITY)}


def counts(url: str) -> dict[str, int]:
    row = psql(url, "SELECT (SELECT count(*) FROM gis_core_community) || ',' || "
                    "(SELECT count(*) FROM buildings_building) || ',' || (SELECT count(*) FROM buildings_room)")
    communities, buildings, rooms = map(int, row.split(","))
    return {"communities": communities, "buildings": buildings, "rooms": rooms}


def _seeded(url: str, ds: Dataset) -> dict[str, int] | None:
    try:
        found = counts(url)
    except RuntimeError:  # no such database, or not migrated
        return None
    ok = (found["communities"] == ds.communities and found["buildings"] >= ds.min_buildings
          and found["rooms"] >= ds.min_rooms)
    return found if ok else None


def _manage(url: str, env: dict[str, str], *args: str) -> None:
    subprocess.run([OUR_PYTHON, "manage.py", *args], cwd=ROOT, env={**env, "DATABASE_URL": url}, check=True)


def ensure(ds: Dataset, env: dict[str, str]) -> dict[str, int]:
    """Make sure the dataset's database exists, is migrated and seeded; return its counts."""
    base = env["DATABASE_URL"]
    url = ds.url(base)
    admin = with_database(base, "postgres")
    found = _seeded(url, ds)
    if found is not None:
        # Same schema as the code under test (a no-op unless a migration was added since seeding).
        try:
            _manage(url, env, "migrate", "--noinput", "-v", "0")
            # A migration may have rewritten rows: index-only scans need a fresh visibility map.
            psql(url, "VACUUM ANALYZE")
        except subprocess.CalledProcessError:  # e.g. a migration that was rewritten after it ran here
            log(f"{ds.database} cannot be migrated to the current schema: seeding it again")
            found = None
    if found is None:
        log(f"seeding {ds.label} into database {ds.database} (city scale takes ~7 minutes)")
        psql(admin, f'DROP DATABASE IF EXISTS "{ds.database}"')
        psql(admin, f'CREATE DATABASE "{ds.database}"')
        psql(url, "CREATE EXTENSION IF NOT EXISTS postgis")
        _manage(url, env, "migrate", "--noinput", "-v", "0")
        _manage(url, env, "seed_demo", *ds.seed_args)
        psql(url, "VACUUM ANALYZE")
        found = _seeded(url, ds)
        if found is None:
            raise RuntimeError(f"{ds.database}: seeding did not yield the expected counts: {counts(url)}")
    log(f"{ds.label}: {found['communities']} communities, {found['buildings']:,} buildings, "
        f"{found['rooms']:,} rooms ({ds.database})")
    return found
