"""/3d/ground/<code>.json: the basemap under the 3D model — the community's roads, river, water,
landuse, walls, gates and names, decoded and compared with what was written; cached with an ETag
that changes when the basemap is replaced; nothing about people; bad input answered 4xx."""

from __future__ import annotations

import gzip
import json

import pytest
from django.test import Client

from tests.factories import lonlat

pytestmark = pytest.mark.django_db(transaction=True)


def _get(client: Client, code="530112001001", **headers):
    return client.get(f"/3d/ground/{code}.json", **headers)


def _near(a, b, metres=1.0):
    return abs(a[0] - b[0]) < metres / 101_000 and abs(a[1] - b[1]) < metres / 111_000


def _by_layer(body):
    out = {}
    for f in body["features"]:
        out.setdefault(f["properties"]["layer"], []).append(f)
    return out


def test_the_community_s_roads_water_and_walls_come_back(streets, client):
    response = _get(client)
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    layers = _by_layer(body)
    assert set(layers) == {"road", "waterway", "water", "landuse", "wall", "gate", "place"}
    # The main road's two pieces are merged into one line, 18 m wide (its class), over the extent.
    main = [f for f in layers["road"] if f["properties"].get("name") == "滇池路"]
    assert len(main) == 1 and main[0]["properties"] == {"layer": "road", "name": "滇池路", "rank": 1, "width": 18.0}
    coords = main[0]["geometry"]["coordinates"]
    assert main[0]["geometry"]["type"] == "LineString"
    assert {_near(coords[0], lonlat(-60, 30)), _near(coords[-1], lonlat(460, 30))} == {True}
    alley = [f for f in layers["road"] if f["properties"]["rank"] == 4]
    assert len(alley) == 1 and alley[0]["properties"]["width"] == 3.0
    assert not [f for f in layers["road"] if f["properties"].get("name") == "远方路"]  # 5 km away
    [river] = layers["waterway"]
    assert river["properties"] == {"layer": "waterway", "kind": "river", "name": "船房河", "width": 24.0}
    assert _near(river["geometry"]["coordinates"][0], lonlat(-60, 175))
    [pond] = layers["water"]
    assert pond["properties"]["name"] == "荷塘" and pond["geometry"]["type"] in ("Polygon", "MultiPolygon")
    ring = pond["geometry"]["coordinates"][0]
    ring = ring[0] if pond["geometry"]["type"] == "MultiPolygon" else ring
    assert any(_near(p, lonlat(20, 120)) for p in ring) and any(_near(p, lonlat(70, 150)) for p in ring)
    [wall] = layers["wall"]
    wall_coords = wall["geometry"]["coordinates"]
    assert len(wall_coords) == 5 and _near(wall_coords[1], lonlat(240, 50)) and _near(wall_coords[2], lonlat(240, 120))
    [gate] = layers["gate"]
    assert gate["properties"] == {"layer": "gate", "kind": "entrance_main", "name": "一院大门", "main": True}
    assert _near(gate["geometry"]["coordinates"], lonlat(175, 50))
    assert layers["place"][0]["properties"]["name"] == "川坊村"
    # The 2D style's colours travel with it, so the 3D ground reads like every 2D map.
    from tiles import basemap_style

    assert body["colours"]["water"] == basemap_style.WATER and body["colours"]["major"] == basemap_style.MAJOR


def test_nothing_about_people(streets, client):
    from buildings.models import Landlord

    text = _get(client).content.decode()
    landlord = Landlord.objects.get()
    for secret in (landlord.phone, landlord.name, "tenant", "phone", "reporter", "osm_id", "extract"):
        assert secret not in text
    body = json.loads(text)
    allowed = {"layer", "kind", "name", "rank", "width", "main"}
    assert all(set(f["properties"]) <= allowed for f in body["features"])


def test_cached_with_an_etag_that_follows_the_basemap(streets, client):
    from basemap.models import Road
    from basemap.services import replace_extract
    from tests.factories import lonlat as ll
    from django.contrib.gis.geos import LineString

    first = _get(client, HTTP_ACCEPT_ENCODING="gzip")
    assert first["Content-Encoding"] == "gzip" and first["ETag"]
    assert "max-age=" in first["Cache-Control"]
    assert json.loads(gzip.decompress(first.content))["features"]
    assert _get(client, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert _get(client).content == gzip.decompress(first.content)  # the same body (from the cache)

    def write(e):
        Road.objects.create(extract_id=e, kind="residential", rank=3, name="新街",
                            geom=LineString([ll(0, 90), ll(400, 90)], srid=4326))

    replace_extract("streets", "test", write)  # the basemap replaced: the old ground is gone
    again = _get(client, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and again["ETag"] != first["ETag"]
    names = {f["properties"].get("name") for f in json.loads(again.content)["features"]}
    assert "新街" in names and "滇池路" not in names and "船房河" not in names


def test_a_moved_boundary_changes_the_ground(streets, client):
    from gis_core.models import Community
    from tests.factories import mrect

    first = _get(client)
    community = Community.objects.get(code="530112001001")
    community.boundary = mrect(3000, 0, 3400, 200)  # 3 km east: no street within its margin
    community.save()
    again = json.loads(_get(client, HTTP_IF_NONE_MATCH=first["ETag"]).content)
    assert [f["properties"].get("name") for f in again["features"]] == []


@pytest.mark.parametrize("code, status", [("abc", 400), ("5301120010011", 400), ("999999999999", 404)])
def test_bad_input_is_4xx(streets, client, code, status):
    response = _get(client, code=code)
    assert response.status_code == status
    assert json.loads(response.content)["detail"]


def test_only_reads(streets, client):
    assert client.post("/3d/ground/530112001001.json").status_code == 405


def test_the_viewer_and_the_kiosk_ask_for_their_community_s_ground(streets, client):
    from kiosk.models import Kiosk
    from tests.factories import point

    html = client.get("/3d/").content.decode()
    assert "/3d/ground/530112001001.json" in html
    Kiosk.objects.create(code="k3", name="终端", community=streets["community"], resident_group="一组",
                         location=point(150, 40), map_mode=Kiosk.MapMode.THREE_D)
    assert "/3d/ground/530112001001.json" in client.get("/kiosk/k3/").content.decode()
