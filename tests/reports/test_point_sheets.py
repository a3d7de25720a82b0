"""Patrol-point plates: the door plates' A4 sheets (PDF and SVG), each code decoding back to the
point's phone page; staff with the permission only."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pypdfium2 as pdfium
import pytest
import zxingcpp
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from reports.models import PatrolPoint
from tests.browser import ARTIFACTS
from tests.factories import point

PUBLIC = "https://gis.example.cn"


@pytest.fixture
def points(mesh_scene):
    west = [PatrolPoint.objects.create(code=f"W{i:02d}", name=f"巷道{i}号", kind="alley",
                                       location=point(10 + 15 * i, 20 + 7 * i)) for i in range(9)]
    east = PatrolPoint.objects.create(code="E01", name="东门", kind="gate", location=point(300, 50))
    return west, east


@pytest.fixture
def printer(client, db):
    user = get_user_model().objects.create_user("printer", password="pw-for-tests-only", is_staff=True)
    user.user_permissions.add(Permission.objects.get(content_type__app_label="reports", codename="view_patrolpoint"))
    client.force_login(user)
    return client


def test_pdf_codes_decode_to_each_points_phone_page(printer, points, mesh_scene, settings):
    settings.PUBLIC_BASE_URL = PUBLIC
    west, east = points
    r = printer.get("/duty/points/sheet.pdf", {"grid": mesh_scene["west"].code})
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf" and "no-store" in r["Cache-Control"]
    pages = [p.render(scale=3).to_pil() for p in pdfium.PdfDocument(r.content)]
    assert len(pages) == 2  # nine plates, eight to an A4 page
    ARTIFACTS.mkdir(exist_ok=True)
    pages[0].save(ARTIFACTS / "patrol-points-pdf.png")
    found = sorted(b.text for page in pages for b in zxingcpp.read_barcodes(page))
    assert found == sorted(f"{PUBLIC}/p/{p.qr_token}/" for p in west)
    text = pdfium.PdfDocument(r.content)[0].get_textpage().get_text_range()
    assert "W00" in text and "巷道0号" in text and "扫码反映问题" in text and "E01" not in text


def test_svg_sheet_by_codes(printer, points, settings):
    settings.PUBLIC_BASE_URL = None
    west, east = points
    r = printer.get("/duty/points/sheet.svg", {"points": f"E01,{west[2].code}"})
    root = ET.fromstring(r.content)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "E01" in texts and west[2].code in texts and "Scan to report a problem" in texts
    assert printer.get("/duty/points/sheet.svg", {"points": "E01,NOPE"}).status_code == 404
    assert printer.get("/duty/points/sheet.svg").status_code == 400


def test_a_mesh_selects_its_points_and_a_scanned_code_opens_the_page(printer, client, points, mesh_scene):
    west, _ = points
    r = printer.get("/duty/points/sheet.svg", {"grid": mesh_scene["mesh"].code})
    inside = sorted(p.code for p in PatrolPoint.objects.filter(mesh=mesh_scene["mesh"]))
    root = ET.fromstring(r.content)
    texts = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert inside and {p.code for p in west if p.code in texts} == set(inside)


def test_staff_without_the_permission_cannot_print(client, points):
    assert client.get("/duty/points/sheet.pdf", {"points": "E01"}).status_code == 302
    client.force_login(get_user_model().objects.create_user("x", is_staff=True))
    assert client.get("/duty/points/sheet.pdf", {"points": "E01"}).status_code == 403
