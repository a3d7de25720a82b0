"""The card-reading hot path (kiosk/readings.py, kiosk/signature.py, residents/services.py):
it reads in SQL what the ORM code elsewhere reads, so these tests hold the two to each other —
the armed session, the operator's scope, the cached kiosk secret — and pin the statement count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import StaffProfile
from accounts.roles import Role, grant
from buildings.models import Building, Landlord, Room
from kiosk import signature
from registration.models import KioskCredential, KioskSession
from residents.models import Tenancy
from residents.scoping import rooms_for_registration, user_scope
from tests.factories import make_building, make_grid, make_room
from tests.idcard_helpers import arm, make_kiosk, make_landlord_user, payload, record, signed_post


@pytest.fixture
def scene(building):
    room = make_room(building, 2, "201", capacity=3)
    kiosk, secret = make_kiosk(building.community)
    operator = make_landlord_user(building)
    return kiosk, secret, room, operator


@pytest.mark.django_db
def test_a_reading_goes_to_the_session_the_orm_calls_armed(scene, building):
    kiosk, secret, room, operator = scene
    rooms = [make_room(building, 3, f"30{i}") for i in range(4)]
    now = timezone.now()
    later = now + timedelta(minutes=15)
    # Not armed: ended, expired, no room; and two armed ones, the later armed one wins.
    KioskSession.objects.create(kiosk=kiosk, operator=operator, room=rooms[0], armed_at=now + timedelta(seconds=9),
                                expires_at=later, ended_at=now)
    KioskSession.objects.create(kiosk=kiosk, operator=operator, room=rooms[1], armed_at=now + timedelta(seconds=9),
                                expires_at=now - timedelta(seconds=1))
    KioskSession.objects.create(kiosk=kiosk, operator=operator, room=None, armed_at=None, expires_at=later)
    KioskSession.objects.create(kiosk=kiosk, operator=operator, room=rooms[2], armed_at=now, expires_at=later)
    KioskSession.objects.create(kiosk=kiosk, operator=operator, room=rooms[3], armed_at=now + timedelta(seconds=5),
                                expires_at=later)
    expected = KioskSession.objects.armed(kiosk).first()
    r = signed_post(Client(), kiosk.code, secret, payload(record(1)))
    assert r.status_code == 201, r.content
    assert r.json()["room"] == expected.room_id == rooms[3].pk
    assert Tenancy.objects.get().room_id == rooms[3].pk


@pytest.mark.django_db
def test_the_operator_scope_agrees_with_the_querysets(community, two_grids):
    """Scope.covers (one building, no query) and Scope.q (querysets) give the same answer for
    every role and building."""
    west, east = two_grids
    mesh = make_grid(community, 11, (0, 0, 100, 100), name="网眼", parent=west)
    landlord = Landlord.objects.create(name="房东乙", phone="13900000000")
    other = Landlord.objects.create(name="房东丙", phone="13900000001")
    buildings = [make_building("W1", (10, 10, 20, 20)), make_building("W2", (150, 150, 160, 160)),
                 make_building("E1", (250, 50, 260, 60))]
    Building.objects.filter(pk=buildings[2].pk).update(landlord=landlord)
    Building.objects.filter(pk=buildings[1].pk).update(landlord=other)
    for b in buildings:
        make_room(b, 1, "101")
    from django.contrib.auth import get_user_model

    users = []
    for name, roles, profile in [("admin", [Role.ADMIN], {}), ("police", [Role.POLICE], {}),
                                 ("planner", [Role.PLANNER], {}), ("owner", [Role.LANDLORD], {"landlord": landlord}),
                                 ("worker", [Role.GRID_WORKER], {"grids": [mesh]}),
                                 ("both", [Role.GRID_WORKER, Role.LANDLORD], {"landlord": other, "grids": [east]})]:
        user = get_user_model().objects.create_user(name)
        grant(user, *roles)
        if profile:
            sp = StaffProfile.objects.create(user=user, landlord=profile.get("landlord"))
            sp.grids.set(profile.get("grids", []))
        users.append(get_user_model().objects.get(pk=user.pk))
    seen = {}
    for user in users:
        allowed = set(rooms_for_registration(user).values_list("building_id", flat=True))
        scope = user_scope(user, read=False)
        for b in Building.objects.all():
            covered = scope is not None and scope.covers(landlord_id=b.landlord_id, grid_id=b.grid_id,
                                                         mesh_id=b.mesh_id)
            assert covered == (b.pk in allowed), (user.username, b.code)
        seen[user.username] = sorted(Building.objects.filter(pk__in=allowed).values_list("code", flat=True))
    assert seen == {"admin": ["E1", "W1", "W2"], "police": [], "planner": [], "owner": ["E1"], "worker": ["W1"],
                    "both": ["E1", "W2"]}


@pytest.mark.django_db
def test_a_reissued_credential_or_renamed_kiosk_stops_the_cached_secret(scene):
    kiosk, secret, room, operator = scene
    arm(kiosk, operator, room)
    assert signed_post(Client(), kiosk.code, secret, payload(record(1))).status_code == 201
    assert kiosk.code in signature._credentials  # opened once, kept for the next reading
    new_secret = KioskCredential.issue(kiosk)
    r = signed_post(Client(), kiosk.code, secret, payload(record(2)))
    assert r.status_code == 401 and "签名无效" in r.json()["detail"]
    assert signed_post(Client(), kiosk.code, new_secret, payload(record(2))).status_code == 201
    old_code = kiosk.code
    type(kiosk).objects.filter(pk=kiosk.pk).update(code="530112001001-09")
    r = signed_post(Client(), old_code, new_secret, payload(record(3)))
    assert r.status_code == 401 and "没有凭据" in r.json()["detail"]
    assert signed_post(Client(), "530112001001-09", new_secret, payload(record(3))).status_code == 201
    KioskCredential.objects.filter(kiosk=kiosk).delete()
    r = signed_post(Client(), "530112001001-09", new_secret, payload(record(4)))
    assert r.status_code == 401 and Tenancy.objects.count() == 3


@pytest.mark.django_db
def test_a_linked_reading_costs_eight_statements(scene):
    """BEGIN, nonce, look-up, room lock, state, write, stored outcome, COMMIT — whatever the
    operator's role (the scope comes with the look-up)."""
    kiosk, secret, room, operator = scene
    arm(kiosk, operator, room)
    signed_post(Client(), kiosk.code, secret, payload(record(1)))  # opens and caches the secret
    with CaptureQueriesContext(connection) as queries:
        r = signed_post(Client(), kiosk.code, secret, payload(record(2)))
    assert r.status_code == 201, r.content
    sql = [q["sql"].split()[0] for q in queries.captured_queries]
    # (the test runs inside a transaction, so BEGIN and COMMIT are savepoints here)
    assert len(sql) == 8, [q["sql"][:70] for q in queries.captured_queries]
    assert Room.objects.get(pk=room.pk).status == Room.Status.LET


class Django:
    """Stands in for the rest of the WSGI stack: records what reached it."""

    def __init__(self):
        self.seen = []

    def __call__(self, environ, start_response):
        self.seen.append((environ["REQUEST_METHOD"], environ["PATH_INFO"]))
        start_response("418 I'm a teapot", [])
        return [b"django"]


def wsgi_post(app, path, body: bytes, headers: dict, method="POST"):
    import io
    from wsgiref.util import setup_testing_defaults

    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "CONTENT_TYPE": "application/json",
               "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body),
               **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}}
    setup_testing_defaults(environ)
    seen = {}

    def start_response(status, hdrs):
        seen["status"], seen["headers"] = status, dict(hdrs)

    out = b"".join(app(environ, start_response))
    return seen["status"], seen["headers"], out


@pytest.mark.django_db
def test_readings_are_answered_before_django_and_nothing_else_is(scene):
    import json

    from kiosk.agent import signing
    from kiosk.fastpath import ReadingFastPath
    from tests.idcard_helpers import PATH

    kiosk, secret, room, operator = scene
    arm(kiosk, operator, room)
    django_app = Django()
    app = ReadingFastPath(django_app)
    body = payload(record(1))
    signed = signing.sign(kiosk.code, secret, "POST", PATH, body)
    status, headers, out = wsgi_post(app, PATH, body, signed)
    assert status == "201 Created" and django_app.seen == []
    assert headers["Content-Type"] == "application/json" and int(headers["Content-Length"]) == len(out)
    assert json.loads(out)["outcome"] == "linked" and Tenancy.objects.get().room_id == room.pk
    # Refusals carry the view's own words: a replayed request, then a forged one.
    status, _, out = wsgi_post(app, PATH, body, signed)
    assert status.startswith("401") and "重放" in json.loads(out)["detail"]
    status, _, out = wsgi_post(app, PATH, body, signing.sign(kiosk.code, "not-the-secret", "POST", PATH, body))
    assert status.startswith("401") and "签名无效" in json.loads(out)["detail"]
    # …in the agent's language: the fast path honours Accept-Language as LocaleMiddleware does.
    forged_en = {**signing.sign(kiosk.code, "not-the-secret", "POST", PATH, body), "Accept-Language": "en"}
    status, _, out = wsgi_post(app, PATH, body, forged_en)
    assert status.startswith("401") and json.loads(out)["detail"] == "the signature does not verify"
    # Other methods and paths go to Django.
    wsgi_post(app, PATH, b"", {}, method="GET")
    wsgi_post(app, "/api/kiosk/readings/x/", body, {})
    assert django_app.seen == [("GET", PATH), ("POST", "/api/kiosk/readings/x/")]


@pytest.mark.django_db
def test_a_failure_inside_the_fast_path_is_a_503_the_agent_retries(scene, monkeypatch):
    import json

    from kiosk import readings
    from kiosk.agent import signing
    from kiosk.agent.client import RETRYABLE
    from kiosk.fastpath import ReadingFastPath
    from tests.idcard_helpers import PATH

    kiosk, secret, room, operator = scene
    arm(kiosk, operator, room)

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(readings, "_apply_new", broken)
    body = payload(record(1))
    status, _, out = wsgi_post(ReadingFastPath(Django()), PATH, body,
                               signing.sign(kiosk.code, secret, "POST", PATH, body))
    assert status.startswith("503") and int(status[:3]) in RETRYABLE and "重试" in json.loads(out)["detail"]
    assert not Tenancy.objects.exists()
