"""The change pipeline (gis_core/changes.py): every write path reports once, set-based; memberships
and derived rows follow inside the transaction, caches only after the commit; nothing below the
pipeline imports the apps that listen to it."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from buildings.models import Building, Room
from gis_core import changes
from gis_core.models import Camera, Grid
from kiosk.models import Kiosk
from tests.factories import make_building, make_camera, make_community, make_grid, make_room, mrect, point, rect

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def heard():
    """Every Change delivered, as (signal name, change), in order."""
    got = []

    def written(sender, change, **kw):
        got.append(("written", change))

    def committed(sender, change, **kw):
        got.append(("changed", change))

    changes.located_written.connect(written, dispatch_uid="test-written")
    changes.located_changed.connect(committed, dispatch_uid="test-changed")
    yield got
    changes.located_written.disconnect(dispatch_uid="test-written")
    changes.located_changed.disconnect(dispatch_uid="test-changed")


def _of(heard, signal, model):
    return [c for s, c in heard if s == signal and c.model == model]


def test_a_moved_building_is_reported_once_with_old_and_new_place(two_grids, heard, django_capture_on_commit_callbacks):
    west, east = two_grids
    b = make_building("B-1", (50, 50, 70, 65))
    heard.clear()
    with django_capture_on_commit_callbacks(execute=True):
        b.footprint = rect(250, 50, 270, 65)
        b.save()
        assert [c.ids for c in _of(heard, "written", "buildings.Building")] == [{b.pk}]
        assert not _of(heard, "changed", "buildings.Building")  # caches wait for the commit
    (change,) = _of(heard, "changed", "buildings.Building")
    assert change.moved and not change.removed and change.communities == {west.community_id}
    xs = sorted(box[0] for box in change.boxes)
    assert len(xs) == 2 and xs[1] - xs[0] > 150  # the old place and the new, 200 m apart
    assert change.old[b.pk].equals(rect(50, 50, 70, 65)) and change.new[b.pk].equals(rect(250, 50, 270, 65))
    assert b.grid_id == east.pk  # the instance got its re-derived grid


def test_an_attribute_save_is_not_a_move(building, heard, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        building.address = "新地址"
        building.save(update_fields=["address", "updated_at"])
    (change,) = _of(heard, "changed", "buildings.Building")
    assert not change.moved and change.fields == {"address", "updated_at"} and change.only({"address", "updated_at"})


def test_a_rolled_back_edit_tells_no_cache(building, heard):
    with pytest.raises(RuntimeError), transaction.atomic():
        building.footprint = rect(250, 50, 270, 65)
        building.save()
        raise RuntimeError
    assert _of(heard, "written", "buildings.Building") and not _of(heard, "changed", "buildings.Building")


def test_reporting_is_set_based(community, two_grids):
    few = [make_building(f"F{i}", (10 + 5 * i, 10, 13 + 5 * i, 13)).pk for i in range(2)]
    many = [make_building(f"M{i}", (10 + 5 * i, 120, 13 + 5 * i, 123)).pk for i in range(30)]
    counts = []
    for ids in (few, many):
        Building.objects.filter(pk__in=ids).update(grid=None, mesh=None)
        with CaptureQueriesContext(connection) as q:
            changes.geometry_changed(Building, ids)
        counts.append(len(q))
    assert counts[0] == counts[1]  # the same statements for 2 buildings as for 30
    assert not Building.objects.filter(pk__in=few + many, grid__isnull=True).exists()


def test_a_room_change_is_drawn_over_its_building(scene, heard, django_capture_on_commit_callbacks):
    room = scene["rooms"][0]
    with django_capture_on_commit_callbacks(execute=True):
        Room.objects.filter(pk=room.pk).update(status=Room.Status.LET)
        changes.attributes_changed(Room, [room.pk], fields={"status"})
    (change,) = _of(heard, "changed", "buildings.Room")
    b = scene["building"]
    assert change.ids == {room.pk} and change.communities == {b.community_id} and not change.moved
    assert change.boxes == (tuple(b.footprint.transform(3857, clone=True).extent),)


def test_a_boundary_edit_reports_the_rows_it_re_placed_as_membership_only(two_grids, heard,
                                                                         django_capture_on_commit_callbacks):
    west, east = two_grids
    inside = make_building("IN", (150, 50, 170, 60))
    untouched = make_building("OUT", (20, 20, 30, 30))
    cam = make_camera(west.community, at=(160, 100))
    heard.clear()
    with django_capture_on_commit_callbacks(execute=True):
        east.boundary = mrect(140, 0, 400, 200)  # both sides of the edge now cover 140–200: take it
        east.save()
        west.boundary = mrect(0, 0, 140, 200)
        west.save()
    grids = _of(heard, "changed", "gis_core.Grid")
    assert [c.ids for c in grids] == [{east.pk}, {west.pk}] and all(c.moved for c in grids)
    placed = _of(heard, "changed", "buildings.Building")
    assert {inside.pk} == set().union(*(c.ids for c in placed)) and all(c.only(changes.MEMBERSHIP) for c in placed)
    assert untouched.pk not in set().union(*(c.ids for c in placed))
    assert Building.objects.get(pk=inside.pk).grid_id == east.pk
    assert Camera.objects.get(pk=cam.pk).grid_id == east.pk


def test_deleting_a_grid_re_places_what_lay_in_it(two_grids, heard, django_capture_on_commit_callbacks):
    west, _ = two_grids
    b = make_building("B-1", (50, 50, 70, 65))
    backup = make_grid(west.community, 7, (0, 0, 200, 200), name="备用网格")
    assert Building.objects.get(pk=b.pk).grid_id == west.pk  # the lower id wins an overlap
    west_id = west.pk
    with django_capture_on_commit_callbacks(execute=True):
        west.delete()
    assert Building.objects.get(pk=b.pk).grid_id == backup.pk
    (gone,) = _of(heard, "changed", "gis_core.Grid")
    assert gone.removed and gone.ids == {west_id}


def test_a_point_feature_is_placed_only_when_placed_or_moved(two_grids, heard, django_capture_on_commit_callbacks):
    west, east = two_grids
    kiosk = Kiosk.objects.create(code="k9", name="终端", community=west.community, resident_group="组",
                                 location=point(60, 40))
    assert kiosk.grid_id == west.pk
    with django_capture_on_commit_callbacks(execute=True):
        kiosk.location = point(300, 40)
        kiosk.save()
        kiosk.name = "改名"
        kiosk.save()
    assert kiosk.grid_id == east.pk
    moved, renamed = _of(heard, "changed", "kiosk.Kiosk")[-2:]
    assert moved.moved and not renamed.moved and "name" in (renamed.fields or {"name"})


def test_a_grid_ending_today_or_starting_tomorrow_places_nothing(community):
    today = timezone.localdate()
    make_grid(community, 1, (0, 0, 200, 200))
    Grid.objects.update(valid_from=today - dt.timedelta(days=30), valid_to=today)
    b = make_building("B-1", (50, 50, 70, 65))
    assert b.grid_id is None
    Grid.objects.update(valid_from=today + dt.timedelta(days=1), valid_to=None)
    changes.geometry_changed(Building, [b.pk])
    assert Building.objects.get(pk=b.pk).grid_id is None
    Grid.objects.update(valid_from=today)
    changes.geometry_changed(Building, [b.pk])
    assert Building.objects.get(pk=b.pk).grid_id is not None


def test_a_building_moved_into_another_community_names_both(two_grids, heard, django_capture_on_commit_callbacks):
    west, _ = two_grids
    other = make_community(code="530112001002", name="东社区", extent=(400, 0, 800, 200))
    b = make_building("B-1", (50, 50, 70, 65))
    make_room(b)
    with django_capture_on_commit_callbacks(execute=True):
        Building.objects.filter(pk=b.pk).update(footprint=rect(500, 50, 520, 65))
        changes.geometry_changed(Building, [b.pk], {b.pk: b.footprint})
    (change,) = _of(heard, "changed", "buildings.Building")
    assert change.communities == {west.community_id, other.pk}
    assert Building.objects.get(pk=b.pk).community_id == other.pk
    assert Room.objects.get(building=b).layout.within(rect(499, 49, 521, 66))  # rooms laid out there


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module.split(".")[0])
    return found


# The apps that listen to the pipeline, and what may import them: themselves, the project's wiring,
# the kiosk page (a reader: it embeds the tile style), and the apps built on top of them that write
# nothing located — the safety rating (reads coverage figures, refreshes its own tile layers) and
# the big screen (reads them all) — and the basemap, a tile source of its own outside the pipeline
# (no located rows: an extract is swapped whole and refreshes its own tiles, basemap/services.py).
LISTENERS = {"tiles", "coverage", "model3d"}
MAY_IMPORT_LISTENERS = {*LISTENERS, "project", "tests", "bench", "kiosk/views.py", "safety", "screen", "basemap"}


def test_dependencies_run_one_way():
    """Writers — models, services, importers, the seed, the pipeline itself — report to the pipeline;
    none reaches up into the apps that listen to it."""
    packages = [d for d in ROOT.iterdir() if (d / "__init__.py").exists() and d.name not in MAY_IMPORT_LISTENERS]
    assert {"gis_core", "buildings", "residents", "planner", "fixtures"} <= {d.name for d in packages}
    offenders = [path.relative_to(ROOT).as_posix() for d in packages for path in sorted(d.rglob("*.py"))
                 if "migrations" not in path.parts and path.relative_to(ROOT).as_posix() not in MAY_IMPORT_LISTENERS
                 and _imports(path) & LISTENERS]
    assert offenders == []


def test_a_community_boundary_moved_re_places_what_it_swept(two_grids, django_capture_on_commit_callbacks):
    west, _ = two_grids
    a = west.community
    b = make_community(code="530112001002", name="东社区", extent=(400, 0, 800, 200))
    make_grid(b, 1, (400, 0, 800, 200))
    there = make_building("B-420", (420, 50, 440, 65))
    assert there.community_id == b.pk
    with django_capture_on_commit_callbacks(execute=True):
        a.boundary = mrect(0, 0, 500, 200)
        a.save()
        b.boundary = mrect(500, 0, 800, 200)
        b.save()
    there.refresh_from_db()
    assert there.community_id == a.pk and there.grid_id is None  # in no grid of its new community yet


def _layouts(building):
    return {r.number: r.layout for r in Room.objects.filter(building=building)}


def test_rooms_added_renumbered_or_removed_are_laid_out_again(building, heard):
    r1 = make_room(building, 1, "101")
    whole = _layouts(building)["101"]
    r2 = make_room(building, 1, "102")  # two strips now
    assert _layouts(building)["101"].area == pytest.approx(whole.area / 2, rel=1e-6)
    (change,) = [c for c in _of(heard, "written", "buildings.Room") if c.ids == {r2.pk}]
    assert change.moved and change.within == {building.pk}
    r2.number = "100"  # now first in number order: the strips swap
    r2.save()
    layouts = _layouts(building)
    assert layouts["100"].centroid.x < layouts["101"].centroid.x
    Room.objects.filter(pk=r2.pk).delete()  # a set-based delete too
    assert _layouts(building)["101"].equals_exact(whole, 1e-12)
    r1.rent_monthly = 900
    r1.save(update_fields=["rent_monthly"])
    assert _of(heard, "written", "buildings.Room")[-1].only({"rent_monthly"})


def test_a_bulk_room_load_reports_once_and_gets_laid_out(building):
    rooms = Room.objects.bulk_create([Room(building=building, floor=1, number=f"10{i}", area_m2=20, rent_monthly=800)
                                      for i in range(1, 4)])
    assert all(r.layout is None for r in Room.objects.filter(building=building))
    changes.geometry_changed(Room, [r.pk for r in rooms])
    assert not Room.objects.filter(building=building, layout__isnull=True).exists()
