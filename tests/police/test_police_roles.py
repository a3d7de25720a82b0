"""What each role may do on the police pages (a table per role): police do everything here;
community staff (administrators) read the feed and registers but neither search a person by ID
number nor unmask without the police role itself; grid workers, landlords and planners get 403;
anonymous visitors go to the sign-in page."""

from __future__ import annotations

import pytest

from audit.models import AuditEntry
from tests.idcard_helpers import id_number
from tests.staff_helpers import client_for

pytestmark = pytest.mark.django_db

ANON = "login"  # a redirect to the sign-in page

# role → expected answer for each operation
TABLE = {
    "police": {"home": 200, "feed": 200, "csv": 200, "building": 200, "room": 200, "search": 200, "lookup": 200,
               "history": 200, "unmask": 200},
    "community_staff": {"home": 200, "feed": 200, "csv": 200, "building": 200, "room": 200, "search": 200,
                        "lookup": 403, "history": 403, "unmask": 403},
    "grid_worker": {op: 403 for op in ("home", "feed", "csv", "building", "room", "search", "lookup", "history",
                                       "unmask")},
    "landlord": {op: 403 for op in ("home", "feed", "csv", "building", "room", "search", "lookup", "history",
                                    "unmask")},
    "planner": {op: 403 for op in ("home", "feed", "csv", "building", "room", "search", "lookup", "history",
                                   "unmask")},
    "anonymous": {"home": ANON, "feed": ANON, "csv": ANON, "building": ANON, "room": ANON, "search": ANON,
                  "lookup": ANON, "history": ANON, "unmask": 401},
}


def _operations(city):
    person = city["people"]["mover_now"].person_id
    return {
        "home": ("get", "/police/", {}),
        "feed": ("get", "/police/feed/", {}),
        "csv": ("get", "/police/feed.csv", {"reason": "月度核查"}),
        "building": ("get", f"/police/buildings/{city['buildings']['w'].pk}/", {}),
        "room": ("get", f"/police/rooms/{city['rooms']['w101'].pk}/", {}),
        "search": ("get", "/police/buildings/", {"q": "W-1"}),
        "lookup": ("post", "/police/lookup/", {"id_number": id_number(11), "reason": "案件核查需要"}),
        "history": ("post", f"/police/persons/{person}/history/", {"reason": "案件核查需要"}),
        "unmask": ("post", f"/police/persons/{person}/unmask/", {"reason": "案件核查需要"}),
    }


@pytest.mark.parametrize("role", list(TABLE))
def test_each_role_can_do_what_it_must_and_nothing_else(city, role):
    c = client_for(city["users"][role])
    for op, (method, url, data) in _operations(city).items():
        response = getattr(c, method)(url, data)
        expected = TABLE[role][op]
        if expected == ANON:
            assert response.status_code == 302 and response["Location"].startswith("/login/"), (role, op)
        else:
            assert response.status_code == expected, (role, op, response.status_code, response.content[:300])
        if response.status_code == 200 and op != "csv":
            assert "租户11号" not in response.content.decode() or op == "unmask", (role, op)
    # only the police acts that reach a person are audited, each with its reason
    lookups = AuditEntry.objects.filter(action="lookup")
    assert lookups.count() == (2 if role == "police" else 0)
    assert all(e.reason == "案件核查需要" for e in lookups)


def test_registers_show_who_lives_there_now_and_before_masked(city):
    c = client_for(city["users"]["police"])
    room = c.get(f"/police/rooms/{city['rooms']['e101'].pk}/").content.decode()
    assert "租户11号" not in room and "租*" in room and id_number(11)[-2:] in room  # masked: 6 + ** + 2
    now, before = room.split('id="before"')
    assert "目前没有登记住户" in now and "530112" in before  # the mover lived here before
    building = c.get(f"/police/buildings/{city['buildings']['w'].pk}/").content.decode()
    now, before = building.split('id="before"')
    assert now.count('class="occupant"') == 4  # mover, west_ok, late, crowd
    assert "没有退租记录" in before
    assert c.get("/police/rooms/999999/").status_code == 404
    found = c.get("/police/buildings/", {"q": "测试路 W-1"}).content.decode()
    assert f"/police/buildings/{city['buildings']['w'].pk}/" in found


def test_history_lists_tenancies_current_and_past_with_rooms_and_dates(city):
    c = client_for(city["users"]["police"])
    page = c.post("/police/lookup/", {"id_number": id_number(11), "reason": "案件核查需要"}).content.decode()
    assert page.count('class="tenancy') == 2 and page.count('class="tenancy current"') == 1
    w101, e101 = city["rooms"]["w101"], city["rooms"]["e101"]
    assert page.index(f"/police/rooms/{w101.pk}/") < page.index(f"/police/rooms/{e101.pk}/")  # newest first
    before = city["people"]["mover_before"]
    assert f"{before.end_date.year}年{before.end_date.month}月{before.end_date.day}日" in page  # a human date
    assert "租户11号" not in page and id_number(11) not in page
    # unmasking stays a separate, audited act
    assert f"/police/persons/{before.person_id}/unmask/" in page
    assert not AuditEntry.objects.filter(action="unmask").exists()
