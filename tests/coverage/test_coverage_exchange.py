"""Camera import/export (CSV, JSON) with GB/T 28181 / ONVIF fields: round trip, all-or-nothing,
clear errors, views computed for imported cameras."""

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from coverage import exchange
from gis_core.models import Camera
from tests.factories import lonlat, make_camera

pytestmark = pytest.mark.django_db


def test_csv_round_trip_with_gb28181_and_onvif_fields(planner, two_grids):
    c = make_camera(two_grids[0].community, code="53011200001320000001", ptz_type=Camera.PTZType.DOME, ptz_zoom_max=20,
            tilt_deg=25, heading=135)
    r = planner.get("/api/coverage/cameras/export.csv")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode())))
    assert rows[0]["DeviceID"] == c.code and rows[0]["PTZType"] == "1" and rows[0]["Pitch"] == "-25.0"
    assert rows[0]["Yaw"] == "135.0" and rows[0]["Resolution"] == "2560x1440" and rows[0]["CivilCode"] == "530112001001"
    # change it in the file and import it back: updated in place, views recomputed
    rows[0]["Yaw"] = "315"
    rows.append({**rows[0], "DeviceID": "53011200001320000002", "Name": "新枪机", "PTZType": "3", "ZoomMax": ""})
    out = io.StringIO()
    w = csv.DictWriter(out, exchange.COLUMNS)
    w.writeheader()
    w.writerows(rows)
    r = planner.post("/api/coverage/cameras/import/", out.getvalue(), content_type="text/csv")
    assert r.json() == {"created": 1, "updated": 1}, r.content
    assert Camera.objects.get(code=c.code).heading_deg == 315
    new = Camera.objects.get(code="53011200001320000002")
    assert new.view_bands.filter(kind="fixed").exists() and not c.view_bands.filter(kind="fixed").exists()


def test_json_export_and_import(planner, two_grids, tmp_path):
    make_camera(two_grids[0].community, code="X1")
    data = planner.get("/api/coverage/cameras/export.json").json()
    assert data["cameras"][0]["DeviceID"] == "X1" and data["cameras"][0]["Status"] == "ON"
    data["cameras"][0]["Status"] = "OFF"
    path = tmp_path / "cams.json"
    path.write_text(json.dumps(data))
    call_command("cameras_exchange", "import", str(path))
    assert not Camera.objects.get(code="X1").active
    assert not Camera.objects.get(code="X1").view_bands.exists()


def test_bad_rows_import_nothing_and_say_why(planner, two_grids):
    make_camera(two_grids[0].community, code="KEEP", heading=10)
    lon, lat = lonlat(50, 50)
    text = ("DeviceID,Name,Longitude,Latitude,Elevation,Yaw,HFOV,Resolution\n"
            f"KEEP,k,{lon},{lat},4,200,90,1920x1080\n"
            f"B1,b,{lon},{lat},4,400,90,1920x1080\n"
            f"B2,b,abc,{lat},4,10,90,1920x1080\n"
            f"B3,b,{lon},{lat},4,10,,1920x1080\n"
            f"B4,b,{lon},{lat},4,10,90,big\n"
            "B5,b,10.0,10.0,4,10,90,1920x1080\n")
    r = planner.post("/api/coverage/cameras/import/", text, content_type="text/csv")
    assert r.status_code == 422
    errors = "\n".join(r.json()["errors"])
    assert "row 2: heading_deg" in errors and "row 3: Longitude must be a number" in errors
    assert "row 4" in errors and "row 5: Resolution" in errors and "row 6: the position lies in no community" in errors
    assert Camera.objects.get(code="KEEP").heading_deg == 10 and Camera.objects.count() == 1
    assert planner.post("/api/coverage/cameras/import/", "{nope", content_type="application/json").status_code == 422
    assert planner.post("/api/coverage/cameras/import/", "x,y\n1,2\n", content_type="text/csv").status_code == 422
    with pytest.raises(CommandError, match="no such file"):
        call_command("cameras_exchange", "import", "/nonexistent.csv")


def test_compute_coverage_command_fills_views_after_a_bulk_load(two_grids, capsys):
    from coverage.models import AreaCoverage, ViewBand

    c = make_camera(two_grids[0].community)
    ViewBand.objects.all().delete()  # as after seed_demo's COPY, which fires no signals
    AreaCoverage.objects.all().delete()
    call_command("compute_coverage", "--if-empty")
    assert ViewBand.objects.filter(camera=c).exists() and AreaCoverage.objects.filter(area=two_grids[0]).exists()
    call_command("compute_coverage", "--if-empty")
    assert "already computed" in capsys.readouterr().out
    with pytest.raises(CommandError, match="no community"):
        call_command("compute_coverage", "--community", "999")
