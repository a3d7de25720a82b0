"""Grid workers' pages: a table per role (grid worker: their grids only; community staff: any grid;
police, landlords, planners: 403; anonymous: the sign-in page), today's figures, the places to
visit, and checking out a tenant who left — with a reason, through the check-out service, audited."""

from __future__ import annotations

from datetime import timedelta

import pytest

from audit.models import AuditEntry
from buildings.models import Room
from residents.models import Tenancy
from tests.staff_helpers import client_for

pytestmark = pytest.mark.django_db

ANON = "login"
TABLE = {  # role → (home, own room, other grid's room, check-out own, check-out other)
    "grid_worker": (200, 200, 404, 302, 404),
    "community_staff": (200, 200, 200, 302, 302),
    "police": (403, 403, 403, 403, 403),
    "landlord": (403, 403, 403, 403, 403),
    "planner": (403, 403, 403, 403, 403),
    "anonymous": (ANON, ANON, ANON, ANON, ANON),
}


@pytest.mark.parametrize("role", list(TABLE))
def test_each_role_can_do_what_it_must_and_nothing_else(city, role):
    c = client_for(city["users"][role])
    rooms, people = city["rooms"], city["people"]
    calls = [
        ("get", "/grid/", {}),
        ("get", f"/grid/rooms/{rooms['w101'].pk}/", {}),
        ("get", f"/grid/rooms/{rooms['e102'].pk}/", {}),
        ("post", f"/grid/tenancies/{people['mover_now'].pk}/check-out/", {"reason": "moved_out"}),
        ("post", f"/grid/tenancies/{people['east'].pk}/check-out/", {"reason": "landlord"}),
    ]
    for (method, url, data), expected in zip(calls, TABLE[role]):
        response = getattr(c, method)(url, data)
        if expected == ANON:
            assert response.status_code == 302 and response["Location"].startswith("/login/"), (role, url)
        else:
            assert response.status_code == expected, (role, url, response.status_code, response.content[:300])
        if response.status_code == 200:
            body = response.content.decode()
            assert "租户" not in body or "租*" in body  # masked
            assert "530112199001" not in body
    ended = set(Tenancy.objects.filter(end_date__isnull=False).values_list("pk", flat=True))
    allowed = {"grid_worker": {people["mover_now"].pk}, "community_staff": {people["mover_now"].pk, people["east"].pk}}
    assert ended - {people["mover_before"].pk} == allowed.get(role, set())
    # every check-out is audited with its reason and the actor
    outs = AuditEntry.objects.filter(action="check_out", tenancy_id__in=allowed.get(role, set()))
    assert outs.count() == len(allowed.get(role, set()))
    assert all(e.actor == role and e.reason for e in outs)


def test_a_worker_sees_only_their_grids_figures_and_visits(city):
    worker = client_for(city["users"]["grid_worker"])
    page = worker.get("/grid/").content.decode()
    assert f'data-grid="{city["west"].code}"' in page and f'data-grid="{city["east"].code}"' not in page
    assert worker.get("/grid/", {"grid": city["east"].code}).status_code == 404
    ctx = worker.get("/grid/").context
    (card,) = ctx["cards"]
    # west: rooms w101 w102 w201 let by tenancies, w202 let by hand; the checked-out east room is vacant
    assert card["figures"] == {"vacant": 0, "let": 4, "registrations_week": 4, "late_week": 2, "past_lease_end": 1,
                               "living": 4}
    (visit,) = card["visits"]
    assert visit.building.code == "W-1"
    assert [r.number for r in visit.unregistered] == ["202"]
    assert [(r.number, r.occupants) for r in visit.crowded] == [("102", 2)]
    assert [t.pk for t in visit.lease_ended] == [city["people"]["mover_now"].pk]
    # the map: our style, the worker's grid, the building to visit; nothing from elsewhere
    config = ctx["config"]
    assert config["style"] == "/tiles/style.json" and config["grids"] == [city["west"].code]
    assert [f["properties"] for f in config["visits"]["features"]] == [{"code": "W-1", "count": 3}]
    # community staff pick any grid
    staff = client_for(city["users"]["community_staff"])
    east = staff.get("/grid/", {"grid": city["east"].code}).context["cards"][0]
    assert east["figures"]["past_lease_end"] == 1 and east["visits"][0].building.code == "E-1"


def test_check_out_needs_a_reason_and_a_sensible_date(city):
    worker = client_for(city["users"]["grid_worker"])
    t = city["people"]["west_ok"]
    url = f"/grid/tenancies/{t.pk}/check-out/"
    today = city["today"]
    for data, message in [({}, "原因"), ({"reason": "nonsense"}, "原因"), ({"reason": "other", "note": "走"}, "其他"),
                          ({"reason": "moved_out", "end": "soon"}, "日期"),
                          ({"reason": "moved_out", "end": (today + timedelta(days=1)).isoformat()}, "晚于今天"),
                          ({"reason": "moved_out", "end": (today - timedelta(days=30)).isoformat()}, "早于入住")]:
        refused = worker.post(url, data)
        assert refused.status_code == 400 and message in refused.content.decode(), data
    assert Tenancy.objects.get(pk=t.pk).end_date is None and not AuditEntry.objects.filter(tenancy_id=t.pk,
                                                                                            action="check_out").exists()
    done = worker.post(url, {"reason": "other", "note": "邻居反映已搬走两周", "end": (today - timedelta(days=1)).isoformat(),
                             "next": "https://elsewhere.example/"})
    assert done.status_code == 302 and done["Location"] == f"/grid/rooms/{t.room_id}/?done={t.pk}"
    t.refresh_from_db()
    assert t.end_date == today - timedelta(days=1) + timedelta(days=0) or t.end_date == t.start_date + timedelta(days=1)
    entry = AuditEntry.objects.get(action="check_out", tenancy_id=t.pk)
    assert entry.reason == "其他：邻居反映已搬走两周" and entry.actor == "grid_worker"
    assert worker.post(url, {"reason": "moved_out"}).status_code == 404  # already out
    # the room follows: the crowd tenant still lives in w102, so it stays let
    assert Room.objects.get(pk=t.room_id).status == "let"
    page = worker.get(f"/grid/rooms/{t.room_id}/", {"done": t.pk}).content.decode()
    assert 'id="done"' in page
