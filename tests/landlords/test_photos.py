"""Room photos: non-images and oversize uploads refused with 4xx and a message; what is stored is a
resized JPEG without EXIF (read back from the database with Pillow); at most six per room."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from buildings.models import RoomPhoto
from landlords import photos
from tests.landlords.conftest import jpeg

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(estate):
    client = Client()
    client.force_login(estate.user)
    return client


def _upload(client, room, name, data, content_type="image/jpeg"):
    return client.post(f"/my/r/{room.pk}/photos/", {"photo": SimpleUploadedFile(name, data, content_type)})


def test_exif_is_stripped_and_the_photo_resized(estate, signed_in):
    original = jpeg((4000, 3000))
    assert Image.open(io.BytesIO(original)).getexif()[0x010F] == "PhoneMaker"  # the test photo has EXIF
    assert _upload(signed_in, estate.vacant, "phone.jpg", original).status_code == 302
    (stored,) = RoomPhoto.objects.filter(room=estate.vacant)
    image = Image.open(io.BytesIO(bytes(stored.image)))
    assert image.format == "JPEG" and max(image.size) == photos.LONG_SIDE and image.size == (1600, 1200)
    assert (stored.width, stored.height) == image.size
    assert len(image.getexif()) == 0 and "exif" not in image.info and "icc_profile" not in image.info
    assert b"PhoneMaker" not in bytes(stored.image) and b"Exif" not in bytes(stored.image)
    assert image.getpixel((800, 600)) == pytest.approx((180, 120, 60), abs=3)


def test_a_rotated_phone_photo_is_stored_upright(estate, signed_in):
    image = Image.new("RGB", (400, 300), (0, 0, 255))
    e = Image.Exif()
    e[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    out = io.BytesIO()
    image.save(out, "JPEG", exif=e.tobytes())
    _upload(signed_in, estate.vacant, "rotated.jpg", out.getvalue())
    stored = RoomPhoto.objects.get(room=estate.vacant)
    assert Image.open(io.BytesIO(bytes(stored.image))).size == (300, 400)


def _png_bomb(width=20000, height=20000) -> bytes:
    """A tiny PNG file that decodes to width × height pixels (a decompression bomb)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = zlib.compress(b"\x00" * (width // 8 + 1) * 64, 9)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


@pytest.mark.parametrize("name,data,content_type,status", [
    ("notes.txt", "这不是照片".encode(), "text/plain", 422),
    ("fake.jpg", b"\xff\xd8\xff\xe0 not really a jpeg" * 10, "image/jpeg", 422),
    ("page.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n", "application/pdf", 422),
    ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "image/svg+xml", 422),
    ("anim.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif", 422),
    ("bomb.png", _png_bomb(), "image/png", 413),
    ("huge.jpg", b"\xff\xd8" + b"\x00" * (photos.MAX_BYTES + 1), "image/jpeg", 413),
], ids=["text", "fake-jpeg", "pdf", "svg", "gif", "bomb", "oversize"])
def test_non_images_and_oversize_are_refused(estate, signed_in, name, data, content_type, status):
    response = _upload(signed_in, estate.vacant, name, data, content_type)
    assert response.status_code == status
    assert "照片" in response.content.decode()  # a message saying what is wrong
    assert not RoomPhoto.objects.filter(room=estate.vacant).exists()


def test_no_file_and_the_seventh_photo_are_refused(estate, signed_in):
    assert signed_in.post(f"/my/r/{estate.vacant.pk}/photos/", {}).status_code == 400
    small = jpeg((64, 48), exif=False)
    for i in range(RoomPhoto.MAX_PER_ROOM):
        assert _upload(signed_in, estate.vacant, f"{i}.jpg", small).status_code == 302
    assert _upload(signed_in, estate.vacant, "7.jpg", small).status_code == 409
    assert RoomPhoto.objects.filter(room=estate.vacant).count() == 6


def test_the_page_says_photos_of_documents_or_people_are_the_landlords_responsibility(estate, signed_in):
    body = signed_in.get(f"/my/r/{estate.vacant.pk}/").content.decode()
    assert "证件、人物" in body and "责任由房东自负" in body
