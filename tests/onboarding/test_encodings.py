"""Text in GBK/GB18030 (what Chinese desktop GIS and Excel write) is detected and decoded, never a 500."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile

from buildings.models import Building
from onboarding.footprints import ImportOptions, import_buildings
from onboarding.source import guess_encoding
from tests.onboarding.files import ogr2ogr, polygon, write_geojson

pytestmark = pytest.mark.django_db

FEATURES = [polygon(20, 20, 40, 35, 编号="甲1", 层数=4, 地址="学府路１号（东幢）"),
            polygon(250, 20, 270, 40, 编号="甲2", 层数=2, 地址="学府路2号")]


def addresses():
    return dict(Building.objects.values_list("source_id", "address"))


def test_guess_prefers_utf8_then_gb18030():
    assert guess_encoding(["学府路".encode()]) == "utf-8"
    assert guess_encoding(["学府路".encode("gbk"), b"plain"]) == "gb18030"
    assert guess_encoding([b"ascii only"]) == "utf-8"
    assert guess_encoding(["€".encode("cp1252"), b"\xff\xfe\xff"]) == "latin-1"  # neither: say so, don't crash


@pytest.mark.parametrize("encoding", ["utf-8", "gbk", "gb18030"])
def test_geojson_in_any_chinese_encoding(tmp_path, community, encoding):
    path = write_geojson(tmp_path / "survey.geojson", FEATURES, encoding=encoding)
    report = import_buildings(path, ImportOptions(address_field="地址"))
    assert report.encoding == ("utf-8" if encoding == "utf-8" else "gb18030")
    assert addresses() == {"甲1": "学府路１号（东幢）", "甲2": "学府路2号"}
    assert dict(Building.objects.values_list("source_id", "floors")) == {"甲1": 4, "甲2": 2}


@pytest.mark.parametrize("cpg", [True, False], ids=["with .cpg", "without .cpg"])
def test_gbk_shapefile_with_or_without_cpg(tmp_path, community, cpg):
    source = write_geojson(tmp_path / "src.geojson", FEATURES)
    shp = tmp_path / "楼栋.shp"
    ogr2ogr("-f", "ESRI Shapefile", "-lco", "ENCODING=GBK", shp, source)
    if not cpg:
        (tmp_path / "楼栋.cpg").unlink()  # the common case: GDAL hands the GBK bytes over as they are
    report = import_buildings(shp, ImportOptions(srid=4490, address_field="地址", floors_field="层数"))
    assert report.counts()["created"] == 2
    assert addresses() == {"甲1": "学府路１号（东幢）", "甲2": "学府路2号"}


def test_admin_upload_of_gbk_geojson_is_not_a_server_error(client, tmp_path, community):
    user = User.objects.create_user("planner", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="add_building", content_type__app_label="buildings"))
    client.force_login(user)
    body = write_geojson(tmp_path / "gbk.geojson", FEATURES, encoding="gbk").read_bytes()
    response = client.post("/admin/buildings/building/import/", {
        "file": SimpleUploadedFile("gbk.geojson", body), "default_floors": 1, "floor_height": 3, "repair": "on",
        "address_field": "地址"})
    assert response.status_code == 200
    assert "甲2" in response.content.decode() and "导入完成" in response.content.decode()
    assert addresses()["甲2"] == "学府路2号"
