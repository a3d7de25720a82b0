"""A few-KB SVG map for the phone page: the building among its neighbours, and its grid's boundary.

Drawn on the server from the stored EPSG:3857 copies, so the phone needs no map library and no
tiles: on a poor connection the map arrives with the page. Web Mercator keeps shapes and north-up;
coordinates are rounded to whole units of a 300 × 200 view box (about half a metre), which is
what keeps the markup small.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.gis.db.models import PointField
from django.contrib.gis.geos import GEOSGeometry, Polygon
from django.db.models import F, Value

from buildings.models import Building
from gis_core.spatial import WEB_MERCATOR_SRID, KnnDistance

WIDTH, HEIGHT = 300, 200
MIN_SPAN = 120.0  # EPSG:3857 units across (≈ 110 m on the ground at Kunming's latitude)
CONTEXT = 3.0  # the window is at least this many times the building's size
MAX_NEIGHBOURS = 150  # nearest first; bounds the page weight in the densest blocks


@dataclass(frozen=True)
class MiniMap:
    building: str  # SVG path data
    neighbours: str
    grid: str
    width: int = WIDTH
    height: int = HEIGHT
    # The basemap within the window (basemap/): water areas, rivers, streets by width, walls.
    water: str = ""
    river: str = ""
    roads: tuple[tuple[str, float], ...] = ()  # (path data, stroke width in view units), widest first
    walls: str = ""
    route: str = ""  # a walking route to the building, when the page was given one


class _Frame:
    """Maps EPSG:3857 coordinates into the view box (y down), centred on the building."""

    def __init__(self, footprint: GEOSGeometry):
        x0, y0, x1, y1 = footprint.extent
        span_x = max(MIN_SPAN, (x1 - x0) * CONTEXT, (y1 - y0) * CONTEXT * WIDTH / HEIGHT)
        span_y = span_x * HEIGHT / WIDTH
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        self.left, self.top, self.scale = cx - span_x / 2, cy + span_y / 2, WIDTH / span_x
        self.window = Polygon.from_bbox((self.left, self.top - span_y, self.left + span_x, self.top))
        self.window.srid = WEB_MERCATOR_SRID

    def path(self, coords, close: bool) -> str:
        points = []
        for x, y in coords:
            p = (round((x - self.left) * self.scale), round((self.top - y) * self.scale))
            if not points or p != points[-1]:
                points.append(p)
        if len(points) < 2:
            return ""
        head, *rest = points
        return f"M{head[0]} {head[1]}L" + " ".join(f"{x} {y}" for x, y in rest) + ("Z" if close else "")

    def polygons(self, geom: GEOSGeometry) -> str:
        polys = [geom] if geom.geom_type == "Polygon" else list(geom)
        return "".join(self.path(ring.coords[:-1], close=True) for poly in polys for ring in poly)

    def lines(self, geom: GEOSGeometry) -> str:
        if geom.empty:
            return ""
        parts = [geom] if geom.geom_type == "LineString" else list(geom)
        return "".join(self.path(line.coords, close=False) for line in parts if line.geom_type == "LineString")


# Stroke widths in ground metres per road rank group (basemap.models.Road.Rank): main roads,
# lanes, alleys and paths. Drawn wider than their lanes' metres would be thin on a phone.
ROAD_GROUPS = ((2, 12.0), (3, 6.0), (5, 3.0))


def _basemap(frame: _Frame) -> dict:
    from basemap.models import Barrier, Road, Water, Waterway

    def lines(qs) -> str:
        return "".join(frame.lines(g.intersection(frame.window)) for g in qs.values_list("geom_3857", flat=True))

    window = {"geom_3857__bboverlaps": frame.window}
    roads, low = [], 0
    for high, metres in ROAD_GROUPS:
        path = lines(Road.objects.filter(rank__gt=low, rank__lte=high, **window))
        if path:
            roads.append((path, round(metres * frame.scale, 1)))
        low = high
    water = "".join(frame.polygons(g.intersection(frame.window))
                    for g in Water.objects.filter(**window).values_list("geom_3857", flat=True)
                    if not g.intersection(frame.window).empty)
    return {"water": water, "river": lines(Waterway.objects.filter(**window)), "roads": tuple(roads),
            "walls": lines(Barrier.objects.filter(**window))}


def building_map(building: Building, route=None) -> MiniMap:
    """`route`: a walking route (a line in lon/lat, routing/) to draw to the building."""
    frame = _Frame(building.footprint_3857)
    centre = Value(building.footprint_3857.centroid, output_field=PointField(srid=WEB_MERCATOR_SRID))
    neighbours = (
        Building.objects.filter(footprint_3857__bboverlaps=frame.window).exclude(pk=building.pk)
        .order_by(KnnDistance(F("footprint_3857"), centre))
        .values_list("footprint_3857", flat=True)[:MAX_NEIGHBOURS]
    )
    grid = ""
    if building.grid is not None:
        # Only the boundary's stretch inside the window: a whole grid outline could be thousands
        # of vertices, and an intersected polygon would draw the window's edge as a boundary.
        grid = frame.lines(building.grid.boundary_3857.boundary.intersection(frame.window))
    return MiniMap(
        building=frame.polygons(building.footprint_3857),
        neighbours="".join(frame.polygons(f) for f in neighbours),
        grid=grid,
        route=frame.lines(route.transform(WEB_MERCATOR_SRID, clone=True).intersection(frame.window)) if route else "",
        **_basemap(frame),
    )
