"""What a grid worker sees of their grids: today's figures and the list of places to visit.

Every rule is the product's own: "let" and "holds the room" (Tenancy.objects.occupying(),
gis_core/rules.py), late registration and lease end (residents.models.TenancyQuerySet), rooms let
without a tenant and rooms over capacity (buildings.models.RoomQuerySet); the grids and buildings
come from residents/scoping.py (`grid_scope`), narrowed to one grid with the querysets' in_grid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.db.models import Sum
from django.utils import timezone

from buildings.models import Building, Room
from gis_core.models import Grid
from residents.models import Tenancy
from residents.scoping import Scope

VISIT_ROWS = 200  # per kind of visit


def grids_of(scope: Scope):
    """The current grids (and meshes) a scope reaches: a worker's own, every grid for an administrator."""
    grids = Grid.objects.current().select_related("community").order_by("code")
    return grids.filter(level=Grid.Level.GRID) if scope.every else grids.filter(pk__in=scope.grid_ids)


def week_start(now=None) -> datetime:
    local = timezone.localtime(now)
    return datetime.combine(local.date() - timedelta(days=local.weekday()), time(), tzinfo=local.tzinfo)


def figures(grid: Grid, today=None) -> dict:
    """Today's figures of one grid (or mesh)."""
    today = today or timezone.localdate()
    monday = week_start()
    tenancies = Tenancy.objects.in_grid(grid)
    week = tenancies.registered_since(monday)
    return {
        "vacant": Building.objects.in_grid(grid).aggregate(n=Sum("vacant_count"))["n"] or 0,
        "let": Room.objects.in_grid(grid).let().count(),
        "registrations_week": week.count(),
        "late_week": week.registered_late().count(),
        "past_lease_end": tenancies.past_lease_end(today).count(),
        "living": tenancies.occupying().count(),
    }


@dataclass
class Visit:
    """One building to visit and why: rooms and tenancies."""

    building: Building
    unregistered: list = field(default_factory=list)  # rooms let without a tenant
    lease_ended: list = field(default_factory=list)  # tenancies past their lease end
    crowded: list = field(default_factory=list)  # rooms over capacity

    @property
    def count(self) -> int:
        return len(self.unregistered) + len(self.lease_ended) + len(self.crowded)


def visits(grid: Grid, today=None) -> list[Visit]:
    """The buildings of a grid to visit, most reasons first."""
    today = today or timezone.localdate()
    by_building: dict[int, Visit] = {}

    def visit(b):
        return by_building.setdefault(b.pk, Visit(b))

    rooms = Room.objects.in_grid(grid).select_related("building").order_by("building__code", "floor", "number")
    for r in rooms.let_without_tenant()[:VISIT_ROWS]:
        visit(r.building).unregistered.append(r)
    for r in rooms.over_capacity()[:VISIT_ROWS]:
        visit(r.building).crowded.append(r)
    ended = (Tenancy.objects.in_grid(grid).past_lease_end(today)
             .select_related("person", "room__building").order_by("lease_ends_on", "pk"))
    for t in ended[:VISIT_ROWS]:
        visit(t.room.building).lease_ended.append(t)
    return sorted(by_building.values(), key=lambda v: (-v.count, v.building.code))
