"""Import a survey office's CAD/GIS layers (roads, paths, water, walls, gates, landuse) into the
basemap tables — the one core of `manage.py import_survey` and the admin upload.

1. The file is opened like every other vector import (onboarding/source.py: Shapefile or zip,
   GeoPackage, GeoJSON, KML, DXF; text decoded, GBK detected) and its CRS settled
   (onboarding/crs.py: --srid for CGCS2000 EPSG:4490 and the Gauss–Krüger zones, with hints).
2. Each feature is classified (basemap/survey/classify.py): its kind from --layer, or from its
   CAD layer (--dxf-layer 道路=roads), its class, name, width and hours from the mapped fields.
   A feature of the wrong geometry type, that cannot be transformed, or that lies outside every
   community is a report row, not a failure.
3. Unless it is a dry run, basemap/services.replace_extract writes the survey as an extract of
   its own, "survey:<name>", in ONE transaction: a re-import of the same survey replaces exactly
   its features, never the OSM extract's or the demo's. The survey joins the extract it lies on
   (Extract.base), whose walking network is rebuilt with the survey's ways, walls and gates
   (routes/network.py) when those changed; the tiles over the old and new area are refreshed.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path

from django.contrib.gis.gdal import CoordTransform, SpatialReference
from django.contrib.gis.geos import Polygon
from django.db import connection
from django.utils.translation import gettext as _

from basemap.models import FEATURE_MODELS, Extract
from basemap.services import replace_extract
from basemap.survey.classify import Classified, classify
from basemap.survey.options import DXF_LAYER_FIELD, KINDS, PREFIX, ROLES, SurveyOptions
from gis_core.models import Community
from gis_core.spatial import STORAGE_SRID
from onboarding import crs, source
from onboarding.errors import NothingImported, Rejected, UnknownField
from onboarding.report import Action, ImportReport, ReportRow, reject

__all__ = ["KINDS", "ROLES", "SurveyOptions", "import_survey", "extract_name"]


def extract_name(name: str) -> str:
    return PREFIX + name


def import_survey(path: str | os.PathLike, options: SurveyOptions) -> ImportReport:
    started = time.monotonic()
    datasource = source.open_datasource(path)
    layer = source.choose_layer(datasource, options.file_layer)
    layer_name = source.decode_name(layer.name)
    name = options.name or source.default_source_name(path, 100 - len(PREFIX))
    fields = options.field_map()
    dxf = options.dxf_map()
    data = source.read_layer(layer)
    wanted = set(fields.values()) | ({DXF_LAYER_FIELD} if dxf else set())
    missing = sorted(wanted - set(data.fields))
    if missing:
        raise UnknownField(_("没有字段 %(missing)s；可用字段：%(fields)s")
                           % {"missing": ", ".join(missing), "fields": ", ".join(data.fields) or "-"})
    srs = crs.source_srs(layer, options.srid)
    report = ImportReport(path=str(path), layer=layer_name, source=extract_name(name), crs=crs.describe(srs),
                          dry_run=options.dry_run, encoding=data.encoding)
    if data.garbled:
        report.notes.append(_("文字编码无法识别，名称可能是乱码"))

    # Which kind each feature is: its CAD layer's, else --layer's; others are skipped (a note).
    chosen, skipped = [], Counter()
    for feature in data.features:
        cad = str(feature.attributes.get(DXF_LAYER_FIELD) or "") if dxf else ""
        kind = dxf.get(cad, options.layer)
        if kind is None:
            skipped[cad] += 1
        else:
            chosen.append((feature, kind, cad))
    if skipped:
        report.notes.append(_("未对应的 CAD 图层，已跳过：%(layers)s")
                            % {"layers": ", ".join(f"{k or '-'} ({n})" for k, n in sorted(skipped.items()))})
    crs.check_coordinates_fit((f.geometry for f, _k, _c in chosen), srs)
    to_storage = CoordTransform(srs, SpatialReference(STORAGE_SRID))

    candidates: list[tuple[ReportRow, Classified]] = []
    for feature, kind, cad in chosen:
        attrs = {role: feature.attributes.get(field) for role, field in fields.items()}
        label = str(attrs.get("name") or "").strip()
        row = ReportRow(feature=feature.index, source_id=label or f"{cad or layer_name}#{feature.index}")
        report.rows.append(row)
        try:
            if feature.geometry is None:
                raise Rejected(_("没有几何"))
            shape = crs.in_storage(feature.geometry, to_storage)
            candidates.append((row, classify(kind, shape, attrs)))
        except Rejected as exc:
            reject(row, f"{kind}: {exc}")

    _reject_outside_communities(candidates, srs, report)
    kept = [(row, c) for row, c in candidates if row.action is None]
    for row, c in kept:
        row.action = Action.REPAIRED if c.repaired else Action.CREATED
        row.code = c.what
        row.reason = "; ".join(c.notes)
    if not kept:
        report.elapsed_s = time.monotonic() - started
        raise NothingImported(_("没有可导入的要素（%(layer)s）") % {"layer": layer_name}, report)

    rows = [r for _row, c in kept for r in c.rows]
    if not options.dry_run:
        _write(name, Path(os.fspath(path)).name, rows, report)
    report.elapsed_s = time.monotonic() - started
    return report


def _reject_outside_communities(candidates, srs, report: ImportReport) -> None:
    """Reject the features that touch no community (one query for all)."""
    if not candidates:
        return
    shapes = [r.geom for _row, c in candidates for r in c.rows]
    owners = [i for i, (_row, c) in enumerate(candidates) for _r in c.rows]
    with connection.cursor() as cur:
        cur.execute(
            "SELECT DISTINCT g.i FROM unnest(%s::bytea[]) WITH ORDINALITY AS g(w, i)"
            f" JOIN {Community._meta.db_table} c ON ST_Intersects(c.boundary, ST_GeomFromWKB(g.w, {STORAGE_SRID}))",
            [[bytes(s.wkb) for s in shapes]])
        inside = {owners[i - 1] for (i,) in cur.fetchall()}
    if not inside:
        from shapely import from_wkb

        hint = (crs.outside_hint([from_wkb(bytes(s.wkb)) for s in shapes], srs) if Community.objects.exists()
                else _("还没有社区边界：请先导入社区边界"))
        for row, _c in candidates:
            reject(row, _("不在任何社区内"))
        report.notes.append(hint)
        return
    for i, (row, _c) in enumerate(candidates):
        if i not in inside:
            reject(row, _("不在任何社区内"))


def _base_for(rows) -> Extract | None:
    """The extract (OSM or demo, not another survey) the survey lies on: the one overlapping most."""
    xs = [r.geom.extent for r in rows]
    box = Polygon.from_bbox((min(e[0] for e in xs), min(e[1] for e in xs), max(e[2] for e in xs), max(e[3] for e in xs)))
    box.srid = STORAGE_SRID
    found = [e for e in Extract.objects.filter(base__isnull=True, area__intersects=box).exclude(name__startswith=PREFIX)]
    return max(found, key=lambda e: e.area.intersection(box).area, default=None)


def _write(name: str, filename: str, rows, report: ImportReport) -> None:
    base = _base_for(rows)
    existing = Extract.objects.filter(name=extract_name(name)).first()
    before = existing.counts if existing else {}
    written = {type(r) for r in rows}
    # Replace the tables the survey had and those it writes now: the whole survey, while telling
    # the network whether any of its ways, walls or gates changed (water alone does not).
    models = tuple(m for m in FEATURE_MODELS if m in written or before.get(m._meta.model_name))

    def write(extract_id: int) -> None:
        for model in models:
            mine = [r for r in rows if type(r) is model]
            for r in mine:
                r.extract_id = extract_id
            model.objects.bulk_create(mine, batch_size=2000)

    extract = replace_extract(extract_name(name), filename, write, models=models, base=base)
    replaced = sum(before.values())
    if replaced:
        report.notes.append(_("已替换此测绘数据以前导入的 %(n)d 个要素") % {"n": replaced})
    report.notes.append(_("接入底图 %(base)s 的步行路网") % {"base": base.name} if base
                        else _("没有重叠的底图数据：测绘道路自成步行路网"))
    report.notes.append(", ".join(f"{k} {n}" for k, n in extract.counts.items() if n))

