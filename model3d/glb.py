"""Extruded solids as one glTF 2.0 binary (GLB) per tile, one feature per room or building.

Each solid (a room on its floor, or a whole building) gets its own vertices (never shared), a
per-vertex `_FEATURE_ID_0` (FLOAT) and a row in an `EXT_structural_metadata` property table,
referenced from the primitive by `EXT_mesh_features` — so a viewer can pick a room and read its
id, and colour it at run time. Caps are triangulated with earcut (mapbox-earcut); walls are quads
with flat normals. glTF is Y-up: the frame's (east, north, up) is stored as (east, up, −north).
Every bufferView starts on an 8-byte boundary.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mapbox_earcut
import numpy as np
import pygltflib
from shapely.geometry import Polygon
from shapely.geometry.polygon import orient

FLOAT, UINT16, UINT32 = 5126, 5123, 5125
ARRAY_BUFFER, ELEMENT_ARRAY_BUFFER = 34962, 34963


def extrude(poly: Polygon, z0: float, z1: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A closed prism over `poly` (metres, z-up) from z0 to z1: (positions, normals, triangle indices)."""
    poly = orient(poly, 1.0)  # exterior counter-clockwise, holes clockwise
    rings = [np.asarray(poly.exterior.coords)[:-1, :2]] + [np.asarray(r.coords)[:-1, :2] for r in poly.interiors]
    flat = np.concatenate(rings)
    ends = np.cumsum([len(r) for r in rings]).astype(np.uint32)
    tri = mapbox_earcut.triangulate_float64(flat, ends).reshape(-1, 3).astype(np.int64)
    if len(tri):  # earcut's winding is not guaranteed: make every top triangle counter-clockwise
        a, b, c = flat[tri[:, 0]], flat[tri[:, 1]], flat[tri[:, 2]]
        cw = ((b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])) < 0
        tri[cw] = tri[cw][:, ::-1]
    n = len(flat)
    top = np.column_stack([flat, np.full(n, z1)])
    bottom = np.column_stack([flat, np.full(n, z0)])
    pos = [top, bottom]
    nor = [np.tile([0.0, 0.0, 1.0], (n, 1)), np.tile([0.0, 0.0, -1.0], (n, 1))]
    idx = [tri, tri[:, ::-1] + n]
    base = 2 * n
    for ring in rings:
        a = ring
        b = np.roll(ring, -1, axis=0)
        d = b - a
        length = np.hypot(d[:, 0], d[:, 1])
        keep = length > 1e-6
        a, b, d, length = a[keep], b[keep], d[keep], length[keep]
        m = len(a)
        if not m:
            continue
        quad = np.stack([
            np.column_stack([a, np.full(m, z0)]), np.column_stack([b, np.full(m, z0)]),
            np.column_stack([b, np.full(m, z1)]), np.column_stack([a, np.full(m, z1)]),
        ], axis=1).reshape(-1, 3)
        normal = np.column_stack([d[:, 1] / length, -d[:, 0] / length, np.zeros(m)])
        pos.append(quad)
        nor.append(np.repeat(normal, 4, axis=0))
        q = base + 4 * np.arange(m)[:, None]
        idx.append(np.concatenate([q + [0, 1, 2], q + [0, 2, 3]]))
        base += 4 * m
    return np.concatenate(pos), np.concatenate(nor), np.concatenate(idx)


@dataclass
class Column:
    """One property of the property table: SCALAR (numeric) or STRING."""

    name: str
    type: str  # "SCALAR" or "STRING"
    component: str | None = None  # e.g. "UINT32", "INT16" for SCALAR
    values: list = field(default_factory=list)


_NUMPY = {"UINT32": np.uint32, "INT16": np.int16, "UINT16": np.uint16, "UINT8": np.uint8, "FLOAT32": np.float32}


@dataclass
class TileMesh:
    """Solids accumulated for one tile; `add` appends one feature."""

    class_name: str
    columns: list[Column]
    positions: list = field(default_factory=list)
    normals: list = field(default_factory=list)
    indices: list = field(default_factory=list)
    ids: list = field(default_factory=list)
    count: int = 0
    _vertices: int = 0

    def add(self, solids: list[tuple[Polygon, float, float]], **props):
        """One feature made of one or more prisms (polygon, z0, z1), with its property values."""
        fid = self.count
        for poly, z0, z1 in solids:
            p, n, i = extrude(poly, z0, z1)
            self.positions.append(p)
            self.normals.append(n)
            self.indices.append(i + self._vertices)
            self.ids.append(np.full(len(p), fid, dtype=np.float32))
            self._vertices += len(p)
        for col in self.columns:
            col.values.append(props[col.name])
        self.count += 1

    def bounds(self) -> tuple[list[float], list[float]]:
        p = np.concatenate(self.positions)
        return p.min(axis=0).tolist(), p.max(axis=0).tolist()

    def to_glb(self) -> bytes:
        return write_glb(self)


class _Buffer:
    def __init__(self):
        self.parts: list[bytes] = []
        self.length = 0
        self.views: list[pygltflib.BufferView] = []

    def add(self, data: bytes, target: int | None = None) -> int:
        pad = (-self.length) % 8  # every bufferView starts on an 8-byte boundary
        if pad:
            self.parts.append(b"\0" * pad)
            self.length += pad
        self.views.append(pygltflib.BufferView(buffer=0, byteOffset=self.length, byteLength=len(data), target=target))
        self.parts.append(data)
        self.length += len(data)
        return len(self.views) - 1

    def blob(self) -> bytes:
        pad = (-self.length) % 8
        return b"".join(self.parts) + b"\0" * pad


def _strings(values: list[str]) -> tuple[bytes, bytes]:
    encoded = [str(v).encode("utf-8") for v in values]
    offsets = np.concatenate([[0], np.cumsum([len(e) for e in encoded])]).astype(np.uint32)
    return b"".join(encoded), offsets.tobytes()


def write_glb(mesh: TileMesh) -> bytes:
    if not mesh.count:
        raise ValueError("a tile needs at least one feature")
    enu = np.concatenate(mesh.positions)
    pos = np.column_stack([enu[:, 0], enu[:, 2], -enu[:, 1]]).astype(np.float32)  # Y-up
    nrm_enu = np.concatenate(mesh.normals)
    nrm = np.column_stack([nrm_enu[:, 0], nrm_enu[:, 2], -nrm_enu[:, 1]]).astype(np.float32)
    fid = np.concatenate(mesh.ids).astype(np.float32)
    idx = np.concatenate(mesh.indices).reshape(-1)
    index_type = UINT16 if len(pos) <= 65535 else UINT32
    idx = idx.astype(np.uint16 if index_type == UINT16 else np.uint32)

    buf = _Buffer()
    accessors = []

    def accessor(view, ctype, count, atype, lo=None, hi=None):
        accessors.append(pygltflib.Accessor(bufferView=view, componentType=ctype, count=count, type=atype,
                                            min=lo, max=hi))
        return len(accessors) - 1

    a_pos = accessor(buf.add(pos.tobytes(), ARRAY_BUFFER), FLOAT, len(pos), "VEC3",
                     pos.min(axis=0).tolist(), pos.max(axis=0).tolist())
    a_nrm = accessor(buf.add(nrm.tobytes(), ARRAY_BUFFER), FLOAT, len(nrm), "VEC3")
    a_fid = accessor(buf.add(fid.tobytes(), ARRAY_BUFFER), FLOAT, len(fid), "SCALAR")
    a_idx = accessor(buf.add(idx.tobytes(), ELEMENT_ARRAY_BUFFER), index_type, len(idx), "SCALAR")

    schema_props, table_props = {}, {}
    for col in mesh.columns:
        if col.type == "STRING":
            data, offsets = _strings(col.values)
            schema_props[col.name] = {"type": "STRING"}
            table_props[col.name] = {"values": buf.add(data), "stringOffsets": buf.add(offsets),
                                     "stringOffsetType": "UINT32"}
        else:
            arr = np.asarray(col.values, dtype=_NUMPY[col.component])
            schema_props[col.name] = {"type": "SCALAR", "componentType": col.component}
            table_props[col.name] = {"values": buf.add(arr.tobytes())}

    primitive = pygltflib.Primitive(
        attributes=pygltflib.Attributes(POSITION=a_pos, NORMAL=a_nrm), indices=a_idx, material=0, mode=4,
        extensions={"EXT_mesh_features": {"featureIds": [
            {"featureCount": mesh.count, "attribute": 0, "propertyTable": 0}]}},
    )
    primitive.attributes._FEATURE_ID_0 = a_fid
    gltf = pygltflib.GLTF2(
        asset=pygltflib.Asset(version="2.0", generator="urban-village-gis model3d"),
        scene=0, scenes=[pygltflib.Scene(nodes=[0])], nodes=[pygltflib.Node(mesh=0)],
        meshes=[pygltflib.Mesh(primitives=[primitive])],
        materials=[pygltflib.Material(pbrMetallicRoughness=pygltflib.PbrMetallicRoughness(
            baseColorFactor=[0.92, 0.92, 0.9, 1.0], metallicFactor=0.0, roughnessFactor=1.0))],
        accessors=accessors, bufferViews=buf.views,
        extensionsUsed=["EXT_mesh_features", "EXT_structural_metadata"],
        extensions={"EXT_structural_metadata": {
            "schema": {"id": "village", "classes": {mesh.class_name: {"properties": schema_props}}},
            "propertyTables": [{"class": mesh.class_name, "count": mesh.count, "properties": table_props}],
        }},
    )
    blob = buf.blob()
    gltf.buffers = [pygltflib.Buffer(byteLength=len(blob))]
    gltf.set_binary_blob(blob)
    return b"".join(gltf.save_to_bytes())
