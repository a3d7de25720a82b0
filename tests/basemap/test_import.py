"""OSM import: a PBF written here goes through osm2pgsql and our Lua style into the basemap
tables, and comes back out of the basemap tiles; a re-import replaces the extract atomically."""

import pytest
from django.core.management import call_command
from django.db import connection

from basemap.importer import import_extract
from basemap.models import Barrier, Extract, Gate, Place, Poi, Road, Water, Waterway
from tests.basemap.osm import ORIGIN, village
from tests.tiles_helpers import decode, tile_of


def _basemap_tile(client, z=15, at=ORIGIN):
    x, y = tile_of(*at, z)
    return decode(client.get(f"/tiles/basemap/{z}/{x}/{y}.mvt"))


def test_every_kind_of_feature_is_loaded_and_classified(imported):
    assert imported.counts == {"road": 2, "waterway": 1, "water": 1, "landuse": 1, "barrier": 1, "gate": 1,
                               "poi": 2, "place": 1}
    road = Road.objects.get(kind="primary")
    assert (road.name, road.rank) == ("船房路", Road.Rank.MAJOR)
    assert Road.objects.get(kind="alley").rank == Road.Rank.ALLEY  # highway=service + service=alley
    gate = Gate.objects.get()
    assert (gate.name, str(gate.opens), str(gate.closes)) == ("北院门", "06:00:00", "23:00:00")
    assert Barrier.objects.get().kind == "wall"
    assert Water.objects.get().name == "小湖"
    assert set(Poi.objects.values_list("kind", flat=True)) == {"school", "bus_stop"}
    assert Place.objects.get().name == "川坊村"
    assert imported.area.contains(road.geom)


def test_roads_water_and_names_come_back_from_the_basemap_tile(client, imported):
    tile = _basemap_tile(client)
    assert {p["name"] for p in tile["roads"].values()} >= {"船房路"}
    assert [p["name"] for p in tile["waterways"].values()] == ["船房河"]
    assert [p["name"] for p in tile["water"].values()] == ["小湖"]
    assert [p["name"] for p in tile["places"].values()] == ["川坊村"]
    assert [p["hours"] for p in tile["gates"].values()] == ["06:00-23:00"]
    # City zooms: the main road and the river, not the alley.
    overview = _basemap_tile(client, z=12)
    assert [p["kind"] for p in overview["roads"].values()] == ["primary"]
    assert "gates" not in overview


def test_basemap_is_not_in_the_product_tile(client, imported):
    x, y = tile_of(*ORIGIN, 16)
    assert "roads" not in decode(client.get(f"/tiles/16/{x}/{y}.mvt"))


def test_basemap_tilejson(client, imported):
    body = client.get("/tiles/basemap.json").json()
    assert body["tiles"][0].endswith("/tiles/basemap/{z}/{x}/{y}.mvt")
    assert body["maxzoom"] == 16
    assert {layer["id"] for layer in body["vector_layers"]} >= {"roads", "water", "waterways", "places", "gates"}
    west, south, east, north = body["bounds"]
    assert west < ORIGIN[0] < east and south < ORIGIN[1] < north


def test_reimport_replaces_the_extract_and_refreshes_its_tiles(client, imported, tmp_path):
    assert "船房路" in {p["name"] for p in _basemap_tile(client)["roads"].values()}  # now cached
    import_extract(village(road_name="新船房路").write(tmp_path / "v2.osm.pbf"), name="village",
                   progress=lambda line: None)
    assert list(Road.objects.filter(kind="primary").values_list("name", flat=True)) == ["新船房路"]
    assert Road.objects.count() == 2 and Extract.objects.count() == 1
    assert "新船房路" in {p["name"] for p in _basemap_tile(client)["roads"].values()}


def test_a_failed_reimport_leaves_the_previous_one(imported, tmp_path):
    def boom():
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        import_extract(village(road_name="新船房路").write(tmp_path / "v2.osm.pbf"), name="village",
                       progress=lambda line: None, before_swap=boom)
    assert list(Road.objects.filter(kind="primary").values_list("name", flat=True)) == ["船房路"]
    with connection.cursor() as cur:  # the staging schema is gone
        cur.execute("SELECT count(*) FROM pg_namespace WHERE nspname = 'basemap_staging'")
        assert cur.fetchone()[0] == 0


def test_the_swap_is_one_transaction(imported, tmp_path, monkeypatch):
    """A failure in the middle of the swap (after the old rows are deleted and some new ones
    inserted) rolls everything back."""
    from basemap import services

    real = services.counts

    def fail_after_insert(extract_id):
        assert Waterway.objects.filter(extract_id=extract_id, name="新河").exists()
        raise RuntimeError("crash mid-swap")

    monkeypatch.setattr(services, "counts", fail_after_insert)
    with pytest.raises(RuntimeError):
        import_extract(village(river_name="新河").write(tmp_path / "v2.osm.pbf"), name="village",
                       progress=lambda line: None)
    monkeypatch.setattr(services, "counts", real)
    assert list(Waterway.objects.values_list("name", flat=True)) == ["船房河"]
    assert Road.objects.count() == 2


def test_command_reports_progress_and_rejects_bad_input(transactional_db, village_pbf, tmp_path, capsys):
    call_command("import_basemap", str(village_pbf))
    out = capsys.readouterr().out
    assert "[1/3]" in out and "[3/3]" in out and "Processed" in out  # osm2pgsql's own progress lines
    assert Extract.objects.get().name == "village"
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="not an OSM extract"):
        call_command("import_basemap", str(tmp_path / "roads.shp"))
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_basemap", str(tmp_path / "missing.osm.pbf"))
    call_command("import_basemap", "--remove", "village")
    assert not Road.objects.exists()


def test_a_bbox_takes_only_part_of_the_file(transactional_db, village_pbf):
    from tests.basemap.osm import ll

    w, s = ll(-320, -320)
    e, n = ll(0, 320)  # the western half: the lake and the school, not the bus stop or the river
    call_command("import_basemap", str(village_pbf), "--bbox", f"{w},{s},{e},{n}")
    assert set(Poi.objects.values_list("kind", flat=True)) == {"school"}
    assert Water.objects.exists() and not Waterway.objects.exists()
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--bbox"):
        call_command("import_basemap", str(village_pbf), "--bbox", "1,2,3")
