"""Import building footprints from a local GDAL/OGR source: Shapefile, GeoPackage, GeoJSON, OSM PBF…

One import core serves both entry points — ``manage.py import_buildings`` and the admin upload page
(onboarding.admin_uploads) — which only turn their input into :class:`ImportOptions` and present the
:class:`ImportReport`. The pipeline, in order:

1. open the file and pick the layer (onboarding.source: local files only, text decoding detected);
2. settle the source CRS and check that the raw coordinates can be in it (onboarding.crs);
3. per feature: map the attributes (fields.py: floors, height, address, source id), transform to
   EPSG:4326 and reduce the geometry to one valid polygon of at least 2 m² (geometry.py), or
   reject the feature;
4. find each footprint's community in one spatial query — when none lands in any community the
   CRS is almost certainly wrong, and the import fails with a hint (write.locate);
5. in one transaction: create and update buildings in bulk, keyed by (source, source id), then
   derive community, grid and mesh of the new and moved ones in one set-based UPDATE (write.write).

Every feature that was read gets a report row (created / updated / unchanged / repaired /
rejected, with the reason), which the command prints or writes as CSV and the admin shows.
Buildings of the same source that are absent from the file are left alone: a partial extract
must not delete the rest of a city.
"""

from __future__ import annotations

import os
import time

from django.contrib.gis.gdal import CoordTransform, SpatialReference
from django.db import transaction
from django.utils.translation import gettext, gettext_lazy

from gis_core.spatial import STORAGE_SRID
from onboarding import crs, source
from onboarding.errors import (  # noqa: F401  (the errors callers catch)
    CRSProblem, ImportFailed, NothingImported, SourceUnreadable, UnknownField, UnknownLayer,
)
from onboarding.footprints import write as writing
from onboarding.footprints.fields import FieldMap, expand_tags, parse_hstore  # noqa: F401
from onboarding.footprints.options import (  # noqa: F401
    MAX_FLOORS, OSM_LAYER, OSM_SOURCE, SOURCE_MAX, ImportOptions,
)
from onboarding.footprints.write import building_code  # noqa: F401
from onboarding.report import Action, ImportReport, ReportRow  # noqa: F401

ALL_REJECTED = gettext_lazy("没有可导入的要素：所有要素都被拒绝")


def import_buildings(path: str | os.PathLike, options: ImportOptions | None = None) -> ImportReport:
    """Import the building footprints of one layer of a local vector file; see the module doc."""
    options = options or ImportOptions()
    started = time.monotonic()
    datasource = source.open_datasource(path)
    is_osm = datasource.driver.name == "OSM"
    layer = source.choose_layer(datasource, options.layer or (OSM_LAYER if is_osm else None))
    source_srs = crs.source_srs(layer, options.srid)
    columns, _ = source.field_names(layer)
    fields = FieldMap.resolve(columns, options, is_osm)
    report = ImportReport(
        path=str(path), layer=source.decode_name(layer.name),
        source=(options.source or "").strip() or (OSM_SOURCE if is_osm else source.default_source_name(path, SOURCE_MAX)),
        crs=crs.describe(source_srs), dry_run=options.dry_run,
    )

    data = source.read_layer(layer, fields.columns)
    report.encoding = data.encoding
    features = []
    for feature in data.features:
        feature.attributes = expand_tags(feature.attributes, fields)
        if is_osm and feature.attributes.get("building") in (None, "", "no"):
            continue
        features.append(feature)
    if not features:
        raise NothingImported((gettext("图层 %(layer)s 没有可导入的楼栋要素") if is_osm else gettext("图层 %(layer)s 没有可导入的要素"))
                              % {"layer": report.layer}, report)
    crs.check_coordinates_fit((f.geometry for f in features), source_srs)

    to_storage = CoordTransform(source_srs, SpatialReference(STORAGE_SRID))
    candidates = writing.dedupe([writing.prepare(f, fields, options, to_storage, report) for f in features])
    if not candidates:
        raise NothingImported(ALL_REJECTED, report)
    candidates = writing.locate(candidates, source_srs, report)

    with transaction.atomic():
        writing.write(candidates, report.source, options)
        if not report.imported:  # every generated building code was taken
            raise NothingImported(ALL_REJECTED, report)
        if options.dry_run:
            transaction.set_rollback(True)
    report.elapsed_s = time.monotonic() - started
    return report
