"""The local east-north-up (ENU) frame of a community, in metres, and its place on the globe (ECEF).

3D Tiles place content with a `transform` to Earth-centred, Earth-fixed coordinates (EPSG:4978).
Each community gets one frame at the centroid of its boundary; every vertex of its tiles is in
metres east, north and up from there (never degrees).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from pyproj import Transformer


@lru_cache(maxsize=2)
def _to_ecef() -> Transformer:
    return Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True)


@lru_cache(maxsize=2)
def _from_ecef() -> Transformer:
    return Transformer.from_crs("EPSG:4978", "EPSG:4979", always_xy=True)


@dataclass(frozen=True)
class EnuFrame:
    lon: float
    lat: float

    @property
    def origin_ecef(self) -> np.ndarray:
        return np.array(_to_ecef().transform(self.lon, self.lat, 0.0))

    @property
    def rotation(self) -> np.ndarray:
        """Rows: east, north, up unit vectors in ECEF."""
        lo, la = math.radians(self.lon), math.radians(self.lat)
        east = [-math.sin(lo), math.cos(lo), 0.0]
        north = [-math.sin(la) * math.cos(lo), -math.sin(la) * math.sin(lo), math.cos(la)]
        up = [math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la)]
        return np.array([east, north, up])

    def to_enu(self, lon, lat, h=0.0) -> np.ndarray:
        """(n, 3) metres east/north/up of the origin for arrays of lon, lat (degrees), height (m)."""
        lon, lat = np.atleast_1d(np.asarray(lon, dtype=float)), np.atleast_1d(np.asarray(lat, dtype=float))
        h = np.broadcast_to(np.asarray(h, dtype=float), lon.shape)
        n = len(lon)
        if n == 1:  # pyproj treats one-element arrays as scalars (with a deprecation warning)
            lon, lat, h = np.repeat(lon, 2), np.repeat(lat, 2), np.repeat(h, 2)
        x, y, z = _to_ecef().transform(lon, lat, h)
        d = (np.stack([x, y, z], axis=-1) - self.origin_ecef)[:n]
        return d @ self.rotation.T

    def to_lonlath(self, enu: np.ndarray) -> np.ndarray:
        """Inverse of to_enu: (n, 3) ENU metres → (n, 3) lon, lat, ellipsoidal height."""
        ecef = np.asarray(enu, dtype=float) @ self.rotation + self.origin_ecef
        lon, lat, h = _from_ecef().transform(ecef[:, 0], ecef[:, 1], ecef[:, 2])
        return np.stack([lon, lat, h], axis=-1)

    def transform(self) -> list[float]:
        """4×4 ENU→ECEF matrix, column-major (the tileset's `root.transform`)."""
        r = self.rotation
        o = self.origin_ecef
        cols = [list(r[0]) + [0.0], list(r[1]) + [0.0], list(r[2]) + [0.0], list(o) + [1.0]]
        return [float(v) for col in cols for v in col]
