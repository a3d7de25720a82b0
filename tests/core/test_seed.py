"""The demo community must be believable: counts in range, geometry a planner would accept."""

import random

import pytest
import shapely
from django.core.management import CommandError, call_command
from django.db import connection

from buildings.models import Building, Landlord, Room
from fixtures import load
from fixtures.layout import plan_community
from fixtures.people import check_character
from gis_core.models import Camera, Community, Grid
from gis_core.spatial import gauss_kruger_epsg
from kiosk.models import Kiosk
from residents.models import Person, Tenancy


def scalar(sql, params=()):
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()[0]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Load the reference community once for this module (kept in the test db until its end)."""
    with django_db_blocker.unblock():
        stats = load.load(1, seed=1)
        yield stats
        with connection.cursor() as cur:
            cur.execute("TRUNCATE residents_tenancy, residents_person, buildings_room, buildings_building, "
                        "buildings_landlord, gis_core_camera, kiosk_kiosk, gis_core_grid, gis_core_community, "
                        "basemap_extract CASCADE")


pytestmark = pytest.mark.django_db


def test_counts_are_those_of_a_chuanfang_like_community(demo):
    assert Community.objects.count() == 1
    area_km2 = scalar("SELECT ST_Area(boundary::geography) / 1e6 FROM gis_core_community")
    assert 1.7 < area_km2 < 1.9
    assert Grid.objects.grids().count() == 24
    assert 48 <= Grid.objects.meshes().count() <= 96
    assert 1300 <= Building.objects.count() <= 1700
    rooms = Room.objects.count()
    assert 25_000 <= rooms <= 36_000
    assert 0.15 <= Room.objects.vacant().count() / rooms <= 0.25
    assert Camera.objects.count() == 24 and Camera.objects.ptz().count() == 4 and Camera.objects.fixed().count() == 20
    assert Kiosk.objects.count() == 12
    assert Kiosk.objects.values("resident_group").distinct().count() == 12
    consenting = Landlord.objects.consenting().count() / Landlord.objects.count()
    assert 0.7 < consenting < 0.9
    assert Person.objects.count() == Tenancy.objects.active().count() == demo.tenants > 20_000
    floors = Building.objects.values_list("floors", flat=True)
    assert min(floors) == 4 and max(floors) == 9


def test_footprints_never_overlap_or_touch(demo):
    # Handshake buildings stand 0.4–1 m apart; none may overlap or even touch (0.3 m margin).
    # Measured in the local Gauss–Krüger zone: geography distance is not sub-metre accurate
    # between polygons (it answers 0 for footprints half a metre apart).
    close = scalar("""
        SELECT count(*) FROM buildings_building a JOIN buildings_building b
          ON a.id < b.id AND a.footprint && ST_Expand(b.footprint, 0.00001)
         AND ST_DWithin(ST_Transform(a.footprint, %s), ST_Transform(b.footprint, %s), 0.3)""",
                   [gauss_kruger_epsg(102.64)] * 2)
    assert close == 0


def test_every_building_lies_wholly_inside_exactly_one_grid_and_mesh(demo):
    for level in ("grid", "mesh"):
        bad = scalar("""
            SELECT count(*) FROM buildings_building b WHERE 1 <> (
              SELECT count(*) FROM gis_core_grid g WHERE g.level = %s AND ST_Intersects(g.boundary, b.footprint)
                 AND ST_Area(ST_Intersection(g.boundary, b.footprint)) > 0)""", [level])
        assert bad == 0, level
        outside = scalar(f"""
            SELECT count(*) FROM buildings_building b JOIN gis_core_grid g ON g.id = b.{level}_id
             WHERE NOT ST_CoveredBy(b.footprint, g.boundary)""")
        assert outside == 0, level
    assert not Building.objects.filter(grid__isnull=True).exists()
    assert not Building.objects.filter(mesh__isnull=True).exists()


def test_grids_tile_the_community_and_meshes_tile_their_grid(demo):
    # No gaps: the union covers the parent; no overlaps: the areas add up to the union's.
    gap, overlap = [round(v, 1) for v in (
        scalar("""SELECT ST_Area(ST_Difference(c.boundary, ST_Union(g.boundary))::geography)
                  FROM gis_core_community c JOIN gis_core_grid g ON g.community_id = c.id AND g.level = 'grid'
                  GROUP BY c.boundary"""),
        scalar("""SELECT sum(ST_Area(boundary::geography)) - ST_Area(ST_Union(boundary)::geography)
                  FROM gis_core_grid WHERE level = 'grid'"""),
    )]
    assert gap < 1 and overlap < 1
    worst = scalar("""
        SELECT max(d) FROM (
          SELECT abs(ST_Area(p.boundary::geography) - ST_Area(ST_Union(m.boundary)::geography))
               + abs(sum(ST_Area(m.boundary::geography)) - ST_Area(ST_Union(m.boundary)::geography)) AS d
            FROM gis_core_grid p JOIN gis_core_grid m ON m.parent_id = p.id GROUP BY p.id, p.boundary) x""")
    assert worst < 1  # m², against grids of several hectares


def test_codes_follow_the_standard(demo):
    community = Community.objects.get()
    codes = list(Grid.objects.grids().values_list("code", flat=True))
    assert codes == [f"{community.code}{n:03d}" for n in range(1, 25)]
    # 001 is in the north-west, 024 in the south-east (west→east, then north→south).
    first, last = (Grid.objects.get(code=c).boundary.centroid for c in (codes[0], codes[-1]))
    assert first.x < last.x and first.y > last.y
    for mesh in Grid.objects.meshes().select_related("parent")[:20]:
        assert mesh.code.startswith(mesh.parent.code) and len(mesh.code) == 18


def test_room_status_agrees_with_tenancies_and_capacity(demo):
    assert Room.objects.all().sync_status() == 0
    over = scalar("""SELECT count(*) FROM (SELECT r.id FROM buildings_room r JOIN residents_tenancy t
                     ON t.room_id = r.id AND t.end_date IS NULL GROUP BY r.id, r.capacity
                     HAVING count(*) > r.capacity) x""")
    assert over == 0
    assert Room.objects.filter(floor__gt=9).count() == 0


def test_rents_and_areas_are_realistic(demo):
    lo, hi, median = (scalar(f"SELECT {f}(rent_monthly) FROM buildings_room") for f in ("min", "max", "avg"))
    assert 200 <= lo and hi <= 2000 and 450 <= median <= 1000
    assert 12 <= scalar("SELECT min(area_m2) FROM buildings_room")
    assert scalar("SELECT max(area_m2) FROM buildings_room") <= 50


def test_tenants_are_sealed_masked_and_valid(demo):
    for person in Person.objects.order_by("?")[:50]:
        idn = person.unseal_id_number()
        assert len(idn) == 18 and check_character(idn[:17]) == idn[17]
        assert person.id_number_masked == idn[:6] + "*" * 10 + idn[-2:]
        assert bytes(person.id_number_sealed).find(idn.encode()) == -1
        assert person.sex == ("1" if int(idn[16]) % 2 else "2")
        assert Person.find_by_id_number(idn) == person


def test_cameras_and_kiosks_are_inside_grids(demo):
    assert not Camera.objects.filter(grid__isnull=True).exists()
    assert not Kiosk.objects.filter(grid__isnull=True).exists()


def test_layout_is_deterministic_for_a_seed():
    a, b, c = (plan_community(random.Random(s)) for s in ("1:0", "1:0", "2:0"))
    wkb = lambda p: [shapely.to_wkb(x.footprint) for x in p.buildings]  # noqa: E731
    assert wkb(a) == wkb(b)
    assert wkb(a) != wkb(c)


def test_seed_command_refuses_to_mix_with_existing_data(demo):
    with pytest.raises(CommandError, match="数据库已有数据：用 --if-empty 跳过"):
        call_command("seed_demo")
    call_command("seed_demo", "--if-empty")  # a no-op, not an error
    assert Community.objects.count() == 1
    with pytest.raises(CommandError, match="at least 1"):
        call_command("seed_demo", "--scale", "0")


@pytest.mark.django_db(transaction=False)
def test_city_scale_communities_do_not_overlap(demo):
    stats = load.load(2, seed=1, with_tenants=False, first=1)
    assert stats.communities == 2 and stats.tenants == 0
    assert Room.objects.filter(building__community__code__gt="530112001001", status="let").count() == 0
    overlaps = scalar("""SELECT count(*) FROM gis_core_community a JOIN gis_core_community b
                         ON a.id < b.id AND ST_Intersects(a.boundary, b.boundary)""")
    assert overlaps == 0
    assert Grid.objects.grids().count() == 72


def test_every_room_has_a_shape_inside_its_building(demo):
    assert not Room.objects.filter(layout__isnull=True).exists()
    outside = scalar("""SELECT count(*) FROM buildings_room r JOIN buildings_building b ON b.id = r.building_id
                        WHERE NOT ST_Covers(ST_Buffer(b.footprint, 1e-7), r.layout)""")
    assert outside == 0
    counters = scalar("""SELECT count(*) FROM buildings_building b WHERE room_count <> (SELECT count(*)
                         FROM buildings_room r WHERE r.building_id = b.id) OR vacant_count <> (SELECT count(*)
                         FROM buildings_room r WHERE r.building_id = b.id AND r.status = 'vacant')""")
    assert counters == 0


def test_the_seed_goes_through_the_change_pipeline(demo):
    """When the seed returns, what follows from where things are is there (gis_core/changes.py):
    every active camera's views, the 3D mark, and rooms laid out by the one layout rule."""
    from buildings.layout import relayout
    from coverage.models import ViewBand
    from model3d.models import TilesetState

    cameras = set(Camera.objects.filter(active=True).values_list("pk", flat=True))
    assert cameras and cameras == set(ViewBand.objects.values_list("camera_id", flat=True))
    assert TilesetState.objects.filter(community__in=Community.objects.all(), dirty_since__isnull=False).exists()
    some = list(Building.objects.order_by("pk").values_list("pk", flat=True)[:20])
    before = dict(Room.objects.filter(building_id__in=some).values_list("pk", "layout"))
    relayout(some)
    after = dict(Room.objects.filter(building_id__in=some).values_list("pk", "layout"))
    assert before and all(before[k].equals_exact(after[k], tolerance=0) for k in before)
