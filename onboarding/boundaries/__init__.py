"""Import community, grid and mesh boundaries from a local GDAL/OGR source.

Shapefile (or a zip of one), GeoPackage, GeoJSON, KML, DXF and OSM (.osm/.pbf) — as survey
offices and grid-management systems export them — through the same import core as buildings
(onboarding.source, onboarding.crs, onboarding.report). One transaction for everything:

1. read every chosen layer (text decoding detected), settle its CRS (``srid`` for sources without
   one: CGCS2000 EPSG:4490 or a Gauss–Krüger zone) and check the coordinates can be in it;
2. per feature: level (``level``, a level field, or the length of the code), code, name, parent
   code, kind, responsible person and phone, valid-from, and a valid multipolygon (read.py);
3. level by level — communities, then grids, then meshes, so a file can hold a whole tree:
   place each boundary under its parent, keep or generate its code, check it with the planner's
   rules and write it (write.py); a boundary whose code exists is updated in place;
4. once at the end: re-derive the community, grid and mesh of every building, camera and kiosk
   where a boundary changed; tiles, coverage and 3D follow (onboarding.rederive).

``dry_run`` does all of it and rolls back, so the report shows the real outcome.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.contrib.gis.gdal import CoordTransform, SpatialReference
from django.db import transaction
from django.utils.translation import gettext as _

from gis_core.spatial import STORAGE_SRID
from onboarding import crs, source
from onboarding.boundaries import write as writing
from onboarding.boundaries.fields import BoundaryFields
from onboarding.boundaries.options import LEVELS, BoundaryOptions
from onboarding.boundaries.read import boundary
from onboarding.errors import NothingImported
from onboarding.footprints.options import OSM_LAYER
from onboarding.rederive import after_import
from onboarding.report import ImportReport, ReportRow, reject

# OSM: only polygons that can be a community are read by default.
_OSM_AREA_TAGS = ("boundary", "landuse")


def import_boundaries(path: str | os.PathLike, options: BoundaryOptions | None = None) -> ImportReport:
    options = options or BoundaryOptions()
    started = time.monotonic()
    datasource = source.open_datasource(path)
    is_osm = datasource.driver.name == "OSM"
    names = list(options.layers) or ([OSM_LAYER] if is_osm else source.layer_names(datasource))
    layers = [source.choose_layer(datasource, name) for name in names]
    report = ImportReport(path=str(path), layer=", ".join(names), source=Path(os.fspath(path)).name,
                          crs="", dry_run=options.dry_run)
    candidates = []
    described = []
    for layer in layers:
        srs = crs.source_srs(layer, options.srid)
        described.append(crs.describe(srs))
        columns, _encoding = source.field_names(layer)
        fields = BoundaryFields.resolve(columns, options)
        data = source.read_layer(layer)
        report.encoding = data.encoding
        for ft in data.features:
            ft.attributes = fields.attributes(ft.attributes)
        features = [ft for ft in data.features if _selected(ft.attributes, options, is_osm)]
        crs.check_coordinates_fit((ft.geometry for ft in features), srs)
        to_storage = CoordTransform(srs, SpatialReference(STORAGE_SRID))
        layer_name = source.decode_name(layer.name)
        for feature in features:
            row = ReportRow(feature=feature.index, source_id="")
            report.rows.append(row)
            candidate = boundary(feature, layer_name, fields, options, to_storage, row)
            if candidate is not None:
                candidates.append(candidate)
    report.crs = ", ".join(sorted(set(described)))
    if not report.rows:
        raise NothingImported(_("没有可导入的边界（%(layers)s）") % {"layers": report.layer}, report)

    note = _("导入自 %(file)s") % {"file": report.source}
    with transaction.atomic():
        written = []
        for level in LEVELS:  # parents are written before their children are placed
            batch = [c for c in candidates if c.level == level]
            if not batch:
                continue
            writing.place(batch, options)
            writing.number(batch, options)
            writing.check(batch, report)
            written += writing.write(batch, note)
        if not report.imported:
            raise NothingImported(_("没有可导入的边界：每个要素都被拒绝"), report)
        after_import(written=written)
        if options.dry_run:
            transaction.set_rollback(True)
    for row in report.rows:
        if row.action is None:  # never reached writing: rejected on the way
            reject(row, row.reason)
    report.elapsed_s = time.monotonic() - started
    return report


def _selected(attributes: dict, options: BoundaryOptions, is_osm: bool) -> bool:
    for name, value in options.selection():
        if str(attributes.get(name) if attributes.get(name) is not None else "") != value:
            return False
    if is_osm and not options.select:
        return attributes.get("boundary") == "administrative" or bool(attributes.get("landuse"))
    return True
