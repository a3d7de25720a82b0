"""Small builders for test data in lon/lat, laid out in metres around a point near Kunming."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.gis.geos import MultiPolygon, Point, Polygon

from gis_core.spatial import local_transformers

ORIGIN = (102.66, 25.03)
_fwd, _inv = local_transformers(ORIGIN[0])
_ox, _oy = _fwd.transform(*ORIGIN)


def lonlat(x: float, y: float) -> tuple[float, float]:
    """Metres east/north of ORIGIN → (lon, lat)."""
    return _inv.transform(_ox + x, _oy + y)


def rect(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    ring = [lonlat(x0, y0), lonlat(x1, y0), lonlat(x1, y1), lonlat(x0, y1), lonlat(x0, y0)]
    return Polygon(ring, srid=4326)


def mrect(*args) -> MultiPolygon:
    return MultiPolygon(rect(*args), srid=4326)


def point(x: float, y: float) -> Point:
    return Point(*lonlat(x, y), srid=4326)


def make_community(code="530112001001", name="测试社区", extent=(0, 0, 400, 200)):
    from gis_core.models import Community

    return Community.objects.create(code=code, name=name, boundary=mrect(*extent))


def make_grid(community, code_seq: int, extent, *, parent=None, name=None):
    from gis_core.models import Grid

    level = Grid.Level.MESH if parent else Grid.Level.GRID
    code = (parent.code if parent else community.code) + f"{code_seq:03d}"
    return Grid.objects.create(
        community=community, parent=parent, level=level, code=code, name=name or f"网格{code_seq}",
        boundary=mrect(*extent),
    )


def make_building(code: str, extent, *, floors=6, community=None, landlord=None):
    from buildings.models import Building

    return Building.objects.create(
        code=code, footprint=rect(*extent), floors=floors, community=community, landlord=landlord,
        address=f"测试路 {code} 号",
    )


def make_room(building, floor=1, number="101", *, capacity=2, status="vacant", rent=800, area=20):
    from buildings.models import Room

    return Room.objects.create(
        building=building, floor=floor, number=number, capacity=capacity, status=status,
        rent_monthly=Decimal(rent), area_m2=Decimal(area),
    )


def make_camera(community, code="C1", at=(60, 100), heading=90.0, **kw):
    """A camera at (x, y) metres, looking `heading` degrees clockwise from north."""
    from gis_core.models import Camera

    fields = dict(mount_height_m=3.5, tilt_deg=20, hfov_deg=90, resolution_h=2560, resolution_v=1440, range_m=60)
    fields.update(kw)
    return Camera.objects.create(community=community, code=code, name=code, location=point(*at),
                                 heading_deg=heading, **fields)
