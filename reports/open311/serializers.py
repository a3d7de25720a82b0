"""Categories and reports as GeoReport v2 objects (plain dicts; formats.py writes JSON or XML).

Public by design: a listed request carries no reporter data (no phone, photos, names, receipt
link, device), and a request of a sensitive category is placed at the label point of its mesh
(of its grid, or of its community, when it has no mesh) with no address and no description.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.gis.db.models import PointField
from django.contrib.gis.db.models.functions import Transform
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from gis_core.spatial import STORAGE_SRID, PointOnSurface
from reports.models import Category, CategoryDeadline, Level, Report, Stage

# The service definition's attributes: each maps to something the submit service takes.
ATTRIBUTES = [
    {"variable": True, "code": "patrol_point", "datatype": "string", "required": False,
     "datatype_description": "", "order": 1},
]


def _attribute_texts(code: str) -> dict:
    if code == "patrol_point":
        return {"datatype_description": _("巡查点二维码旁印的编码"),
                "description": _("巡查点编码：在巡查点发现的问题可以不填坐标")}
    return {}


def when(value: datetime | None) -> str | None:
    """W3C date-time with the offset, in the product's time zone, whole seconds."""
    if value is None:
        return None
    return timezone.localtime(value).replace(microsecond=0).isoformat()


def deadlines(stage: str = Stage.RESOLVE) -> dict[tuple[int, str], int]:
    """Minutes of `stage` per (category id, level): one small query per answer."""
    return {(c, lv): m for c, lv, m in
            CategoryDeadline.objects.filter(stage=stage).values_list("category", "level", "minutes")}


def service(category: Category, on_site: dict, resolve: dict) -> dict:
    parts = []
    if (category.pk, Level.GRID) in on_site:
        parts.append(_("%(m)d 分钟内到场") % {"m": on_site[category.pk, Level.GRID]})
    if (category.pk, Level.GRID) in resolve:
        parts.append(_("%(m)d 分钟内办结") % {"m": resolve[category.pk, Level.GRID]})
    if category.sensitive:
        parts.append(_("公开时位置只显示到网眼"))
    return {
        "service_code": category.code, "service_name": category.name, "description": "；".join(parts),
        "metadata": True, "type": "realtime", "keywords": "", "group": "",
    }


def services() -> list[dict]:
    on_site, resolve = deadlines(Stage.ON_SITE), deadlines(Stage.RESOLVE)
    return [service(c, on_site, resolve) for c in Category.objects.filter(active=True)]


def definition(category: Category) -> dict:
    attributes = [{**a, **_attribute_texts(a["code"]), "values": []} for a in ATTRIBUTES]
    return {"service_code": category.code, "attributes": attributes}


def requests_queryset():
    return (Report.objects.select_related("category", "grid", "mesh", "community", "building", "point")
            # The same point the reports tile layer draws such a report at: its mesh's (else its
            # grid's) stored label point (gis_core.models.Grid.label_3857).
            .annotate(blurred=Coalesce(Transform(F("mesh__label_3857"), STORAGE_SRID),
                                       Transform(F("grid__label_3857"), STORAGE_SRID),
                                       PointOnSurface(F("community__boundary")),
                                       output_field=PointField(srid=STORAGE_SRID))))


def agency(report: Report) -> str:
    """Who holds the report now: its grid, its community, or the street office above them."""
    if report.level == Level.GRID and report.grid_id:
        return _("网格：%(name)s") % {"name": report.grid.name}
    if report.level in (Level.GRID, Level.COMMUNITY) and report.community_id:
        return _("社区：%(name)s") % {"name": report.community.name}
    code = report.community.code[:9] if report.community_id else ""
    return _("街道办事处（%(code)s）") % {"code": code}


def status_notes(report: Report) -> str:
    if report.status == Report.Status.DUPLICATE and report.duplicate_of_id:
        return _("与 #%(id)d 为同一问题") % {"id": report.duplicate_of_id}
    return f"{report.get_status_display()}（{report.get_level_display()}）"


def request(report: Report, resolve: dict) -> dict:
    sensitive = report.category.sensitive
    where = report.blurred if sensitive else report.location
    expected = None
    minutes = resolve.get((report.category_id, report.level))
    if report.is_open and minutes is not None:
        expected = report.level_since + timedelta(minutes=minutes)
    if sensitive:
        address = report.mesh.name if report.mesh_id else (report.grid.name if report.grid_id else "")
    elif report.building_id:
        address = report.building.address or report.building.code
    else:
        address = report.point.name if report.point_id else ""
    return {
        "service_request_id": report.pk,
        "status": "open" if report.is_open else "closed",
        "status_notes": status_notes(report),
        "service_name": report.category.name,
        "service_code": report.category.code,
        "description": "" if sensitive else report.description,
        "agency_responsible": agency(report),
        "service_notice": "",
        "requested_datetime": when(report.created_at),
        "updated_datetime": when(report.updated_at),
        "expected_datetime": when(expected),
        "address": address,
        "address_id": "" if sensitive or not report.building_id else report.building.code,
        "zipcode": "",
        "lat": round(where.y, 6) if where else None,
        "long": round(where.x, 6) if where else None,
        "media_url": "",  # photos are sealed and never public
    }
