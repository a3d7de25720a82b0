"""Our own checks of the 3D Tiles, for what gltf-validator cannot see (it reports the 3D Tiles
extensions only as unsupported): featureCount equals the distinct feature ids, property tables have
one row per feature and sane string offsets, every bufferView is 8-byte aligned, every bounding
volume contains its content and its children, `refine` is upper case, asset version 1.1.

`check_tileset(state)` returns a list of problems (empty when all is well).
"""

from __future__ import annotations

import json
import struct

import numpy as np

from model3d.models import TileContent, TilesetState

_DTYPES = {5126: np.float32, 5125: np.uint32, 5123: np.uint16, 5121: np.uint8}
_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}
_SCALAR = {"UINT32": np.uint32, "INT16": np.int16, "UINT16": np.uint16, "UINT8": np.uint8, "FLOAT32": np.float32}


def parse_glb(data: bytes) -> tuple[dict, bytes]:
    magic, version, length = struct.unpack_from("<4sII", data, 0)
    if magic != b"glTF" or version != 2 or length != len(data):
        raise ValueError("not a GLB 2.0 file of the stated length")
    jlen, jtype = struct.unpack_from("<I4s", data, 12)
    gltf = json.loads(data[20:20 + jlen])
    blen, btype = struct.unpack_from("<I4s", data, 20 + jlen)
    return gltf, data[28 + jlen:28 + jlen + blen]


def accessor_array(gltf: dict, blob: bytes, index: int) -> np.ndarray:
    a = gltf["accessors"][index]
    view = gltf["bufferViews"][a["bufferView"]]
    width = _WIDTH[a["type"]]
    arr = np.frombuffer(blob, dtype=_DTYPES[a["componentType"]], count=a["count"] * width,
                        offset=view.get("byteOffset", 0) + a.get("byteOffset", 0))
    return arr.reshape(-1, width) if width > 1 else arr


def property_table(gltf: dict, blob: bytes) -> dict[str, list]:
    """Decode the (single) EXT_structural_metadata property table into columns."""
    meta = gltf["extensions"]["EXT_structural_metadata"]
    table = meta["propertyTables"][0]
    schema = meta["schema"]["classes"][table["class"]]["properties"]
    views = gltf["bufferViews"]
    out = {}
    for name, prop in table["properties"].items():
        v = views[prop["values"]]
        raw = blob[v.get("byteOffset", 0): v.get("byteOffset", 0) + v["byteLength"]]
        if schema[name]["type"] == "STRING":
            o = views[prop["stringOffsets"]]
            offsets = np.frombuffer(blob, dtype=np.uint32, count=table["count"] + 1, offset=o.get("byteOffset", 0))
            if offsets[0] != 0 or np.any(np.diff(offsets.astype(np.int64)) < 0) or offsets[-1] != len(raw):
                raise ValueError(f"string offsets of {name!r} are not 0…{len(raw)} ascending")
            out[name] = [raw[offsets[i]:offsets[i + 1]].decode() for i in range(table["count"])]
        else:
            arr = np.frombuffer(raw, dtype=_SCALAR[schema[name]["componentType"]])
            if len(arr) != table["count"]:
                raise ValueError(f"property {name!r} has {len(arr)} values for {table['count']} rows")
            out[name] = arr.tolist()
    return out


def check_glb(data: bytes) -> tuple[list[str], np.ndarray]:
    """Problems of one content file, and its positions in the tile frame (z-up)."""
    problems = []
    gltf, blob = parse_glb(data)
    for i, v in enumerate(gltf["bufferViews"]):
        if v.get("byteOffset", 0) % 8:
            problems.append(f"bufferView {i} starts at {v.get('byteOffset')} (not 8-byte aligned)")
    for ext in ("EXT_mesh_features", "EXT_structural_metadata"):
        if ext not in gltf.get("extensionsUsed", []):
            problems.append(f"{ext} missing from extensionsUsed")
    positions = []
    tables = gltf["extensions"]["EXT_structural_metadata"]["propertyTables"]
    for mesh in gltf["meshes"]:
        for prim in mesh["primitives"]:
            fids = prim["extensions"]["EXT_mesh_features"]["featureIds"]
            for f in fids:
                ids = accessor_array(gltf, blob, prim["attributes"][f"_FEATURE_ID_{f['attribute']}"])
                distinct = np.unique(ids)
                if len(distinct) != f["featureCount"]:
                    problems.append(f"featureCount {f['featureCount']} but {len(distinct)} distinct feature ids")
                if len(distinct) and (distinct.min() < 0 or distinct.max() >= tables[f["propertyTable"]]["count"]):
                    problems.append("feature ids outside the property table")
                if tables[f["propertyTable"]]["count"] != f["featureCount"]:
                    problems.append("property table rows differ from featureCount")
            p = accessor_array(gltf, blob, prim["attributes"]["POSITION"])
            positions.append(np.column_stack([p[:, 0], -p[:, 2], p[:, 1]]))  # glTF Y-up → tile Z-up
    try:
        property_table(gltf, blob)
    except ValueError as exc:
        problems.append(str(exc))
    return problems, np.concatenate(positions)


def _box_contains(box: list[float], points: np.ndarray, tol=0.01) -> bool:
    c = np.array(box[:3])
    axes = np.array(box[3:]).reshape(3, 3)
    rel = points - c
    for axis in axes:
        length2 = float(axis @ axis)
        if length2 == 0:
            if np.any(np.abs(rel @ axis) > tol):
                return False
            continue
        if np.any(np.abs(rel @ axis) / np.sqrt(length2) > np.sqrt(length2) + tol):
            return False
    return True


def _box_corners(box: list[float]) -> np.ndarray:
    c = np.array(box[:3])
    axes = np.array(box[3:]).reshape(3, 3)
    return np.array([c + sx * axes[0] + sy * axes[1] + sz * axes[2]
                     for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)])


def check_tileset(state: TilesetState) -> list[str]:
    problems = []
    tileset = json.loads(state.tileset_json)
    if tileset.get("asset", {}).get("version") != "1.1":
        problems.append("asset.version is not 1.1")
    contents = {t.key: bytes(t.glb) for t in TileContent.objects.filter(state=state)}
    seen = set()

    def walk(tile, path):
        refine = tile.get("refine")
        if refine is not None and refine not in ("ADD", "REPLACE"):
            problems.append(f"{path}: refine {refine!r} (must be ADD or REPLACE, upper case)")
        box = tile["boundingVolume"]["box"]
        if "content" in tile:
            key = tile["content"]["uri"].split(".glb")[0]
            seen.add(key)
            if key not in contents:
                problems.append(f"{path}: content {key} is not stored")
            else:
                glb_problems, positions = check_glb(contents[key])
                problems.extend(f"{key}: {p}" for p in glb_problems)
                if not _box_contains(box, positions):
                    problems.append(f"{path}: bounding volume does not contain content {key}")
        for i, child in enumerate(tile.get("children", [])):
            if child["geometricError"] > tile["geometricError"]:
                problems.append(f"{path}/{i}: geometricError above its parent's")
            if not _box_contains(box, _box_corners(child["boundingVolume"]["box"])):
                problems.append(f"{path}/{i}: child bounding volume leaves its parent")
            walk(child, f"{path}/{i}")

    walk(tileset["root"], "root")
    unused = set(contents) - seen
    if unused:
        problems.append(f"stored tiles not in tileset.json: {sorted(unused)[:5]}")
    return problems
