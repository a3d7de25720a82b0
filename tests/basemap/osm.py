"""A tiny OSM extract written with pyosmium (osmium.SimpleWriter), for the import tests.

Local metres around an origin in Kunming → lon/lat. Ids are fixed, so two versions of the same
extract can differ in exactly what a test changes.
"""

from __future__ import annotations

import math
from pathlib import Path

import osmium

ORIGIN = (102.6947, 25.0408)  # the middle of a z15 tile: the whole village in one tile


def ll(x: float, y: float) -> tuple[float, float]:
    lat = ORIGIN[1] + y / 111_320
    lon = ORIGIN[0] + x / (111_320 * math.cos(math.radians(ORIGIN[1])))
    return lon, lat


class Extract:
    """`to_lonlat`: metres → (lon, lat); default around ORIGIN (e.g. tests.factories.lonlat to lay
    the extract over the factories' grids)."""

    def __init__(self, to_lonlat=ll, shift=(0.0, 0.0)):
        self.to_lonlat, self.shift = to_lonlat, shift
        self.nodes: dict[int, tuple[tuple[float, float], dict]] = {}
        self.ways: list[tuple[int, list[int], dict]] = []
        self.relations: list[tuple[int, list[tuple[str, int, str]], dict]] = []
        self._next = 1

    def node(self, x: float, y: float, **tags) -> int:
        nid = self._next
        self._next += 1
        self.nodes[nid] = (self.to_lonlat(x + self.shift[0], y + self.shift[1]), tags)
        return nid

    def way(self, points, tags: dict, way_id: int | None = None) -> int:
        """points: (x, y) pairs or existing node ids."""
        ids = [p if isinstance(p, int) else self.node(*p) for p in points]
        wid = way_id or 1000 + len(self.ways)
        self.ways.append((wid, ids, tags))
        return wid

    def write(self, path: Path) -> Path:
        if path.exists():
            path.unlink()
        with osmium.SimpleWriter(str(path)) as w:
            for nid, (loc, tags) in sorted(self.nodes.items()):
                w.add_node(osmium.osm.mutable.Node(id=nid, location=loc, tags=tags, version=1))
            for wid, ids, tags in sorted(self.ways):
                w.add_way(osmium.osm.mutable.Way(id=wid, nodes=ids, tags=tags, version=1))
            for rid, members, tags in sorted(self.relations):
                w.add_relation(osmium.osm.mutable.Relation(id=rid, members=members, tags=tags, version=1))
        return path


def village(river_name: str = "船房河", road_name: str = "船房路", **where) -> Extract:
    """A main road, an alley through a walled courtyard with a gate, a river, a lake, a school and
    a place name: one feature of every kind the basemap keeps."""
    e = Extract(**where)
    e.way([(-300, 0), (300, 0)], {"highway": "primary", "name": road_name, "name:en": "Chuanfang Road"}, 2001)
    gate = e.node(0, 60, barrier="gate", opening_hours="06:00-23:00", name="北院门")
    e.way([(0, 0), gate, (0, 150)], {"highway": "service", "service": "alley"}, 2002)
    wall = [e.node(-50, 60), gate, e.node(50, 60), e.node(50, 160), e.node(-50, 160)]
    e.way(wall + [wall[0]], {"barrier": "wall"}, 2003)
    e.way([(200, -300), (210, 0), (230, 300)], {"waterway": "river", "name": river_name}, 2004)
    lake = [e.node(-250, 100), e.node(-150, 100), e.node(-150, 200), e.node(-250, 200)]
    e.way(lake + [lake[0]], {"natural": "water", "name": "小湖"}, 2005)
    e.node(-100, -50, amenity="school", name="川坊小学")
    e.node(100, -30, highway="bus_stop", name="川坊站")
    e.node(0, 100, place="neighbourhood", name="川坊村")
    res = [e.node(-290, -290), e.node(290, -290), e.node(290, 290), e.node(-290, 290)]
    e.way(res + [res[0]], {"landuse": "residential"}, 2006)
    return e
