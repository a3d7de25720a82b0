"""Opening a local GDAL/OGR vector source and reading its features with their text decoded.

Shared by every vector import (building footprints, community/grid/mesh boundaries). Only local
files are read: URLs, GDAL virtual paths and formats that merely point elsewhere are refused.

Text encoding is detected, never assumed. GeoJSON, GeoPackage and OSM are UTF-8 by their
specifications, but files written by Chinese desktop tools often carry GBK/GB18030 anyway, and a
Shapefile's DBF is in whatever code page its .cpg (or DBF language id) says — when it says
nothing, GDAL hands the bytes over untouched, which for a Chinese survey office means GBK. So
strings are read as bytes (the DataSource is opened as latin-1, which maps every byte to one
character and back) and decoded once the whole layer has been read: UTF-8 when every string is
valid UTF-8, else GB18030 (a superset of GBK and GB2312), else latin-1 with a warning.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.contrib.gis.gdal import DataSource, GDALException, OGRGeometry
from django.contrib.gis.gdal.feature import Feature
from django.contrib.gis.gdal.prototypes import ds as ogr_api
from django.utils.translation import gettext as _

from onboarding.errors import SourceUnreadable, UnknownLayer

# GDAL formats whose file only points at data stored elsewhere, possibly on a remote server.
INDIRECT_DRIVERS = frozenset({"OGR_VRT", "WFS", "OAPIF"})
# Tried in order; the first that decodes every string of the layer wins.
ENCODINGS = ("utf-8", "gb18030")
FALLBACK_ENCODING = "latin-1"  # decodes any byte: the text is garbled but the import can report it
_RAW = "latin-1"  # how the DataSource hands strings over: one character per byte, reversible


def open_datasource(path: str | os.PathLike) -> DataSource:
    text = os.fspath(path)
    # Absolute, so GDAL never takes the name for a connection string such as "PG:dbname=…"; GDAL
    # virtual file systems (/vsicurl/, /vsis3/, …) are recognised only at the start of the path.
    local = Path(text).expanduser().resolve()
    if "://" in text or str(local).lower().startswith("/vsi"):
        raise SourceUnreadable(
            _("只能导入本机文件（不接受网址和 GDAL /vsi… 路径）：%(path)s") % {"path": text}
        )
    if not local.exists():
        raise SourceUnreadable(_("文件不存在：%(path)s") % {"path": local})
    gdal_path = f"/vsizip/{local}" if local.suffix.lower() == ".zip" else str(local)  # a zipped shapefile
    try:
        datasource = DataSource(gdal_path, encoding=_RAW)
    except GDALException as exc:
        raise SourceUnreadable(_("无法读取为矢量数据：%(path)s（%(error)s）") % {"path": local, "error": exc}) from exc
    if datasource.driver.name in INDIRECT_DRIVERS:
        raise SourceUnreadable(
            _("不接受 %(driver)s 格式（它只指向别处、可能是远程的数据），请先转换为 GeoPackage 或 GeoJSON")
            % {"driver": datasource.driver.name}
        )
    return datasource


def layer_names(datasource: DataSource) -> list[str]:
    return [decode_name(datasource[i].name) for i in range(datasource.layer_count)]


def choose_layer(datasource: DataSource, name: str | None):
    """The layer called `name`, or the only one; UnknownLayer lists the choices otherwise."""
    names = layer_names(datasource)
    if not names:
        raise SourceUnreadable(_("文件中没有图层：%(name)s") % {"name": datasource.name})
    if name is None:
        if len(names) == 1:
            return datasource[0]
        raise UnknownLayer(_("文件有 %(n)s 个图层，请用 --layer 指定：%(names)s")
                           % {"n": len(names), "names": ", ".join(names)})
    if name not in names:
        raise UnknownLayer(_("没有图层 %(name)s；可用图层：%(names)s") % {"name": name, "names": ", ".join(names)})
    return datasource[names.index(name)]


def decode_name(raw: str) -> str:
    """A layer name: the file's own name (UTF-8 on the server's file system) or the format's text."""
    return decode(raw.encode(_RAW), guess_encoding([raw.encode(_RAW)]))


def guess_encoding(samples: Iterable[bytes]) -> str:
    data = [s for s in samples if s and not s.isascii()]
    for encoding in ENCODINGS:
        try:
            for sample in data:
                sample.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    return FALLBACK_ENCODING


def decode(raw: bytes, encoding: str) -> str:
    return raw.decode(encoding, errors="replace")


def field_names(layer) -> tuple[list[str], str]:
    """The layer's field names, decoded, in OGR field order; and the encoding they suggest."""
    raw = [name.encode(_RAW) for name in layer.fields]
    encoding = guess_encoding(raw)
    return [decode(name, encoding) for name in raw], encoding


def features(layer) -> Iterator[Feature]:
    """Yield the features of an OGR layer.

    Django's Layer.__iter__ loops over range(feature count), but streaming drivers such as OSM
    report the count as unknown (-1) and would yield nothing: read until OGR has no more.
    """
    ogr_api.reset_reading(layer.ptr)
    while True:
        try:
            pointer = ogr_api.get_next_feature(layer.ptr)
        except GDALException:  # OGR returned NULL: end of the layer
            return
        yield Feature(pointer, layer)


@dataclass
class RawFeature:
    index: int  # 1-based position in the layer
    attributes: dict
    geometry: OGRGeometry | None  # in the source CRS


@dataclass
class LayerData:
    features: list[RawFeature]
    encoding: str  # how the strings were decoded
    fields: list[str]  # every field of the layer, decoded

    @property
    def garbled(self) -> bool:
        return self.encoding == FALLBACK_ENCODING


def read_layer(layer, columns: Iterable[str] | None = None) -> LayerData:
    """Read the given columns (default: all) and the geometry of every feature, strings decoded."""
    names, name_encoding = field_names(layer)
    wanted = set(names if columns is None else columns)
    picked = [(i, name) for i, name in enumerate(names) if name in wanted]
    rows = []
    samples: list[bytes] = [n.encode(name_encoding) for n in names]
    for index, feature in enumerate(features(layer), start=1):
        attributes = {}
        for i, name in picked:
            value = feature[i].value
            if isinstance(value, str):
                value = value.encode(_RAW)
                samples.append(value)
            attributes[name] = value
        try:
            geometry = feature.geom
        except GDALException:  # a feature without geometry
            geometry = None
        rows.append(RawFeature(index, attributes, geometry))
    encoding = guess_encoding(samples)
    for row in rows:
        row.attributes = {k: decode(v, encoding) if isinstance(v, bytes) else v for k, v in row.attributes.items()}
    return LayerData(rows, encoding, names)


def default_source_name(path, max_length: int) -> str:
    name = Path(os.fspath(path)).name
    stem = name.split(".", 1)[0] or name  # "footprints.osm.pbf" → "footprints", not "footprints.osm"
    return stem[:max_length]
