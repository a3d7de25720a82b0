"""A re-imported building that moved takes everything derived from its footprint along: its grid,
its rooms' drawn layout (tiles and 3D), the 3D rebuild mark and the views of cameras it blocked —
the same as when it is moved by hand (Building.save), because both go through gis_core/changes.py."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from onboarding.footprints import ImportOptions, import_buildings
from buildings.models import Building, Room
from coverage.models import ViewBand
from model3d.models import TilesetState
from tests.factories import lonlat, make_camera, make_room, point
from tests.tiles_helpers import decode, url_at

pytestmark = pytest.mark.django_db


def _write(path, x0, y0, x1, y1):
    ring = [lonlat(x0, y0), lonlat(x1, y0), lonlat(x1, y1), lonlat(x0, y1), lonlat(x0, y0)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"id": 7, "floors": 2},
        "geometry": {"type": "Polygon", "coordinates": [[list(c) for c in ring]]}}]}), encoding="utf-8")
    return path


def _rooms_outside_their_building() -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM buildings_room r JOIN buildings_building b ON b.id = r.building_id"
                    " WHERE NOT ST_Covers(ST_Buffer(b.footprint, 1e-7), r.layout)")
        return cur.fetchone()[0]


def _seen(camera, x, y) -> bool:
    return ViewBand.objects.filter(camera=camera, geom__intersects=point(x, y)).exists()


def test_a_reimported_building_that_moved_takes_rooms_tiles_3d_and_views_along(
        tmp_path, two_grids, client, django_capture_on_commit_callbacks):
    west, east = two_grids
    camera = make_camera(west.community, at=(60, 100), heading=90)  # looks east along y = 100
    path = _write(tmp_path / "survey.geojson", 80, 95, 90, 105)  # right in front of the camera
    with django_capture_on_commit_callbacks(execute=True):
        import_buildings(path, ImportOptions())
    building = Building.objects.get()
    rooms = [make_room(building, 1, "101"), make_room(building, 1, "102"), make_room(building, 2, "201")]
    assert building.grid_id == west.pk and _rooms_outside_their_building() == 0
    assert not _seen(camera, 100, 100)  # behind the building
    TilesetState.objects.filter(community=west.community).update(dirty_since=None)
    old_tile = decode(client.get(url_at(85, 100, z=18, layer="rooms"))).get("rooms", {})
    assert {r.pk for r in rooms} <= set(old_tile)  # cached at the old place

    _write(path, 300, 150, 310, 160)  # the survey moved it 220 m east, into the other grid
    with django_capture_on_commit_callbacks(execute=True):
        import_buildings(path, ImportOptions())

    building.refresh_from_db()
    assert building.grid_id == east.pk
    assert Room.objects.filter(building=building).count() == 3
    assert _rooms_outside_their_building() == 0  # the rooms were laid out again in the new footprint
    assert not set(decode(client.get(url_at(85, 100, z=18, layer="rooms"))).get("rooms", {})) & {r.pk for r in rooms}
    assert {r.pk for r in rooms} <= set(decode(client.get(url_at(305, 155, z=18, layer="rooms"))).get("rooms", {}))
    assert TilesetState.objects.get(community=west.community).dirty_since is not None  # 3D rebuilds
    assert _seen(camera, 100, 100)  # the view it blocked is open again
