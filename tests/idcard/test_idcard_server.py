"""Server side of the card reader: signatures (forged, replayed, stale), card validation with a
clear error per failure, idempotent readings, capacity under concurrency, check-out, audit."""

from __future__ import annotations

import json
import threading
import time
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from audit.models import AuditEntry
from buildings.models import Room
from registration.models import CardReading, KioskCredential
from residents import card
from residents.models import Person, PersonPhoto, Tenancy
from tests.factories import make_room
from tests.idcard_helpers import BMP, arm, id_number, make_kiosk, make_landlord_user, payload, record, signed_post


@pytest.fixture
def scene(building):
    room = make_room(building, 2, "201", capacity=2)
    kiosk, secret = make_kiosk(building.community)
    operator = make_landlord_user(building)
    arm(kiosk, operator, room)
    return kiosk, secret, room, operator


@pytest.mark.django_db
def test_a_signed_reading_links_the_tenant_once(scene):
    kiosk, secret, room, operator = scene
    body = payload(record(1), photo=BMP)
    r = signed_post(Client(), kiosk.code, secret, body)
    assert r.status_code == 201, r.content
    out = r.json()
    assert out["outcome"] == "linked" and out["person"] == "530112**********" + out["person"][-2:]
    assert "测试租户1" not in r.content.decode() and out["name"] == "测****"
    again = signed_post(Client(), kiosk.code, secret, body)  # the same reading, re-signed (a retry)
    assert again.status_code == 201 and again.json()["repeated"] is True
    t = Tenancy.objects.get()
    assert (t.room_id, t.registered_by_id, t.kiosk_id, t.registered_via) == (room.pk, operator.pk, kiosk.pk, "kiosk_card")
    assert Room.objects.get(pk=room.pk).status == "let"
    photo = PersonPhoto.objects.get(person=t.person)
    assert BMP not in bytes(photo.image_sealed) and photo.content_type == "image/bmp"
    # a different reading of the same card: one tenancy still
    r3 = signed_post(Client(), kiosk.code, secret, payload(record(1)))
    assert r3.status_code == 200 and r3.json()["outcome"] == "already"
    assert Tenancy.objects.count() == 1 and CardReading.objects.count() == 2
    actions = list(AuditEntry.objects.exclude(action="role").order_by("id").values_list("action", "actor", "kiosk", "room_id"))
    assert actions == [("check_in", "landlord1", kiosk.code, room.pk), ("card_read", "landlord1", kiosk.code, room.pk),
                       ("card_read", "landlord1", kiosk.code, room.pk)]


@pytest.mark.django_db
def test_forged_replayed_and_stale_signatures_are_refused(scene):
    kiosk, secret, room, _ = scene
    body = payload(record(2))
    c = Client()
    forged = signed_post(c, kiosk.code, "not-the-secret", body)
    assert forged.status_code == 401 and "签名无效" in forged.json()["detail"]
    stale = signed_post(c, kiosk.code, secret, body, now=time.time() - 600)
    assert stale.status_code == 401 and "秒窗口" in stale.json()["detail"]
    unknown = signed_post(c, "no-such-kiosk", secret, body)
    assert unknown.status_code == 401 and "没有凭据" in unknown.json()["detail"]
    missing = c.post("/api/kiosk/readings/", data=body, content_type="application/json")
    assert missing.status_code == 401 and "缺少签名头" in missing.json()["detail"]
    ok = signed_post(c, kiosk.code, secret, body, nonce="a" * 32)
    assert ok.status_code == 201
    replay = signed_post(c, kiosk.code, secret, body, nonce="a" * 32)
    assert replay.status_code == 401 and "重放" in replay.json()["detail"]
    # a body changed in transit no longer matches its signature
    from kiosk.agent import signing

    headers = signing.sign(kiosk.code, secret, "POST", "/api/kiosk/readings/", body)
    tampered = c.post("/api/kiosk/readings/", data=payload(record(3)), content_type="application/json",
                      **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()})
    assert tampered.status_code == 401
    # a new credential retires the old secret
    KioskCredential.issue(kiosk)
    assert signed_post(c, kiosk.code, secret, payload(record(4))).status_code == 401
    assert Tenancy.objects.count() == 1


def _expect(scene, raw, status, field, text, *, body=None):
    kiosk, secret, *_ = scene
    r = signed_post(Client(), kiosk.code, secret, body or payload(raw))
    assert r.status_code == status, r.content
    body = r.json()
    assert text in body["detail"] and body.get("field") == field, body
    return body


@pytest.mark.django_db
def test_each_card_failure_has_its_own_error(scene):
    today = timezone.localdate()
    _expect(scene, record(1, id_number="53011219900101003X"), 422, "id_number", "校验码应为")
    _expect(scene, record(1, birth_date="19900102"), 422, "birth_date", "与身份证号")
    _expect(scene, record(1, sex="2", id_number=id_number(1, "1")), 422, "sex", "第 17 位")
    _expect(scene, record(1, sex="3"), 422, "sex", "（1 男，2 女）")
    _expect(scene, record(1, nation="57"), 422, "nation", "不在 GB/T 3304 中")
    _expect(scene, record(1, nation="00"), 422, "nation", "不在 GB/T 3304 中")
    _expect(scene, record(1, valid_from="20100101", valid_to="20200101"), 422, "valid_to", "已于 20200101 过期")
    future = (today + timedelta(days=3)).strftime("%Y%m%d")
    _expect(scene, record(1, valid_from=future, valid_to="20500101"), 422, "valid_from", "才生效")
    _expect(scene, record(1, valid_to="2040-1-1"), 422, "valid_to", "有效期截止“2040-1-1”不是日期")
    _expect(scene, record(1, name=" "), 422, "name", "姓名为空")
    kiosk, secret, *_ = scene
    short = json.dumps({"reading_id": "r" * 16, "record": "AAAA"}).encode()
    _expect(scene, None, body=short, status=422, field="record", text="256 bytes")
    notb64 = json.dumps({"reading_id": "r" * 17, "record": "***"}).encode()
    _expect(scene, None, body=notb64, status=400, field=None, text="record 不是 base64")
    wlt = json.loads(payload(record(1), photo=b"\x00" * 1024))
    _expect(scene, None, body=json.dumps(wlt).encode(), status=422, field="photo", text="不接收 WLT")
    r = signed_post(Client(), kiosk.code, secret, b"[1, 2]")
    assert r.status_code == 400 and "JSON 对象" in r.json()["detail"]
    assert Tenancy.objects.count() == 0 and Person.objects.count() == 0
    # the nation table is the official GB/T 3304 list: 56 nationalities, 97, 98
    assert len(card.nations()) == 58 and card.nations()["56"] == "基诺族" and card.nations()["23"] == "高山族"


@pytest.mark.django_db
def test_a_refused_reading_speaks_the_request_language(scene):
    kiosk, secret, *_ = scene
    zh = signed_post(Client(), kiosk.code, secret, payload(record(1, valid_to="2040-1-1")))
    en = signed_post(Client(HTTP_ACCEPT_LANGUAGE="en"), kiosk.code, secret, payload(record(2, valid_to="2040-1-1")))
    assert zh.status_code == en.status_code == 422
    assert zh.json()["detail"] == "有效期截止“2040-1-1”不是日期"
    assert en.json()["detail"] == "valid_to '2040-1-1' is not a YYYYMMDD date" and en["Content-Language"] == "en"


@pytest.mark.django_db
def test_long_term_cards_and_residence_permits_are_accepted(scene):
    kiosk, secret, room, _ = scene
    r = signed_post(Client(), kiosk.code, secret, payload(record(1, born="19600101", valid_to="长期")))
    assert r.status_code == 201, r.content
    permit = record(2, sex="2", nation="", card_type="J", born="19950505")
    permit_id = card.validate(__import__("kiosk.agent.record", fromlist=["x"]).parse_record(permit), date.today())
    assert permit_id.nation_code == ""
    r = signed_post(Client(), kiosk.code, secret, payload(permit))
    assert r.status_code == 201 and r.json()["card_type"] == "J"


@pytest.mark.django_db
def test_no_room_picked_or_out_of_scope(scene, building):
    kiosk, secret, room, operator = scene
    from registration.models import KioskSession

    KioskSession.objects.update(ended_at=timezone.now())
    r = signed_post(Client(), kiosk.code, secret, payload(record(1)))
    assert r.status_code == 409 and "选择房间" in r.json()["detail"]
    other = make_room(building, 3, "301")
    from buildings.models import Building

    Building.objects.filter(pk=building.pk).update(landlord=None)  # the room is no longer theirs
    arm(kiosk, operator, other)
    r = signed_post(Client(), kiosk.code, secret, payload(record(1)))
    assert r.status_code == 403 and Tenancy.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_simultaneous_readings_fill_a_room_for_two_exactly(scene):
    kiosk, secret, room, _ = scene
    n = 10
    barrier = threading.Barrier(n)
    codes = []
    bodies = [payload(record(i)) for i in range(n)]

    def attempt(i):
        try:
            barrier.wait()
            codes.append(signed_post(Client(), kiosk.code, secret, bodies[i]).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [201] * 2 + [409] * (n - 2)
    assert Tenancy.objects.filter(room=room, end_date__isnull=True).count() == 2
    assert CardReading.objects.filter(outcome="rejected", http_status=409).count() == n - 2


@pytest.mark.django_db(transaction=True)
def test_the_same_reading_racing_itself_is_applied_once(scene):
    kiosk, secret, room, _ = scene
    body = payload(record(5))
    barrier = threading.Barrier(6)
    codes = []

    def attempt():
        try:
            barrier.wait()
            codes.append(signed_post(Client(), kiosk.code, secret, body).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(codes) <= {200, 201} and codes.count(201) >= 1
    assert Tenancy.objects.count() == 1 and CardReading.objects.count() == 1


@pytest.mark.django_db
def test_audit_log_is_append_only_in_the_database(scene):
    from django.db import InternalError, ProgrammingError, transaction

    kiosk, secret, *_ = scene
    signed_post(Client(), kiosk.code, secret, payload(record(1)))
    entry = AuditEntry.objects.first()
    with pytest.raises(PermissionError):
        entry.save()
    for sql in ("UPDATE audit_auditentry SET reason = 'x'", "DELETE FROM audit_auditentry"):
        with pytest.raises((InternalError, ProgrammingError), match="append-only"):
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute(sql)
    with pytest.raises((InternalError, ProgrammingError), match="append-only"):
        with transaction.atomic():
            AuditEntry.objects.all().delete()
    cards = AuditEntry.objects.exclude(action="role")
    assert cards.filter(reason="").count() == cards.count() >= 2
