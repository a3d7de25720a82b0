"""The bounded search (routes/search.py) answers what a search of the whole network answers, also
where the shortest way leaves the first box around both ends."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from routes import search, services
from tests.routes.helpers import line, point

NOON = datetime(2026, 5, 1, 12, tzinfo=ZoneInfo(settings.TIME_ZONE))


def _loop(top: float, meander: bool):
    """Start by a short street S (x = 0, y 0–20), the building by T (x = 100, y 0–20): joined by a
    loop north (up x = 0 to y = top, across, down x = 100: 2 × (top − 20) + 100 m) and, when
    `meander`, by a winding alley south (1,200 m) that stays inside the first box."""
    from basemap.models import Road
    from basemap.services import replace_extract
    from tests.factories import make_building

    def write(e):
        ways = [((0, 0), (0, 20)), ((100, 0), (100, 20)),
                ((0, 20), (0, top)), ((0, top), (100, top)), ((100, top), (100, 20))]
        if meander:
            ways.append(((0, 0), (0, -280), (30, -280), (30, -10), (60, -10), (60, -280), (100, -280), (100, 0)))
        Road.objects.bulk_create([Road(extract_id=e, kind="footway", rank=5, geom=line(*w)) for w in ways])

    replace_extract(f"loop-{top}", "test", write)
    return (point(-3, 10).x, point(-3, 10).y), make_building("B-L", (103, 5, 113, 15))


def _dijkstra_calls(ctx):
    return sum("pgr_dijkstra" in q["sql"] for q in ctx.captured_queries)


def test_a_shorter_way_out_of_the_first_box_is_found(db, two_grids):
    start, building = _loop(400, meander=True)
    with CaptureQueriesContext(connection) as ctx:
        bounded = services.route(start, building.pk, at=NOON)
    whole = services.route(start, building.pk, at=NOON, bounded=False)
    # Up, across and down the loop (860 m and the ends), not the 1,200 m alley that the first box holds.
    assert 860 <= bounded.length_m <= 910, bounded.length_m
    assert bounded.length_m == pytest.approx(whole.length_m, abs=0.01)
    assert bounded.geometry.equals_exact(whole.geometry, 1e-9)
    # The first box alone gives the alley: its answer is not proved, the box grows to the ellipse.
    with connection.cursor() as cur:
        a, ends = services._snaps(cur, start, [building.pk])
        first = search.first_box(a, [ends[building.pk]])
        naive = search._paths(cur, search.edges_sql(cur.connection, a.extract, NOON, first), a,
                              [ends[building.pk]], False)
    assert search._best(naive, a, ends[building.pk]).length > 1_200
    assert bounded.geometry.transform(3857, clone=True).extent[3] > first[3]
    assert _dijkstra_calls(ctx) == 2
    assert services.lengths(start, [building.pk], at=NOON) == {
        building.pk: pytest.approx(bounded.length_m, abs=0.01)}


def test_nothing_connects_in_the_box_the_search_grows_to_the_whole_extract(db, two_grids):
    start, building = _loop(30_000, meander=False)  # the only way: 60 km round
    with CaptureQueriesContext(connection) as ctx:
        bounded = services.route(start, building.pk, at=NOON)
    whole = services.route(start, building.pk, at=NOON, bounded=False)
    assert bounded.length_m == pytest.approx(whole.length_m, abs=0.01)
    assert 60_060 <= bounded.length_m <= 60_110, bounded.length_m
    assert _dijkstra_calls(ctx) == 2 + search.GROW_TIMES  # the box, grown twice, the whole extract


def test_a_route_inside_the_box_is_proved_at_once(network):
    with CaptureQueriesContext(connection) as ctx:
        r = services.route((network["start"].x, network["start"].y), network["building"].pk, at=NOON)
    assert _dijkstra_calls(ctx) == 1
    assert r.length_m == pytest.approx(services.route((network["start"].x, network["start"].y),
                                                      network["building"].pk, at=NOON, bounded=False).length_m)


def test_the_exit_bound_never_overstates():
    # Two ends in a box 1,000 × 1,000 units: the nearest way out is the mirror image in a side.
    a = search.Snap(1, 1, 1, 2, 10.0, 0.5, 0.0, 100.0, 500.0, (0, 0, 0, 0))
    b = search.Snap(2, 1, 3, 4, 10.0, 0.5, 0.0, 300.0, 500.0, (0, 0, 0, 0))
    box = (0.0, 0.0, 1_000.0, 1_000.0)
    bound = search.exit_bound(box, a, b)
    # A walk to (0, 500) and back: 100 + 300 units; on the equator a unit is a metre (less 1 %).
    assert bound == pytest.approx(400 * 0.99, rel=1e-6)
    grown = search.ellipse_box(1_000.0, a, b, box)
    assert search.exit_bound(grown, a, b) >= 1_000.0


def test_no_open_way_is_proved_in_the_box_when_the_courtyard_touches_no_way_out(network):
    from basemap.models import Gate
    from gis_core.errors import Unprocessable

    Gate.objects.filter(name="北门").update(opens="06:00", closes="23:00", hours="06:00-23:00")
    night = datetime(2026, 5, 1, 23, 30, tzinfo=ZoneInfo(settings.TIME_ZONE))
    start = (network["start"].x, network["start"].y)
    with CaptureQueriesContext(connection) as ctx, pytest.raises(Unprocessable):
        services.route(start, network["building"].pk, at=night)
    # One search in the box, one look at the parts of the network there: not the whole extract.
    assert _dijkstra_calls(ctx) == 1
    assert sum("pgr_connectedComponents" in q["sql"] for q in ctx.captured_queries) == 1
    with pytest.raises(Unprocessable):
        services.route(start, network["building"].pk, at=night, bounded=False)
    assert services.lengths(start, [network["building"].pk], at=night) == {}


def test_hours_over_midnight_close_the_gate_by_day(network):
    from basemap.models import Gate

    Gate.objects.filter(name="南门").update(opens="22:00", closes="06:00", hours="22:00-06:00")
    night = datetime(2026, 5, 1, 23, 30, tzinfo=ZoneInfo(settings.TIME_ZONE))
    start = (network["start"].x, network["start"].y)
    by_day = services.route(start, network["building"].pk, at=NOON)
    assert by_day.length_m > 350 and Gate.objects.get(name="南门").pk in by_day.closed_gates
    at_night = services.route(start, network["building"].pk, at=night)
    assert at_night.length_m < 80 and at_night.closed_gates == []


def test_the_ends_are_snapped_by_the_index_not_a_scan_of_every_edge(network):
    # KNN on the edge index per end ("Order By" in the index scan), never every edge sorted by
    # distance (what the building's end did before: O(edges of the city) per route).
    start = network["start"]
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")  # a tiny table: plan as on a city's
        cur.execute("EXPLAIN " + services._SNAP.format(ends=f"{services._START} UNION ALL {services._BUILDINGS}"),
                    {"lon": start.x, "lat": start.y, "buildings": [network["building"].pk]})
        plan = "\n".join(r[0] for r in cur.fetchall())
    assert "routes_edge_g_gist" in plan and "Order By" in plan, plan
    assert "Sort" not in plan, plan
