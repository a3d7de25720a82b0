"""Issue 17 item 5: a building source whose text is not UTF-8 — Chinese GeoJSON and shapefiles
are often GBK/GB18030 — is read in that encoding, not refused with a 500 (DjangoUnicodeDecodeError
in the importer), through the importer and the admin's upload alike."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from buildings.importer import ImportOptions, import_buildings
from buildings.models import Building
from tests.factories import lonlat

pytestmark = pytest.mark.django_db


def gbk_geojson() -> bytes:
    ring = [list(lonlat(x, y)) for x, y in ((20, 20), (40, 20), (40, 35), (20, 35), (20, 20))]
    text = json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"id": 1, "floors": 3, "address": "学府路 1 号"},
        "geometry": {"type": "Polygon", "coordinates": [ring]}}]}, ensure_ascii=False)
    return text.encode("gb18030")


def test_a_gbk_geojson_is_read_as_gbk(tmp_path, two_grids):
    path = tmp_path / "survey.geojson"
    path.write_bytes(gbk_geojson())
    report = import_buildings(path, ImportOptions())
    assert report.imported == 1
    assert Building.objects.get(source="survey", source_id="1").address == "学府路 1 号"


def test_the_admin_upload_of_a_gbk_geojson_is_no_server_error(admin_client, two_grids):
    upload = SimpleUploadedFile("survey.geojson", gbk_geojson(), content_type="application/geo+json")
    r = admin_client.post("/admin/buildings/building/import/", {"file": upload, "dry_run": ""})
    assert r.status_code < 500, r.content[:500]
