"""Settling a source's coordinate reference system, and catching the usual mistakes with a hint.

`srid` (from --srid or the upload form) overrides the declared CRS; a source without one needs
it. The raw coordinates are checked against the CRS before anything is transformed, so metres
read as degrees (or the reverse) fail loudly instead of landing in the ocean, and the message
names the likely --srid: a CGCS2000 3-degree Gauss–Krüger zone (EPSG:4513–4533 with the zone
number in the easting, EPSG:4534–4554 without), chosen from the communities already loaded.
"""

from __future__ import annotations

from collections.abc import Iterable

import shapely
from django.contrib.gis.db.models import Extent
from django.contrib.gis.gdal import CoordTransform, GDALException, OGRGeometry, SpatialReference, SRSException
from django.utils.translation import gettext as _

from gis_core.models import Community
from gis_core.spatial import gauss_kruger_epsg
from onboarding.errors import CRSProblem, Rejected


def source_srs(layer, srid: int | None) -> SpatialReference:
    if srid is not None:
        try:
            return SpatialReference(srid)
        except (GDALException, SRSException) as exc:
            raise CRSProblem(_("未知坐标系 --srid %(srid)s") % {"srid": srid}) from exc
    if layer.srs is None:
        raise CRSProblem(
            _("数据没有声明坐标系，请用 --srid 指定（CGCS2000 经纬度为 4490；米制投影坐标：%(hint)s）")
            % {"hint": metres_hint()}
        )
    return layer.srs


def describe(srs: SpatialReference) -> str:
    return f"EPSG:{srs.srid}" if srs.srid else srs.name


def check_coordinates_fit(geometries: Iterable[OGRGeometry | None], srs: SpatialReference) -> None:
    """Fail when the raw coordinates cannot be in the source CRS (degrees vs metres)."""
    extents = [g.extent for g in geometries if g is not None and not g.empty]
    if not extents:
        return
    xmin, ymin = min(e[0] for e in extents), min(e[1] for e in extents)
    xmax, ymax = max(e[2] for e in extents), max(e[3] for e in extents)
    in_degree_range = -180 <= xmin and xmax <= 180 and -90 <= ymin and ymax <= 90
    if srs.geographic and not in_degree_range:
        raise CRSProblem(
            _("坐标像是米制投影坐标（x %(xmin).0f…%(xmax).0f，y %(ymin).0f…%(ymax).0f 超出 %(srs)s 的经纬度范围），"
              "请用 --srid 指定：%(hint)s")
            % {"xmin": xmin, "xmax": xmax, "ymin": ymin, "ymax": ymax, "srs": describe(srs), "hint": metres_hint(xmin, xmax)}
        )
    if srs.projected and in_degree_range:
        raise CRSProblem(
            _("坐标像是经纬度，但 %(srs)s 是米制投影坐标系：请用 --srid 4490（CGCS2000）或 --srid 4326（WGS 84）")
            % {"srs": describe(srs)}
        )


def in_storage(geometry: OGRGeometry, to_storage: CoordTransform):
    """A feature's geometry in storage coordinates, as a 2-D shapely geometry (Rejected if it cannot be transformed)."""
    geometry = geometry.clone()
    try:
        geometry.transform(to_storage)
    except GDALException as exc:
        raise Rejected(_("坐标无法转换（%(error)s）") % {"error": exc}) from exc
    return shapely.force_2d(shapely.from_wkb(bytes(geometry.wkb)))


def _gk_cm_hint(epsg: int) -> str:
    cm = 75 + 3 * (epsg - 4534)
    return f"pass --srid {epsg} for CGCS2000 GK CM {cm}E"


def metres_hint(xmin: float | None = None, xmax: float | None = None) -> str:
    """Which --srid projected coordinates most likely need (CGCS2000 3-degree Gauss–Krüger)."""
    if xmin is not None and xmin >= 1_000_000 and int(xmin // 1_000_000) == int(xmax // 1_000_000):
        zone = int(xmin // 1_000_000)  # eastings prefixed with the zone number, e.g. 34 500 000
        if 25 <= zone <= 45:
            epsg = 4513 + zone - 25
            return f"pass --srid {epsg} for CGCS2000 GK zone {zone} (CM {zone * 3}E)"
    centre = communities_centre()
    if centre is not None:
        try:
            return _gk_cm_hint(gauss_kruger_epsg(centre[0]))
        except ValueError:  # communities outside China's zones
            pass
    return "pass --srid with the file's projected CRS, e.g. 4534–4554 for the CGCS2000 3-degree Gauss–Krüger zones"


def communities_extent() -> tuple[float, float, float, float] | None:
    return Community.objects.aggregate(extent=Extent("boundary"))["extent"]


def communities_centre() -> tuple[float, float] | None:
    extent = communities_extent()
    return None if extent is None else ((extent[0] + extent[2]) / 2, (extent[1] + extent[3]) / 2)


def outside_hint(shapes, srs: SpatialReference) -> str:
    """Explain why no shape (lon/lat, shapely) lies in any community, and what --srid would fix it."""
    xmin, ymin, xmax, ymax = shapely.total_bounds(list(shapes))
    lon, lat = (xmin + xmax) / 2, (ymin + ymax) / 2
    cxmin, cymin, cxmax, cymax = communities_extent()
    clon, clat = (cxmin + cxmax) / 2, (cymin + cymax) / 2
    message = (_("所有要素都不在任何社区内：数据位于 %(lon).4f, %(lat).4f 附近，社区位于 %(clon).4f, %(clat).4f 附近；")
               % {"lon": lon, "lat": lat, "clon": clon, "clat": clat})
    margin = 0.1
    if cxmin - margin <= lat <= cxmax + margin and cymin - margin <= lon <= cymax + margin:
        return message + _("经纬度顺序颠倒：导出文件时请使 x = 经度，y = 纬度")
    if srs.projected and abs(lon - clon) > 1.5:
        try:
            return message + _("高斯-克吕格分带可能有误：%(hint)s") % {"hint": _gk_cm_hint(
                gauss_kruger_epsg(clon))}
        except ValueError:
            pass
    return message + _("请检查坐标系（--srid）和社区边界")
