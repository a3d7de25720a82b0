"""Photos off the request path: a header check at submit, the upload stored sealed and never
served, cleaned (re-encoded, EXIF/GPS gone, resized) by the clock worker; a photo whose body does
not decode is dropped there and the reporter's page says so; a crashed or restarted worker
leaves nothing half-done."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from PIL import Image

from reports import photos
from reports.models import Report, ReportPhoto
from reports.services import create_report
from tests.reports.conftest import upload

ROOT = Path(__file__).resolve().parents[2]
MARK = "SecretCam-7731"


def phone_jpeg(size=(3000, 2000)) -> bytes:
    """A camera JPEG with its maker, a serial-like marker and a GPS position in the EXIF."""
    img = Image.effect_noise(size, 60).convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = MARK  # Make
    exif[0x8825] = {1: "N", 2: (25.0, 1.0, 48.0), 3: "E", 4: (102.0, 39.0, 36.0)}  # GPS IFD
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif, quality=85)
    return out.getvalue()


def corrupt_body() -> bytes:
    """A JPEG whose header is whole (format, size) and whose scan data stops half-way."""
    data = phone_jpeg((800, 600))
    return data[: len(data) // 2]


def submit(client, gate, *files, **extra):
    return client.post(f"/p/{gate.qr_token}/submit", {"category": "sanitation", "description": "垃圾满了",
                                                      "photo": [upload(f) for f in files]}, **extra)


@pytest.fixture
def staff(on_duty):
    from django.test import Client

    c = Client()
    c.force_login(on_duty)  # the grid worker of the gate's grid
    return c


@pytest.fixture
def superuser(django_user_model):
    from django.test import Client

    c = Client()
    c.force_login(django_user_model.objects.create_superuser("root", password="pw-for-tests-only"))
    return c


def test_the_upload_never_reaches_a_page_or_export_and_the_cleaned_photo_appears(gate, staff, superuser):
    from django.test import Client

    raw = phone_jpeg()
    assert MARK.encode() in raw
    resident = Client()
    r = submit(resident, gate, raw)
    assert r.status_code == 201, r.content
    report = Report.objects.get(pk=r.json()["id"])
    row = report.photos.get()
    assert row.pending and MARK.encode() not in bytes(row.upload_sealed)  # sealed at rest
    with pytest.raises(ValueError):
        row.image()

    def everything_shown():
        pages = [staff.get(f"/duty/r/{report.pk}/"), staff.get(f"/duty/r/{report.pk}/photo/{row.pk}.jpg"),
                 staff.get("/duty/dashboard.csv", {"reason": "检查"}), resident.get(r.json()["receipt"]),
                 superuser.get(f"/admin/reports/report/{report.pk}/change/"),
                 resident.get("/open311/v2/requests.json"), resident.get("/open311/v2/requests.xml"),
                 resident.get(f"/open311/v2/requests/{report.pk}.json")]
        assert [p.status_code for p in pages if p.status_code != 200] in ([], [404])
        for page in pages:
            body = page.content
            assert MARK.encode() not in body and b"Exif" not in body  # nothing of the upload's EXIF
        return pages

    pages = everything_shown()
    assert pages[1].status_code == 404  # still processing: not served
    assert "照片处理中" in pages[0].content.decode() and f"/photo/{row.pk}.jpg" not in pages[0].content.decode()
    assert "张照片处理中" in pages[3].content.decode()

    assert photos.clean_pending() == 1  # the worker's round
    row.refresh_from_db()
    assert not row.pending and row.upload_sealed is None
    pages = everything_shown()
    assert pages[1].status_code == 200 and pages[1]["Content-Type"] == "image/jpeg"
    cleaned = Image.open(io.BytesIO(pages[1].content))
    assert not cleaned.getexif() and "exif" not in cleaned.info and max(cleaned.size) <= photos.LONG_EDGE
    assert cleaned.getexif().get_ifd(0x8825) == {} and b"Exif" not in pages[1].content
    assert f"/photo/{row.pk}.jpg" in pages[0].content.decode() and "照片处理中" not in pages[0].content.decode()
    assert "张照片处理中" not in pages[3].content.decode()
    assert photos.clean_pending() == 0  # nothing twice


@pytest.mark.parametrize("data", [
    b"\xff\xd8\xff\xe0" + b"\x00" * 40,  # a JPEG's first bytes and nothing readable after
    b"<html><script>alert(1)</script></html>",
    b"GIF89a" + b"\x00" * 100,
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 10,  # a PNG signature, no header chunk
])
def test_a_wrong_header_is_4xx_at_submit(client, gate, data):
    r = submit(client, gate, data)
    assert 400 <= r.status_code < 500 and r.json()["detail"]
    assert not Report.objects.exists() and not ReportPhoto.objects.exists()


def test_a_png_named_jpeg_is_checked_by_its_bytes(client, gate):
    out = io.BytesIO()
    Image.new("RGB", (40, 30)).save(out, "PNG")
    assert submit(client, gate, out.getvalue()).status_code == 201  # the bytes say PNG: accepted as PNG


def test_a_valid_header_with_a_corrupt_body_is_dropped_later_with_a_reason(client, gate):
    r = submit(client, gate, corrupt_body(), phone_jpeg((400, 300)))
    assert r.status_code == 201  # the header check cannot see the body
    report = Report.objects.get(pk=r.json()["id"])
    assert report.photos.count() == 2
    assert photos.clean_pending() == 2
    assert report.photos.count() == 1 and not report.photos.get().pending  # the good one stays
    dropped = report.events.get(action="photo_dropped")
    assert dropped.reason == photos.DROPPED_REASONS["decode"]
    page = client.get(r.json()["receipt"]).content.decode()
    assert "一张照片无法使用" in page and "照片内容损坏" in page
    en = client.get(r.json()["receipt"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "A photo could not be used" in en and "damaged" in en


def test_a_crash_while_cleaning_leaves_the_photo_pending_and_the_next_run_cleans_it_once(mesh_scene, monkeypatch):
    from tests.factories import point

    report = create_report(category_code="sanitation", location=point(60, 40), description="x",
                           photos=[phone_jpeg((400, 300))])

    def crash(data):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(photos, "clean", crash)
    with pytest.raises(RuntimeError):
        photos.clean_pending()
    row = report.photos.get()
    assert row.pending and row.upload_sealed is not None  # rolled back: still queued
    monkeypatch.undo()
    assert photos.clean_pending() == 1 and photos.clean_pending() == 0
    assert not report.photos.get().pending and not report.events.filter(action="photo_dropped").exists()


@pytest.mark.django_db(transaction=True)
def test_photos_stored_while_no_worker_runs_are_cleaned_when_it_starts(mesh_scene):
    from tests.factories import point

    report = create_report(category_code="sanitation", location=point(60, 40), description="x",
                           photos=[phone_jpeg((400, 300)), corrupt_body()])
    s = connection.settings_dict
    env = {**os.environ, "DATABASE_URL": f"postgis://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST'] or ''}:"
                                         f"{s['PORT'] or ''}/{s['NAME']}"}
    cmd = [sys.executable, "manage.py", "run_report_clock", "--once"]
    for _ in range(2):  # started, then restarted: the second run finds nothing to do
        out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
    assert "cleaned 0 photo(s)" in out.stdout
    assert [p.pending for p in report.photos.all()] == [False]
    assert report.events.filter(action="photo_dropped").count() == 1
