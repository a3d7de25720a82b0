"""A small city for the police and grid-worker pages: two grids (west with a mesh), landlords,
rooms, tenants now and before, and one account per role — police, grid worker (west), community
staff (the administrator role), landlord, planner — plus anonymous visitors."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from accounts.models import StaffProfile
from accounts.roles import Role, grant
from buildings.models import Building, Landlord, Room
from residents import services
from residents.models import Tenancy
from tests.factories import make_building, make_room
from tests.idcard_helpers import id_number


def user(name, *roles, landlord=None, grids=()):
    u = get_user_model().objects.create_user(name, password="pw-" + name)
    if roles:
        grant(u, *roles)
    if landlord or grids:
        profile = StaffProfile.objects.create(user=u, landlord=landlord)
        profile.grids.set(grids)
    return u


def client_for(u) -> Client:
    c = Client()
    if u is not None:
        c.force_login(u)
    return c


def make_city(two_grids):
    west, east = two_grids
    today = timezone.localdate()
    a, b = Landlord.objects.create(name="房东甲"), Landlord.objects.create(name="房东乙")
    w = make_building("W-1", (50, 50, 90, 80), floors=3, landlord=a)
    e = make_building("E-1", (250, 50, 290, 80), floors=3, landlord=b)
    rooms = {"w101": make_room(w, 1, "101"), "w102": make_room(w, 1, "102"), "w201": make_room(w, 2, "201", capacity=1),
             "w202": make_room(w, 2, "202"), "e101": make_room(e, 1, "101"), "e102": make_room(e, 1, "102")}
    people = {}

    def move_in(key, n, room, start, **extra):
        data = services.PersonData(name=f"租户{n}号", id_number=id_number(n), sex="1", phone=f"1390000{n:04d}")
        t, _ = services.check_in(rooms[room].pk, data, via="staff", start=start)
        if extra:
            Tenancy.objects.filter(pk=t.pk).update(**extra)
            t.refresh_from_db()
        people[key] = t
        return t

    # a person who lived in the east and now lives in the west
    move_in("mover_before", 11, "e101", today - timedelta(days=400),
            registered_at=timezone.now() - timedelta(days=399))
    services.check_out(rooms["e101"].pk, tenancy_id=people["mover_before"].pk, end=today - timedelta(days=100))
    move_in("mover_now", 11, "w101", today - timedelta(days=90), lease_ends_on=today - timedelta(days=5))
    move_in("west_ok", 12, "w102", today - timedelta(days=2), lease_ends_on=today + timedelta(days=300))
    move_in("late", 13, "w201", today - timedelta(days=10))  # registered now: 10 days late
    move_in("east", 14, "e102", today - timedelta(days=30), lease_ends_on=today - timedelta(days=1))
    # w202 let with nobody registered; w201 over capacity (capacity lowered after check-in)
    Room.objects.filter(pk=rooms["w202"].pk).update(status="let")
    Room.objects.filter(pk=rooms["w201"].pk).update(capacity=1)
    move_in("crowd", 15, "w102", today - timedelta(days=1))
    Room.objects.filter(pk=rooms["w102"].pk).update(capacity=1)
    users = {
        "police": user("police", Role.POLICE),
        "grid_worker": user("grid_worker", Role.GRID_WORKER, grids=[west]),
        "community_staff": user("community_staff", Role.ADMIN),
        "landlord": user("landlord", Role.LANDLORD, landlord=a),
        "planner": user("planner", Role.PLANNER),
        "anonymous": None,
    }
    return {"west": west, "east": east, "buildings": {"w": w, "e": e}, "rooms": rooms, "people": people,
            "users": users, "landlords": (a, b), "today": today, "Building": Building}


def sign_in(rp, live_server, user) -> None:
    """The browser page signed in as `user` (a session made by the test client)."""
    c = client_for(user)
    rp.page.context.add_cookies([{"name": "sessionid", "value": c.cookies["sessionid"].value, "url": live_server.url}])


def shot(rp, name: str) -> None:
    """A screenshot in test-artifacts/, and in docs/img/ when DOCS_SCREENSHOTS=1 (the guides' pictures)."""
    import os
    from pathlib import Path

    rp.screenshot(name)
    if os.environ.get("DOCS_SCREENSHOTS") == "1":
        out = Path(__file__).resolve().parents[1] / "docs" / "img"
        out.mkdir(exist_ok=True)
        rp.page.screenshot(path=str(out / f"{name}.png"), full_page=True)
