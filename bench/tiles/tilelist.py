"""The published tile lists (tile_list_demo.csv, tile_list_city.csv): kiosk sessions, replayed.

A kiosk session, as the kiosk map is used: a portrait screen (1080×1920 CSS px, 512-px vector
tiles as MapLibre requests them) first shows an overview of the community at z12, z13 or z14,
then the neighbourhood of the kiosk at z15 and z16, then the visitor opens three buildings near
the kiosk (among its 80 nearest), each at z17 and then z18, and pans back out to z16 around the
last one. Every view requests the tiles that cover the screen; a tile already fetched in the
same session is not fetched again (the browser keeps it), while other sessions fetch it anew.

The demo list is 16 sessions at the demo community's kiosks; the city list is 16 sessions at the
kiosks of 4 communities spread through the city-scale set (so neighbouring communities show at
low zooms). All choices come from random.Random(SEED) over rows read in id order, so the same
data gives the same list. The rows are then shuffled with the same generator, and that is the
request order: any prefix of the list is a fair sample of the whole, so a measurement stopped
by its time limit still sees the same mix of zooms on every server.
"""

from __future__ import annotations

import csv
import math
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import psycopg

from common import HERE, libpq

SEED = 20240601
SESSIONS = 16
CITY_COMMUNITIES = 4
SCREEN_PX = (1080, 1920)
TILE_PX = 512
NEAREST_BUILDINGS = 80
WORLD = 2 * 20037508.342789244  # EPSG:3857 width of the world, metres


@dataclass(frozen=True)
class Tile:
    z: int
    x: int
    y: int


def path_for(dataset_key: str) -> Path:
    return HERE / f"tile_list_{dataset_key}.csv"


def screen_tiles(cx: float, cy: float, z: int) -> list[Tile]:
    """Tiles of zoom z covering a portrait screen centred on (cx, cy) in EPSG:3857."""
    size = WORLD / 2**z
    half_w = SCREEN_PX[0] / 2 / TILE_PX * size
    half_h = SCREEN_PX[1] / 2 / TILE_PX * size
    n = 2**z

    def col(mx: float) -> int:
        return min(n - 1, max(0, math.floor((mx + WORLD / 2) / size)))

    def row(my: float) -> int:
        return min(n - 1, max(0, math.floor((WORLD / 2 - my) / size)))

    return [Tile(z, x, y) for y in range(row(cy + half_h), row(cy - half_h) + 1)
            for x in range(col(cx - half_w), col(cx + half_w) + 1)]


def _communities(conn, dataset_key: str, rng: random.Random) -> list[int]:
    ids = [r[0] for r in conn.execute("SELECT id FROM gis_core_community ORDER BY id")]
    if dataset_key == "demo" or len(ids) <= CITY_COMMUNITIES:
        return ids
    return sorted(rng.sample(ids, CITY_COMMUNITIES))


def generate(url: str, dataset_key: str) -> list[tuple[Tile, int]]:
    """(tile, session) rows in request order."""
    rng = random.Random(SEED)
    rows: list[tuple[Tile, int]] = []
    with psycopg.connect(libpq(url)) as conn:
        communities = _communities(conn, dataset_key, rng)
        kiosks = conn.execute(
            "SELECT k.id, ST_X(k.location_3857), ST_Y(k.location_3857), ST_X(c.centre), ST_Y(c.centre)"
            " FROM kiosk_kiosk k JOIN (SELECT id, ST_PointOnSurface(boundary_3857) AS centre"
            " FROM gis_core_community) c ON c.id = k.community_id"
            " WHERE k.community_id = ANY(%s) ORDER BY k.id", [communities]).fetchall()
        if not kiosks:
            raise RuntimeError("no kiosks in the chosen communities: cannot build kiosk sessions")
        for session in range(SESSIONS):
            kiosk_id, kx, ky, cx, cy = rng.choice(kiosks)
            near = conn.execute(
                "SELECT ST_X(c), ST_Y(c) FROM (SELECT b.id, ST_Centroid(b.footprint_3857) AS c"
                " FROM buildings_building b, kiosk_kiosk k WHERE k.id = %s"
                " ORDER BY b.footprint_3857 <-> k.location_3857, b.id LIMIT %s) n ORDER BY id",
                [kiosk_id, NEAREST_BUILDINGS]).fetchall()
            views = [(rng.choice((12, 13, 14)), cx, cy), (15, kx, ky), (16, kx, ky)]
            for bx, by in rng.sample(near, 3):
                views += [(17, bx, by), (18, bx, by)]
            views.append((16, bx, by))
            seen: set[Tile] = set()
            for z, x, y in views:
                for tile in screen_tiles(x, y, z):
                    if tile not in seen:
                        seen.add(tile)
                        rows.append((tile, session))
    rng.shuffle(rows)
    return rows


def write(rows: list[tuple[Tile, int]], path: Path) -> None:
    with path.open("w", newline="") as f:
        f.write("# Kiosk-session tile list in request order; how it is made: bench/tiles/tilelist.py.\n")
        by_zoom = Counter(t.z for t, _ in rows)
        f.write("# tiles by zoom: " + ", ".join(f"z{z} {by_zoom[z]}" for z in sorted(by_zoom)) + "\n")
        w = csv.writer(f)
        w.writerow(["z", "x", "y", "session"])
        for tile, session in rows:
            w.writerow([tile.z, tile.x, tile.y, session])


def read(path: Path) -> list[Tile]:
    with path.open() as f:
        lines = [line for line in f if not line.startswith("#")]
    return [Tile(int(r["z"]), int(r["x"]), int(r["y"])) for r in csv.DictReader(lines)]


def load(url: str, dataset_key: str, regenerate: bool = False) -> list[Tile]:
    """The published list for this dataset, generated from the database first if it is missing."""
    path = path_for(dataset_key)
    if regenerate or not path.exists():
        write(generate(url, dataset_key), path)
    return read(path)
