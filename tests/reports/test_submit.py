"""Submitting at a patrol point: 201 with a receipt, 4xx with a message, 429 past the limit."""

import io

from PIL import Image

from reports.models import Report


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (50, 50)).save(out, "JPEG")
    return out.getvalue()


def post(client, gate, **data):
    return client.post(f"/p/{gate.qr_token}/submit", data)


def test_submit_at_a_point_creates_a_located_report(client, gate):
    photo = io.BytesIO(jpeg())
    photo.name = "a.jpg"
    r = post(client, gate, category="sanitation", description="<script>alert(1)</script>垃圾", photo=photo)
    assert r.status_code == 201, r.content
    report = Report.objects.get(pk=r.json()["id"])
    assert report.point == gate and report.grid == gate.grid and report.photos.count() == 1
    assert "<script>" not in report.description
    page = client.get(r.json()["receipt"])
    assert page.status_code == 200 and "<script>" not in page.content.decode()


def test_bad_input_is_4xx_with_a_message(client, gate, settings):
    r = post(client, gate, category="nope", description="x")
    assert r.status_code == 400 and r.json()["detail"]
    bad = io.BytesIO(b"not an image")
    bad.name = "x.jpg"
    assert post(client, gate, category="safety", description="x", photo=bad).status_code == 400
    assert client.post("/p/no-such-token/submit", {"category": "safety"}).status_code == 404
    assert client.get(f"/p/{gate.qr_token}/submit").status_code == 405


def test_rate_limit_answers_429(client, gate, settings):
    settings.REPORTS_SUBMIT_LIMIT = 2
    codes = [post(client, gate, category="safety", description=f"第{i}次").status_code for i in range(3)]
    assert codes == [201, 201, 429]
    r = post(client, gate, category="safety", description="again")
    assert r.status_code == 429 and r.json()["detail"] and int(r["Retry-After"]) > 0
    assert Report.objects.count() == 2


def test_nearby_lists_open_reports_of_the_category_without_reporter_data(client, gate):
    post(client, gate, category="sanitation", description="垃圾满了", phone="13800138000")
    post(client, gate, category="safety", description="别的类别")
    r = client.get(f"/p/{gate.qr_token}/nearby", {"category": "sanitation"})
    assert [x["description"] for x in r.json()["results"]] == ["垃圾满了"]
    assert "13800138000" not in r.content.decode()
    assert client.get(f"/p/{gate.qr_token}/nearby", {"category": "x"}).status_code == 400


def test_rotating_the_device_cookie_still_meets_the_address_limit(client, gate, settings):
    """The per-device limit alone is dodged by a new `rdev` cookie (or device_id) on every submit;
    the per-address limit ignores the device key, so both must pass."""
    settings.REPORTS_SUBMIT_LIMIT, settings.REPORTS_SUBMIT_IP_LIMIT = 2, 3
    codes = []
    for i in range(4):
        client.cookies["rdev"] = f"device-{i}"  # a fresh device every time
        codes.append(post(client, gate, category="safety", description=f"第{i}次").status_code)
    assert codes == [201, 201, 201, 429]
    r = client.post(f"/p/{gate.qr_token}/submit", {"category": "safety", "description": "again"},
                    HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 429 and "network" in r.json()["detail"] and int(r["Retry-After"]) > 0
    # Another address is not held back by this one's count.
    from django.test import Client

    other = Client(REMOTE_ADDR="10.0.0.42")
    assert other.post(f"/p/{gate.qr_token}/submit", {"category": "safety", "description": "别处"}).status_code == 201
    assert Report.objects.count() == 4


def test_open311_device_ids_rotated_meet_the_address_limit(client, gate, settings):
    from reports.open311.models import ApiClient

    settings.REPORTS_SUBMIT_IP_LIMIT = 2
    api = ApiClient(name="t")
    key = api.issue_key()
    api.save()
    codes = [client.post("/open311/v2/requests.json", {
        "service_code": "safety", "api_key": key, "device_id": f"phone-{i}", "description": "楼道灯坏了",
        "attribute[patrol_point]": gate.code}).status_code for i in range(3)]
    assert codes == [200, 200, 429]  # Open311 answers a created request with 200
