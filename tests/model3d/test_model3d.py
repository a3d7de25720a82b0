"""3D Tiles from PostGIS (model3d/): content validated by gltf-validator and by our own checks,
per-room features and metadata, rebuild of only what changed, HTTP (ETag, caching, errors), live
room status and the room card (landlord phone only with consent, no tenant data)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.test import Client
from django.test.utils import override_settings

from buildings.layout import relayout
from buildings.models import Building, Landlord, Room
from model3d.build import MAX_BUILDINGS, build_community
from model3d.models import TileContent, TilesetState
from model3d.validate import check_glb, check_tileset, parse_glb, property_table
from tests.factories import make_building, make_room, rect

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def village(two_grids):
    """60 buildings (more than one quadtree leaf holds) of 3–5 floors with 2 rooms per floor."""
    community = two_grids[0].community
    landlord = Landlord(name="房东", phone="13800002222")
    landlord.record_consent(Landlord.ConsentMethod.PAPER)
    landlord.save()
    buildings, rooms = [], []
    for i in range(60):
        x, y = 10 + 30 * (i % 12), 10 + 35 * (i // 12)
        b = make_building(f"V{i:02d}", (x, y, x + 16, y + 10), floors=3 + i % 3, landlord=landlord if i == 0 else None)
        buildings.append(b)
        rooms += [Room(building=b, floor=floor, number=f"{floor}0{n}", capacity=2, rent_monthly=600, area_m2=18,
                       status="let" if (i + floor + n) % 3 else "vacant")
                  for floor in range(1, b.floors + 1) for n in (1, 2)]
    Room.objects.bulk_create(rooms)  # then the derived layout once, as a bulk load would
    relayout([b.pk for b in buildings])
    assert len(buildings) > MAX_BUILDINGS
    return {"community": community, "buildings": buildings}


def _pack_glb(gltf: dict, blob: bytes) -> bytes:
    import struct

    text = json.dumps(gltf).encode()
    text += b" " * ((-len(text)) % 4)
    blob += b"\0" * ((-len(blob)) % 4)
    total = 12 + 8 + len(text) + 8 + len(blob)
    return (struct.pack("<4sII", b"glTF", 2, total) + struct.pack("<I4s", len(text), b"JSON") + text
            + struct.pack("<I4s", len(blob), b"BIN\0") + blob)


def _glbs(state) -> dict[str, bytes]:
    return {t.key: bytes(t.glb) for t in TileContent.objects.filter(state=state)}


def test_tileset_structure_and_our_checks(village):
    result = build_community(village["community"])
    state = TilesetState.objects.get(community=village["community"])
    tileset = json.loads(state.tileset_json)
    assert tileset["asset"]["version"] == "1.1"
    root = tileset["root"]
    # The root is the overview: every building as one block in one file, replaced by the quadtree
    # leaves hanging straight under it once the camera comes closer.
    assert len(root["transform"]) == 16 and root["refine"] == "REPLACE"
    assert root["content"]["uri"].startswith("o-0-0-0.glb") and all(c["content"]["uri"].startswith("b-") for c in root["children"])
    assert tileset["geometricError"] > root["geometricError"] > max(c["geometricError"] for c in root["children"]) > 0
    assert check_tileset(state) == []
    # Quadtree: 60 buildings need more than one leaf; each leaf is a building tile refined by rooms.
    leaves = [k for k in _glbs(state) if k.startswith("b-")]
    assert len(leaves) >= 2 and result.tiles_built == 2 * len(leaves) + 1

    def walk(t):
        yield t
        for c in t.get("children", []):
            yield from walk(c)

    tiles = list(walk(root))
    coarse = [t for t in tiles if t.get("content", {}).get("uri", "").startswith("b-")]
    assert coarse and all(t["refine"] == "REPLACE" and t["geometricError"] > 0 for t in coarse)
    fine = [t["children"][0] for t in coarse]
    assert all(t["geometricError"] == 0 and t["content"]["uri"].startswith("r-") for t in fine)
    assert all("content" in t for t in tiles)  # no empty quadrants between the overview and the leaves


def test_our_checks_catch_broken_tiles(village):
    build_community(village["community"])
    state = TilesetState.objects.get(community=village["community"])
    tileset = json.loads(state.tileset_json)
    tileset["root"]["refine"] = "add"
    leaf = next(t for t in tileset["root"]["children"])
    while "content" not in leaf:
        leaf = leaf["children"][0]
    leaf["boundingVolume"]["box"][3] = 0.5  # far too small for its buildings
    state.tileset_json = json.dumps(tileset)
    problems = check_tileset(state)
    assert any("refine 'add'" in p for p in problems)
    assert any("does not contain content" in p for p in problems)
    # A GLB whose featureCount disagrees with its ids, and a misaligned bufferView.
    data = next(iter(_glbs(state).values()))
    gltf, blob = parse_glb(data)
    gltf["meshes"][0]["primitives"][0]["extensions"]["EXT_mesh_features"]["featureIds"][0]["featureCount"] += 1
    gltf["bufferViews"][1]["byteOffset"] += 4
    problems, _ = check_glb(_pack_glb(gltf, blob))
    assert any("distinct feature ids" in p for p in problems)
    assert any("not 8-byte aligned" in p for p in problems)


def test_gltf_validator_reports_no_errors_for_every_content_file(village, tmp_path):
    if not shutil.which("node") or not (ROOT / "node_modules" / "gltf-validator").is_dir():
        pytest.fail("node and node_modules/gltf-validator are needed: `make test` installs them (npm ci)")
    build_community(village["community"])
    state = TilesetState.objects.get(community=village["community"])
    files = []
    for key, data in _glbs(state).items():
        path = tmp_path / f"{key}.glb"
        path.write_bytes(data)
        files.append(str(path))
    out = subprocess.run(["node", str(ROOT / "model3d" / "validate_gltf.cjs"), *files], capture_output=True,
                         text=True, check=True, timeout=300)
    reports = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(reports) == len(files) >= 4
    assert [r for r in reports if r["errors"] or r["warnings"]] == []


def test_every_room_is_one_feature_with_its_metadata(village):
    build_community(village["community"])
    state = TilesetState.objects.get(community=village["community"])
    seen = {}
    for key, data in _glbs(state).items():
        if not key.startswith("r-"):
            continue
        gltf, blob = parse_glb(data)
        table = property_table(gltf, blob)
        for i, rid in enumerate(table["room_id"]):
            seen[rid] = (table["building"][i], table["floor"][i], table["number"][i])
    rooms = {r.pk: (r.building.code, r.floor, r.number) for r in Room.objects.select_related("building")}
    assert seen == rooms
    # Rooms do not share vertices: each feature id owns its own vertex range, and a room on floor 3
    # of a 3 m storey sits between 6 and 9 m.
    key, data = next((k, d) for k, d in _glbs(state).items() if k.startswith("r-"))
    problems, positions = check_glb(data)
    assert problems == []
    gltf, blob = parse_glb(data)
    from model3d.validate import accessor_array

    ids = accessor_array(gltf, blob, gltf["meshes"][0]["primitives"][0]["attributes"]["_FEATURE_ID_0"])
    table = property_table(gltf, blob)
    i = table["floor"].index(3)
    z = positions[ids == i][:, 2]
    assert 6.0 - 1e-3 <= z.min() and z.max() <= 9.0 + 1e-3
    # Coarse tiles: one feature per building, as tall as the building.
    bkey = "b-" + key[2:]
    gltf, blob = parse_glb(_glbs(state)[bkey])
    codes = property_table(gltf, blob)["building"]
    assert len(codes) == len(set(codes)) and set(codes) <= {b.code for b in village["buildings"]}


def test_overview_is_one_file_with_every_building_lighter_than_the_leaves(village, client: Client):
    community = village["community"]
    build_community(community)
    state = TilesetState.objects.get(community=community)
    glbs = _glbs(state)
    problems, _ = check_glb(glbs["o-0-0-0"])
    assert problems == []
    gltf, blob = parse_glb(glbs["o-0-0-0"])
    table = property_table(gltf, blob)
    assert sorted(table["building"]) == sorted(b.code for b in village["buildings"])
    assert set(table) >= {"building_id", "building", "floors"}  # coloured by vacancy like the coarse tiles
    coarse = sum(len(d) for k, d in glbs.items() if k.startswith("b-"))
    assert len(glbs["o-0-0-0"]) <= coarse
    r = client.get(f"/tiles/3d/{community.code}/o-0-0-0.glb")
    assert r.status_code == 200 and r["Content-Type"] == "model/gltf-binary"


def test_rebuild_meshes_only_the_changed_buildings_tiles(village):
    community = village["community"]
    build_community(community)
    state = TilesetState.objects.get(community=community)
    before = {t.key: t.content_hash for t in TileContent.objects.filter(state=state)}
    again = build_community(community)
    assert again.tiles_built == 0 and again.tiles_reused == len(before)
    # One more storey on one building: its two tiles (coarse and rooms) change, nothing else.
    b = Building.objects.get(code="V05")
    b.floors += 1
    b.save()
    make_room(b, b.floors, f"{b.floors}01")
    result = build_community(community)
    after = {t.key: t.content_hash for t in TileContent.objects.filter(state=state)}
    changed = {k for k in after if after[k] != before.get(k)}
    assert result.tiles_built == 3 and len(changed) == 3 and {k[0] for k in changed} == {"b", "r", "o"}
    assert check_tileset(TilesetState.objects.get(pk=state.pk)) == []
    # A vacancy change is not in the tiles: nothing to rebuild.
    Room.objects.filter(building=b).update(status="let")
    assert build_community(community).tiles_built == 0


def test_edits_mark_the_community_dirty_on_commit(village, django_capture_on_commit_callbacks):
    community = village["community"]
    build_community(community)
    assert TilesetState.objects.get(community=community).dirty_since is None
    with django_capture_on_commit_callbacks(execute=True):
        b = Building.objects.get(code="V07")
        b.footprint = rect(40, 200 - 30, 60, 200 - 15)
        b.save()
    assert TilesetState.objects.get(community=community).dirty_since is not None
    from model3d.build import build_pending

    results = build_pending()
    assert [r.tiles_built for r in results] == [2] or results[0].tiles_built >= 2
    assert TilesetState.objects.get(community=community).dirty_since is None


@pytest.mark.django_db(transaction=True)
def test_background_thread_rebuilds_after_commit(village):
    community = village["community"]
    build_community(community)
    state = TilesetState.objects.get(community=community)
    old = dict(TileContent.objects.filter(state=state).values_list("key", "content_hash"))
    with override_settings(MODEL3D_BACKGROUND=True):
        from model3d import background

        b = Building.objects.get(code="V11")
        b.floors = 9
        b.save()  # autocommit: on_commit runs now and wakes the builder thread; save returns at once
        thread = background._thread
        assert thread is not None
        thread.join(timeout=120)
        assert not thread.is_alive()
    new = dict(TileContent.objects.filter(state=state).values_list("key", "content_hash"))
    assert len({k for k in new if new[k] != old.get(k)}) == 3  # its coarse, rooms and the overview tile
    assert TilesetState.objects.get(pk=state.pk).dirty_since is None


def test_http_tilesets_content_etag_and_caching(village, client: Client):
    community = village["community"]
    # Not built yet: a clear 503 (and the build is requested), never a blocked request.
    r = client.get("/tiles/3d/tileset.json")
    assert r.status_code == 503 and "三维模型正在生成" in r.json()["detail"] and r["Retry-After"]
    assert TilesetState.objects.get(community=community).dirty_since is not None
    build_community(community)
    root = client.get("/tiles/3d/tileset.json")
    assert root.status_code == 200 and root["ETag"]
    body = root.json()
    assert body["asset"]["version"] == "1.1" and body["root"]["refine"] == "ADD"
    child = body["root"]["children"][0]
    assert child["content"]["uri"] == f"{community.code}/tileset.json"
    assert client.get("/tiles/3d/tileset.json", HTTP_IF_NONE_MATCH=root["ETag"]).status_code == 304
    ts = client.get(f"/tiles/3d/{community.code}/tileset.json")
    assert ts.status_code == 200 and "must-revalidate" in ts["Cache-Control"]
    assert client.get(f"/tiles/3d/{community.code}/tileset.json", HTTP_IF_NONE_MATCH=ts["ETag"]).status_code == 304
    uri = ts.json()["root"]["children"][0]
    while "content" not in uri:
        uri = uri["children"][0]
    uri = uri["content"]["uri"]
    glb = client.get(f"/tiles/3d/{community.code}/{uri}")
    assert glb.status_code == 200 and glb["Content-Type"] == "model/gltf-binary"
    assert glb.content[:4] == b"glTF" and "immutable" in glb["Cache-Control"]
    plain = client.get(f"/tiles/3d/{community.code}/{uri.split('?')[0]}")
    assert "immutable" not in plain["Cache-Control"] and plain["ETag"] == glb["ETag"]
    assert client.get(f"/tiles/3d/{community.code}/{uri}", HTTP_IF_NONE_MATCH=glb["ETag"]).status_code == 304
    gz = client.get(f"/tiles/3d/{community.code}/{uri}", HTTP_ACCEPT_ENCODING="gzip")
    assert gz["Content-Encoding"] == "gzip" and len(gz.content) < len(glb.content)
    # Bad addresses: a message, never a 500.
    for url, status in [("/tiles/3d/999999999999/tileset.json", 404), ("/tiles/3d/nope", 400),
                        (f"/tiles/3d/{community.code}/b-9-9-9.glb", 404), (f"/tiles/3d/{community.code}/x.glb", 400)]:
        r = client.get(url)
        assert r.status_code == status and r.json()["detail"], url


def test_status_and_room_card(village, client: Client):
    community = village["community"]
    r = client.get(f"/3d/status.json?community={community.code}")
    vacant = set(Room.objects.vacant().values_list("pk", flat=True))
    assert r.status_code == 200 and set(r.json()["vacant"]) == vacant and vacant
    assert client.get(f"/3d/status.json?community={community.code}", HTTP_IF_NONE_MATCH=r["ETag"]).status_code == 304
    room = Room.objects.vacant().first()
    room.status = "let"
    room.save()
    r2 = client.get(f"/3d/status.json?community={community.code}", HTTP_IF_NONE_MATCH=r["ETag"])
    assert r2.status_code == 200 and room.pk not in r2.json()["vacant"]
    assert client.get("/3d/status.json?community=000000000000").status_code == 404

    consented = Room.objects.filter(building__code="V00").first()
    card = client.get(f"/3d/room/{consented.pk}.json").json()
    assert card["landlord_phone"] == "13800002222" and card["floor"] == consented.floor
    assert card["number"] == consented.number and card["address"].startswith("测试路")
    other = Room.objects.filter(building__code="V01").first()
    assert client.get(f"/3d/room/{other.pk}.json").json()["landlord_phone"] is None
    Landlord.objects.update(phone_consent=False, consent_at=None, consent_method="")
    assert client.get(f"/3d/room/{consented.pk}.json").json()["landlord_phone"] is None
    assert client.get("/3d/room/999999.json").status_code == 404


def test_no_tenant_data_in_tiles_status_cards_or_viewer(village, client: Client):
    from residents.models import Person, Tenancy

    room = Room.objects.filter(building__code="V00").first()
    person = Person.build(name="张小花", id_number="11010519491231002X", sex="2", phone="13700000000")
    person.save()
    Tenancy.objects.create(person=person, room=room, start_date="2026-01-01", registered_via="staff")
    build_community(village["community"])
    secrets = ["张小花", "11010519491231002X", "13700000000", person.name_masked, person.id_number_masked]
    code = village["community"].code
    bodies = [client.get(u).content for u in ["/3d/", "/tiles/3d/tileset.json", f"/tiles/3d/{code}/tileset.json",
                                               f"/3d/status.json?community={code}", f"/3d/room/{room.pk}.json"]]
    bodies += _glbs(TilesetState.objects.get(community=village["community"])).values()
    for body in bodies:
        for secret in secrets:
            assert secret.encode() not in body
    names = set()
    for data in _glbs(TilesetState.objects.get(community=village["community"])).values():
        gltf, _ = parse_glb(data)
        for cls in gltf["extensions"]["EXT_structural_metadata"]["schema"]["classes"].values():
            names |= set(cls["properties"])
    assert names == {"room_id", "building_id", "building", "floor", "number", "floors"}


def test_viewer_page_chinese_first_english_second(village, client: Client):
    build_community(village["community"])
    html = client.get("/3d/").content.decode()
    assert "<title>三维模型</title>" in html and "vendor/cesium/Cesium.js" in html
    config = json.loads(html.split('id="viewer-config" type="application/json">')[1].split("</script>")[0])
    assert config["strings"]["all_floors"] == "全部楼层" and config["maxFloor"] == 5 and config["view"]
    assert config["status"] == f"/3d/status.json?community={village['community'].code}"
    assert 'href="/3d/"' in client.get("/").content.decode()
    en = client.get("/3d/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<title>3D model</title>" in en and "All floors" in en


def test_admin_lists_the_build_state_and_schedules_a_rebuild(village, client: Client):
    from django.contrib.auth import get_user_model

    build_community(village["community"])
    admin = get_user_model().objects.create_superuser("root", password="a-long-password-1")
    client.force_login(admin)
    page = client.get("/admin/model3d/tilesetstate/")
    assert page.status_code == 200 and village["community"].name in page.content.decode()
    state = TilesetState.objects.get(community=village["community"])
    assert state.dirty_since is None
    client.post("/admin/model3d/tilesetstate/", {"action": "rebuild", "_selected_action": [state.pk]})
    assert TilesetState.objects.get(pk=state.pk).dirty_since is not None


def test_moving_a_building_to_another_community_marks_both(village, django_capture_on_commit_callbacks):
    from tests.factories import make_community

    west = village["community"]
    east = make_community(code="530112001002", name="东社区", extent=(400, 0, 800, 200))
    build_community(west)
    build_community(east)
    b = Building.objects.get(code="V03")
    with django_capture_on_commit_callbacks(execute=True):
        b.footprint = rect(500, 50, 516, 60)
        b.save()
    b.refresh_from_db()
    assert b.community_id == east.pk
    assert TilesetState.objects.get(community=west).dirty_since is not None
    assert TilesetState.objects.get(community=east).dirty_since is not None
    build_community(west)
    build_community(east)
    east_state = TilesetState.objects.get(community=east)
    assert check_tileset(east_state) == [] and TileContent.objects.filter(state=east_state).count() == 3
