"""A small community made by the test, brought in from the files an office would send — in each
format — then served (tiles, kiosk search, 3D) and exported back."""

from __future__ import annotations

import json
import zipfile
from io import StringIO

import openpyxl
import pytest
from django.core.management import call_command

from buildings.models import Building, Room
from gis_core.models import Community, Grid
from kiosk.models import Kiosk
from model3d.build import build_community
from tests.factories import lonlat, point
from tests.onboarding.files import (
    GK_CM_102E, ogr2ogr, ogrinfo, polygon, write_geojson, write_osm_area,
)
from tests.tiles_helpers import decode, tile_of

pytestmark = pytest.mark.django_db

CODE = "530112001001"
GRIDS = [(0, 0, 200, 200), (200, 0, 400, 200)]  # west, east
BUILDINGS = {"甲1": (20, 20, 40, 35), "甲2": (60, 20, 80, 35), "乙1": (250, 20, 270, 40)}
ROOMS = [("甲1", 1, "101", 800, "空置"), ("甲1", 2, "201", 900, "已出租"), ("甲2", 1, "101", 600, "空置"),
         ("乙1", 3, "301", 700, "空置")]
HEADER = ["楼栋编号", "楼层", "房号", "面积", "月租金", "状态", "房东姓名", "房东电话"]


def boundary_features(*, codes=True, gk=False):
    community = polygon(0, 0, 400, 200, gk=gk, 编码=CODE, 名称="测试社区")
    grids = [polygon(*box, gk=gk, **({"编码": f"{CODE}{i:03d}"} if codes else {}), 名称=f"网格{i}", 责任人=f"网格员{i}")
             for i, box in enumerate(GRIDS, start=1)]
    return community, grids


def building_features(gk=False):
    return [polygon(*box, gk=gk, id=code, floors=4, address=f"学府路{code}号") for code, box in BUILDINGS.items()]


def zip_shapefile(tmp_path, name, src, *extra):
    ogr2ogr("-f", "ESRI Shapefile", "-lco", "ENCODING=GBK", *extra, tmp_path / f"{name}.shp", src)
    archive = tmp_path / f"{name}.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for ext in ("shp", "shx", "dbf"):  # no .prj, no .cpg
            z.write(tmp_path / f"{name}.{ext}", f"{name}.{ext}")
    return archive


def register(tmp_path, fmt):
    rows = [[f"E2E-{b}", floor, number, 20, rent, status, "赵六", "13600000000"] for b, floor, number, rent, status in ROOMS]
    if fmt == "xlsx":
        book = openpyxl.Workbook()
        book.active.append(["测试社区出租房屋登记表"])
        book.active.append(HEADER)
        for r in rows:
            book.active.append(r)
        book.save(tmp_path / "rooms.xlsx")
        return tmp_path / "rooms.xlsx"
    import csv
    import io

    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])
    path = tmp_path / "rooms.csv"
    path.write_bytes(out.getvalue().encode("gb18030" if fmt == "csv-gb18030" else "utf-8"))
    return path


def bring_in(tmp_path, kind) -> None:
    """Boundaries and buildings as the office sends them, through the three commands."""
    commands = []
    if kind == "geojson":
        community, grids = boundary_features()
        commands.append(["import_boundaries", write_geojson(tmp_path / "tree.geojson", [community, *grids])])
        commands.append(["import_buildings", write_geojson(tmp_path / "b.geojson", building_features()),
                         "--source", "E2E"])
    elif kind == "shapefile-gk-gbk+gpkg":
        community, grids = boundary_features(gk=True)
        src = write_geojson(tmp_path / "tree.geojson", [community, *grids], crs=GK_CM_102E)
        commands.append(["import_boundaries", zip_shapefile(tmp_path, "边界", src), "--srid", str(GK_CM_102E)])
        write_geojson(tmp_path / "b.geojson", building_features())
        ogr2ogr("-f", "GPKG", "-nln", "楼栋", tmp_path / "b.gpkg", tmp_path / "b.geojson")
        commands.append(["import_buildings", tmp_path / "b.gpkg", "--source", "E2E"])
    elif kind == "osm+kml+shapefile":
        pbf = write_osm_area(tmp_path / "village.osm.pbf", tags={"landuse": "residential", "name": "测试社区"})
        commands.append(["import_boundaries", pbf, "--level", "community", "--code-prefix", CODE[:9]])
        _, grids = boundary_features(codes=False)
        ogr2ogr("-f", "KML", tmp_path / "grids.kml", write_geojson(tmp_path / "g.geojson", grids))
        commands.append(["import_boundaries", tmp_path / "grids.kml", "--level", "grid"])
        src = write_geojson(tmp_path / "b.geojson", building_features())
        commands.append(["import_buildings", zip_shapefile(tmp_path, "楼栋", src), "--srid", "4490",
                         "--source", "E2E"])
    for args in commands:
        out = StringIO()
        call_command(*map(str, args), stdout=out)
        assert "导入完成" in out.getvalue(), out.getvalue()


@pytest.mark.parametrize("kind,rooms_format", [
    ("geojson", "xlsx"), ("shapefile-gk-gbk+gpkg", "csv-gb18030"), ("osm+kml+shapefile", "csv-utf8"),
])
def test_a_community_comes_in_is_served_and_goes_out(tmp_path, client, kind, rooms_format):
    bring_in(tmp_path, kind)
    out = StringIO()
    call_command("import_rooms", str(register(tmp_path, rooms_format)), stdout=out)
    assert "导入完成" in out.getvalue()

    community = Community.objects.get(code=CODE)
    assert community.name == "测试社区"
    west, east = Grid.objects.get(code=f"{CODE}001"), Grid.objects.get(code=f"{CODE}002")
    placed = {b.code: b.grid_id for b in Building.objects.all()}
    assert placed == {"E2E-甲1": west.pk, "E2E-甲2": west.pk, "E2E-乙1": east.pk}
    assert Room.objects.count() == 4 and Room.objects.filter(layout__isnull=True).count() == 0
    assert Building.objects.get(code="E2E-甲1").landlord.name == "赵六"

    # Tiles: the buildings, their rooms and the grids, decoded from the served tiles.
    x, y = tile_of(*lonlat(30, 27), 18)
    tile = decode(client.get(f"/tiles/18/{x}/{y}.mvt"))
    b1 = Building.objects.get(code="E2E-甲1")
    assert tile["buildings"][b1.pk]["room_count"] == 2 and tile["buildings"][b1.pk]["vacant_count"] == 1
    assert {r["number"] for r in tile["rooms"].values() if r["building"] == "E2E-甲1"} == {"101", "201"}
    x, y = tile_of(*lonlat(100, 100), 14)
    assert {g["code"] for g in decode(client.get(f"/tiles/14/{x}/{y}.mvt"))["grids"].values()} >= {west.code}

    # Kiosk search: the three vacant rooms, nearest first.
    Kiosk.objects.create(code="k-e2e", name="一组", community=community, resident_group="一组", location=point(10, 25))
    found = client.get("/api/vacant-rooms/", {"kiosk": "k-e2e"}).json()
    assert [f"{r['building']}-{r['number']}" for r in found["results"]] == ["E2E-甲1-101", "E2E-甲2-101", "E2E-乙1-301"]

    # 3D: the community's tileset is built and served.
    build_community(community)
    tileset = client.get(f"/tiles/3d/{CODE}/tileset.json")
    assert tileset.status_code == 200 and json.loads(tileset.content)["asset"]["version"] == "1.1"

    # Out again: every layer and the register, which re-imports unchanged.
    call_command("export", str(tmp_path / "out.gpkg"), "--community", CODE, stdout=StringIO())
    info = ogrinfo("-so", "-al", tmp_path / "out.gpkg")
    assert info.count("Feature Count: 3") >= 1 and "Layer name: rooms" in info
    call_command("export", str(tmp_path / "out.xlsx"), "--community", CODE, stdout=StringIO())
    again = StringIO()
    call_command("import_rooms", str(tmp_path / "out.xlsx"), stdout=again)
    assert "未变 unchanged 4" in again.getvalue()
    boundaries = StringIO()
    call_command("import_boundaries", str(tmp_path / "out.gpkg"), "--layer", "communities", "--layer", "grids",
                 stdout=boundaries)
    assert "未变 unchanged 3" in boundaries.getvalue()
