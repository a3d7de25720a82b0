"""Locating and writing: from checked features to buildings, in bulk, inside the caller's transaction."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import shapely
from django.contrib.gis.gdal import CoordTransform, SpatialReference
from django.contrib.gis.geos import GEOSGeometry
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.errors import GEOSException
from shapely.geometry import Polygon

from buildings.models import Building
from gis_core import assign, changes
from gis_core.models import Community
from gis_core.spatial import STORAGE_SRID
from onboarding.crs import in_storage, outside_hint
from onboarding.errors import CRSProblem, ImportFailed, Rejected
from onboarding.footprints.fields import FieldMap, address, geometry_id, source_id_of, storeys
from onboarding.footprints.geometry import footprint_of
from onboarding.footprints.options import BATCH_SIZE, CODE_MAX, SOURCE_ID_MAX, ImportOptions
from onboarding.report import Action, ImportReport, ReportRow, reject
from onboarding.source import RawFeature

# Geometries closer than this (degrees, ≈0.1 mm) count as the same footprint on re-import.
SAME_FOOTPRINT_TOLERANCE = 1e-9


def building_code(source: str, source_id: str) -> tuple[str, ...]:
    """Code choices for a new building, preferred first: ``{source}-{source_id}`` made safe.

    A readable code longer than the column, or one already taken (two sources can normalise to
    the same text), falls back to a truncated form with a hash of the exact (source, source id).
    """
    readable = re.sub(r"[^\w.-]+", "-", f"{source}-{source_id}").strip("-")
    digest = hashlib.sha1(f"{source}\0{source_id}".encode()).hexdigest()[:8]
    hashed = f"{readable[:CODE_MAX - len(digest) - 1]}-{digest}"
    return (readable, hashed) if len(readable) <= CODE_MAX else (hashed,)



@dataclass
class Candidate:
    """A feature that passed every check and awaits writing."""

    row: ReportRow
    footprint: Polygon
    floors: int
    height: float | None
    address: str
    repaired: bool
    notes: list[str]
    community_id: int | None = None

    def finish(self, outcome: Action, code: str) -> None:
        self.row.code = code
        if self.repaired:
            self.row.action = Action.REPAIRED
            self.notes.append(outcome.label)  # a repaired feature was still created/updated/unchanged
        else:
            self.row.action = outcome
        self.row.reason = "; ".join(self.notes)




def prepare(feature: RawFeature, fields: FieldMap, options: ImportOptions, to_storage: CoordTransform,
             report: ImportReport) -> Candidate | None:
    source_id = source_id_of(feature, fields)
    row = ReportRow(feature=feature.index, source_id=source_id or "")
    report.rows.append(row)
    notes: list[str] = []
    try:
        if feature.geometry is None:
            raise Rejected(_("没有几何"))
        if source_id is None:
            row.source_id = geometry_id(feature.geometry)
        if len(row.source_id) > SOURCE_ID_MAX:
            raise Rejected(_("编号超过 %(max)s 个字符") % {"max": SOURCE_ID_MAX})
        shape = in_storage(feature.geometry, to_storage)
        footprint, repaired = footprint_of(shape, options.repair, notes)
    except (Rejected, GEOSException) as exc:  # GEOSException: geometry shapely cannot read (curves)
        reject(row, str(exc))
        return None
    floors, height = storeys(feature.attributes, fields, options, notes)
    return Candidate(row, footprint, floors, height, address(feature.attributes, fields), repaired, notes)


def dedupe(prepared: list[Candidate | None]) -> list[Candidate]:
    """Drop the rejected features, and reject those whose source id already came earlier in the file."""
    first: dict[str, int] = {}
    candidates = []
    for candidate in filter(None, prepared):
        row = candidate.row
        if row.source_id in first:
            reject(row, _("编号重复（同第 %(first)s 个要素）") % {"first": first[row.source_id]})
        else:
            first[row.source_id] = row.feature
            candidates.append(candidate)
    return candidates


def locate(candidates: list[Candidate], srs: SpatialReference, report: ImportReport) -> list[Candidate]:
    """Set each candidate's community in one query; reject those outside every community, return the rest.

    Like Building.save(), a footprint belongs to the community covering its anchor (gis_core.assign).
    """
    if not Community.objects.exists():
        raise ImportFailed(_("尚无社区边界，请先导入社区"))
    ewkbs = [shapely.to_wkb(shapely.set_srid(c.footprint, STORAGE_SRID), include_srid=True) for c in candidates]
    for candidate, community_id in zip(candidates, assign.communities_at(ewkbs), strict=True):
        candidate.community_id = community_id
    located = [c for c in candidates if c.community_id is not None]
    for candidate in candidates:
        if candidate.community_id is None:
            reject(candidate.row, _("不在任何社区内"))
    if not located:
        raise CRSProblem(outside_hint([c.footprint for c in candidates], srs), report)
    return located


# ---------------------------------------------------------------------------------------------
# Writing


_UPDATED_FIELDS = ["footprint", "floors", "height_m", "address", "community", "updated_at"]


def write(candidates: list[Candidate], source: str, options: ImportOptions) -> None:
    """Create and update in bulk, then report them to the change pipeline once (gis_core/changes.py):
    new and moved buildings are placed in their grid with one UPDATE and their rooms laid out again,
    and tiles, camera views and 3D follow, exactly as after Building.save() — but set-based.
    """
    if options.code_field:
        key, rows = "code", Building.objects.filter(code__in=[c.row.source_id for c in candidates])
    else:
        key, rows = "source_id", Building.objects.filter(source=source).exclude(source_id="")
    existing = {getattr(b, key): b for b in rows.only(
        "id", "code", "source_id", "footprint", "floors", "height_m", "address", "community")}
    now = timezone.now()
    new: list[tuple[Candidate, Building]] = []
    changed: list[Building] = []
    moved: list[int] = []
    left = []  # footprints the moved buildings left
    for candidate in candidates:
        footprint = GEOSGeometry(memoryview(shapely.to_wkb(candidate.footprint)), srid=STORAGE_SRID)
        building = existing.get(candidate.row.source_id)
        if building is None:
            new.append((candidate, Building(
                source=source, source_id=candidate.row.source_id, footprint=footprint, floors=candidate.floors,
                height_m=candidate.height, address=candidate.address, floor_height_m=options.floor_height,
                community_id=candidate.community_id,
            )))
            continue
        is_moved = not building.footprint.equals_exact(footprint, tolerance=SAME_FOOTPRINT_TOLERANCE)
        values = (candidate.floors, candidate.height, candidate.address)
        if is_moved or values != (building.floors, building.height_m, building.address):
            building.floors, building.height_m, building.address = values
            if is_moved:
                left.append(building.footprint)
                building.footprint, building.community_id = footprint, candidate.community_id
                moved.append(building.pk)
            building.updated_at = now  # bulk_update skips auto_now
            changed.append(building)
            candidate.finish(Action.UPDATED, building.code)
        else:
            candidate.finish(Action.UNCHANGED, building.code)

    created = assign_codes(new, by_code=bool(options.code_field))
    Building.objects.bulk_create(created, batch_size=BATCH_SIZE)
    Building.objects.bulk_update(changed, _UPDATED_FIELDS, batch_size=BATCH_SIZE)
    changes.geometry_changed(Building, [b.pk for b in created] + moved, dict(zip(moved, left)))
    changes.attributes_changed(Building, {b.pk for b in changed} - set(moved), _UPDATED_FIELDS)


def assign_codes(new: list[tuple[Candidate, Building]], *, by_code: bool = False) -> list[Building]:
    """Give each new building its first free code (by_code: the code the file gives); a feature
    with no free code is rejected."""
    choices = {id(b): (b.source_id,) if by_code else building_code(b.source, b.source_id) for _, b in new}
    taken = set(Building.objects.filter(
        code__in=[code for codes in choices.values() for code in codes]).values_list("code", flat=True))
    created = []
    for candidate, building in new:
        code = next((c for c in choices[id(building)] if c not in taken), None)
        if code is None:
            reject(candidate.row, _("楼栋编码已被占用"))
            continue
        taken.add(code)
        building.code = code
        candidate.finish(Action.CREATED, code)
        created.append(building)
    return created
