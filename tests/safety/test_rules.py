"""Rule evaluation on hand-built cases: each threshold at, just below and just above its value.

The west grid has 20 residents in 10 let rooms, all registered on time; the east grid none. With
min_residents = 1, one theft in west is 1000 × 1 / 20 = 50.000 weighted incidents per 1,000.
"""

from datetime import timedelta
from decimal import Decimal

import pytest

from coverage.levels import ensure_tables
from coverage.models import AreaCoverage, QualityLevel
from reports.models import Category, Report, ReportEvent
from safety import evaluate, services
from safety.models import Rating, RuleSet
from tests.factories import point
from tests.safety.conftest import END, MONTH, NOW, add_incident, add_tenants, rule_set


def rate():
    return services.rate(MONTH, now=NOW)


def colour(grid) -> str:
    return Rating.objects.get(grid=grid, month=MONTH).colour


@pytest.mark.parametrize("yellow_at, red_at, expected", [
    ("50", "100", "yellow"),       # exactly at yellow: yellow
    ("50.001", "100", "green"),    # just above the rate: green
    ("49.999", "100", "yellow"),
    ("10", "50", "red"),           # exactly at red: red
    ("10", "50.001", "yellow"),
    ("0", "0", "red"),             # thresholds of 0: any place is red
])
def test_incident_rate_thresholds(place, yellow_at, red_at, expected):
    rule_set(yellow_at=Decimal(yellow_at), red_at=Decimal(red_at))
    add_incident(END - timedelta(days=3))
    rate()
    r = Rating.objects.get(grid=place["west"], month=MONTH)
    assert (r.residents, r.incidents, r.weighted, r.rate) == (20, 1, Decimal("1.000"), Decimal("50.000"))
    assert r.colour == r.computed_colour == expected
    assert r.levels["incidents"] == ["green", "yellow", "red"].index(expected)
    assert r.by_category == {"police:theft": 1}
    # the east grid, no incident, is green unless the thresholds are 0
    assert colour(place["east"]) == ("red" if red_at == "0" else "green")


def test_window_includes_its_start_and_excludes_its_end(place):
    rule_set()
    add_incident(END - timedelta(days=30))             # the first instant of the window: counted
    add_incident(END)                                   # 1 November 00:00: the next month
    add_incident(END - timedelta(days=30, seconds=1))   # before the window
    rate()
    assert Rating.objects.get(grid=place["west"], month=MONTH).incidents == 1


def test_weights_default_weight_and_min_residents(place):
    rule_set(weights=[("police", "theft", "2"), ("police", "fight", "0")], default_weight=Decimal("0.5"),
             min_residents=40)
    for category in ("theft", "fight", "fraud"):
        add_incident(END - timedelta(days=1), category)
    rate()
    r = Rating.objects.get(grid=place["west"], month=MONTH)
    # theft 2 + fight 0 + fraud (not listed) 0.5 = 2.5, over max(20, 40) residents
    assert (r.incidents, r.weighted, r.rate) == (3, Decimal("2.500"), Decimal("62.500"))
    assert r.colour == "yellow"
    assert r.by_category == {"police:theft": 1, "police:fight": 1, "police:fraud": 1}


def test_incident_in_an_alley_counts_for_its_grid(place):
    rule_set()
    inc = add_incident(END - timedelta(days=1), x=120, y=150)  # open ground in west, no building
    assert inc.grid == place["west"] and inc.building is None
    rate()
    assert Rating.objects.get(grid=place["west"], month=MONTH).incidents == 1


def _coverage(grid, percent: str):
    ensure_tables()
    level = QualityLevel.objects.get(table__code="en62676-4-2015", code="observe")
    AreaCoverage.objects.create(area=grid, level=level, open_m2=1000.0, covered_m2=float(Decimal(percent) * 10))
    return level


@pytest.mark.parametrize("yellow_below, red_below, expected", [
    ("50.0", "20.0", "green"),    # exactly at the yellow limit: not below it
    ("50.1", "20.0", "yellow"),
    ("60.0", "50.0", "yellow"),   # exactly at the red limit: below yellow's only
    ("60.0", "50.1", "red"),
    (None, None, "green"),        # term off
])
def test_coverage_thresholds(place, yellow_below, red_below, expected):
    level = _coverage(place["west"], "50.0")
    rule_set(yellow_at=Decimal("900"), red_at=Decimal("900"), coverage_level=level,
             coverage_yellow_below=None if yellow_below is None else Decimal(yellow_below),
             coverage_red_below=None if red_below is None else Decimal(red_below))
    rate()
    r = Rating.objects.get(grid=place["west"], month=MONTH)
    assert r.coverage_pct == 50.0
    assert r.colour == expected
    assert r.levels["coverage"] == (None if yellow_below is None else ["green", "yellow", "red"].index(expected))
    # no coverage figure for the east grid: the term does not apply there
    east = Rating.objects.get(grid=place["east"], month=MONTH)
    assert east.coverage_pct is None and east.levels["coverage"] is None and east.colour == "green"


@pytest.mark.parametrize("yellow_below, red_below, expected", [
    ("90.0", "50.0", "green"),   # 9 of 10 rooms on time = 90.0 %: not below 90
    ("90.1", "50.0", "yellow"),
    ("95.0", "90.0", "yellow"),
    ("95.0", "90.1", "red"),
])
def test_registration_on_time_thresholds(place, yellow_below, red_below, expected):
    # one more tenant in one room, registered 4 days after moving in (the deadline is 3 days):
    # that room is no longer "all on time"; a tenant registered on day 3 is on time.
    rooms = place["rooms"]
    add_tenants(rooms[0], 1, start=MONTH, registered_days_late=4)
    add_tenants(rooms[1], 1, start=MONTH, registered_days_late=3)
    rule_set(yellow_at=Decimal("900"), red_at=Decimal("900"),
             registered_yellow_below=Decimal(yellow_below), registered_red_below=Decimal(red_below))
    rate()
    r = Rating.objects.get(grid=place["west"], month=MONTH)
    assert (r.residents, r.registered_pct) == (22, 90.0)
    assert r.colour == expected


def test_tenants_counted_on_the_rating_day(place):
    """A tenancy that ended before the month's last day, or starts after it, is not a resident."""
    rooms = place["rooms"]
    add_tenants(rooms[2], 1, start=MONTH - timedelta(days=60), end=END.date() - timedelta(days=2))
    add_tenants(rooms[3], 1, start=END.date() + timedelta(days=1))
    add_tenants(rooms[4], 1, start=MONTH, end=END.date())  # ends on 1 November: still there on 31 October
    rule_set()
    rate()
    assert Rating.objects.get(grid=place["west"], month=MONTH).residents == 21


def _overdue_report(grid_point=(60, 40), missed=True, at=None):
    r = Report.objects.create(category=Category.objects.get(code="safety"), description="x",
                              location=point(*grid_point), created_at=at or END - timedelta(days=2))
    if missed:
        ReportEvent.objects.create(report=r, action="escalated", status=r.status, level=r.level)
    return r


@pytest.mark.parametrize("yellow_at, red_at, expected", [(2, 3, "yellow"), (3, 4, "green"), (1, 2, "red")])
def test_overdue_reports_thresholds(place, yellow_at, red_at, expected):
    _overdue_report()
    _overdue_report()
    _overdue_report(missed=False)                               # on time: not counted
    _overdue_report(at=END - timedelta(days=31))                # before the window
    rule_set(yellow_at=Decimal("900"), red_at=Decimal("900"), overdue_yellow_at=yellow_at, overdue_red_at=red_at,
             weights=[])
    rate()
    r = Rating.objects.get(grid=place["west"], month=MONTH)
    assert r.overdue_reports == 2
    assert r.colour == expected
    # resident reports are incidents too (weight 0 here, so only counted)
    assert r.by_category == {"reports:safety": 3}


def test_only_configured_kinds_meshes_and_buildings_are_rated(place):
    rule_set(rate_meshes=True, rate_buildings=True)
    add_incident(END - timedelta(days=1), building=place["w1"])
    rate()
    ratings = {(r.level, (r.grid or r.building).code): r for r in Rating.objects.filter(month=MONTH)}
    assert set(ratings) == {("grid", place["west"].code), ("grid", place["east"].code),
                            ("mesh", place["mesh"].code), ("building", "W1"), ("building", "E1")}
    assert ratings[("building", "W1")].incidents == 1 and ratings[("building", "W1")].residents == 20
    assert ratings[("mesh", place["mesh"].code)].incidents == 1
    RuleSet.objects.update(grid_kinds=["basic"], rate_meshes=False, rate_buildings=False)
    rate()
    assert not Rating.objects.filter(month=MONTH).exists()  # courtyard grids are no longer rated


def test_community_rule_set_wins_over_the_default(place, community):
    default = RuleSet.objects.get(community__isnull=True)
    own = rule_set(community, yellow_at=Decimal("0"), red_at=Decimal("0"))
    result = rate()
    assert result.rule_sets == 1
    assert set(Rating.objects.values_list("rule_set", flat=True)) == {own.pk} != {default.pk}
    assert Rating.objects.get(grid=place["west"], month=MONTH).rules["red_at"] == "0.000"


def test_preview_counts_without_writing(place):
    rs = rule_set()
    add_incident(END - timedelta(days=1))
    rate()
    rs.red_at = Decimal("40")
    rows = evaluate.preview(evaluate.Spec.of(rs), [place["community"].pk],
                            evaluate.window_for(MONTH, rs.window_days, NOW))
    by_code = {r["code"]: r for r in rows}
    assert by_code[place["west"].code]["colour"] == "red" and by_code[place["west"].code]["current"] == "yellow"
    assert colour(place["west"]) == "yellow"  # nothing written


def test_month_in_progress_and_future_month(place):
    from gis_core.errors import BadRequest

    rule_set()
    add_incident(NOW - timedelta(days=1))
    result = services.rate(NOW.date().replace(day=1), now=NOW)
    r = Rating.objects.get(grid=place["west"], month=NOW.date().replace(day=1))
    assert result.ratings == 2 and r.incidents == 1 and r.window_end == NOW
    with pytest.raises(BadRequest):
        services.rate((NOW + timedelta(days=40)).date(), now=NOW)
