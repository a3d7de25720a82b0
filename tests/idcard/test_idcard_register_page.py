"""The kiosk's registration page: a landlord signs in with their PIN, picks a room, the agent reads
a card, the page shows the masked outcome; check-out; who may sign in."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.roles import Role, grant
from audit.models import AuditEntry
from buildings.models import Room
from kiosk.agent.client import Agent
from kiosk.agent.spool import Spool
from registration.models import KioskSession
from residents.models import Tenancy
from tests.factories import make_room
from tests.idcard_helpers import make_kiosk, make_landlord_user, record


@pytest.fixture
def desk(building):
    rooms = [make_room(building, 2, "201", capacity=2), make_room(building, 2, "202")]
    kiosk, secret = make_kiosk(building.community)
    user = make_landlord_user(building, pin="246810")
    return kiosk, secret, rooms, user


@pytest.mark.django_db
def test_sign_in_rules(desk, building):
    kiosk, secret, rooms, user = desk
    base = f"/kiosk/{kiosk.code}/register/"
    c = Client()
    r = c.post(base + "sign-in/", {"username": "landlord1", "secret": "000000"}, follow=True)
    assert "用户名、密码或 PIN 不正确" in r.content.decode() and not KioskSession.objects.exists()
    police = get_user_model().objects.create_user("police9", password="police-pw-9")
    grant(police, Role.POLICE)
    r = c.post(base + "sign-in/", {"username": "police9", "secret": "police-pw-9"}, follow=True)
    assert "只有房东、网格员和管理员" in r.content.decode()
    r = c.post(base + "sign-in/", {"username": "landlord1", "secret": "246810"}, follow=True)
    assert r.status_code == 200 and rooms[0].building.code in r.content.decode()
    other_room = make_room(building.__class__.objects.create(
        code="B-9", footprint=building.footprint, floors=3, address="别人的楼"), 1, "101")
    r = c.post(base + "room/", {"room": other_room.pk}, follow=True)
    assert "您无权登记这个房间" in r.content.decode()
    assert c.get(base + "status/").json()["room"] is None
    c.post(base + "room/", {"room": rooms[0].pk})
    assert c.get(base + "status/").json()["room"] == rooms[0].pk
    c.post(base + "sign-out/")
    assert c.get(base + "status/").status_code == 403 and not KioskSession.objects.live().exists()
    # Five wrong PINs lock this username at this kiosk (the login lockout: PIN and password alike)…
    for _ in range(4):
        c.post(base + "sign-in/", {"username": "landlord1", "secret": "111111"})
    r = c.post(base + "sign-in/", {"username": "landlord1", "secret": "111111"}, follow=True)
    assert "请 15 分钟后再试" in r.content.decode()
    for secret in ("246810", "landlord-pw-1"):
        r = c.post(base + "sign-in/", {"username": "landlord1", "secret": secret}, follow=True)
        assert "分钟后再试" in r.content.decode() and not KioskSession.objects.live().exists()
    # …and PIN sign-in everywhere (the PIN's own limit, for every server process: database)
    elsewhere = Client(REMOTE_ADDR="10.9.9.9")
    r = elsewhere.post(base + "sign-in/", {"username": "landlord1", "secret": "246810"}, follow=True)
    assert "已锁定 15 分钟" in r.content.decode() and not KioskSession.objects.live().exists()
    r = elsewhere.post(base + "sign-in/", {"username": "landlord1", "secret": "landlord-pw-1"}, follow=True)
    assert KioskSession.objects.live().count() == 1  # the password still works there


@pytest.mark.django_db(transaction=True)
def test_landlord_registers_a_tenant_at_the_kiosk(page, live_server, desk, tmp_path):
    kiosk, secret, rooms, user = desk
    p = page.page
    p.goto(f"{live_server.url}/kiosk/{kiosk.code}/register/")
    p.fill("input[name=username]", "landlord1")
    p.fill("input[name=secret]", "246810")
    with p.expect_navigation():  # to "load": register.js (deferred) listens to the picker only then
        p.click("#sign-in button")
    with p.expect_navigation():  # the picker submits itself from register.js
        p.select_option("select[name=building]", rooms[0].building.code)
    p.click(f"#rooms button[value='{rooms[0].pk}']")
    p.wait_for_selector("#armed")
    page.screenshot("kiosk-register-armed")

    agent = Agent(live_server.url, kiosk.code, secret, Spool(str(tmp_path / "spool.db")))
    agent.submit(record(21, name="王大锤"))
    [outcome] = agent.flush()
    assert outcome.status == 201, outcome.body
    p.wait_for_function("document.getElementById('result').textContent.includes('已登记')", timeout=10000)
    text = p.text_content("#result")
    assert "王**" in text and "530112" in text and "王大锤" not in text
    page.screenshot("kiosk-register-linked")
    p.wait_for_selector("#occupants button", timeout=10000)  # the page reloads with the new occupant
    assert Room.objects.get(pk=rooms[0].pk).status == "let"

    p.click("#occupants button")  # check-out
    p.wait_for_selector("#occupants >> text=暂无")
    assert Room.objects.get(pk=rooms[0].pk).status == "vacant"
    assert Tenancy.objects.get().end_date is not None
    assert list(AuditEntry.objects.exclude(action="role").order_by("id").values_list("action", "actor")) == [
        ("check_in", "landlord1"), ("card_read", "landlord1"), ("check_out", "landlord1")]
    assert "王大锤" not in p.content()


@pytest.mark.django_db
def test_registration_and_police_pages_speak_chinese_then_english(desk):
    kiosk, *_ = desk
    url = f"/kiosk/{kiosk.code}/register/"
    assert "租户登记" in Client().get(url).content.decode()
    en = Client(headers={"accept-language": "en"}).get(url).content.decode()
    assert "Tenant registration" in en and "Password or PIN" in en
