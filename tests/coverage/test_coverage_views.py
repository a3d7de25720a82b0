"""Stored fields of view: occlusion by buildings, the near blind zone, quality bands, PTZ preset vs
sweep, recomputation when a camera or a nearby building changes, the fields_of_view tile layer."""

import math

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches

from coverage.models import ViewBand
from gis_core.models import Camera
from tests.factories import lonlat, make_building, make_camera, point
from tests.tiles_helpers import decode, tile_of

pytestmark = pytest.mark.django_db


def seen(camera, x, y, *, level=None, kind=None) -> bool:
    qs = ViewBand.objects.filter(camera=camera, geom__intersects=point(x, y))
    if level:
        qs = qs.filter(level__code=level)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.exists()


def test_view_is_stored_with_dori_bands_at_the_right_distances(two_grids):
    c = make_camera(two_grids[0].community)
    bands = {b.level.code: b for b in ViewBand.objects.filter(camera=c)}
    # 2560 px at 90°: Observe to 20.48 m, Detect to 51.2 m, then the 60 m range cap (Monitor).
    assert bands["observe"].far_m == pytest.approx(20.48, abs=0.01)
    assert bands["detect"].near_m == pytest.approx(20.48, abs=0.01)
    assert bands["monitor"].far_m == pytest.approx(60.0)
    assert seen(c, 60 + 15, 100, level="observe") and seen(c, 60 + 30, 100, level="detect")
    assert seen(c, 60 + 55, 100, level="monitor") and not seen(c, 60 + 65, 100)
    assert not seen(c, 60 - 10, 100)  # behind the camera
    # A quarter disc of 60 m minus the blind zone: area within a per-mille of π·60²/4.
    total = sum(b.area_m2 for b in bands.values())
    near = bands["identify"].near_m
    assert total == pytest.approx(math.pi * (60**2 - near**2) / 4, rel=2e-3)


def test_a_camera_behind_a_building_sees_nothing_past_it(two_grids):
    make_building("block", (70, 96, 80, 104))  # 10 m east of the camera, 8 m wide: shadow half-angle 21.8°
    c = make_camera(two_grids[0].community)
    assert seen(c, 65, 100)  # in front of the building
    for x in (75, 85, 100, 115):  # inside it, and in its shadow
        assert not seen(c, x, 100), x
    assert not seen(c, 100, 112)  # 16.7° off the axis: still in the shadow
    assert seen(c, 100, 120)  # 26.6° off the axis: beside the shadow
    assert not seen(c, 100, 100, kind="fixed")


def test_blind_zone_under_the_camera(two_grids, settings):
    settings.COVERAGE_TARGET_HEIGHT_M = 0.0  # the ground itself
    c = make_camera(two_grids[0].community, hfov_deg=90, resolution_h=1920, resolution_v=1080, tilt_deg=20, mount_height_m=3.5)
    identify = ViewBand.objects.get(camera=c, level__code="identify")
    assert identify.near_m == pytest.approx(3.0, abs=0.02)
    assert not seen(c, 60 + 2.9, 100) and seen(c, 60 + 3.1, 100)
    settings.COVERAGE_TARGET_HEIGHT_M = 1.7  # a standing person's head
    c.save()
    assert ViewBand.objects.get(camera=c, level__code="identify").near_m == pytest.approx(1.55, abs=0.02)
    assert seen(c, 60 + 1.7, 100)


def test_ptz_preset_and_sweep_are_kept_apart(two_grids):
    c = make_camera(two_grids[0].community, code="PTZ", ptz_type=Camera.PTZType.DOME, ptz_zoom_max=4)
    kinds = set(ViewBand.objects.filter(camera=c).values_list("kind", flat=True))
    assert kinds == {"preset", "sweep"}
    assert seen(c, 60 - 20, 100, kind="sweep") and not seen(c, 60 - 20, 100, kind="preset")
    assert not ViewBand.objects.counted().filter(kind="sweep").exists()
    # the sweep reaches farther at Observe: 4× zoom → 4 × 20.48 m, capped by the range (60 m)
    assert ViewBand.objects.get(camera=c, kind="sweep", level__code="observe").far_m == pytest.approx(60.0)


def test_views_follow_camera_and_building_edits(two_grids):
    c = make_camera(two_grids[0].community)
    assert seen(c, 90, 100)
    c.heading_deg = 270  # turn west
    c.save()
    assert not seen(c, 90, 100) and seen(c, 30, 100)
    b = make_building("new", (40, 95, 45, 105))  # a building put up west of the camera
    assert not seen(c, 30, 100)
    b.footprint = make_building("x", (300, 150, 310, 160)).footprint  # and moved away
    b.code = "new"
    b.save()
    assert seen(c, 30, 100)
    b.delete()
    c.active = False
    c.save()
    assert not ViewBand.objects.filter(camera=c).exists()


def test_fields_of_view_tile_layer_is_staff_only_unless_allowed(client, two_grids, settings,
                                                                 django_capture_on_commit_callbacks):
    caches["tiles"].clear()
    c = make_camera(two_grids[0].community)
    x, y = tile_of(*lonlat(70, 100), 18)
    url = f"/tiles/fields_of_view/18/{x}/{y}.mvt"
    assert client.get(url).status_code == 403
    assert "fields_of_view" not in decode(client.get(f"/tiles/18/{x}/{y}.mvt"))
    client.force_login(get_user_model().objects.create_user("staff", password="pw-for-tests", is_staff=True))
    features = decode(client.get(url))["fields_of_view"]
    assert {p["level"] for p in features.values()} >= {"observe", "recognise"}
    assert all(p["camera"] == "C1" and p["kind"] == "fixed" for p in features.values())
    # turning the camera invalidates its tiles: the next request shows the new bands, not the cached old ones
    with django_capture_on_commit_callbacks(execute=True):
        c.heading_deg = 270
        c.save()
    after = decode(client.get(url)).get("fields_of_view", {})
    assert after and not set(after) & set(features)
    assert set(after) <= set(ViewBand.objects.filter(camera=c).values_list("pk", flat=True))
    settings.TILES_PUBLIC_CAMERAS = True
    caches["tiles"].clear()
    x, y = tile_of(*lonlat(50, 100), 18)
    assert "fields_of_view" in decode(client.get(f"/tiles/18/{x}/{y}.mvt"))


def test_a_long_wall_reaching_past_the_view_still_casts_its_shadow():
    """A wall running far beyond the range (longer than twice the radius) still blocks all behind it."""
    from shapely.geometry import Point, box

    from coverage.visibility import visible_region

    view, _ = visible_region(0, 0, 90, 120, 20, [box(10, -500, 12, 500)])
    assert view.contains(Point(9, 0)) and view.contains(Point(5, 8))
    assert not view.contains(Point(15, 0)) and not view.contains(Point(13, 5)) and not view.contains(Point(14, -9))
    # what is left is the triangle from the camera to where the sector's edges meet the wall: ½·10·2·10·tan 60°
    assert view.area == pytest.approx(100 * math.tan(math.radians(60)), rel=1e-4)


def test_style_draws_fields_of_view_only_when_allowed(client, two_grids, settings):
    ids = lambda: [layer["id"] for layer in client.get("/tiles/style.json").json()["layers"]]  # noqa: E731
    assert "fields-of-view" not in ids()
    settings.TILES_PUBLIC_CAMERAS = True
    style = client.get("/tiles/style.json").json()
    fov = next(layer for layer in style["layers"] if layer["id"] == "fields-of-view")
    assert fov["source-layer"] == "fields_of_view"
    public = {layer["id"] for layer in client.get("/tiles/tiles.json").json()["vector_layers"]}
    assert "fields_of_view" in public
