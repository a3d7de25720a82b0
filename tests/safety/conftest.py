"""A community of two courtyard grids (west, east) with a mesh, buildings, let rooms and tenants,
and helpers to add incidents and rule sets — small enough that every figure is known by hand."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from buildings.models import Room
from gis_core.models import Grid
from residents.models import Person, Tenancy
from safety import defaults
from safety.models import CategoryWeight, Incident, IncidentCategory, RuleSet
from tests.factories import make_building, make_grid, make_room, point

MONTH = date(2026, 10, 1)
# Rating a past month: the window is the 30 days before 1 November 00:00 local time.
END = timezone.make_aware(datetime(2026, 11, 1))
NOW = timezone.make_aware(datetime(2026, 11, 20, 12))
_ids = itertools.count(1)


@pytest.fixture(autouse=True)
def shipped_defaults(request):
    """The categories and default rule set of migration 0002 (a transactional test elsewhere
    empties every table: put them back)."""
    if "db" not in request.fixturenames and "transactional_db" not in request.fixturenames:
        if request.node.get_closest_marker("django_db") is None:
            return
    request.getfixturevalue("transactional_db" if "transactional_db" in request.fixturenames else "db")
    defaults.ensure()


@pytest.fixture
def place(community):
    """west: courtyard grid with mesh west-1 and building W1 (20 residents in 10 let rooms);
    east: courtyard grid with building E1 (no residents)."""
    west = make_grid(community, 1, (0, 0, 200, 200), name="西院")
    east = make_grid(community, 2, (200, 0, 400, 200), name="东院")
    mesh = make_grid(community, 1, (0, 0, 200, 100), parent=west, name="西院1号网眼")
    # grids drawn long ago (a grid is rated for the months it was valid in)
    Grid.objects.filter(pk__in=[west.pk, east.pk]).update(kind=Grid.Kind.COURTYARD)
    Grid.objects.filter(pk__in=[west.pk, east.pk, mesh.pk]).update(valid_from=date(2015, 1, 1))
    w1 = make_building("W1", (50, 50, 70, 65))
    e1 = make_building("E1", (250, 50, 270, 65))
    rooms = [make_room(w1, 1 + i // 5, f"{1 + i // 5}{i % 5:02d}", status="let") for i in range(10)]
    for room in rooms:
        add_tenants(room, 2, start=date(2026, 9, 1))
    for g in (west, east, mesh):
        g.refresh_from_db()
    return {"community": community, "west": west, "east": east, "mesh": mesh, "w1": w1, "e1": e1, "rooms": rooms}


def add_tenants(room: Room, n: int, *, start: date, registered_days_late: int = 0, end: date | None = None):
    out = []
    for _ in range(n):
        i = next(_ids)
        person = Person.build(name=f"租户{i}", id_number=f"5301121990{i:07d}X", sex="1")
        person.save()
        registered = timezone.make_aware(datetime.combine(start + timedelta(days=registered_days_late), time(10)))
        out.append(Tenancy.objects.create(person=person, room=room, start_date=start, end_date=end,
                                          registered_via=Tenancy.Via.STAFF, registered_at=registered))
    return out


def add_incident(at: datetime | tuple[int, int], category="theft", *, x=60, y=57, building=None):
    """An incident at (x, y) metres (inside W1 by default), at a datetime or at (x, y) = at."""
    from gis_core.assign import assign_points

    inc = Incident.objects.create(occurred_at=at, category=IncidentCategory.objects.get(code=category),
                                  location=point(x, y), building=building, source_id=f"t{next(_ids)}")
    assign_points(Incident, [inc.pk], set_community=True)
    inc.refresh_from_db()
    return inc


def rule_set(community=None, *, weights=(("police", "theft", "1"),), **kw) -> RuleSet:
    """An active rule set for `community` (deactivating the shipped default when community is None)."""
    if community is None:
        RuleSet.objects.filter(community__isnull=True).update(active=False)
    fields = dict(name="测试规则", community=community, grid_kinds=["courtyard"], window_days=30,
                  min_residents=1, yellow_at=Decimal("50"), red_at=Decimal("100"))
    fields.update(kw)
    rs = RuleSet.objects.create(**fields)
    CategoryWeight.objects.bulk_create(CategoryWeight(rule_set=rs, source=s, category=c, weight=Decimal(w))
                                       for s, c, w in weights)
    return rs
