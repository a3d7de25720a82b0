"""The regenerated demo: dense walled courtyards along 2–4 m alleys, a gate on every wall, the
river on the east, all as basemap features — and every building reachable from a gate along the
alleys without crossing a wall."""

import pytest
import shapely
from django.db import connection
from shapely.ops import unary_union

from basemap.models import Barrier, Extract, Gate, Road, Waterway
from buildings.models import Building
from fixtures import load
from gis_core.models import Community
from gis_core.spatial import gauss_kruger_epsg

pytestmark = pytest.mark.django_db
EPSG = gauss_kruger_epsg(load.ORIGIN_LONLAT[0])


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load.load(1, seed=1, with_tenants=False)
        yield
        with connection.cursor() as cur:
            cur.execute("TRUNCATE buildings_room, buildings_building, buildings_landlord, gis_core_camera, kiosk_kiosk,"
                        " gis_core_grid, gis_core_community, basemap_extract CASCADE")


def local(model, where: str = "TRUE", params=()) -> list:
    """The model's geometries in local metres (Gauss–Krüger), as shapely (transformed in SQL:
    GEOS transforms one by one in Python take seconds per thousand)."""
    field = "footprint" if model is Building else "geom"
    with connection.cursor() as cur:
        cur.execute(f"SELECT ST_AsBinary(ST_Transform({field}, %s)) FROM {model._meta.db_table} WHERE {where}",
                    [EPSG, *params])
        return [shapely.from_wkb(bytes(row[0])) for row in cur.fetchall()]


def test_streets_are_basemap_features_of_the_demo_extract(demo):
    extract = Extract.objects.get()
    assert extract.name == f"demo:{Community.objects.get().code}"
    assert extract.counts["road"] > 100 and extract.counts["barrier"] == 24 and extract.counts["gate"] == 24
    assert Gate.objects.filter(main=True).count() == 10 and Gate.objects.filter(main=False).count() == 14
    assert not Gate.objects.filter(main=False, opens__isnull=True).exists()  # side gates close at night
    widths = list(Road.objects.filter(kind="alley").values_list("width_m", flat=True))
    assert widths and 2.0 <= min(widths) and max(widths) <= 4.0
    assert Road.objects.filter(kind="living_street", width_m=5).exists()  # the wider lanes
    assert Road.objects.filter(rank__lte=2).exclude(name="").count() >= 10  # named main roads
    river = Waterway.objects.get()
    community = Community.objects.get().boundary
    assert river.name == "船房河" and river.geom.centroid.x > community.centroid.x  # on the east side


def test_density_is_that_of_an_urban_village(demo):
    community_km2 = Community.objects.get().boundary.transform(EPSG, clone=True).area / 1e6
    buildings = local(Building)
    assert 700 <= len(buildings) / community_km2 <= 950  # ≈ 1,500 buildings on 1.8 km²
    walls = [shapely.Polygon(w.coords) for w in local(Barrier)]
    built = sum(b.area for b in buildings)
    inside = sum(w.area for w in walls)
    assert 0.40 <= built / inside <= 0.80  # courtyards packed: most of their ground is roofs
    for b in buildings[:200]:
        assert any(w.contains(b) for w in walls)  # every building inside a courtyard wall


def test_every_building_is_reachable_from_a_gate_without_crossing_a_wall(demo):
    walls = unary_union(local(Barrier))
    gates = local(Gate)
    noded = unary_union(local(Road))  # split at every crossing, as a routing graph would be
    segments = [s for s in shapely.get_parts(noded)]
    # A way may meet a wall only at a gate (the lane out of the courtyard), never pass through it.
    for s in segments:
        if s.crosses(walls):
            hits = s.intersection(walls)
            assert all(min(g.distance(p) for g in gates) < 0.05 for p in shapely.get_parts(hits)), "through a wall"
    # Connected pieces of the network (union-find on segment end points, to the centimetre).
    parent = {}

    def find(k):
        while parent.setdefault(k, k) != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    key = lambda xy: (round(xy[0], 2), round(xy[1], 2))  # noqa: E731
    for s in segments:
        a, b = key(s.coords[0]), key(s.coords[-1])
        parent[find(a)] = find(b)
    gate_roots = set()
    for g in gates:
        near = min(segments, key=g.distance)
        gate_roots.add(find(key(near.coords[0])))
    tree = shapely.STRtree(segments)
    unreachable = []
    for b in local(Building):
        close = [segments[i] for i in tree.query(b, predicate="dwithin", distance=3.6)]
        if not any(find(key(s.coords[0])) in gate_roots for s in close):
            unreachable.append(b.centroid.coords[0])
    assert unreachable == []


def test_cameras_stand_at_gates_and_lane_crossings_and_kiosks_by_gates(demo):
    gates = local(Gate)
    lanes = unary_union(local(Road, "rank >= 3"))
    cams = [shapely.from_wkb(bytes(row)) for row in _points("gis_core_camera")]
    assert len(cams) == 24
    for c in cams:
        assert min(g.distance(c) for g in gates) < 4 or lanes.distance(c) < 3
    kiosks = [shapely.from_wkb(bytes(row)) for row in _points("kiosk_kiosk")]
    assert len(kiosks) == 12 and all(min(g.distance(k) for g in gates) < 8 for k in kiosks)


def _points(table: str) -> list:
    with connection.cursor() as cur:
        cur.execute(f"SELECT ST_AsBinary(ST_Transform(location, %s)) FROM {table}", [EPSG])
        return [row[0] for row in cur.fetchall()]


def test_reseeding_replaces_the_streets_atomically(demo):
    import random

    from fixtures.layout import plan_community
    from fixtures.streets import write_streets

    community = Community.objects.get()
    before = Road.objects.count()
    plan = plan_community(random.Random("1:0"))
    with connection.cursor() as cur:
        write_streets(cur, plan, load._Geo(0), community.code, "川坊", {i: f"第{i}院" for i in range(24)})
    assert Road.objects.count() == before and Extract.objects.count() == 1
