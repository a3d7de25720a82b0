"""Just enough of a Mapbox Vector Tile decoder to compare servers' output: per layer, the feature
count and the attribute names (protobuf wire format: tile field 3 = layer; layer field 1 = name,
2 = feature, 3 = key)."""

from __future__ import annotations

import gzip


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def _fields(buf: bytes):
    """(field number, wire type, value) of a protobuf message; value is bytes for wire type 2."""
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 2:
            length, i = _varint(buf, i)
            value, i = buf[i:i + length], i + length
        elif wire == 1:
            value, i = buf[i:i + 8], i + 8
        elif wire == 5:
            value, i = buf[i:i + 4], i + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield number, wire, value


def summarise(data: bytes) -> dict[str, dict]:
    """{layer name: {"features": n, "keys": sorted attribute names}}; layers of the same name
    (one tile made of several responses) are added up."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    out: dict[str, dict] = {}
    for number, _wire, layer in _fields(data):
        if number != 3:
            continue
        name, features, keys = "", 0, set()
        for n, _w, v in _fields(layer):
            if n == 1:
                name = v.decode()
            elif n == 2:
                features += 1
            elif n == 3:
                keys.add(v.decode())
        entry = out.setdefault(name, {"features": 0, "keys": set()})
        entry["features"] += features
        entry["keys"] |= keys
    return {name: {"features": e["features"], "keys": sorted(e["keys"])} for name, e in out.items()}
