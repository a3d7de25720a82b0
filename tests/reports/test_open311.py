"""Open311 GeoReport v2 conformance: a client written from the spec (open311_client.py) drives
the production server — every endpoint, in JSON and in XML (compared), and every error."""

from __future__ import annotations

import io
import uuid
from datetime import datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from PIL import Image

from buildings.models import Building
from reports.models import Level, Report, Shift, WorkerPosition
from reports.open311.models import ApiClient
from tests.factories import lonlat, make_building, point
from tests.reports.open311_client import Client, Open311Error

FORMATS = ("json", "xml")


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 40), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def api(serve, mesh_scene, gate):
    """(client with a valid key, base URL, scene) against a real server on the test database."""
    west = mesh_scene["west"]
    make_building("B-7", (100, 120, 120, 140))
    Building.objects.filter(code="B-7").update(address="幸福路12号")
    make_building("B-8", (130, 120, 150, 140))
    Building.objects.filter(code="B-8").update(address="幸福路2号")
    make_building("B-9", (300, 120, 320, 140))
    Building.objects.filter(code="B-9").update(address="和平街5号")
    make_building("B-10", (330, 120, 350, 140))
    Building.objects.filter(code="B-10").update(address="和平街5号")
    worker = get_user_model().objects.create_user("值班员")
    now = timezone.now()
    shift = Shift.objects.create(worker=worker, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=8))
    shift.grids.add(west)
    WorkerPosition.objects.create(worker=worker, location=point(70, 45))
    app = ApiClient(name="市民热线 App")
    key = app.issue_key()
    app.save()
    base, _log = serve()
    return Client(f"{base}/open311/v2/", api_key=key), base, {**mesh_scene, "worker": worker}


def post(client, code="safety", fmt="json", **fields):
    fields.setdefault("device_id", uuid.uuid4().hex)  # each post its own device: the limit is per device
    fields.setdefault("description", "楼道里有人打架")
    return client.post_request(code, fmt, **fields)


def at(x, y):
    lon, lat = lonlat(x, y)
    return {"lat": f"{lat:.7f}", "long": f"{lon:.7f}"}


def both(call, *args, **kwargs):
    """The JSON and the XML answers of one call, checked equal."""
    js, xml = (call(*args, fmt=f, **kwargs) for f in FORMATS)
    assert js == xml
    return js


def assert_error(expected, call, *args, **kwargs):
    for fmt in FORMATS:
        with pytest.raises(Open311Error) as e:
            call(*args, fmt=fmt, **kwargs)
        assert e.value.status == expected, (fmt, e.value.errors)
        [error] = e.value.errors
        assert error["code"] == expected and error["description"], (fmt, e.value.errors)
    return e.value


def test_discovery_services_and_definitions(api):
    client, base, _ = api
    discovery = both(client.discovery)
    [endpoint] = discovery["endpoints"]
    assert endpoint["url"] == f"{base}/open311/v2/" and endpoint["specification"].endswith("GeoReport_v2")
    assert set(endpoint["formats"]) == {"application/json", "text/xml"}
    services = both(client.services)
    by_code = {s["service_code"]: s for s in services}
    assert {"safety", "sanitation", "dispute"} <= set(by_code)
    assert by_code["safety"]["service_name"] == "治安安全" and by_code["safety"]["metadata"] is True
    assert by_code["safety"]["type"] == "realtime" and "10" in by_code["safety"]["description"]
    definition = both(client.service_definition, "safety")
    assert definition["service_code"] == "safety"
    [attribute] = definition["attributes"]
    assert attribute["code"] == "patrol_point" and attribute["variable"] is True
    assert attribute["required"] is False and attribute["datatype"] == "string" and attribute["order"] == 1
    assert_error(404, client.service_definition, "no-such-service")


def test_post_and_follow_a_request(api):
    client, _, scene = api
    photo = jpeg()
    created = post(client, media=[photo], phone="13800138000", email="a@example.com", **at(60, 40))
    [receipt] = created
    rid, token = int(receipt["service_request_id"]), receipt["token"]
    assert token and "10" in receipt["service_notice"]
    report = Report.objects.get(pk=rid)
    # The same submit service as the phone page: located, sealed photo, dispatched to the worker.
    assert report.grid == scene["west"] and report.mesh == scene["mesh"] and report.photos.count() == 1
    assert report.assignee == scene["worker"] and report.status == Report.Status.OFFERED
    assert report.phone() == "13800138000"
    assert both(client.token, token) == [{"service_request_id": str(rid), "token": token}]

    [one] = both(client.request, rid)
    assert one["service_request_id"] == str(rid) and one["status"] == "open"
    assert one["service_code"] == "safety" and one["description"] == "楼道里有人打架"
    assert one["agency_responsible"] == "网格：西网格"
    lon, lat = lonlat(60, 40)
    assert abs(one["lat"] - lat) < 1e-6 and abs(one["long"] - lon) < 1e-6
    requested = datetime.fromisoformat(one["requested_datetime"])
    assert requested.utcoffset() is not None
    # expected_datetime carries the deadline: safety resolves within 60 minutes at grid level.
    assert datetime.fromisoformat(one["expected_datetime"]) - requested == timedelta(minutes=60)
    assert one["media_url"] is None  # photos are never public

    # Other ways of giving the place: a patrol point, a building code, a written address.
    at_gate = int(post(client, "sanitation", fmt="xml", attributes={"patrol_point": "gate-1"})[0]["service_request_id"])
    assert Report.objects.get(pk=at_gate).point.code == "gate-1"
    by_id = int(post(client, "facility", address_id="B-7", media_url="https://example.com/p.jpg")[0]["service_request_id"])
    assert Report.objects.get(pk=by_id).building.code == "B-7"
    by_address = int(post(client, "facility", fmt="xml", address_string="ＸＸ市幸福路１２号楼")[0]["service_request_id"])
    assert Report.objects.get(pk=by_address).building.code == "B-7"
    [row] = both(client.request, by_id)
    assert row["address"] == "幸福路12号" and row["address_id"] == "B-7"

    # Escalated: the level that holds it now is the agency; closed requests have no deadline.
    Report.objects.filter(pk=rid).update(level=Level.COMMUNITY)
    assert both(client.request, rid)[0]["agency_responsible"] == "社区：测试社区"
    Report.objects.filter(pk=rid).update(level=Level.STREET)
    assert both(client.request, rid)[0]["agency_responsible"] == "街道办事处（530112001）"
    Report.objects.filter(pk=at_gate).update(status=Report.Status.CLOSED)
    closed = both(client.request, at_gate)[0]
    assert closed["status"] == "closed" and closed["expected_datetime"] is None

    # Listing and its filters.
    ids = lambda rows: sorted(int(r["service_request_id"]) for r in rows)  # noqa: E731
    assert ids(both(client.requests)) == sorted([rid, at_gate, by_id, by_address])
    assert ids(both(client.requests, service_request_id=[rid, by_id])) == sorted([rid, by_id])
    assert ids(both(client.requests, service_code="facility")) == sorted([by_id, by_address])
    assert ids(both(client.requests, service_code=["safety", "sanitation"])) == sorted([rid, at_gate])
    assert ids(both(client.requests, status="closed")) == [at_gate]
    assert ids(both(client.requests, status="open,closed")) == sorted([rid, at_gate, by_id, by_address])
    now = timezone.now()
    assert ids(both(client.requests, start_date=(now - timedelta(days=1)).isoformat(),
                    end_date=(now + timedelta(days=1)).isoformat())) == sorted([rid, at_gate, by_id, by_address])
    assert both(client.requests, end_date=(now - timedelta(days=1)).isoformat()) == []
    Report.objects.filter(pk=by_id).update(created_at=now - timedelta(days=91))
    assert by_id not in ids(both(client.requests))  # the default window is 90 days


def test_public_listing_shows_no_reporter_data_and_blurs_sensitive_categories(api):
    client, _, scene = api
    rid = int(post(client, "dispute", phone="13900139000", email="me@example.com", first_name="张",
                   last_name="三", account_id="acc-1", description="302 室夜里吵闹", **at(150, 30))[0]["service_request_id"])
    for fmt in FORMATS:
        client.requests(fmt)
        body = client.last[2].decode()
        for secret in ("13900139000", "me@example.com", "acc-1", "302 室", Report.objects.get(pk=rid).receipt_token):
            assert secret not in body, (fmt, secret)
    [row] = both(client.request, rid)
    # At the mesh's label point: the same point the staff tile layer draws it at.
    label = type(scene["mesh"]).objects.get(pk=scene["mesh"].pk).label_3857.transform(4326, clone=True)
    assert abs(row["lat"] - label.y) < 1e-6 and abs(row["long"] - label.x) < 1e-6
    assert row["address"] == "西一网眼" and row["description"] is None and row["address_id"] is None


def test_every_error(api):
    client, base, _ = api
    bad_key = Client(client.base, api_key="not-a-key")
    no_key = Client(client.base)
    assert_error(403, post, no_key, **at(60, 40))
    assert_error(403, post, bad_key, **at(60, 40))
    assert_error(400, post, client, None, **at(60, 40))  # no service_code
    assert_error(400, post, client, "no-such-service", **at(60, 40))
    assert_error(400, post, client)  # no place at all
    assert_error(400, post, client, lat="25.03")  # lat without long
    assert_error(400, post, client, lat="north", long="east")
    assert_error(400, post, client, lat="95", long="102.66")
    assert_error(422, post, client, lat="39.9", long="116.4")  # outside every community
    assert_error(400, post, client, attributes={"colour": "red"}, **at(60, 40))
    assert_error(400, post, client, attributes={"patrol_point": "nowhere"})
    assert_error(400, post, client, address_id="NO-SUCH-BUILDING")
    assert_error(400, post, client, address_string="不存在路99号")
    assert_error(400, post, client, address_string="和平街5号")  # two buildings: never a guess
    assert_error(400, post, client, media_url="javascript:alert(1)", **at(60, 40))
    assert_error(400, post, client, description="", **at(60, 40))
    assert_error(400, post, client, media=[b"not an image"], **at(60, 40))
    assert_error(413, post, client, media=[b"\xff" * (8 * 1024 * 1024 + 1)], **at(60, 40))
    assert_error(400, client.requests, status="pending")
    assert_error(400, client.requests, start_date="yesterday")
    assert_error(400, client.requests, start_date="2026-01-01T00:00:00Z", end_date="2026-06-01T00:00:00Z")
    assert_error(400, client.requests, start_date="2026-06-01T00:00:00Z", end_date="2026-01-01T00:00:00Z")
    assert_error(400, client.requests, service_request_id="1,x")
    assert_error(404, client.request, 987654)
    assert_error(404, client.request, "abc")
    assert_error(404, client.token, "no-such-token")
    assert_error(404, client.service_definition, "nope")
    with pytest.raises(Open311Error) as e:
        client._call("services", "csv")  # a format the server does not offer
    assert e.value.status == 404 and e.value.errors[0]["code"] == 404
    for fmt in FORMATS:
        with pytest.raises(Open311Error) as e:
            client._call("services", fmt, data={})  # POST where only GET is defined
        assert e.value.status == 405 and e.value.errors[0]["code"] == 405
        with pytest.raises(Open311Error) as e:
            client._call("no-such-resource", fmt)
        assert e.value.status == 404 and e.value.errors[0]["code"] == 404
    # Past the per-device limit (5 per 10 minutes): 429 with Retry-After, in both formats.
    for _ in range(5):
        post(client, device_id="one-phone", **at(60, 40))
    err = assert_error(429, post, client, device_id="one-phone", **at(60, 40))
    assert int(err.headers["Retry-After"]) > 0
    assert Report.objects.filter(description="楼道里有人打架").count() == 5
