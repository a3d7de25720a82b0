"""Build a community's 3D Tiles from PostGIS, re-meshing only the tiles whose buildings changed.

Layout of a community tileset (3D Tiles 1.1, content glTF/GLB):

    root  o-0-0-0.glb  every building as one simplified block in one file, one feature per building
     │                 (geometricError OVERVIEW_ERROR, refine REPLACE): the whole community seen from
     │                 afar — what /3d/ shows first — costs one request instead of one per leaf
     └─ the leaves of a quadtree over the community (split while a quadrant holds more than
        MAX_BUILDINGS buildings), straight under the overview:
          └─ leaf:  b-z-x-y.glb  every building as one block, one feature per building
                    (geometricError BUILDING_ERROR, refine REPLACE)
               └─   r-z-x-y.glb  every room as its own feature on its floor (geometricError 0)

Every tile has a content hash: the hash of its buildings' digests (code, floors, heights,
footprint, and every room's id, floor, number and outline — computed in one SQL statement) and of
the community's frame. A build compares the hashes with the stored ones and meshes only the tiles
that differ; tileset.json is then written again from the stored bounds (cheap). Room status
(vacancy) is not in the tiles: viewers apply it at run time from /3d/status.json.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass, field

import numpy as np
import shapely
from django.db import connection, transaction
from django.utils import timezone

from buildings.layout import layout_in
from gis_core.models import Community
from model3d.frame import EnuFrame
from model3d.glb import Column, TileMesh
from model3d.models import TileContent, TilesetState

log = logging.getLogger(__name__)

FORMAT = "model3d-1"  # bump to rebuild every tile after a change of the writer
MAX_BUILDINGS = 40  # a quadtree leaf holds at most this many buildings (unless MAX_DEPTH is reached)
MAX_DEPTH = 8
OVERVIEW = "o-0-0-0"  # key of the root content: the whole community, one block per building
# Geometric errors (metres) decide, with the viewer's maximum screen-space error (16 px), how near the
# camera must come before a level is replaced by the next. At /3d/'s default view of the demo
# (≈1.2 km from the nearest building, 720 px high) the overview's 10 m is ≈9 px and a 1080 px
# screen ≈13 px: the first frame needs the overview alone (30 m was ≈27 px: every leaf was
# fetched before the first frame). Parents above children: 10 > 8 > 0.
OVERVIEW_ERROR = 10.0  # the overview holds until the camera is within ≈0.9 km (720 px high)
OVERVIEW_SIMPLIFY = 0.5  # metres: footprints of the overview are simplified this much (fewer vertices)
BUILDING_ERROR = 8.0  # what a block hides of the rooms: rooms show within ≈0.5 km (720 px high)
FLOOR_GAP = 0.12  # metres left between storeys so floors read apart
ADVISORY_LOCK = 7_303_001  # pg_advisory_xact_lock(ADVISORY_LOCK, community id): one build at a time


@dataclass
class Node:
    z: int
    x: int
    y: int
    buildings: list[int] = field(default_factory=list)
    children: list["Node"] = field(default_factory=list)
    size: float = 0.0

    @property
    def name(self) -> str:
        return f"{self.z}-{self.x}-{self.y}"


@dataclass
class BuildResult:
    community: str
    tiles_built: int
    tiles_reused: int
    tiles_deleted: int
    seconds: float
    features: int = 0


def _digests(community_id: int) -> list[tuple[int, float, float, str]]:
    """(building id, lon, lat of a point inside, digest of everything the tiles show of it)."""
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT b.id, ST_X(b.anchor), ST_Y(b.anchor),
                   md5(concat_ws('|', b.code, b.floors, b.floor_height_m, b.height_m,
                                 md5(ST_AsBinary(b.footprint)), rooms.digest))
              FROM buildings_building b
              LEFT JOIN LATERAL (
                    SELECT md5(string_agg(concat_ws(',', r.id, r.floor, r.number,
                                                    md5(ST_AsBinary(coalesce(r.footprint, r.layout)))),
                                          ';' ORDER BY r.id)) AS digest
                      FROM buildings_room r WHERE r.building_id = b.id) rooms ON true
             WHERE b.community_id = %s
             ORDER BY b.id
            """,
            [community_id],
        )
        return cur.fetchall()


def _frame(community: Community) -> EnuFrame:
    c = community.boundary.centroid
    return EnuFrame(round(c.x, 7), round(c.y, 7))


def _quadtree(frame: EnuFrame, community: Community, digests) -> Node:
    ids = np.array([d[0] for d in digests], dtype=np.int64)
    xy = frame.to_enu([d[1] for d in digests], [d[2] for d in digests])[:, :2] if digests else np.zeros((0, 2))
    x0, y0, x1, y1 = community.boundary.extent
    corners = frame.to_enu([x0, x1, x1, x0], [y0, y0, y1, y1])[:, :2]
    pts = np.concatenate([corners, xy])
    lo, hi = pts.min(axis=0) - 1.0, pts.max(axis=0) + 1.0
    size = float((hi - lo).max())

    def split(sel: np.ndarray, z: int, x: int, y: int) -> Node:
        node = Node(z, x, y, size=size / 2 ** z)
        if len(sel) <= MAX_BUILDINGS or z >= MAX_DEPTH:
            node.buildings = sorted(int(i) for i in ids[sel])
            return node
        half = node.size / 2
        ox, oy = lo[0] + x * node.size, lo[1] + y * node.size
        east = xy[sel, 0] >= ox + half
        north = xy[sel, 1] >= oy + half
        for dx, dy in ((0, 0), (1, 0), (0, 1), (1, 1)):
            part = sel[(east == bool(dx)) & (north == bool(dy))]
            if len(part):
                node.children.append(split(part, z + 1, 2 * x + dx, 2 * y + dy))
        return node

    return split(np.arange(len(ids)), 0, 0, 0)


def _leaves(node: Node):
    if not node.children:
        if node.buildings:
            yield node
        return
    for child in node.children:
        yield from _leaves(child)


def _tile_hash(frame: EnuFrame, kind: str, building_ids: list[int], digest: dict[int, str]) -> str:
    h = hashlib.sha256(f"{FORMAT}|{frame.lon}|{frame.lat}|{kind}|".encode())
    for bid in building_ids:
        h.update(f"{bid}:{digest[bid]};".encode())
    return h.hexdigest()


def _load(building_ids: list[int], with_rooms: list[int] | None = None):
    """Buildings of these ids, and the rooms of those in `with_rooms` (all by default), geometry as
    shapely in lon/lat. The blocks of the coarse tiles and of the overview need no rooms: an edit of
    one building re-meshes the overview of every building without reading every room."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT id, code, floors, storey_height_m, effective_height_m, ST_AsBinary(footprint)"
            " FROM buildings_building WHERE id = ANY(%s)", [building_ids])
        buildings = {r[0]: {"code": r[1], "floors": r[2], "storey": r[3], "height": r[4],
                            "footprint": shapely.from_wkb(bytes(r[5])), "rooms": []}
                     for r in cur.fetchall()}
        cur.execute(
            "SELECT id, building_id, floor, number, ST_AsBinary(coalesce(footprint, layout))"
            " FROM buildings_room WHERE building_id = ANY(%s) ORDER BY building_id, floor, number",
            [building_ids if with_rooms is None else with_rooms])
        for rid, bid, floor, number, wkb in cur.fetchall():
            buildings[bid]["rooms"].append([rid, floor, number, shapely.from_wkb(bytes(wkb)) if wkb else None])
    for b in buildings.values():  # rooms without any outline yet: the same strip layout, on the fly
        missing = [(r[0], r[1], r[2]) for r in b["rooms"] if r[3] is None]
        if missing:
            shapes = layout_in(b["footprint"], missing)
            for r in b["rooms"]:
                if r[3] is None:
                    r[3] = shapes.get(r[0])
    return buildings


def _to_local(frame: EnuFrame, geoms: list) -> list:
    """Lon/lat polygons → ENU metres (x east, y north), all coordinates in one pyproj call."""
    arr = np.array(geoms, dtype=object)

    def fn(coords):
        return frame.to_enu(coords[:, 0], coords[:, 1])[:, :2]

    return list(shapely.transform(arr, fn))


def _polygons(geom) -> list:
    if geom is None or geom.is_empty:
        return []
    if geom.geom_type == "Polygon":
        return [geom]
    return [g for g in getattr(geom, "geoms", []) if g.geom_type == "Polygon" and not g.is_empty]


def _mesh(frame: EnuFrame, kind: str, building_ids: list[int], data) -> TileMesh:
    if kind in ("b", "o"):
        mesh = TileMesh("building", [Column("building_id", "SCALAR", "UINT32"), Column("building", "STRING"),
                                     Column("floors", "SCALAR", "UINT16")])
        local = _to_local(frame, [data[b]["footprint"] for b in building_ids])
        if kind == "o":  # the overview: fewer vertices, a block still covers its building
            local = [fp.simplify(OVERVIEW_SIMPLIFY, preserve_topology=True) for fp in local]
        for bid, fp in zip(building_ids, local):
            b = data[bid]
            mesh.add([(p, 0.0, b["height"]) for p in _polygons(fp)], building_id=bid, building=b["code"],
                     floors=b["floors"])
        return mesh
    mesh = TileMesh("room", [Column("room_id", "SCALAR", "UINT32"), Column("building_id", "SCALAR", "UINT32"),
                             Column("building", "STRING"), Column("floor", "SCALAR", "INT16"),
                             Column("number", "STRING")])
    rooms = [(bid, r) for bid in building_ids for r in data[bid]["rooms"] if _polygons(r[3])]
    local = _to_local(frame, [r[3] for _, r in rooms]) if rooms else []
    for (bid, (rid, floor, number, _shape)), shape in zip(rooms, local):
        storey = data[bid]["storey"]
        base = (floor - 1) * storey if floor > 0 else floor * storey
        mesh.add([(p, base, base + storey - FLOOR_GAP) for p in _polygons(shape)], room_id=rid, building_id=bid,
                 building=data[bid]["code"], floor=floor, number=number)
    return mesh


def _box(bounds, pad=0.05) -> list[float]:
    lo, hi = np.array(bounds[0]) - pad, np.array(bounds[1]) + pad
    c, h = (lo + hi) / 2, (hi - lo) / 2
    return [round(float(v), 3) for v in (c[0], c[1], c[2], h[0], 0, 0, 0, h[1], 0, 0, 0, h[2])]


def _union(bounds: list) -> tuple[list[float], list[float]] | None:
    bounds = [b for b in bounds if b]
    if not bounds:
        return None
    return (np.min([b[0] for b in bounds], axis=0).tolist(), np.max([b[1] for b in bounds], axis=0).tolist())


def _tileset(frame: EnuFrame, root: Node, stored: dict[str, TileContent], fallback_bounds) -> tuple[dict, tuple]:
    def tile(node: Node) -> tuple[dict, tuple | None]:
        if not node.children and node.buildings:
            b, r = stored[f"b-{node.name}"], stored[f"r-{node.name}"]
            rb = (r.bounds["min"], r.bounds["max"])
            bb = _union([(b.bounds["min"], b.bounds["max"]), rb])
            rooms = {"boundingVolume": {"box": _box(rb)}, "geometricError": 0.0,
                     "content": {"uri": f"r-{node.name}.glb?v={r.content_hash[:16]}"}}
            return {"boundingVolume": {"box": _box(bb)}, "geometricError": BUILDING_ERROR, "refine": "REPLACE",
                    "content": {"uri": f"b-{node.name}.glb?v={b.content_hash[:16]}"}, "children": [rooms]}, bb
        kids = [tile(c) for c in node.children]
        bounds = _union([k[1] for k in kids]) or fallback_bounds
        return {"boundingVolume": {"box": _box(bounds)}, "geometricError": round(max(node.size, 2 * BUILDING_ERROR), 1),
                "refine": "ADD", "children": [k[0] for k in kids]}, bounds

    body, bounds = tile(root)
    if OVERVIEW in stored:
        # The overview on top, replaced by the leaves once the camera comes closer. The leaves hang
        # straight under it (no empty quadrants between: an empty tile with a small error would not be
        # refined, and its part of the community would vanish once the overview is replaced).
        o = stored[OVERVIEW]
        bounds = _union([bounds, (o.bounds["min"], o.bounds["max"])])

        def leaves(t):
            return [t] if "content" in t else [x for c in t.get("children", []) for x in leaves(c)]

        body = {"boundingVolume": {"box": _box(bounds)}, "geometricError": OVERVIEW_ERROR, "refine": "REPLACE",
                "content": {"uri": f"{OVERVIEW}.glb?v={o.content_hash[:16]}"}, "children": leaves(body)}
    top_error = round(max(root.size, 2 * OVERVIEW_ERROR), 1)
    body["transform"] = frame.transform()
    return {"asset": {"version": "1.1", "generator": "urban-village-gis model3d"},
            "geometricError": top_error, "root": body}, bounds


def build_community(community: Community, *, force: bool = False) -> BuildResult:
    """Bring the community's tiles up to date; one transaction, so viewers switch at once."""
    started = timezone.now()
    t0 = time.perf_counter()
    TilesetState.objects.get_or_create(community=community)
    # The state row is written only at the very end, so marking it dirty (on commit of an edit,
    # in a request) never waits for a build; builds of one community are serialised by the lock.
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", [ADVISORY_LOCK, community.pk])
        state = TilesetState.objects.get(community=community)
        frame = _frame(community)
        digests = _digests(community.pk)
        digest = {d[0]: d[3] for d in digests}
        root = _quadtree(frame, community, digests)
        wanted: dict[str, tuple[str, list[int]]] = {}
        for leaf in _leaves(root):
            for kind in ("b", "r"):
                wanted[f"{kind}-{leaf.name}"] = (_tile_hash(frame, kind, leaf.buildings, digest), leaf.buildings)
        if digest:
            every = sorted(digest)
            wanted[OVERVIEW] = (_tile_hash(frame, "o", every, digest), every)
        stored = {t.key: t for t in TileContent.objects.filter(state=state).defer("glb")}
        todo = [k for k, (h, _) in wanted.items() if force or k not in stored or stored[k].content_hash != h]
        rooms_of = sorted({b for k in todo if k[0] == "r" for b in wanted[k][1]})
        data = _load(sorted({b for k in todo for b in wanted[k][1]}), rooms_of) if todo else {}
        features = 0
        for key in todo:
            h, ids = wanted[key]
            mesh = _mesh(frame, key[0], ids, data)
            if not mesh.count:  # a building tile always has features; a rooms tile may have none
                mesh = _mesh(frame, "b", ids, data) if key[0] == "r" else mesh
            lo, hi = mesh.bounds()
            tile, _ = TileContent.objects.update_or_create(
                state=state, key=key,
                defaults={"content_hash": h, "glb": mesh.to_glb(), "feature_count": mesh.count,
                          "bounds": {"min": lo, "max": hi}})
            stored[key] = tile
            features += mesh.count
        stale = [k for k in stored if k not in wanted]
        TileContent.objects.filter(state=state, key__in=stale).delete()
        x0, y0, x1, y1 = community.boundary.extent
        corners = frame.to_enu([x0, x1], [y0, y1])
        fallback = ([float(corners[:, 0].min()), float(corners[:, 1].min()), 0.0],
                    [float(corners[:, 0].max()), float(corners[:, 1].max()), 1.0])
        tileset, bounds = _tileset(frame, root, stored, fallback)
        text = json.dumps(tileset, ensure_ascii=False, separators=(",", ":"))
        lo, hi = np.array(bounds[0]), np.array(bounds[1])
        corners8 = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
        geo = frame.to_lonlath(corners8)
        state.origin_lon, state.origin_lat = frame.lon, frame.lat
        state.tileset_json = text
        state.etag = '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'
        state.west, state.south = float(geo[:, 0].min()), float(geo[:, 1].min())
        state.east, state.north = float(geo[:, 0].max()), float(geo[:, 1].max())
        state.max_height = float(max(geo[:, 2].max(), hi[2]))
        state.built_at = timezone.now()
        state.last_seconds = time.perf_counter() - t0
        state.last_tiles_built, state.last_tiles_reused = len(todo), len(wanted) - len(todo)
        state.last_error = ""
        state.save(update_fields=[f.name for f in TilesetState._meta.concrete_fields
                                  if not f.primary_key and f.name not in ("community", "dirty_since")])
        # Clean only if nothing changed since this build read the data.
        TilesetState.objects.filter(pk=state.pk, dirty_since__lte=started).update(dirty_since=None)
    result = BuildResult(community.code, len(todo), len(wanted) - len(todo), len(stale), state.last_seconds, features)
    log.info("3D tiles of %s: %d built, %d reused, %d deleted in %.2f s", community.code, result.tiles_built,
             result.tiles_reused, result.tiles_deleted, result.seconds)
    return result


def mark_dirty(community_ids) -> None:
    """Record that these communities' tiles may be out of date (one statement)."""
    ids = sorted({int(i) for i in community_ids if i})
    if not ids:
        return
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO model3d_tilesetstate (community_id, dirty_since, tileset_json, etag, last_tiles_built,"
            " last_tiles_reused, last_error) SELECT unnest(%s::bigint[]), now(), '', '', 0, 0, ''"
            " ON CONFLICT (community_id) DO UPDATE SET dirty_since = now()",
            [ids])


def build_pending() -> list[BuildResult]:
    """Build every community marked dirty (or never built)."""
    results = []
    pending = Community.objects.filter(tileset3d__dirty_since__isnull=False).order_by("pk")
    for community in pending:
        try:
            results.append(build_community(community))
        except Exception as exc:  # keep the flag: the next run tries again; say why
            log.exception("3D tiles of %s failed", community.code)
            TilesetState.objects.filter(community=community).update(last_error=str(exc)[:2000])
    return results
