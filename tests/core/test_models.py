"""Domain rules: database constraints, derived grid membership, vacancy vocabulary."""

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction

from buildings.models import Building, Landlord, Room
from gis_core.models import Camera, Grid
from kiosk.models import Kiosk
from residents.models import Person, Tenancy
from tests.factories import make_building, make_grid, make_room, mrect, point, rect

pytestmark = pytest.mark.django_db


def violates(name):
    """Context: the block must fail with the named database constraint, leaving the transaction usable."""
    class _Ctx:
        def __enter__(self):
            self.atomic = transaction.atomic()
            self.atomic.__enter__()

        def __exit__(self, exc_type, exc, tb):
            self.atomic.__exit__(exc_type, exc, tb)
            assert exc_type is IntegrityError, f"expected {name} to be violated, got {exc_type}"
            assert name in str(exc), str(exc)
            return True

    return _Ctx()


def test_room_numbers_unique_per_floor(building):
    make_room(building, 3, "301")
    make_room(building, 4, "301")  # same number on another floor is fine
    with violates("room_unique_number_per_floor"):
        make_room(building, 3, "301")


def test_room_capacity_at_least_one(building):
    with violates("room_capacity_positive"):
        make_room(building, 1, "101", capacity=0)


def test_tenancy_must_end_after_it_starts(building):
    room = make_room(building)
    person = Person.build(name="张三", id_number="11010519491231002X", sex="2")
    person.save()
    with violates("tenancy_dates_ordered"):
        Tenancy.objects.create(person=person, room=room, start_date=date(2026, 5, 1), end_date=date(2026, 5, 1),
                               registered_via="staff")


def test_one_open_tenancy_per_person(building):
    a, b = make_room(building, 1, "101"), make_room(building, 1, "102")
    person = Person.build(name="李四", id_number="11010519491231002X", sex="2")
    person.save()
    Tenancy.objects.create(person=person, room=a, start_date=date(2026, 1, 1), registered_via="staff")
    with violates("tenancy_one_open_per_person"):
        Tenancy.objects.create(person=person, room=b, start_date=date(2026, 2, 1), registered_via="staff")


def test_grid_tree_levels(community):
    grid = make_grid(community, 1, (0, 0, 200, 200))
    with violates("grid_tree_levels"):
        Grid.objects.create(community=community, level="mesh", code=grid.code + "001", name="孤立网眼",
                            boundary=mrect(0, 0, 100, 100))
    with violates("grid_tree_levels"):
        Grid.objects.create(community=community, parent=grid, level="grid", code=community.code + "009",
                            name="错层", boundary=mrect(0, 0, 100, 100))


def test_community_code_is_12_digits(db):
    from gis_core.models import Community

    with violates("community_code_12_digits"):
        Community.objects.create(code="53011200100", name="短码", boundary=mrect(0, 0, 10, 10))


def test_publishing_a_phone_needs_recorded_consent(db):
    with violates("landlord_consent_recorded"):
        Landlord.objects.create(name="王五", phone="13800000000", phone_consent=True)
    landlord = Landlord(name="王五", phone="13800000000")
    assert landlord.public_phone is None
    landlord.record_consent(Landlord.ConsentMethod.PAPER)
    landlord.save()
    assert Landlord.objects.consenting().get() == landlord
    assert landlord.public_phone == "13800000000"


def test_camera_needs_a_field_of_view(community):
    with violates("camera_fov_known"):
        Camera.objects.create(community=community, code="C1", name="无视场", location=point(10, 10),
                              mount_height_m=4, heading_deg=90)
    cam = Camera.objects.create(community=community, code="C2", name="镜头", location=point(10, 10),
                                mount_height_m=4, heading_deg=90, focal_length_mm=4, sensor_width_mm=5.37)
    assert cam.effective_hfov_deg == pytest.approx(67.8, abs=0.1)


def test_building_grid_follows_its_footprint(two_grids):
    west, east = two_grids
    b = make_building("B-1", (50, 50, 70, 65))
    assert (b.community_id, b.grid_id) == (west.community_id, west.id)
    b.footprint = rect(250, 50, 270, 65)
    b.save()
    b.refresh_from_db()
    assert b.grid_id == east.id
    assert list(Building.objects.in_grid(east)) == [b]
    assert not Building.objects.in_grid(west).exists()


def test_l_shaped_building_is_placed_by_a_point_inside_it(two_grids):
    """The centroid of this L lies in the east grid, but the whole footprint is in the west."""
    west, _ = two_grids
    from django.contrib.gis.geos import Polygon

    from tests.factories import lonlat

    ring = [(0, 0), (199, 0), (199, 10), (10, 10), (10, 199), (0, 199), (0, 0)]
    ell = Polygon([lonlat(x + 1, y) for x, y in ring], srid=4326)
    b = Building.objects.create(code="L", footprint=ell, floors=4)
    assert b.grid_id == west.id


def test_moving_a_grid_boundary_reassigns_buildings_cameras_and_kiosks(two_grids):
    west, east = two_grids
    b = make_building("B-edge", (160, 50, 180, 65))
    cam = Camera.objects.create(community=west.community, code="C1", name="路口", location=point(190, 100),
                                mount_height_m=4, heading_deg=0, hfov_deg=90)
    kiosk = Kiosk.objects.create(code="k1", name="一组", community=west.community, resident_group="第一居民小组",
                                 location=point(150, 20))
    assert b.grid_id == cam.grid_id == kiosk.grid_id == west.id
    # The boundary moves west to x = 140 m: everything between 140 and 200 changes grid.
    west.boundary = mrect(0, 0, 140, 200)
    west.save()
    east.boundary = mrect(140, 0, 400, 200)
    east.save()
    for obj in (b, cam, kiosk):
        obj.refresh_from_db()
        assert obj.grid_id == east.id, obj


def test_mesh_membership(two_grids):
    west, _ = two_grids
    north = make_grid(west.community, 1, (0, 100, 200, 200), parent=west)
    b = make_building("B-n", (20, 150, 40, 170))
    assert b.mesh_id == north.id and b.grid_id == west.id
    assert list(Building.objects.in_grid(north)) == [b]


def test_building_outside_every_community_is_refused(community):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="不在任何社区"):
        make_building("far", (5000, 5000, 5020, 5020))
    assert not Building.objects.exists()


def test_vacancy_vocabulary_and_status_sync(building):
    r1, r2, r3 = (make_room(building, 1, n) for n in ("101", "102", "103"))
    Room.objects.filter(pk=r3.pk).update(status=Room.Status.UNAVAILABLE)
    person = Person.build(name="赵六", id_number="11010519491231002X", sex="2")
    person.save()
    Tenancy.objects.create(person=person, room=r1, start_date=date.today() - timedelta(days=3), registered_via="staff")
    assert Room.objects.sync_status() == 1
    assert set(Room.objects.vacant()) == {r2}
    assert set(Room.objects.let()) == {r1}
    assert set(Room.objects.vacant().in_grid(building.grid)) == {r2}
    assert Room.objects.sync_status() == 0  # idempotent


def test_qr_token_is_unguessable_and_revocable(building):
    old = building.qr_token
    assert len(old) >= 22  # 128 random bits in URL-safe base64
    new = building.revoke_qr_token()
    assert new != old
    assert not Building.objects.filter(qr_token=old).exists()


def test_room_counters_follow_every_kind_of_write(building):
    """Kept by a statement trigger: ORM saves, bulk updates, raw SQL and deletes all count."""
    from django.db import connection

    rooms = [make_room(building, 1, f"10{i}") for i in range(1, 4)]

    def counts(b=building):
        b.refresh_from_db(fields=["room_count", "vacant_count", "let_count"])
        return b.room_count, b.vacant_count, b.let_count

    assert counts() == (3, 3, 0)
    Room.objects.filter(pk__in=[rooms[0].pk, rooms[1].pk]).update(status="let")
    assert counts() == (3, 1, 2)
    with connection.cursor() as cur:
        cur.execute("UPDATE buildings_room SET status = 'vacant' WHERE id = %s", [rooms[0].pk])
    assert counts() == (3, 2, 1)
    Room.objects.filter(pk=rooms[0].pk).update(status="unavailable")
    assert counts() == (3, 1, 1)
    rooms[2].delete()
    assert counts() == (2, 0, 1)
    other = make_building("B-2", (100, 100, 120, 115))
    Room.objects.filter(pk=rooms[1].pk).update(building=other)  # a let room moved to another building
    assert counts() == (1, 0, 0) and counts(other) == (1, 0, 1)
    building.address = "改了地址"
    building.save()  # a stale in-memory building never writes the counters back
    assert counts() == (1, 0, 0)
    # the same as counting the rooms
    for b in (building, other):
        assert counts(b) == (b.rooms.count(), b.rooms.filter(status="vacant").count(),
                             b.rooms.filter(status="let").count())


def test_rooms_without_an_outline_get_a_stable_derived_layout(building):
    r1, r2, r3 = make_room(building, 2, "201"), make_room(building, 2, "202"), make_room(building, 3, "301")
    for r in (r1, r2, r3):
        r.refresh_from_db()
    # Two strips on floor 2 splitting the footprint; floor 3's only room is the whole footprint.
    fp = building.footprint
    assert r1.layout.intersection(r2.layout).area < 1e-12
    assert abs(r1.layout.area + r2.layout.area - fp.area) < fp.area * 1e-6
    assert abs(r3.layout.area - fp.area) < fp.area * 1e-6
    assert r1.layout.centroid.x < r2.layout.centroid.x  # 201 at the west end
    before = r1.layout.wkt
    r3.delete()
    r1.refresh_from_db()
    assert r1.layout.wkt == before  # other floors untouched, results stable
    building.footprint = rect(50, 50, 90, 65)
    building.save()
    r1.refresh_from_db()
    assert r1.layout.area > 0 and building.footprint.covers(r1.layout.buffer(-1e-9))


def test_saving_a_room_keeps_its_derived_layout(building):
    room = make_room(building, 1, "101")  # the instance predates the layout computed on insert
    assert room.layout is None
    room.status = Room.Status.LET
    room.save()
    room.refresh_from_db()
    assert room.layout is not None and room.status == Room.Status.LET


def test_a_room_carries_its_buildings_community(building, community):
    """Copied by triggers for the vacant-search indexes; follows the building, never set by hand."""
    from buildings.models import Room
    from gis_core.models import Community
    from tests.factories import make_community, make_room

    room = make_room(building, 1, "101")
    assert Room.objects.get(pk=room.pk).community_id == community.pk
    Room.objects.filter(pk=room.pk).update(community_id=None)  # a hand-made value is overruled
    assert Room.objects.get(pk=room.pk).community_id == community.pk
    other = make_community(code="530112009001", name="别的社区", extent=(1000, 0, 1400, 200))
    Building = type(building)
    Building.objects.filter(pk=building.pk).update(community=other)
    assert Room.objects.get(pk=room.pk).community_id == other.pk
    assert Community.objects.count() == 2


def test_saving_a_stale_building_keeps_the_trigger_kept_counts(building):
    from buildings.models import Building, Room
    from tests.factories import make_room

    stale = Building.objects.get(pk=building.pk)
    make_room(building, 1, "101")
    Room.objects.create(building=building, floor=1, number="102", area_m2=20, rent_monthly=800, status="let")
    stale.address = "新地址"
    stale.save()
    fresh = Building.objects.get(pk=building.pk)
    assert (fresh.address, fresh.room_count, fresh.vacant_count) == ("新地址", 2, 1)
