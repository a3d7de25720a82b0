"""Report creation: photo cleaning, input checks, duplicates within 50 m, merging."""

import io

import pytest
from django.contrib.auth import get_user_model
from PIL import Image

from gis_core.errors import BadRequest, PayloadTooLarge, Unprocessable
from reports import photos
from reports.models import Report
from reports.services import create_report, merge, nearby_open, parse_point
from tests.factories import lonlat, point


def jpeg_with_gps(size=(3000, 2000)) -> bytes:
    img = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {1: "N", 2: (24.0, 59.0, 0.0)}  # GPS IFD
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_photo_is_resized_and_loses_exif_and_gps():
    raw = jpeg_with_gps()
    assert Image.open(io.BytesIO(raw)).getexif().get(0x010F) == "SecretCam"
    cleaned = Image.open(io.BytesIO(photos.clean(raw)))
    # Decoded at half size by the JPEG decoder's own scaling: within LONG_EDGE, no resampling.
    assert max(cleaned.size) == 1500 and cleaned.size == (1500, 1000)
    assert not cleaned.getexif() and "exif" not in cleaned.info
    assert b"SecretCam" not in photos.clean(raw)


def test_bad_photos_are_4xx():
    with pytest.raises(BadRequest):
        photos.clean(b"<html>not an image</html>")
    gif = io.BytesIO()
    Image.new("P", (10, 10)).save(gif, "GIF")
    with pytest.raises(BadRequest):
        photos.clean(gif.getvalue())
    with pytest.raises(PayloadTooLarge):
        photos.clean(b"\xff" * (photos.MAX_BYTES + 1))
    with pytest.raises(BadRequest):
        photos.clean_all([jpeg_with_gps((10, 10))] * 4)


@pytest.mark.parametrize("lat,lon", [("x", "1"), (None, 2), (91, 0), (0, 181)])
def test_bad_coordinates_are_400(lat, lon):
    with pytest.raises(BadRequest):
        parse_point(lat, lon)


def test_create_report_stores_clean_photos_and_escapes_html(mesh_scene):
    r = create_report(category_code="sanitation", location=point(60, 40), description="<script>alert(1)</script>垃圾满了",
                      phone="13800138000", photos=[jpeg_with_gps()])
    assert "<script>" not in r.description and "垃圾满了" in r.description
    assert r.grid == mesh_scene["west"] and r.photos.count() == 1
    assert r.photos.get().pending and photos.clean_pending() == 1  # cleaned by the clock worker
    assert b"SecretCam" not in r.photos.get().image()
    assert [e.action for e in r.events.all()] == ["created", "fallback"]  # dispatched at once; nobody on duty


def test_bad_input_is_refused(mesh_scene):
    with pytest.raises(BadRequest, match="类别"):
        create_report(category_code="nope", location=point(60, 40), description="x")
    with pytest.raises(BadRequest):
        create_report(category_code="safety", location=point(60, 40), description="   ")
    with pytest.raises(BadRequest):
        create_report(category_code="safety", location=point(60, 40), description="x", phone="call me")
    with pytest.raises(Unprocessable):
        create_report(category_code="safety", location=point(5000, 5000), description="x")
    assert Report.objects.count() == 0


def test_nearby_open_reports_within_50_m_of_same_category(mesh_scene):
    a = create_report(category_code="sanitation", location=point(60, 40), description="a")
    create_report(category_code="sanitation", location=point(60, 120), description="80 m away")
    create_report(category_code="safety", location=point(61, 40), description="other category")
    lon, lat = lonlat(80, 40)
    assert list(nearby_open(a.category, parse_point(lat, lon))) == [a]


def test_staff_merge_duplicates(mesh_scene):
    staff = get_user_model().objects.create_user("s", is_staff=True)
    a = create_report(category_code="sanitation", location=point(60, 40), description="a")
    b = create_report(category_code="sanitation", location=point(62, 40), description="b")
    merge(b, a, staff)
    b.refresh_from_db()
    assert b.duplicate_of == a and b.status == Report.Status.DUPLICATE
    assert b.events.last().action == "merged" and b.events.last().actor == staff
    assert list(nearby_open(a.category, a.location)) == [a]
    with pytest.raises(BadRequest):
        merge(a, a, staff)
