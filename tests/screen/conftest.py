"""A community with two courtyard grids, let and vacant rooms, tenants registered today and
earlier this week, a report that missed its deadline, coverage, a published rating — and a screen."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from coverage.levels import ensure_tables
from coverage.models import AreaCoverage, QualityLevel
from gis_core.assign import assign_points
from gis_core.models import Grid
from reports.models import Category, Report, ReportEvent
from residents.models import Person, Tenancy
from safety import defaults, services
from safety.models import CategoryWeight, Incident, IncidentCategory, RuleSet
from screen.models import Screen
from tests.factories import make_building, make_grid, make_room, point


def seed_hall(community, *, now=None):
    now = now or timezone.now()
    defaults.ensure()
    ensure_tables()
    if not Category.objects.exists():
        import importlib

        from django.apps import apps

        importlib.import_module("reports.migrations.0002_default_categories").add(apps, None)
    west = make_grid(community, 1, (0, 0, 200, 200), name="西院")
    east = make_grid(community, 2, (200, 0, 400, 200), name="东院")
    Grid.objects.filter(pk__in=[west.pk, east.pk]).update(kind=Grid.Kind.COURTYARD, valid_from=date(2015, 1, 1))
    w1 = make_building("W1", (50, 50, 90, 80), floors=3)
    e1 = make_building("E1", (250, 50, 290, 80), floors=3)
    rooms = [make_room(w1, 1 + i // 4, f"{1 + i // 4}{i % 4:02d}", status="let" if i < 6 else "vacant")
             for i in range(12)]
    rooms += [make_room(e1, 1, f"1{i:02d}", status="vacant") for i in range(5)]
    local = timezone.localtime(now)
    monday = datetime.combine(local.date() - timedelta(days=local.weekday()), time(9), tzinfo=local.tzinfo)
    registered = [now - timedelta(minutes=5), now - timedelta(minutes=20)] + [monday] * 3 + \
        [monday - timedelta(days=10)]
    for i, (room, at) in enumerate(zip(rooms[:6], registered)):
        person = Person.build(name=f"大屏{i}", id_number=f"53011219850101{i:03d}X", sex="2")
        person.save()
        Tenancy.objects.create(person=person, room=room, start_date=at.date() - timedelta(days=1),
                               registered_via=Tenancy.Via.STAFF, registered_at=at)
    level = QualityLevel.objects.get(table__code="en62676-4-2015", code="observe")
    AreaCoverage.objects.create(area=west, level=level, open_m2=1000.0, covered_m2=650.0)
    AreaCoverage.objects.create(area=east, level=level, open_m2=3000.0, covered_m2=600.0)
    safety_cat = Category.objects.get(code="safety")
    late = Report.objects.create(category=safety_cat, description="路灯坏了", location=point(100, 100))
    ReportEvent.objects.create(report=late, action="escalated", status=late.status, level=late.level)
    Report.objects.create(category=safety_cat, description="噪音", location=point(300, 100))
    RuleSet.objects.filter(community__isnull=True).update(active=False)
    rs = RuleSet.objects.create(name="大屏规则", community=community, grid_kinds=["courtyard"], min_residents=1,
                                yellow_at=Decimal("50"), red_at=Decimal("100"), published=True)
    CategoryWeight.objects.create(rule_set=rs, source="police", category="theft", weight=Decimal(1))
    incident = Incident.objects.create(occurred_at=now - timedelta(days=1), location=point(60, 60), source_id="s1",
                                       category=IncidentCategory.objects.get(code="theft"))
    assign_points(Incident, [incident.pk], set_community=True)
    services.rate(None, now=now)  # west: 1 theft over 6 residents = 166.7 per 1,000: red
    screen = Screen(community=community, name="服务大厅主屏")
    key = screen.issue_key()
    screen.save()
    return {"west": west, "east": east, "rooms": rooms, "screen": screen, "key": key, "rule_set": rs}


@pytest.fixture
def hall(community):
    return seed_hall(community)


@pytest.fixture(autouse=True)
def _fresh_figures():
    """The figures cache is per process: start each test without another test's figures."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
