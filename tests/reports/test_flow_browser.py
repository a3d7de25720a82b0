"""The whole path in headless Chromium on 390 × 844 phones: a patrol point's printed code is
scanned (decoded from the PDF), a resident reports with a photo, the report is dispatched to the
nearest worker on duty, who accepts, sets off, arrives (position recorded) and resolves with a
photo; a second resident joins the same report instead of filing another; the first confirms
(核查). No request leaves for another host (tests/browser.py checks every page)."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest
import zxingcpp
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from reports.models import PatrolPoint, Report
from tests.browser import ARTIFACTS
from tests.factories import lonlat, point
from tests.reports.conftest import jpeg_bytes

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844, "touch": True}


def session_cookie(user, live_server) -> dict:
    client = Client()
    client.force_login(user)
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}


def scanned_url(live_server, point_code: str) -> str:
    """Print the point's plate as staff do and read its code back, as a phone camera would."""
    printer = get_user_model().objects.create_user("printer", is_staff=True)
    printer.user_permissions.add(Permission.objects.get(content_type__app_label="reports", codename="view_patrolpoint"))
    client = Client()
    client.force_login(printer)
    pdf = client.get("/duty/points/sheet.pdf", {"points": point_code}).content
    image = pdfium.PdfDocument(pdf)[0].render(scale=3).to_pil()
    (code,) = zxingcpp.read_barcodes(image)
    return code.text


def test_qr_report_dispatch_accept_arrive_resolve_confirm(open_page, live_server, mesh_scene, on_duty, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    gate = PatrolPoint.objects.create(code="gate-1", name="一号院门", kind="gate", location=point(60, 40))
    url = scanned_url(live_server, gate.code)
    assert url == f"{live_server.url}/p/{gate.qr_token}/"

    # A resident scans the plate and reports, with a photo and a callback phone.
    resident = open_page(**PHONE)
    p = resident.page
    p.goto(url)
    assert p.locator("#place").inner_text().startswith("一号院门")
    p.get_by_text("环境卫生").click()
    p.fill("#description", "院门口垃圾两天没有清运")
    p.set_input_files("#photo", files=[{"name": "a.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes((800, 600))}])
    p.fill("#phone", "13800138000")
    resident.screenshot("report-form")
    p.click("#send")
    p.wait_for_url("**/report/*/")
    report = Report.objects.get()
    assert report.assignee == on_duty and report.status == Report.Status.OFFERED and report.point == gate
    assert p.locator("#status").inner_text() == "已派单"
    receipt_url = p.url
    resident.screenshot("report-receipt")

    # Another resident at the same point sees it before submitting and joins it.
    neighbour = open_page(**PHONE)
    q = neighbour.page
    q.goto(url)
    q.get_by_text("环境卫生").click()
    q.wait_for_selector("#nearby:not([hidden]) [data-join]")
    assert "院门口垃圾两天没有清运" in q.locator("#nearby-list").inner_text()
    neighbour.screenshot("report-nearby")
    q.click(f"[data-join='{report.pk}']")
    q.wait_for_url("**/report/*/")
    assert q.locator("#joined").is_visible() and Report.objects.filter(duplicate_of=report).count() == 1

    # The worker on duty, on their phone, with location permission.
    worker = open_page(**PHONE)
    w = worker.page
    w.context.add_cookies([session_cookie(on_duty, live_server)])
    lon, lat = lonlat(61, 41)
    w.context.grant_permissions(["geolocation"], origin=live_server.url)
    w.context.set_geolocation({"latitude": lat, "longitude": lon, "accuracy": 5})
    w.goto(f"{live_server.url}/duty/")
    worker.screenshot("duty-home")
    w.click(f"a.rep[data-id='{report.pk}']")
    w.click("#do-accept")
    w.click("#do-on_the_way")
    worker.screenshot("duty-report")
    w.click("#do-arrived")
    w.wait_for_selector("#do-resolved")
    w.set_input_files("#proof", files=[{"name": "done.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}])
    w.click("#do-resolved")
    assert w.locator("#status").inner_text() == "已办结"
    report.refresh_from_db()
    arrived = report.events.get(action="arrived")
    assert arrived.location is not None and arrived.location.distance(point(61, 41)) < 1e-5
    assert report.photos.filter(kind="resolution").count() == 1

    # The reporter checks and confirms (核查).
    p.goto(receipt_url)
    assert p.locator("#status").inner_text() == "已办结"
    resident.screenshot("report-verdict")
    p.click("#confirm")
    p.wait_for_selector("text=感谢确认")
    assert p.locator("#status").inner_text() == "已结案"
    report.refresh_from_db()
    assert report.status == Report.Status.CLOSED
    assert [e for e in report.events.values_list("action", flat=True)] == [
        "created", "offered", "accepted", "on_the_way", "arrived", "resolved", "confirmed"]

    # The worker's dashboard counts it (screenshots of these pages are in docs/img/).
    w.goto(f"{live_server.url}/duty/dashboard/")
    assert "共 1 件" in w.locator("#counts").inner_text()
    worker.screenshot("duty-dashboard")


def test_rate_limit_message_on_the_page(open_page, live_server, mesh_scene, settings):
    settings.REPORTS_SUBMIT_LIMIT = 0
    gate = PatrolPoint.objects.create(code="gate-2", name="二号院门", location=point(60, 40))
    page = open_page(**PHONE)
    p = page.page
    p.goto(f"{live_server.url}/p/{gate.qr_token}/")
    p.get_by_text("治安安全").click()
    p.fill("#description", "有人打架")
    p.click("#send")
    p.wait_for_selector("#msg:has-text('分钟后再试')")
    assert not Report.objects.exists()
