"""Import an OpenStreetMap extract (.osm.pbf, .osm, .osm.bz2) into the basemap tables.

Loader: osm2pgsql (Debian 12: 1.8) with its flex output and our Lua style (basemap/osm/basemap.lua).
Chosen over GDAL's OSM driver because osm2pgsql assembles multipolygon relations (lakes, river
areas with islands) and writes exactly the tables and columns our style declares, in slim mode
with a bounded node cache (--cache MB): memory stays bounded whatever the extract's size, and it
reports progress. GDAL's driver writes five fixed layers through an osmconf.ini and keeps its
node index in a temporary SQLite file; we would re-sort its output into our tables anyway.

1. osm2pgsql loads the extract into staging tables in a schema of their own (nothing the
   product reads); its middle tables live there too and are dropped at the end (--drop).
2. basemap/services.replace_extract swaps them in: in ONE transaction the extract's old features
   are deleted and the staged ones inserted (classified, names preferring name:zh, gate hours
   parsed), and the tiles over the old and new area are refreshed when it commits.
3. The staging schema is dropped.

A failure before or during step 2 leaves the previous import untouched.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import connection
from psycopg import sql

from basemap.models import Barrier, Gate, Landuse, Place, Poi, Road, Water, Waterway
from basemap.services import replace_extract
from gis_core.errors import BadRequest, Unavailable

STYLE = Path(__file__).resolve().parent / "osm" / "basemap.lua"
STAGING = "basemap_staging"
LOCK_KEY = 0x6261_7365  # advisory lock: one import at a time (they share the staging schema)
SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz")

# OSM highway=* → rank (basemap.models.Road.Rank): what is drawn from which zoom, and how wide.
RANKS = {
    **dict.fromkeys(("motorway", "trunk", "primary", "motorway_link", "trunk_link", "primary_link"), Road.Rank.MAJOR),
    **dict.fromkeys(("secondary", "tertiary", "secondary_link", "tertiary_link"), Road.Rank.STREET),
    **dict.fromkeys(("unclassified", "residential", "living_street", "service", "pedestrian"), Road.Rank.LANE),
    **dict.fromkeys(("alley", "track"), Road.Rank.ALLEY),
    **dict.fromkeys(("footway", "path", "steps", "cycleway"), Road.Rank.PATH),
}

Progress = Callable[[str], None]


def check_file(path: str | os.PathLike) -> Path:
    p = Path(path)
    if not p.name.endswith(SUFFIXES):
        raise BadRequest(f"not an OSM extract: {p.name} (expected one of {', '.join(SUFFIXES)})")
    if not p.is_file():
        raise BadRequest(f"no such file: {p}")
    return p


def default_name(path: Path) -> str:
    name = path.name
    for suffix in SUFFIXES:
        name = name.removesuffix(suffix)
    return name


def run_osm2pgsql(path: Path, progress: Progress, cache_mb: int, bbox: tuple[float, float, float, float] | None) -> None:
    db = connection.settings_dict
    env = {**os.environ, "BASEMAP_STAGING_SCHEMA": STAGING, "PGPASSWORD": db.get("PASSWORD") or ""}
    cmd = [
        settings.BASEMAP_OSM2PGSQL, "--create", "--output=flex", f"--style={STYLE}",
        "--slim", "--drop", f"--cache={cache_mb}", "--number-processes=1", f"--middle-schema={STAGING}",
        "--log-progress=true", "--log-level=info",
        *([f"--bbox={','.join(f'{v:.7f}' for v in bbox)}"] if bbox else []),
        "-d", db["NAME"], "-U", db.get("USER") or "", "-H", db.get("HOST") or "", "-P", str(db.get("PORT") or 5432),
        str(path),
    ]
    with subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        tail: list[str] = []
        for line in proc.stdout:
            line = line.rstrip()
            if line:
                tail = (tail + [line])[-15:]
                progress(line)
        if proc.wait() != 0:
            raise Unavailable("osm2pgsql failed:\n" + "\n".join(tail))


def _staging(table: str) -> sql.Composable:
    return sql.Identifier(STAGING, table)


def _insert(extract_id: int) -> None:
    """The staged features into the product's tables (inside replace_extract's transaction)."""
    kinds, ranks = list(RANKS), [int(r) for r in RANKS.values()]
    t = lambda model: sql.Identifier(model._meta.db_table)  # noqa: E731
    statements = [
        (sql.SQL("INSERT INTO {} (extract_id, osm_id, kind, name, rank, width_m, geom)"
                 " SELECT %s, s.way_id, s.kind, coalesce(s.name, ''), r.rank, s.width, s.geom FROM {} s"
                 " JOIN unnest(%s::text[], %s::int[]) AS r(kind, rank) ON r.kind = s.kind"
                 " WHERE ST_NPoints(s.geom) >= 2").format(t(Road), _staging("roads")),
         [extract_id, kinds, ranks]),
        (sql.SQL("INSERT INTO {} (extract_id, osm_id, kind, name, geom)"
                 " SELECT %s, way_id, kind, coalesce(name, ''), geom FROM {}").format(t(Waterway), _staging("waterways")),
         [extract_id]),
        (sql.SQL("INSERT INTO {} (extract_id, osm_id, kind, geom)"
                 " SELECT %s, way_id, kind, geom FROM {}").format(t(Barrier), _staging("barriers")), [extract_id]),
    ]
    for model, layer in ((Water, "water"), (Landuse, "landuse")):
        statements.append((sql.SQL(
            "INSERT INTO {} (extract_id, osm_id, kind, name, geom)"
            " SELECT %s, area_id, kind, coalesce(name, ''), ST_Multi(ST_MakeValid(geom)) FROM {}"
            " WHERE layer = %s AND GeometryType(ST_Multi(ST_MakeValid(geom))) = 'MULTIPOLYGON'").format(
            t(model), _staging("areas")), [extract_id, layer]))
    for model, layer in ((Poi, "poi"), (Place, "place")):
        statements.append((sql.SQL(
            "INSERT INTO {} (extract_id, osm_id, kind, name, geom) SELECT %s, osm_id, kind, coalesce(name, ''), geom"
            " FROM {} WHERE layer = %s").format(t(model), _staging("points")), [extract_id, layer]))
    # Gates: "06:00-23:00" (or "Mo-Su 06:00-23:00") gives opens/closes; anything else (24/7, no
    # tag, complex rules) is treated as always open — the text is kept for people to read.
    hours = r"(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})"
    statements.append((sql.SQL(
        "INSERT INTO {} (extract_id, osm_id, kind, name, hours, opens, closes, main, geom)"
        " SELECT %s, osm_id, kind, coalesce(name, ''), coalesce(hours, ''),"
        " (regexp_match(hours, %s))[1]::time, (regexp_match(hours, %s))[2]::time, kind = 'entrance_main', geom"
        " FROM {} WHERE layer = 'gate'").format(t(Gate), _staging("points")), [extract_id, hours, hours]))
    with connection.cursor() as cur:
        for statement, params in statements:
            cur.execute(statement.as_string(None), params)


def import_extract(path: str | os.PathLike, *, name: str | None = None, progress: Progress = print,
                   cache_mb: int = 256, bbox: tuple[float, float, float, float] | None = None,
                   before_swap: Callable[[], None] | None = None):
    """Load an extract (only `bbox` = west, south, east, north of it, if given: a city cut from a
    country file); returns the basemap.models.Extract with its counts."""
    p = check_file(path)
    name = name or default_name(p)
    started = time.monotonic()
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
    try:
        with connection.cursor() as cur:
            cur.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(STAGING)).as_string(None))
            cur.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(STAGING)).as_string(None))
        progress(f"[1/3] osm2pgsql: {p.name} ({p.stat().st_size / 1e6:.1f} MB) → staging tables")
        run_osm2pgsql(p, progress, cache_mb, bbox)
        if before_swap:
            before_swap()
        progress(f"[2/3] swapping extract {name!r} into the basemap tables (one transaction)")
        extract = replace_extract(name, p.name, _insert)
        progress(f"[3/3] done in {time.monotonic() - started:.1f} s: " +
                 ", ".join(f"{n} {k}" for k, n in extract.counts.items()))
        return extract
    finally:
        with connection.cursor() as cur:
            cur.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(STAGING)).as_string(None))
            cur.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
