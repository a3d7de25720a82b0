"""The /my/ pages in headless Chromium on a phone (390×844) and a desktop: sign in with a one-time
code, publish a room with a photo, give consent; nothing is requested from another host; no
horizontal scrolling. Writes the screenshots the landlord guide shows (docs/img/)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from buildings.models import Room
from landlords import codes
from tests.landlords.conftest import jpeg

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


def _no_sideways_scroll(p):
    assert p.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_a_landlord_on_a_phone(open_page, live_server, estate, tmp_path):
    estate.building.address = "王家桥中路 128 号"
    estate.building.save()
    _row, code = codes.issue(estate.user)
    page = open_page(**PHONE, touch=True)
    p = page.page

    p.goto(f"{live_server.url}/my/")
    assert "/my/login/" in p.url
    p.get_by_role("link", name="一次性登录码").click()
    p.fill("#username", "landlord-a")
    p.fill("#code", code)
    p.get_by_role("button", name="登录").click()
    p.wait_for_url(f"{live_server.url}/my/")
    assert p.locator(".building").count() == 1
    assert estate.tenancy.person.name_masked in p.content() and "张小花" not in p.content()
    _no_sideways_scroll(p)

    p.get_by_role("button", name="同意公开我的电话").click()
    p.wait_for_selector("text=已同意公开")
    shot = page.screenshot("landlord-my-home")

    p.goto(f"{live_server.url}/my/r/{estate.vacant.pk}/")
    p.fill("#rent", "880")
    p.fill("#description", "朝南，带阳台，步行 5 分钟到地铁站")
    p.locator("#details button[type=submit]").click()
    p.wait_for_selector("text=已保存")
    photo = tmp_path / "room.jpg"
    photo.write_bytes(jpeg((1600, 1200)))
    p.set_input_files("#photo", str(photo))
    p.locator("#photos button[type=submit]").last.click()
    p.wait_for_selector("text=照片已上传")
    assert p.locator(".photos img").count() == 1
    p.wait_for_function("document.querySelector('.photos img') && document.querySelector('.photos img').naturalWidth > 0", timeout=30_000)
    _no_sideways_scroll(p)
    room_shot = page.screenshot("landlord-my-room")
    room = Room.objects.get(pk=estate.vacant.pk)
    assert room.rent_monthly == 880 and room.photos.count() == 1

    # the building page: the door code, and the renters' phone page showing the new text and photo
    p.goto(f"{live_server.url}/my/b/{estate.building.pk}/")
    assert p.locator(".qr svg").count() == 1
    _no_sideways_scroll(p)
    p.goto(f"{live_server.url}/r/{room.pk}/")
    assert "步行 5 分钟到地铁站" in p.content() and "13800001111" in p.content()
    p.wait_for_function("document.querySelector('.photos img') && document.querySelector('.photos img').naturalWidth > 0", timeout=30_000)

    DOCS_IMG.mkdir(exist_ok=True)
    shutil.copy(shot, DOCS_IMG / "landlord-my-home.png")
    shutil.copy(room_shot, DOCS_IMG / "landlord-my-room.png")


def test_usable_on_a_desktop_and_in_english(open_page, live_server, estate):
    from django.test import Client

    client = Client()
    client.force_login(estate.user)
    page = open_page(width=1280, height=800, locale="en-US")
    page.page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                                    "url": live_server.url},
                                   {"name": "django_language", "value": "en", "url": live_server.url}])
    page.page.goto(f"{live_server.url}/my/r/{estate.vacant.pk}/")
    p = page.page
    body = p.content()
    for english in ("Room details", "Photograph the room only", "Save", "Retire the room", "Mark unavailable"):
        assert english in body, english
    assert "房间信息" not in body
    _no_sideways_scroll(p)
    p.goto(f"{live_server.url}/my/")
    assert "I consent to publishing my phone" in p.content()


def test_renters_see_the_description_and_photos_on_the_kiosk_card(open_page, live_server, estate):
    from buildings.models import RoomPhoto
    from kiosk.models import Kiosk
    from landlords import photos as processing
    from tests.factories import point

    Kiosk.objects.create(code="k7", name="一组终端", community=estate.building.community, resident_group="一组",
                         location=point(20, 40), idle_seconds=600)
    Room.objects.filter(pk=estate.vacant.pk).update(description="朝南，带阳台 <b>不是标记</b>")

    class Upload:
        def __init__(self, data):
            self.data, self.size = data, len(data)

        def read(self, n):
            return self.data[:n]

    data, w, h = processing.process(Upload(jpeg((800, 600))))
    RoomPhoto.objects.create(room=estate.vacant, image=data, width=w, height=h)
    rp = open_page(width=1280, height=720, touch=True)
    p = rp.page
    p.goto(f"{live_server.url}/kiosk/k7/")
    p.wait_for_selector("body[data-ready='1']", timeout=60_000)
    card = p.locator(f'.room[data-room="{estate.vacant.pk}"]')
    assert card.locator("img.thumb").evaluate("img => img.complete ? img.naturalWidth : new Promise(r => img.onload = () => r(img.naturalWidth))") > 0
    card.click()
    p.wait_for_selector(f'.detail[data-room="{estate.vacant.pk}"] .about')
    about = p.locator(".detail .about")
    assert about.inner_text() == "朝南，带阳台 <b>不是标记</b>"  # shown as text, never as markup
    assert p.locator(".detail .photos img").count() == 1
