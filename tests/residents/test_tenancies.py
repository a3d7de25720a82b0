"""Letting and freeing rooms: locks, capacity under concurrency, idempotency, status, API."""

import threading
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import translation
from rest_framework.test import APIClient

from buildings.models import Room
from residents import services
from residents.ids import IdNumberError, check_character, validate_id_number
from residents.models import Person, Tenancy
from tests.factories import make_room


def person(n: int, sex: str = "1") -> services.PersonData:
    seq = f"{n * 2 + (1 if sex == '1' else 0):03d}"[-3:]
    first17 = f"53011219900101{seq}"
    return services.PersonData(name=f"租户{n}", id_number=first17 + check_character(first17), sex=sex)


@pytest.mark.django_db
def test_check_in_lets_the_room_and_is_idempotent(building):
    room = make_room(building, 2, "201", capacity=2)
    t1, created = services.check_in(room.pk, person(1), via="staff")
    assert created and Room.objects.get(pk=room.pk).status == Room.Status.LET
    t2, created = services.check_in(room.pk, person(1), via="staff")
    assert (t2.pk, created) == (t1.pk, False)
    assert Person.objects.count() == 1 and Tenancy.objects.count() == 1


@pytest.mark.django_db
def test_capacity_other_room_and_unavailable(building):
    room, other = make_room(building, 2, "201", capacity=1), make_room(building, 2, "202")
    services.check_in(room.pk, person(1), via="staff")
    with pytest.raises(services.RoomFull):
        services.check_in(room.pk, person(2), via="staff")
    with pytest.raises(services.AlreadyLivesElsewhere):
        services.check_in(other.pk, person(1), via="staff")
    Room.objects.filter(pk=other.pk).update(status=Room.Status.UNAVAILABLE)
    with pytest.raises(services.RoomUnavailable):
        services.check_in(other.pk, person(3), via="staff")
    with pytest.raises(services.NoSuchRoom):
        services.check_in(999_999, person(3), via="staff")


@pytest.mark.django_db
def test_check_out_frees_the_room_when_empty(building):
    room = make_room(building, 2, "201", capacity=2)
    services.check_in(room.pk, person(1), via="staff", start=date(2026, 1, 1))
    services.check_in(room.pk, person(2, "2"), via="staff", start=date(2026, 1, 1))
    services.check_out(room.pk, person(1).id_number, end=date(2026, 3, 1))
    assert Room.objects.get(pk=room.pk).status == Room.Status.LET
    services.check_out(room.pk, person(2, "2").id_number)
    assert Room.objects.get(pk=room.pk).status == Room.Status.VACANT
    with pytest.raises(services.NotLivingHere):
        services.check_out(room.pk, person(2, "2").id_number)
    assert Room.objects.all().sync_status() == 0  # status agrees with tenancies


@pytest.mark.django_db(transaction=True)
def test_capacity_holds_under_simultaneous_check_ins(building):
    """Twelve people try to move into a room for two at the same moment: exactly two succeed."""
    room = make_room(building, 3, "301", capacity=2)
    barrier = threading.Barrier(12)
    outcomes = []

    def attempt(n):
        try:
            barrier.wait()
            services.check_in(room.pk, person(n), via="staff")
            outcomes.append("in")
        except services.RoomFull:
            outcomes.append("full")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["full"] * 10 + ["in"] * 2
    assert Tenancy.objects.filter(room=room, end_date__isnull=True).count() == 2


def test_id_number_validation():
    assert validate_id_number("11010519491231002x") == "11010519491231002X"
    for bad, zh, en in [("11010519491231002Y", "1 位校验码", "check character"), ("110105194912310021", "校验码应为 X", "should be X"),
                        ("11010519491331002X", "出生日期 19491331 无效", "not a date"), ("1101051949123100", "17 位数字", "17 digits")]:
        with pytest.raises(IdNumberError, match=zh):
            validate_id_number(bad)
        with translation.override("en"), pytest.raises(IdNumberError, match=en):
            validate_id_number(bad)


@pytest.fixture
def staff(building):
    """The landlord of `building`."""
    from tests.idcard_helpers import make_landlord_user

    client = APIClient()
    client.force_authenticate(make_landlord_user(building, "staff"))
    return client


@pytest.mark.django_db
def test_check_in_api(staff, building):
    room = make_room(building, 2, "201")
    body = {"name": "张小花", "id_number": "11010519491231002X", "sex": "2"}
    r = staff.post(f"/api/rooms/{room.pk}/check-in/", body, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["person"] == "110105**********2X" and "张小花" not in r.content.decode()
    assert staff.post(f"/api/rooms/{room.pk}/check-in/", body, format="json").status_code == 200  # idempotent
    assert staff.post(f"/api/rooms/{room.pk}/check-in/", {**body, "sex": "1"}, format="json").status_code == 400
    bad = staff.post(f"/api/rooms/{room.pk}/check-in/", {**body, "id_number": "11010519491231002Y"}, format="json")
    assert bad.status_code == 400 and "1 位校验码" in bad.content.decode()
    assert staff.post("/api/rooms/999999/check-in/", body, format="json").status_code == 404
    out = staff.post(f"/api/rooms/{room.pk}/check-out/", {"id_number": body["id_number"]}, format="json")
    assert out.status_code == 200 and Room.objects.get(pk=room.pk).status == "vacant"


@pytest.mark.django_db
def test_check_in_api_is_scoped_by_role(building, two_grids):
    from accounts.models import StaffProfile
    from accounts.roles import Role, grant
    from tests.factories import make_building

    room = make_room(building, 2, "201")  # building B-1 lies in the west grid
    elsewhere = make_room(make_building("B-9", (250, 50, 270, 65)), 1, "101")  # east grid, no landlord
    body = {"name": "张小花", "id_number": "11010519491231002X", "sex": "2"}
    assert APIClient().post(f"/api/rooms/{room.pk}/check-in/", body, format="json").status_code in (401, 403)

    def client(username, *roles, grids=()):
        user = get_user_model().objects.create_user(username, is_staff=True)
        grant(user, *roles)
        if grids:
            StaffProfile.objects.create(user=user).grids.set(grids)
        c = APIClient()
        c.force_authenticate(user)
        return c

    # Staff status alone, a planner or the police (read only) may not let rooms.
    for c in (client("desk"), client("planner", Role.PLANNER), client("police", Role.POLICE)):
        assert c.post(f"/api/rooms/{room.pk}/check-in/", body, format="json").status_code == 403
    west_worker = client("west", Role.GRID_WORKER, grids=[two_grids[0]])
    east_worker = client("east", Role.GRID_WORKER, grids=[two_grids[1]])
    r = east_worker.post(f"/api/rooms/{room.pk}/check-in/", body, format="json")
    assert r.status_code == 403 and "不在您负责的楼栋或网格内" in r.json()["detail"] and not Tenancy.objects.exists()
    assert west_worker.post(f"/api/rooms/{room.pk}/check-in/", body, format="json").status_code == 201
    out = east_worker.post(f"/api/rooms/{room.pk}/check-out/", {"id_number": body["id_number"]}, format="json")
    assert out.status_code == 403 and Tenancy.objects.get().end_date is None
    landlord = client("owner2", Role.LANDLORD)  # a landlord account with no landlord on its profile
    assert landlord.post(f"/api/rooms/{elsewhere.pk}/check-in/", body, format="json").status_code == 403
    admin = client("admin", Role.ADMIN)
    assert admin.post(f"/api/rooms/{elsewhere.pk}/check-out/", {"id_number": body["id_number"]},
                      format="json").status_code == 404  # nobody of that number lives there
    assert admin.post("/api/rooms/999999/check-out/", {"id_number": body["id_number"]}, format="json").status_code == 404
