"""Creating reports and finding likely duplicates. The dispatch clock lives in reports.dispatch."""

from __future__ import annotations

import math

from django.contrib.gis.db.models import PointField
from django.contrib.gis.geos import Point
from django.db.models import Value
from django.db import transaction
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from gis_core.errors import BadRequest, Unprocessable
from gis_core.models import Community
from gis_core.spatial import WEB_MERCATOR_SRID, GeographyDistance
from reports import photos as photo_mod
from reports.models import Category, Report, ReportEvent

DUPLICATE_RADIUS_M = 50
MAX_DESCRIPTION = 500


def parse_point(lat, lon) -> Point:
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        raise BadRequest(_("坐标无效")) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise BadRequest(_("坐标超出范围"))
    return Point(lon, lat, srid=4326)


def nearby_open(category: Category, location: Point, radius_m: float = DUPLICATE_RADIUS_M):
    """Open reports of the same category within `radius_m` metres ("is it one of these?")."""
    # The GiST index is on the 3857 copy, whose metres stretch by 1/cos(lat): a cheap index
    # pre-filter with the stretched radius, then the exact distance on the ellipsoid.
    stretch = 1 / math.cos(math.radians(location.y))
    m = location.transform(WEB_MERCATOR_SRID, clone=True)
    return (Report.objects.filter(category=category, status__in=Report.OPEN, duplicate_of=None,
                                  location_3857__dwithin=(m, radius_m * stretch * 1.01))
            .annotate(distance_m=GeographyDistance("location", Value(location, output_field=PointField(srid=4326))))
            .filter(distance_m__lte=radius_m)
            .order_by("distance_m"))


def create_report(*, category_code: str, location: Point, description: str, phone: str | None = None,
                  photos: list[bytes] = (), point=None, building=None, join: int | None = None) -> Report:
    """A new report, dispatched at once. With `join` (the id of an open report of the same category
    within 50 m, offered as "is it one of these?"), the resident adds themself to that report
    instead: theirs is stored as its duplicate, follows its status, and dispatches nobody."""
    # Deadlines prefetched: dispatch's stage timers read them without a query per stage.
    category = Category.objects.filter(code=category_code, active=True).prefetch_related("deadlines").first()
    if category is None:
        raise BadRequest(_("未知的问题类别"), field="category")
    into = None
    if join is not None:
        into = None if category.sensitive else nearby_open(category, location).filter(pk=join).first()
        if into is None:
            raise BadRequest(_("该问题已办结或不在附近，请重新提交"), field="join")
    # Stored as plain text; templates escape it again on output.
    description = strip_tags(description or "").strip()
    if not description and into is not None:
        description = _("我也遇到了这个问题")
    if not description:
        raise BadRequest(_("请简要描述问题"), field="description")
    if len(description) > MAX_DESCRIPTION:
        raise BadRequest(_("描述不能超过 %(n)d 字") % {"n": MAX_DESCRIPTION}, field="description")
    phone = (phone or "").strip() or None
    if phone and not (phone.replace("-", "").replace(" ", "").lstrip("+").isdigit() and 5 <= len(phone) <= 20):
        raise BadRequest(_("电话号码无效"), field="phone")
    if not Community.objects.containing(location).exists():
        raise Unprocessable(_("该位置不在任何社区范围内"), field="location")
    # The header check only: the clock worker decodes and cleans them (reports.photos).
    uploads = photo_mod.check_all(list(photos))
    with transaction.atomic():
        report = Report(category=category, location=location, description=description, point=point,
                        building=building)
        if into is not None:
            report.status, report.duplicate_of = Report.Status.DUPLICATE, into
        report.set_phone(phone)
        report.save()
        photo_mod.store(report, uploads)
        ReportEvent.objects.create(report=report, action="joined" if into else "created", status=report.status,
                                   level=report.level, reason=f"#{into.pk}" if into else "")
        if into is None and report.grid_id is not None:
            # Dispatch in the same transaction: a report is never stored without its clock.
            from reports import clock, dispatch

            report.category = category
            clock.schedule(dispatch.offer(report))
    return report


def submit(request, *, device: str | None = None, **fields) -> Report:
    """The one way a report comes in from outside — the phone page and Open311 alike: the
    per-device/IP rate limit, then create_report's validation and dispatch."""
    from reports import ratelimit

    ratelimit.check(request, device)
    return create_report(**fields)


@transaction.atomic
def merge(duplicate: Report, into: Report, actor, reason: str = "") -> None:
    """Staff mark `duplicate` as the same problem as `into`; its reporter follows `into`."""
    if duplicate.pk == into.pk or into.duplicate_of_id:
        raise BadRequest(_("不能合并到自身或已合并的上报"))
    list(Report.objects.select_for_update().filter(pk__in=[duplicate.pk, into.pk]).order_by("pk"))
    duplicate.duplicate_of = into
    duplicate.status = Report.Status.DUPLICATE
    duplicate.version += 1
    duplicate.save(update_fields=["duplicate_of", "status", "version", "updated_at"])
    ReportEvent.objects.create(report=duplicate, actor=actor, action="merged", status=duplicate.status,
                               level=duplicate.level, reason=reason or f"#{into.pk}")
