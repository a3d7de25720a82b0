"""Vacancy visible from the first frame: the coarse level (one block per building, drawn from afar)
is coloured by each building's vacant share, as the 2D map colours buildings."""

from __future__ import annotations

import pytest

from buildings.models import Building, Room

pytestmark = pytest.mark.django_db(transaction=True)


def test_status_carries_each_buildings_vacant_share(client, model):
    community = model["community"]
    body = client.get(f"/3d/status.json?community={community.code}").json()
    b = model["buildings"][0]
    assert body["buildings"][str(b.pk)] == pytest.approx(5 / 15, abs=0.01)  # one room in three per floor
    Room.objects.filter(building=b, status="vacant").update(status="let")
    Building.objects.filter(pk=b.pk).update(vacant_count=0)  # (counters are trigger-kept on row updates too)
    body = client.get(f"/3d/status.json?community={community.code}").json()
    assert str(b.pk) not in body["buildings"]


def test_the_first_frame_colours_whole_buildings_by_vacancy(open_page, live_server, model):
    rp = open_page(width=1024, height=640)
    rp.page.goto(f"{live_server.url}/3d/")
    rp.page.wait_for_selector("body[data-ready='1']", timeout=180_000)
    colours = rp.page.evaluate("""([vacantId, fullId]) => {
        const f = (id) => ({getProperty: (k) => ({building_id: id, building: 'x'})[k]});
        const c = (id) => village3d.colourOf(f(id));
        return {vacant: [c(vacantId).red, c(vacantId).green], full: [c(fullId).red, c(fullId).green]};
    }""", [model["buildings"][1].pk, 999999])
    assert colours["vacant"][1] > colours["vacant"][0] + 0.15, colours  # green leads
    assert abs(colours["full"][1] - colours["full"][0]) < 0.05, colours  # grey: no vacancy known
