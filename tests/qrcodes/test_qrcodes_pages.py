"""Building QR codes in real headless Chromium: the phone page, and sheets as a browser shows and prints them."""

from __future__ import annotations

from io import BytesIO

import pypdfium2 as pdfium
import pytest
import zxingcpp
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from PIL import Image

from buildings.models import Landlord
from qrcodes.services import reissue
from tests.factories import make_building, make_room

pytestmark = pytest.mark.django_db(transaction=True)

PUBLIC = "https://gis.example.cn"
PHONE = {"width": 390, "height": 844}
A4_AT_96_DPI = {"width": 794, "height": 1123}


def decode(image) -> list[str]:
    return sorted(b.text for b in zxingcpp.read_barcodes(image))


def sign_in(page, live_server):
    """A session for staff allowed to print, handed to the browser as its cookie."""
    user = get_user_model().objects.create_user("printer", password="pw-for-tests-only", is_staff=True)
    user.user_permissions.add(Permission.objects.get(content_type__app_label="buildings", codename="view_building"))
    client = Client()
    client.force_login(user)
    page.page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                                    "url": live_server.url}])


@pytest.fixture
def row(two_grids):
    return [make_building(f"W-{i:02d}", (8 + 18 * i, 20, 22 + 18 * i, 34)) for i in range(10)]


def test_building_page_on_a_phone(open_page, live_server, two_grids):
    landlord = Landlord.objects.create(name="李房东", phone="13800001111")
    landlord.record_consent(Landlord.ConsentMethod.IN_PERSON)
    landlord.save()
    b = make_building("B-7", (170, 60, 192, 80), landlord=landlord)
    b.address = "王家桥中路 128 号"
    b.save()
    for floor, number, rent in ((2, "201", 750), (2, "203", 820), (4, "402", 680)):
        make_room(b, floor, number, rent=rent, area=16)
    for i in range(8):
        make_building(f"N-{i}", (120 + 28 * (i % 4), 30 + 60 * (i // 4), 140 + 28 * (i % 4), 50 + 60 * (i // 4)))
    page = open_page(**PHONE, touch=True)
    p = page.page

    url = f"{live_server.url}/b/{b.qr_token}/"
    p.goto(url)

    assert page.requests == [url]  # one request: styles and map are inline, no script, no font
    assert p.inner_text("h1") == "王家桥中路 128 号"
    assert p.locator("tbody tr").count() == 3
    assert p.locator('a[href="tel:13800001111"]').is_visible()
    assert p.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling
    box = p.locator("main svg").bounding_box()
    assert box["width"] > 300 and box["height"] > 200
    sent = p.evaluate("performance.getEntriesByType('navigation')[0].encodedBodySize")
    assert 0 < sent < 3_000  # gzipped over the wire
    page.screenshot("qr-building-phone")


def test_revoked_code_on_a_phone(open_page, live_server, building):
    old = building.qr_token
    reissue(building, "门牌被涂改")
    page = open_page(**PHONE, touch=True)
    p = page.page
    response = p.goto(f"{live_server.url}/b/{old}/")
    assert response.status == 410
    assert p.inner_text("h1") == "此二维码已停用"
    assert building.address not in p.content()
    page.screenshot("qr-revoked-phone")


def test_svg_sheet_as_chromium_draws_it_decodes(open_page, live_server, row, settings):
    settings.PUBLIC_BASE_URL = PUBLIC
    # One A4 page of labels in an A4 window (a full-page screenshot of a bare SVG document never finishes).
    page = open_page(**A4_AT_96_DPI)
    sign_in(page, live_server)
    chosen = row[:3] + row[7:9]
    p = page.page
    p.goto(f"{live_server.url}/qr/sheet.svg?buildings=" + ",".join(b.code for b in chosen))
    shot = Image.open(BytesIO(p.screenshot()))
    assert decode(shot) == sorted(f"{PUBLIC}/b/{b.qr_token}/" for b in chosen)
    page.screenshot("qr-sheet-svg")


def test_print_page_prints_a4_pages_that_decode(page, live_server, row, settings):
    settings.PUBLIC_BASE_URL = PUBLIC
    sign_in(page, live_server)
    p = page.page
    p.goto(f"{live_server.url}/qr/sheet/?grid={row[0].grid.code}")
    page.screenshot("qr-sheet-html")

    pdf = pdfium.PdfDocument(p.pdf(prefer_css_page_size=True))

    assert len(pdf) == 2  # ten labels, eight to a page
    assert [tuple(round(v) for v in pg.get_size()) for pg in pdf] == [(595, 842)] * 2  # A4 in points
    found = [url for pg in pdf for url in decode(pg.render(scale=3).to_pil())]
    assert sorted(found) == sorted(f"{PUBLIC}/b/{b.qr_token}/" for b in row)
