"""Building QR codes: the public page behind a door code, revocation, and the staff's label sheets."""

from __future__ import annotations

import gzip
import json
import re
import secrets
import xml.etree.ElementTree as ET

import pypdfium2 as pdfium
import pytest
import zxingcpp
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.messages.storage.fallback import FallbackStorage
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from buildings.models import Building, Landlord
from kiosk.models import Kiosk
from qrcodes.admin import print_qr_sheet, reissue_qr_codes
from qrcodes.models import RevokedQrToken
from qrcodes.services import reissue
from tests.browser import ARTIFACTS
from tests.factories import make_building, make_grid, make_room, point

PUBLIC = "https://gis.example.cn"
ROW = re.compile(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>")


def page_url(building) -> str:
    return f"/b/{building.qr_token}/"


def decode(image) -> list[str]:
    return sorted(b.text for b in zxingcpp.read_barcodes(image))


def pdf_pages(pdf: bytes) -> list:
    return [page.render(scale=3).to_pil() for page in pdfium.PdfDocument(pdf)]


@pytest.fixture
def street(two_grids):
    """Ten buildings in a row in the west grid (more than one A4 page of labels), one in the east."""
    west = [make_building(f"W-{i:02d}", (8 + 18 * i, 20, 22 + 18 * i, 34)) for i in range(10)]
    east = make_building("E-01", (250, 20, 270, 40))
    return west, east


@pytest.fixture
def viewer(db):
    """Staff allowed to print sheets: signed in, with `buildings.view_building`."""
    user = get_user_model().objects.create_user("printer", password="pw-for-tests-only", is_staff=True)
    user.user_permissions.add(Permission.objects.get(content_type__app_label="buildings", codename="view_building"))
    return user


@pytest.fixture
def staff_client(client, viewer):
    client.force_login(viewer)
    return client


# --- the public page ----------------------------------------------------------------------------

def test_page_shows_address_vacant_rooms_by_rent_and_a_map(client, two_grids):
    building = make_building("B-1", (180, 50, 195, 65))  # by the line between the two grids (x = 200 m)
    make_room(building, 2, "201", rent=900, area=18.5, capacity=3)
    make_room(building, 1, "101", rent=700, area=25, capacity=2)
    make_room(building, 3, "301", rent=500, status="let")
    make_building("N-1", (205, 50, 220, 65))  # a neighbour across the line

    r = client.get(page_url(building))

    assert r.status_code == 200
    html = r.content.decode()
    assert building.address in html and building.code in html and "测试社区" in html
    # Vacant rooms only, cheapest first: floor, number, area, rent, capacity.
    assert ROW.findall(html) == [("1", "101", "25", "700", "2"), ("2", "201", "18.5", "900", "3")]
    assert "301" not in html
    svg = re.search(r"<svg viewBox.*?</svg>", html, re.S).group(0)
    paths = dict(re.findall(r'<path d="([^"]*)" fill="(#[0-9a-f]+)"', svg))
    assert {"#cfd6de", "#e8590c"} <= set(paths.values())  # neighbours and the building itself
    assert 'stroke-dasharray' in svg  # the grid's boundary
    assert "请到社区服务大厅咨询" in html


def test_page_in_english_follows_the_browser(client, building):
    make_room(building, 1, "101")
    html = client.get(page_url(building), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in html


def test_landlord_phone_only_with_recorded_consent(client, two_grids):
    landlord = Landlord.objects.create(name="李房东", phone="13800001111")
    b = make_building("B-9", (50, 50, 70, 65), landlord=landlord)
    make_room(b, 1, "101")

    html = client.get(page_url(b)).content.decode()
    assert "13800001111" not in html and "李房东" not in html
    assert "请到社区服务大厅咨询" in html

    landlord.record_consent(Landlord.ConsentMethod.PAPER)
    landlord.save()
    html = client.get(page_url(b)).content.decode()
    assert 'href="tel:13800001111"' in html
    assert "请到社区服务大厅咨询" not in html and "李房东" not in html


def test_page_has_no_tenant_data(client, building):
    from residents.models import Person, Tenancy

    make_room(building, 1, "101")
    let = make_room(building, 2, "202", status="let")
    person = Person.build(name="王小明", id_number="530112199001011234", sex="1", phone="13912345678",
                          address="云南省昆明市某某路 8 号")
    person.save()
    Tenancy.objects.create(person=person, room=let, start_date=timezone.localdate(), registered_via="staff")

    html = client.get(page_url(building)).content.decode()

    for secret in ("王小明", person.name_masked, "530112199001011234", person.id_number_masked, "13912345678",
                   "某某路", "202"):
        assert secret not in html, secret
    assert [row[1] for row in ROW.findall(html)] == ["101"]


def test_page_weight_is_small(client, two_grids):
    """One request, everything inline: measured for a busy building among 20 neighbours."""
    b = make_building("B-W", (100, 80, 125, 100), floors=6)
    for floor in range(1, 7):
        for n in (1, 2):
            make_room(b, floor, f"{floor}0{n}", rent=600 + 50 * floor, area=15 + n)
    for i in range(20):  # two rows of neighbours around it
        x = 20 + 18 * (i % 10)
        y = 50 if i < 10 else 110
        make_building(f"N-{i:02d}", (x, y, x + 14, y + 14))

    raw = client.get(page_url(b))
    zipped = client.get(page_url(b), HTTP_ACCEPT_ENCODING="gzip")

    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == raw.content
    weight = {"html_bytes": len(raw.content), "gzip_bytes": len(zipped.content), "vacant_rooms": 12,
              "neighbours": 20}
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "qr-page-weight.json").write_text(json.dumps(weight, indent=2) + "\n")
    print("building page weight:", weight)
    assert weight["html_bytes"] < 8_000, weight
    assert weight["gzip_bytes"] < 3_000, weight


def test_a_second_scan_costs_a_304(client, building):
    first = client.get(page_url(building))
    assert first["Cache-Control"] == "no-cache"
    again = client.get(page_url(building), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    make_room(building, 1, "101")  # a new vacancy changes the page, and so its ETag
    assert client.get(page_url(building), HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


# --- revocation and unknown tokens ---------------------------------------------------------------

def test_reissue_revokes_the_old_code_and_keeps_a_record(client, building, viewer):
    make_room(building, 1, "101")
    Kiosk.objects.create(code="k-1", name="一组终端机", community=building.community, resident_group="第一居民小组",
                         location=point(100, 100))
    old = building.qr_token

    new = reissue(building, "门牌被涂改", by=viewer)

    assert new != old and building.qr_token == new == Building.objects.get(pk=building.pk).qr_token
    record = RevokedQrToken.objects.get(token=old)
    assert (record.building, record.reason, record.revoked_by) == (building, "门牌被涂改", viewer)

    gone = client.get(f"/b/{old}/")
    assert gone.status_code == 410
    html = gone.content.decode()
    assert "此二维码已停用" in html and "服务大厅" in html and "一组终端机" in html
    for building_data in (building.code, building.address, "101", "<table"):
        assert building_data not in html
    assert client.get(f"/b/{new}/").status_code == 200

    newer = reissue(building, "再次损坏")
    assert client.get(f"/b/{new}/").status_code == 410
    assert client.get(f"/b/{newer}/").status_code == 200
    assert RevokedQrToken.objects.filter(building=building).count() == 2


def test_unknown_tokens_all_get_the_same_friendly_404(client, building):
    """No enumeration oracle: whatever an unknown token looks like, even when it shares all but its
    last character with a real one, the answer is the same page from the same queries."""
    real = building.qr_token
    near_miss = real[:-1] + ("A" if real[-1] != "A" else "B")
    candidates = [secrets.token_urlsafe(16), near_miss, real[:8], "x", "z" * 64, real.upper() + "0"]
    answers = []
    for token in candidates:
        with CaptureQueriesContext(connection) as queries:
            r = client.get(f"/b/{token}/")
        answers.append((r.status_code, r.content, [re.sub(r"'[^']*'", "?", q["sql"]) for q in queries]))

    assert answers[0][0] == 404
    assert "未找到此二维码" in answers[0][1].decode() and "服务大厅" in answers[0][1].decode()
    assert all(a == answers[0] for a in answers), "unknown tokens must be indistinguishable"


# --- sheets: access and parameters ----------------------------------------------------------------

SHEETS = ["/qr/sheet/", "/qr/sheet.svg", "/qr/sheet.pdf"]


@pytest.mark.parametrize("url", SHEETS)
def test_sheets_need_a_login(client, building, url):
    r = client.get(url, {"buildings": building.code})
    assert r.status_code == 302 and r["Location"].startswith("/admin/login/?next=")


@pytest.mark.parametrize("url", SHEETS)
def test_sheets_need_the_view_building_permission(client, building, url):
    client.force_login(get_user_model().objects.create_user("clerk", is_staff=True))
    assert client.get(url, {"buildings": building.code}).status_code == 403


@pytest.mark.parametrize("params, status, message", [
    ({}, 400, "grid="),
    ({"grid": "530112001001001", "buildings": "B-1"}, 400, "grid="),
    ({"grid": "530112001001999"}, 404, "530112001001999"),
    ({"buildings": "B-1,NOPE-7"}, 404, "NOPE-7"),
])
def test_sheet_parameters_are_checked(staff_client, building, params, status, message):
    r = staff_client.get("/qr/sheet.svg", params)
    assert r.status_code == status
    assert message in r.content.decode()


def test_a_grid_without_buildings_is_404(staff_client, building, two_grids):
    east = two_grids[1]
    r = staff_client.get("/qr/sheet/", {"grid": east.code})
    assert r.status_code == 404 and east.code in r.content.decode()


# --- sheets: content -----------------------------------------------------------------------------

def test_pdf_sheet_decodes_to_each_buildings_page(staff_client, street, settings):
    settings.PUBLIC_BASE_URL = PUBLIC + "/"  # a trailing slash is tolerated
    west, east = street
    grid = west[0].grid

    r = staff_client.get("/qr/sheet.pdf", {"grid": grid.code})

    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    pages = pdf_pages(r.content)
    ARTIFACTS.mkdir(exist_ok=True)
    pages[0].save(ARTIFACTS / "qr-sheet-pdf.png")
    assert len(pages) == 2  # ten labels, eight to an A4 page
    assert sorted(decode(pages[0]) + decode(pages[1])) == sorted(f"{PUBLIC}/b/{b.qr_token}/" for b in west)
    text = pdfium.PdfDocument(r.content)[0].get_textpage().get_text_range()
    assert "W-00" in text and "测试路 W-00 号" in text and "测试社区" in text and "扫码查看空置房间" in text
    assert east.code not in text
    # The Simplified Chinese faces, embedded as subsets ("ABCDEF+…"): prints the same anywhere.
    assert set(re.findall(rb"/BaseFont /[A-Z]{6}\+(\S+)", r.content)) == {b"NotoSansCJKSC", b"NotoSansCJKSCBold"}


def test_pdf_falls_back_to_the_requests_own_host(staff_client, street, settings):
    settings.PUBLIC_BASE_URL = None
    west, _ = street
    r = staff_client.get("/qr/sheet.pdf", {"buildings": f"{west[3].code},{west[1].code}"})
    assert decode(pdf_pages(r.content)[0]) == sorted(f"http://testserver/b/{b.qr_token}/" for b in (west[1], west[3]))


def test_a_reissued_code_prints_its_new_url(staff_client, street, settings):
    settings.PUBLIC_BASE_URL = PUBLIC
    b = street[0][0]
    old = b.qr_token
    reissue(b, "被覆盖")
    found = decode(pdf_pages(staff_client.get("/qr/sheet.pdf", {"buildings": b.code}).content)[0])
    assert found == [f"{PUBLIC}/b/{b.qr_token}/"] and old not in found[0]


def test_svg_sheet_is_one_document_of_a4_pages(staff_client, street, settings):
    settings.PUBLIC_BASE_URL = PUBLIC
    west, _ = street
    r = staff_client.get("/qr/sheet.svg", {"grid": west[0].grid.code})

    assert r["Content-Type"] == "image/svg+xml; charset=utf-8"
    root = ET.fromstring(r.content)
    ns = {"svg": "http://www.w3.org/2000/svg"}
    assert (root.get("width"), root.get("height")) == ("210mm", "594mm")  # two A4 pages stacked
    labels = root.findall("svg:g/svg:g", ns)
    assert len(labels) == 10
    for label, b in zip(labels, west):
        assert [r.get("width") for r in label.findall("svg:rect", ns)] == ["90"]  # 90 × 60 mm
        assert label.find("svg:svg", ns).get("width") == "46"  # the code, quiet zone included
        assert b.code in [t.text for t in label.findall("svg:text", ns)]


def test_a_mesh_selects_its_own_buildings(staff_client, street):
    west, _ = street
    mesh = make_grid(west[0].community, 1, (0, 0, 60, 200), parent=west[0].grid)
    inside = [b.code for b in Building.objects.filter(mesh=mesh).order_by("code")]
    assert inside and len(inside) < len(west)
    html = staff_client.get("/qr/sheet/", {"grid": mesh.code}).content.decode()
    assert [c for c in (b.code for b in west) if f">{c}</text>" in html] == inside


def test_long_addresses_wrap_inside_the_label(staff_client, two_grids):
    from qrcodes.sheets import LABEL_H, TEXT_W, wrap

    b = make_building("B-LONG", (50, 50, 70, 65))
    b.address = "云南省昆明市五华区普吉街道王家桥社区居民委员会第三居民小组王家桥中路一百二十八号附三号"
    b.save()
    lines = wrap(b.address, 3.5, TEXT_W, 3)
    assert len(lines) == 3 and lines[-1].endswith("…")
    assert all(len(line) * 3.5 <= TEXT_W for line in lines)
    svg = staff_client.get("/qr/sheet.svg", {"buildings": b.code}).content.decode()
    ys = [float(y) for y in re.findall(r'<text x="[\d.]+" y="([\d.]+)"', svg)]
    assert max(ys) <= LABEL_H and ys == sorted(ys)  # top to bottom, nothing below the label


# --- admin actions (BuildingAdmin wires them) ---------------------------------------------------------

def _admin_request(user, data):
    request = RequestFactory().post("/admin/buildings/building/", data)
    request.user = user
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def test_admin_action_asks_for_a_reason_then_reissues(street):
    west, _ = street
    boss = get_user_model().objects.create_superuser("boss", "", "pw-for-tests-only")
    model_admin = admin.site._registry[Building]
    chosen = Building.objects.filter(code__in=[west[0].code, west[1].code])
    before = {b.pk: b.qr_token for b in chosen}

    confirm = reissue_qr_codes(model_admin, _admin_request(boss, {}), chosen)
    confirm.render()
    assert confirm.status_code == 200 and 'name="reason"' in confirm.rendered_content
    assert RevokedQrToken.objects.count() == 0

    assert reissue_qr_codes(model_admin, _admin_request(boss, {"reason": "台风后门牌脱落"}), chosen) is None
    records = RevokedQrToken.objects.filter(reason="台风后门牌脱落", revoked_by=boss)
    assert sorted(records.values_list("token", flat=True)) == sorted(before.values())
    assert all(Building.objects.get(pk=pk).qr_token != token for pk, token in before.items())


def test_admin_print_action_opens_the_sheet(street):
    west, _ = street
    boss = get_user_model().objects.create_superuser("boss", "", "pw-for-tests-only")
    r = print_qr_sheet(admin.site._registry[Building], _admin_request(boss, {}),
                       Building.objects.filter(code__in=[west[2].code, west[0].code]))
    assert r.status_code == 302 and r["Location"] == "/qr/sheet/?buildings=W-00%2CW-02"
