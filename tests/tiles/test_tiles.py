"""Vector tiles: content, one query per tile, HTTP caching, precise invalidation, bad input."""

import math

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from buildings.models import Landlord, Room
from gis_core.changes import attributes_changed
from gis_core.models import Camera
from kiosk.models import Kiosk
from tests.factories import make_building, make_community, mrect, rect
from tests.tiles_helpers import decode, geometries, url_at
from tiles import cache as tile_cache
from tiles import extent

pytestmark = pytest.mark.django_db



@pytest.fixture(autouse=True)
def empty_tile_cache():
    caches["tiles"].clear()
    yield
    caches["tiles"].clear()


def test_overview_zooms_leave_out_the_building_address(client, scene):
    """z14–15 carry every building without its address (nobody reads it there); z16 on carry it.
    TileJSON still lists the field."""
    b = scene["building"]
    for z in (14, 15, 16):
        tile = decode(client.get(url_at(60, 57, z=z, layer="buildings"), HTTP_ACCEPT_ENCODING="gzip"))
        expected = {"code": "B-1", "floors": 2, "height": 6.0, "room_count": 3, "vacant_count": 2}
        if z >= 16:
            expected["address"] = "测试路 B-1 号"
            expected["phone_public"] = False  # (whether the landlord consents; never the number)
        assert tile["buildings"] == {b.pk: expected}, z
    layers = {v["id"]: v for v in client.get("/tiles/tiles.json").json()["vector_layers"]}
    assert {"address", "phone_public"} <= set(layers["buildings"]["fields"])


def test_tile_holds_every_public_layer_with_ids_and_attributes(client, scene):
    b, (r1, r2, r3) = scene["building"], scene["rooms"]
    tile = decode(client.get(url_at(60, 57), HTTP_ACCEPT_ENCODING="gzip"))
    assert set(tile) == {"communities", "grids", "meshes", "grid_labels", "buildings", "rooms", "kiosks"}
    from gis_core.models import Grid

    for pk, props in tile["grid_labels"].items():
        g = Grid.objects.get(pk=pk)
        assert props == {"code": g.code, "name": g.name, "level": g.level}
    assert tile["buildings"] == {b.pk: {"code": "B-1", "address": "测试路 B-1 号", "floors": 2, "height": 6.0,
                                        "room_count": 3, "vacant_count": 2, "phone_public": False}}
    assert tile["rooms"] == {
        r1.pk: {"building": "B-1", "building_id": b.pk, "floor": 1, "number": "101", "base_height": 0.0,
                "height": 3.0, "status": "vacant", "rent": 800, "area": 20.0},
        r2.pk: {"building": "B-1", "building_id": b.pk, "floor": 1, "number": "102", "base_height": 0.0,
                "height": 3.0, "status": "let", "rent": 800, "area": 20.0},
        r3.pk: {"building": "B-1", "building_id": b.pk, "floor": 2, "number": "201", "base_height": 3.0,
                "height": 6.0, "status": "vacant", "rent": 950, "area": 25.0},
    }
    assert tile["kiosks"] == {Kiosk.objects.get().pk: {"code": "k1", "name": "一组终端", "resident_group": "第一居民小组"}}
    assert tile["grids"] == {scene["west"].pk: {"code": scene["west"].code, "name": "西网格", "kind": "basic"}}
    assert tile["meshes"] == {scene["mesh"].pk: {"code": scene["mesh"].code, "name": "西一网眼",
                                                 "grid": scene["west"].code}}
    assert "cameras" not in tile  # camera positions are not public by default


def test_no_tenant_data_in_any_layer(client, scene):
    from tiles.layers import LAYERS

    for layer in LAYERS.values():
        for expr, _ in layer.fields.values():
            assert "residents_" not in expr and "person" not in expr.lower()
    response = client.get(url_at(60, 57))
    assert b"11010519" not in response.content


def test_a_tile_costs_exactly_one_query_and_a_cached_tile_none(client, scene):
    url = url_at(60, 57)
    extent.current()  # where data lies: one query per data edit, shared by every tile (tiles/extent.py)
    with CaptureQueriesContext(connection) as first:
        assert client.get(url).status_code == 200
    assert len(first) == 1, [q["sql"][:120] for q in first]
    with CaptureQueriesContext(connection) as second:
        assert client.get(url).status_code == 200
    assert len(second) == 0


def test_low_zoom_tiles_use_generalised_geometry_and_skip_detail(client, scene):
    tile = decode(client.get(url_at(60, 57, z=12)))
    assert set(tile) == {"communities", "grids", "grid_labels", "kiosks"}  # no buildings or rooms below z14


def test_etag_and_not_modified(client, scene):
    url = url_at(60, 57)
    first = client.get(url)
    etag = first["ETag"]
    assert etag.startswith('"') and first["Cache-Control"] == "public, max-age=0, must-revalidate"
    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert client.get(url, HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_gzip_and_plain_encodings_carry_the_same_tile(client, scene):
    url = url_at(60, 57)
    zipped = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate")
    plain = client.get(url)
    assert zipped["Content-Encoding"] == "gzip" and plain.get("Content-Encoding") is None
    assert len(zipped.content) < len(plain.content)
    assert decode(zipped) == decode(plain)
    assert zipped["Content-Type"] == "application/vnd.mapbox-vector-tile"


def test_empty_tiles_are_cheap(client, scene):
    url = url_at(50_000, 50_000)  # far outside the community
    assert client.get(url).status_code == 204
    with CaptureQueriesContext(connection) as again:
        assert client.get(url).status_code == 204
    assert len(again) == 0


@pytest.mark.parametrize("path, status, message", [
    ("/tiles/19/0/0.mvt", 404, "只提供 0–18 级"),
    ("/tiles/99999999999/0/0.mvt", 404, "只提供 0–18 级"),
    ("/tiles/3/8/0.mvt", 400, "须在 0 到 7 之间"),
    ("/tiles/3/0/8.mvt", 400, "须在 0 到 7 之间"),
    ("/tiles/-1/0/0.mvt", 400, "不是瓦片地址"),
    ("/tiles/a/b/c.mvt", 400, "不是瓦片地址"),
    ("/tiles/1/0/0.png", 400, "不是瓦片地址"),
    ("/tiles/planets/1/0/0.mvt", 404, "没有图层 planets"),
])
def test_bad_tile_addresses_get_clear_errors(client, path, status, message):
    response = client.get(path)
    assert response.status_code == status
    assert message in response.json()["detail"]


def test_tile_errors_speak_the_request_language(client):
    zh = client.get("/tiles/3/8/0.mvt")
    en = client.get("/tiles/3/8/0.mvt", HTTP_ACCEPT_LANGUAGE="en")
    assert zh.json()["detail"] == "第 3 级的 x、y 须在 0 到 7 之间；收到 x=8, y=0"
    assert en.json()["detail"] == "at zoom 3, x and y must be between 0 and 7; got x=8, y=0"
    assert en["Content-Language"] == "en" and "Accept-Language" in en["Vary"]


def test_camera_layer_is_staff_only_unless_allowed(client, scene, settings):
    url = url_at(60, 57, layer="cameras")
    assert client.get(url).status_code == 403
    client.force_login(get_user_model().objects.create_user("staff", password="pw-for-tests", is_staff=True))
    cams = decode(client.get(url))["cameras"]
    assert cams == {Camera.objects.get().pk: {"code": "C1", "heading": 90.0, "hfov": 80.0, "ptz": False}}
    settings.TILES_PUBLIC_CAMERAS = True
    caches["tiles"].clear()
    assert "cameras" in decode(client.get(url_at(60, 57)))


def test_tilejson_describes_every_layer_and_field(client, scene):
    tj = client.get("/tiles/tiles.json").json()
    assert tj["tilejson"] == "3.0.0"
    assert tj["tiles"] == ["http://testserver/tiles/{z}/{x}/{y}.mvt"]
    assert (tj["minzoom"], tj["maxzoom"]) == (8, 18)
    w, s, e, n = tj["bounds"]
    assert w < tj["center"][0] < e and s < tj["center"][1] < n
    fields = {layer["id"]: layer["fields"] for layer in tj["vector_layers"]}
    assert "cameras" not in fields
    tile = decode(client.get(url_at(60, 57)))
    for name, features in tile.items():
        for props in features.values():
            assert set(props) == set(fields[name]), name


def test_style_uses_only_our_sources_and_layers(client, scene):
    style = client.get("/tiles/style.json").json()
    assert style["version"] == 8 and "sprite" not in style
    assert style["glyphs"] == "http://testserver/tiles/glyphs/{fontstack}/{range}.pbf"  # our own (tiles/glyphs.py)
    assert style["sources"] == {"village": {"type": "vector", "url": "http://testserver/tiles/tiles.json"},
                                "basemap": {"type": "vector", "url": "http://testserver/tiles/basemap.json"}}
    for source, tilejson in (("village", "/tiles/tiles.json"), ("basemap", "/tiles/basemap.json")):
        layer_ids = {layer["id"] for layer in client.get(tilejson).json()["vector_layers"]}
        used = {layer["source-layer"] for layer in style["layers"] if layer.get("source") == source}
        assert used and used <= layer_ids
    kinds = {layer["type"] for layer in style["layers"]}
    assert {"fill-extrusion", "symbol", "line", "fill"} <= kinds
    rooms = next(layer for layer in style["layers"] if layer["id"] == "rooms-3d")
    assert rooms["paint"]["fill-extrusion-base"] == ["get", "base_height"]


# --- invalidation: an edit shows in the very next tile request, at every zoom -------------------


def test_letting_a_room_refreshes_its_tiles_at_every_zoom(client, scene, django_capture_on_commit_callbacks):
    r1 = scene["rooms"][0]
    urls = [url_at(60, 57, z=z) for z in (14, 16, 18)]
    before = {u: client.get(u) for u in urls}
    with django_capture_on_commit_callbacks(execute=True):
        r1.status = Room.Status.LET
        r1.save()
    for u in urls:
        after = client.get(u, HTTP_IF_NONE_MATCH=before[u]["ETag"])  # a kiosk revalidating
        assert after.status_code == 200, u
        assert decode(after)["buildings"][scene["building"].pk]["vacant_count"] == 1
    assert decode(client.get(urls[-1]))["rooms"][r1.pk]["status"] == "let"


def test_invalidation_is_precise_not_a_flush(client, scene, django_capture_on_commit_callbacks):
    near = url_at(60, 57)
    elsewhere = url_at(150, 150, z=18)  # same community, another tile
    client.get(near)
    client.get(elsewhere)
    with django_capture_on_commit_callbacks(execute=True):
        scene["rooms"][0].status = Room.Status.LET
        scene["rooms"][0].save()
    with CaptureQueriesContext(connection) as q:
        client.get(elsewhere)
    assert len(q) == 0  # still cached
    with CaptureQueriesContext(connection) as q:
        client.get(near)
    assert len(q) == 1  # re-rendered


def test_moving_a_building_updates_old_and_new_tiles(client, scene, django_capture_on_commit_callbacks):
    b = scene["building"]
    old_url, new_url = url_at(60, 57), url_at(300, 120)
    assert b.pk in decode(client.get(old_url))["buildings"]
    assert "buildings" not in decode(client.get(new_url))
    with django_capture_on_commit_callbacks(execute=True):
        b.footprint = rect(295, 115, 310, 128)
        b.save()
    assert "buildings" not in decode(client.get(old_url))
    assert b.pk in decode(client.get(new_url))["buildings"]
    assert decode(client.get(new_url))["rooms"]  # the rooms moved with it


def test_moving_a_grid_boundary_updates_grid_tiles(client, scene, django_capture_on_commit_callbacks):
    west, east = scene["west"], scene["east"]
    url = url_at(190, 150, z=16)
    before = geometries(client.get(url), "grids")
    with django_capture_on_commit_callbacks(execute=True):
        west.boundary = mrect(0, 0, 180, 200)
        west.save()
        east.boundary = mrect(180, 0, 400, 200)
        east.save()
    assert geometries(client.get(url), "grids") != before


def test_set_based_updates_invalidate_through_the_change_pipeline(client, scene, django_capture_on_commit_callbacks):
    url = url_at(60, 57)
    client.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        Room.objects.filter(building=scene["building"]).update(status=Room.Status.UNAVAILABLE)
        attributes_changed(Room, [r.pk for r in scene["rooms"]], fields={"status"})
    assert decode(client.get(url))["buildings"][scene["building"].pk]["vacant_count"] == 0


def test_a_render_that_began_before_an_edit_is_not_cached():
    tile = tile_cache.make_tile(b"old")
    tile_cache.invalidate([tile_cache.key("all", 1, 0, 0)])
    import time

    assert not tile_cache.put("all", 1, 0, 0, tile, rendered_from=time.time() - 5)
    assert tile_cache.get("all", 1, 0, 0) is None
    assert tile_cache.put("all", 1, 0, 0, tile, rendered_from=time.time() + 1)
    assert tile_cache.get("all", 1, 0, 0) == tile


def test_landlord_phone_never_reaches_tiles(client, scene):
    landlord = Landlord(name="房东", phone="13912345678")
    landlord.record_consent(Landlord.ConsentMethod.PAPER)
    landlord.save()
    scene["building"].landlord = landlord
    scene["building"].save()
    tile = client.get(url_at(60, 57))
    assert b"13912345678" not in tile.content
    assert decode(tile)["buildings"][scene["building"].pk]["phone_public"] is True  # only whether it is public


def _wsgi_get(path, **headers):
    """Call the production WSGI application (with its tile fast path) directly."""
    from wsgiref.util import setup_testing_defaults

    from project.wsgi import application

    environ = {"PATH_INFO": path, "REQUEST_METHOD": "GET", "HTTP_HOST": "127.0.0.1"}
    environ.update({f"HTTP_{k.upper()}": v for k, v in headers.items()})
    setup_testing_defaults(environ)
    seen = {}

    def start_response(status, hdrs, exc_info=None):
        seen["status"], seen["headers"] = int(status.split()[0]), dict(hdrs)

    # As django.test.Client does: keep the test's database connection open across the request.
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        body = b"".join(application(environ, start_response))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return seen["status"], seen["headers"], body


def test_cached_tiles_are_served_before_django_with_the_same_answer(client, scene):
    path = url_at(60, 57)
    miss_status, miss_headers, miss_body = _wsgi_get(path, accept_encoding="gzip")  # Django renders, caches
    assert miss_status == 200
    with CaptureQueriesContext(connection) as q:
        status, headers, body = _wsgi_get(path, accept_encoding="gzip")
    assert len(q) == 0
    assert (status, body) == (200, miss_body)
    for name in ("ETag", "Cache-Control", "Content-Encoding", "Content-Type", "Vary"):
        assert headers[name] == miss_headers[name], name
    assert _wsgi_get(path, if_none_match=headers["ETag"])[0] == 304
    assert _wsgi_get(path)[2] == client.get(path).content  # plain for clients without gzip


def test_fast_path_leaves_staff_layers_and_bad_paths_to_django(client, scene):
    cams = url_at(60, 57, layer="cameras")
    tile_cache.put("cameras", *map(int, cams.removesuffix(".mvt").split("/")[-3:]),
                   tile_cache.make_tile(b"x"), rendered_from=9e18)
    assert _wsgi_get(cams)[0] == 403  # cached or not, the permission check runs
    assert _wsgi_get("/tiles/19/0/0.mvt")[0] == 404


# --- tiles away from all data: empty at once, without a query ---------------------------------


def test_tiles_away_from_all_data_are_empty_without_a_query(client, scene):
    extent.current()
    for z in (12, 15, 18):
        with CaptureQueriesContext(connection) as q:
            response = client.get(url_at(20_000, -15_000, z=z))  # 25 km away, the next county
        assert response.status_code == 204 and len(q) == 0, z
    with CaptureQueriesContext(connection) as q:
        assert client.get(url_at(60, 57, z=12)).status_code == 200
    assert len(q) == 1


def test_data_added_far_away_shows_in_the_next_tile(client, scene, django_capture_on_commit_callbacks):
    far = url_at(20_000, -15_000)
    assert client.get(far).status_code == 204
    with django_capture_on_commit_callbacks(execute=True):
        make_community(code="530112002001", name="远方社区", extent=(19_900, -15_100, 20_100, -14_900))
        b = make_building("FAR-1", (20_000, -15_000, 20_015, -14_990))
    assert b.pk in decode(client.get(far))["buildings"]


def test_letting_a_room_keeps_the_extent(client, scene, django_capture_on_commit_callbacks):
    extent.current()
    with django_capture_on_commit_callbacks(execute=True):
        scene["rooms"][0].status = Room.Status.LET
        scene["rooms"][0].save()
    # not forgotten (a tombstone would be a float): no geometry moved
    assert isinstance(caches["tiles_extent"].get(extent.KEY), extent.DataExtent)


def test_an_extent_computed_before_an_edit_is_not_stored(scene):
    import time

    stale = extent.DataExtent(boxes=())
    tile_cache.invalidate([extent.KEY], store=caches["tiles_extent"])
    assert not tile_cache.put_value(caches["tiles_extent"], extent.KEY, stale, rendered_from=time.time() - 5)
    assert extent.current() != stale and extent.current().boxes  # recomputed from the database


def test_the_extent_has_one_box_per_cell(scene):
    make_building("NEAR-1", (80, 80, 90, 90))  # another table's features in the same cell merge
    boxes = extent.compute().boxes
    cells = {(math.floor((x0 + extent.MARGIN) / extent.CELL), math.floor((y0 + extent.MARGIN) / extent.CELL))
             for x0, y0, _x1, _y1 in boxes}
    assert boxes and len(cells) == len(boxes)


def test_a_process_keeps_the_extent_until_the_file_store_changes(scene, tmp_path, monkeypatch):
    """With the file store, each process keeps the extent in memory and checks the entry's file
    with one stat(); a write by any process (an edit's tombstone, a new extent) is seen at once."""
    from tiles.filecache import FileTileCache

    mine, other = (FileTileCache(str(tmp_path), {}) for _ in range(2))  # two processes' stores
    monkeypatch.setattr(extent, "_store", lambda: mine)
    reads = []
    real_get = mine.get
    monkeypatch.setattr(mine, "get", lambda *a, **k: reads.append(a[0]) or real_get(*a, **k))
    computed = extent.current()  # computed and stored
    kept = extent.current()  # read from the file once ...
    assert kept == computed
    before = len(reads)
    with CaptureQueriesContext(connection) as q:
        assert extent.current() is kept and extent.current() is kept  # ... then kept
    assert len(reads) == before and len(q) == 0

    elsewhere = extent.DataExtent(boxes=((0.0, 0.0, 1.0, 1.0),))
    other.set(extent.KEY, elsewhere)  # another process stored a newer extent
    assert extent.current() == elsewhere
    tile_cache.invalidate([extent.KEY], store=other)  # another process's edit committed
    with CaptureQueriesContext(connection) as q:
        assert extent.current() == computed  # recomputed, not the kept copy
    assert len(q) == 1
    other.delete(extent.KEY)
    assert extent.current() == computed and mine.stamp(extent.KEY) is not None


def test_the_tile_statement_is_prepared_once_per_connection(client, scene):
    def prepared():
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%%ST_TileEnvelope%%'")
            return cur.fetchone()[0]

    before = prepared()
    client.get(url_at(60, 57))
    client.get(url_at(150, 150))  # same zoom band: the same statement
    assert prepared() == before + 1
    assert connection.connection.prepare_threshold is None  # other statements are never prepared
