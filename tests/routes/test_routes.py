"""Walking routes on a hand-made network: the shortest path, a closed gate's detour, walls."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from basemap.models import Gate
from routes import services
from routes.models import Edge
from tests.routes.helpers import point

TZ = ZoneInfo(settings.TIME_ZONE)
NOON, NIGHT = datetime(2026, 5, 1, 12, tzinfo=TZ), datetime(2026, 5, 1, 23, 30, tzinfo=TZ)


def _start(network):
    return network["start"].x, network["start"].y


def test_the_network_is_cut_at_crossings_and_walls_stop_the_path_without_a_gate(network):
    # Streets cut where the lane meets them (T junctions), the lane where the footpath ends on it:
    # 2 + 2 street pieces, 2 on the west street, 4 lane pieces: cut at the junction and at each
    # gate, the two halves at a gate carrying it.
    assert Edge.objects.count() == 10
    assert sorted(Edge.objects.filter(gate__isnull=False).values_list("gate__name", flat=True)) == [
        "北门", "北门", "南门", "南门"]
    # The footpath through the west wall (no gate there) is not in the network.
    assert not Edge.objects.filter(geom__intersects=point(0, 45).buffer(1e-5)).exists()


def test_shortest_route_by_day_goes_through_the_south_gate(network):
    r = services.route(_start(network), network["building"].pk, at=NOON)
    # 5 m to the street, 20 to the gate, 45 up the lane, 5 to the building's door.
    assert 70 <= r.length_m <= 80, r.length_m
    assert r.minutes == 1
    assert r.geometry.length > 0 and r.geometry.geom_type in ("LineString", "MultiLineString")


def test_a_closed_gate_makes_a_detour_and_the_wall_is_not_crossed(network):
    r = services.route(_start(network), network["building"].pk, at=NIGHT)
    # Round by the west and north streets, in at the north gate: not the footpath through the wall.
    assert 350 <= r.length_m <= 380, r.length_m
    south = Gate.objects.get(name="南门")
    assert south.pk in r.closed_gates
    assert r.minutes == 5


def test_no_route_when_every_way_in_is_closed(network):
    from gis_core.errors import Unprocessable

    Gate.objects.filter(name="北门").update(opens="06:00", closes="23:00", hours="06:00-23:00")
    with pytest.raises(Unprocessable):
        services.route(_start(network), network["building"].pk, at=NIGHT)


def test_lengths_to_many_buildings_in_one_search(network):
    from tests.factories import make_building

    far = make_building("B-2", (55, 80, 65, 90))
    found = services.lengths(_start(network), [network["building"].pk, far.pk], at=NOON)
    assert found[network["building"].pk] == pytest.approx(
        services.route(_start(network), network["building"].pk, at=NOON).length_m, abs=0.5)
    assert found[far.pk] > found[network["building"].pk] + 30
    night = services.lengths(_start(network), [network["building"].pk], at=NIGHT)
    assert night[network["building"].pk] > 350

