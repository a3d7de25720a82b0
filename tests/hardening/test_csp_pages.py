"""Issue 17 item 12: every page of the product answers with a strict Content-Security-Policy
(scripts and styles from our origin or carrying the response's nonce; no inline handler, no
style="" attribute, no other host) and loads in Chromium without a single violation — MapLibre's
blob: workers, CesiumJS's workers, ECharts, Leaflet and the admin's map widget included.

The recording page (tests/browser.py) turns every `securitypolicyviolation` event and every
"Refused to …" console message into a failure at the end of the test, for these tests and every
other page test of the suite."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.roles import Role, grant
from buildings.layout import relayout
from buildings.models import Building, Room
from gis_core.models import Grid
from kiosk.models import Kiosk
from model3d.build import build_community
from reports.models import Report
from safety.models import HEX, Override, Rating, RuleSet
from tests.factories import make_camera, point
from tests.idcard_helpers import make_landlord_user
from tests.screen.conftest import seed_hall

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_the_policy_is_strict():
    """What the header says, read from a response (not from the settings)."""
    policy = Client().get("/login/")["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in policy.split("; ")}
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"][0] == "'self'" and re.fullmatch(r"'nonce-[\w+/=]+'", directives["script-src"][1])
    assert directives["style-src"][0] == "'self'" and directives["style-src"][1].startswith("'nonce-")
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy and "*" not in policy
    assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"]
    assert directives["worker-src"] == ["'self'", "blob:"]  # MapLibre's workers
    assert directives["base-uri"] == ["'self'"] and directives["form-action"] == ["'self'"]
    assert set(directives) >= {"img-src", "connect-src", "font-src"}
    # the nonce changes with every response
    assert Client().get("/login/")["Content-Security-Policy"] != policy


def test_safety_colours_css_matches_the_model():
    """Swatches are classes now (safety/colours.css): its colours are the model's."""
    from django.contrib.staticfiles import finders

    css = open(finders.find("safety/colours.css"), encoding="utf-8").read()
    for colour, hex_ in HEX.items():
        assert re.search(rf"\.c-{colour} {{ background: {hex_}; }}", css), colour


@pytest.fixture
def product(community):
    """A community with everything a page can show: grids, rooms and tenants, a published safety
    rating (legends in colour), a screen, cameras and coverage, a flat and a 3D kiosk, a built 3D
    model, a report, an override, and one user per role."""
    hall = seed_hall(community)
    make_camera(community, "C1", at=(60, 100))
    Kiosk.objects.create(code="k1", name="一组终端", community=community, resident_group="第一居民小组",
                         location=point(100, 40))
    Kiosk.objects.create(code="k3d", name="二组终端", community=community, resident_group="第二居民小组",
                         location=point(300, 40), map_mode=Kiosk.MapMode.THREE_D)
    buildings = list(Building.objects.filter(community=community))
    relayout([b.pk for b in buildings])
    build_community(community)
    users = {}
    User = get_user_model()
    users["admin"] = User.objects.create_superuser("csp-admin", "a@example.org", "pw-csp-admin-1")
    Override.objects.create(month=Rating.objects.first().month, grid=hall["west"], colour="yellow", reason="演示",
                            created_by=users["admin"])
    for role, name in ((Role.PLANNER, "csp-planner"), (Role.POLICE, "csp-police")):
        users[name] = User.objects.create_user(name, password=f"pw-{name}-1", is_staff=True)
        grant(users[name], role)
    building = Building.objects.get(code="W1")
    make_landlord_user(building, username="csp-landlord", pin="135790")
    return {"community": community, "hall": hall, "building": building, "users": users,
            "room": Room.objects.filter(building=building).order_by("pk").first(),
            "report": Report.objects.first(), "grid": Grid.objects.get(pk=hall["west"].pk)}


def sign_in(rp, live_server, user):
    client = Client()
    client.force_login(user)
    rp.page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                                  "url": live_server.url}])


def visit(rp, url: str, ready: str | None = None, timeout: int = 30_000, cesium: bool = False):
    """Open a page, wait until it has drawn (`ready`: a selector its script sets), and check the
    header: strict everywhere; eval allowed only where CesiumJS runs (model3d/csp.py)."""
    response = rp.page.goto(url)
    assert response is not None and response.status < 400, (url, response and response.status)
    policy = response.headers.get("content-security-policy", "")
    assert "default-src 'self'" in policy and "'unsafe-inline'" not in policy, (url, policy)
    assert ("'unsafe-eval'" in policy) == cesium, (url, policy)
    if ready:
        try:
            rp.page.wait_for_selector(ready, state="attached", timeout=timeout)
        except Exception as exc:  # a page that never got ready: say whether the policy stopped it
            raise AssertionError(f"{url} not ready; CSP violations: {rp.csp_violations}; console: {rp.console[-20:]}") from exc
    rp.page.wait_for_load_state("networkidle")
    return response


def test_public_pages_load_without_violations(open_page, live_server, product):
    """Anonymous: home, the map, both kiosk modes, a room's phone page, the door QR phone page, the
    3D viewer, the service hall screen, a report receipt, the sign-in pages, an error page."""
    c, b, room = product["community"], product["building"], product["room"]
    rp = open_page(width=1280, height=800)
    three = open_page(width=1280, height=720)
    visit(three, live_server.url + "/3d/", "body[data-ready='1']", timeout=180_000, cesium=True)
    three.page.wait_for_function("village3d.tileset && village3d.tileset.tilesLoaded", timeout=120_000)
    visit(rp, live_server.url + "/", "#summary dd")
    visit(rp, live_server.url + "/map/", "body[data-ready='1']", timeout=60_000)
    assert rp.page.is_visible("#legend .safety i.c-red") or rp.page.is_visible("#legend .safety i")
    visit(rp, live_server.url + "/kiosk/k1/", "body[data-ready='1']", timeout=60_000)
    visit(rp, f"{live_server.url}/r/{room.pk}/")
    visit(rp, f"{live_server.url}/report/{product['report'].receipt_token}/")
    for path in ("/login/", "/planner/login/", "/admin/login/", "/kiosk/k1/register/"):
        visit(rp, live_server.url + path, "form")
    response = rp.page.goto(live_server.url + "/no-such-page/")  # an error page
    assert response.status == 404
    phone = open_page(width=390, height=844, touch=True)
    visit(phone, f"{live_server.url}/b/{b.qr_token}/", "svg")
    screen = open_page(width=1920, height=1080)
    screen.page.goto(f"{live_server.url}/screen/{c.code}/?key={product['hall']['key']}")
    screen.page.wait_for_selector("body[data-ready='1'][data-map-ready='1']", timeout=90_000)
    kiosk3d = open_page(width=1280, height=720, touch=True)
    visit(kiosk3d, live_server.url + "/kiosk/k3d/", "body[data-ready='1']", timeout=180_000, cesium=True)


def test_staff_pages_load_without_violations(open_page, live_server, product):
    """Signed in: the planner and the coverage page, the police feed and an unmasking, the QR
    print sheet, the kiosk's registration desk, and the admin with its map widget, a rule set's
    preview and the coloured rating and override lists."""
    users = product["users"]
    planner = open_page(width=1400, height=800)
    sign_in(planner, live_server, users["csp-planner"])
    visit(planner, f"{live_server.url}/planner/?community={product['community'].code}", "body[data-ready='1']")
    visit(planner, f"{live_server.url}/cameras/coverage/?grid={product['grid'].code}", "body[data-ready='1']",
          timeout=60_000)

    police = open_page()
    sign_in(police, live_server, users["csp-police"])
    visit(police, f"{live_server.url}/police/feed/?from=2000-01-01", "#rows li.feed-row")
    row = police.page.locator("#rows li.feed-row").first
    row.locator("summary").click()
    row.locator("input[name=reason]").fill("入户核查登记")
    row.locator("button.quiet").click()  # 查看明文 (police/_row_actions.html)
    police.page.wait_for_selector("#name")  # the unmasked person (police/person.html)

    admin = open_page(width=1400, height=900)
    sign_in(admin, live_server, users["admin"])
    rule_set = RuleSet.objects.filter(published=True).first()
    for path, ready in (("/admin/", "#content"),
                        (f"/admin/buildings/building/{product['building'].pk}/change/", ".leaflet-container path"),
                        (f"/admin/safety/ruleset/{rule_set.pk}/change/", "#safety-preview"),
                        ("/admin/safety/rating/", ".safety-chip"),
                        ("/admin/safety/override/", ".safety-chip"),
                        ("/admin/buildings/building/import/", "form"),
                        (f"/safety/grids/{product['grid'].code}/", "#strip .c-red"),
                        (f"/qr/sheet/?grid={product['grid'].code}", "#print")):
        visit(admin, live_server.url + path, ready)

    desk = open_page(width=1280, height=800, touch=True)
    visit(desk, live_server.url + "/kiosk/k1/register/", "#sign-in")
    desk.page.fill("#sign-in input[name=username]", "csp-landlord")
    desk.page.fill("#sign-in input[name=secret]", "135790")
    with desk.page.expect_navigation():  # to "load": register.js (deferred) listens to the picker only then
        desk.page.locator("#sign-in button, #sign-in input[type=submit]").first.click()
    with desk.page.expect_navigation():  # the picker submits itself from register.js (no inline handler)
        desk.page.select_option("#pick-building select", product["building"].code)
    desk.page.wait_for_selector("#rooms")
