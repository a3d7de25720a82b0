"""Privacy: crawl every public page and public API response of the demo (as an anonymous visitor)
and find no ID number, tenant name, tenant phone or ID photo of any seeded tenant.

Follows links from /, opens every kiosk page (and its registration page), every building's door
page /b/<token>/, a room page /r/<id>/ per building, the public API lists (rooms of every
building, vacant-room search of every kiosk) and every vector tile over the community (decoded).
"""

from __future__ import annotations

import base64
import gzip
import json
import math
import re
import time
from collections import deque
from urllib.parse import urljoin, urlsplit

import mapbox_vector_tile
import pytest
from django.core.management import call_command
from django.test import Client

from buildings.models import Building, Landlord, Room
from gis_core.models import Community, Grid
from kiosk.models import Kiosk
from residents import crypto
from residents.models import Person, PersonPhoto
from tests.idcard_helpers import BMP

ID_RE = re.compile(r"\d{17}[\dXx]")
PHONE_RE = re.compile(r"1\d{10}")
CJK_RE = re.compile(r"[\u4e00-\u9fff]+")
LINK_RE = re.compile(r"""(?:href|src|action)=["']([^"'#]+)""")


def _tile_range(bbox, z):
    west, south, east, north = bbox

    def tx(lon):
        return int((lon + 180) / 360 * 2 ** z)

    def ty(lat):
        r = math.radians(lat)
        return int((1 - math.asinh(math.tan(r)) / math.pi) / 2 * 2 ** z)

    return [(x, y) for x in range(tx(west), tx(east) + 1) for y in range(ty(north), ty(south) + 1)]


class Leak(AssertionError):
    pass


@pytest.mark.slow
@pytest.mark.django_db
def test_no_tenant_data_on_any_public_page_or_api():
    call_command("seed_demo", "--seed", "3")
    persons = list(Person.objects.all())
    assert len(persons) > 20000
    # Give some tenants ID photos, as kiosk readings would.
    photo_b64 = base64.b64encode(BMP).decode()
    PersonPhoto.objects.bulk_create([PersonPhoto(person=p, image_sealed=crypto.seal("photo", BMP))
                                     for p in persons[:50]])
    ids = {p.unseal_id_number() for p in persons}
    phones = {crypto.open_text("phone", p.phone_sealed) for p in persons if p.phone_sealed}
    names = {p.unseal_name() for p in persons}
    # Public, non-tenant text may contain the same characters as an invented tenant name by
    # chance (a landlord or grid leader with the same name, an address): those names cannot be told
    # apart and are left out; every other tenant name is searched for.
    public_text = " ".join([*Landlord.objects.values_list("name", flat=True),
                            *Grid.objects.values_list("responsible_person", flat=True),
                            *Grid.objects.values_list("name", flat=True),
                            *Building.objects.values_list("address", flat=True),
                            *Kiosk.objects.values_list("name", flat=True),
                            *Kiosk.objects.values_list("resident_group", flat=True),
                            *Community.objects.values_list("name", flat=True)])
    names = {n for n in names if n not in public_text}
    public_phones = set(Landlord.objects.values_list("phone", flat=True)) | set(
        Grid.objects.values_list("responsible_phone", flat=True))
    phones -= public_phones
    assert len(names) > 1000 and len(ids) == len(persons)

    checked = {"pages": 0, "tiles": 0}

    def check(url: str, text: str):
        checked["pages"] += 1
        for m in ID_RE.findall(text):
            if m.upper() in ids:
                raise Leak(f"{url}: tenant ID number {m[:6]}…")
        for m in PHONE_RE.findall(text):
            if m in phones:
                raise Leak(f"{url}: tenant phone {m[:3]}…")
        for run in CJK_RE.findall(text):
            for size in (2, 3, 4):
                for i in range(len(run) - size + 1):
                    if run[i:i + size] in names:
                        raise Leak(f"{url}: tenant name {run[i]}…")
        if photo_b64 in text or "image/bmp" in text:
            raise Leak(f"{url}: an ID photo")

    c = Client()
    timing = {}

    def get(url):
        t0 = time.perf_counter()
        r = c.get(url)
        kind = url.split("/")[1] + ("/" + url.split("/")[2].split("?")[0] if url.startswith("/api/") else "")
        timing[kind] = timing.get(kind, 0) + time.perf_counter() - t0
        assert r.status_code in (200, 204, 301, 302, 304, 401, 403, 404, 405, 410), (url, r.status_code)
        body = r.content if not r.streaming else b"".join(r.streaming_content)
        if r.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        return r, body

    # 1. Follow links from the home page (same origin, not static assets or the admin's login).
    seen, queue = set(), deque(["/"])
    kiosks = list(Kiosk.objects.values_list("code", flat=True))
    for code in kiosks:
        queue += [f"/kiosk/{code}/", f"/kiosk/{code}/register/", f"/api/vacant-rooms/?kiosk={code}&limit=100"]
    for b in Building.objects.order_by("pk"):
        queue += [f"/b/{b.qr_token}/", f"/api/rooms/?building={b.pk}"]
    queue += [f"/r/{rid}/" for rid in Room.objects.filter(status="let").order_by("building_id", "pk")
              .distinct("building_id").values_list("pk", flat=True)]
    queue += ["/api/summary/", "/api/kiosks/", "/api/communities/", "/api/grids/", "/api/buildings/",
              f"/api/vacant-rooms/?community={Community.objects.get().code}&limit=100", "/api/schema/", "/tiles/tiles.json", "/tiles/style.json", "/map/",
              "/api/tenancies/", "/police/feed/"]
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        r, body = get(url)
        ctype = r.get("Content-Type", "")
        if not any(t in ctype for t in ("html", "json", "text", "svg", "javascript", "csv")):
            continue
        text = body.decode("utf-8", errors="replace")
        check(url, text)
        if "html" in ctype:
            for link in LINK_RE.findall(text):
                target = urlsplit(urljoin(url, link))
                if target.netloc or not target.path.startswith("/"):
                    continue
                path = target.path + (f"?{target.query}" if target.query else "")
                if target.path.startswith(("/static/", "/admin/", "/i18n/")):
                    continue
                queue.append(path)

    # 2. Every vector tile over the community, decoded: no attribute carries tenant data.
    community = Community.objects.get()
    for z in range(12, 19):
        for x, y in _tile_range(community.boundary.extent, z):
            r, body = get(f"/tiles/{z}/{x}/{y}.mvt")
            if r.status_code != 200:
                continue
            checked["tiles"] += 1
            decoded = mapbox_vector_tile.decode(body)
            values = json.dumps([f["properties"] for layer in decoded.values() for f in layer["features"]],
                                ensure_ascii=False)
            check(f"/tiles/{z}/{x}/{y}.mvt", values)
    print(checked, {k: round(v, 1) for k, v in sorted(timing.items(), key=lambda kv: -kv[1])[:8]})
    assert checked["pages"] > 3000 and checked["tiles"] > 50, checked
    # Anonymous visitors get nothing from the staff/police endpoints in the crawl.
    assert Client().get("/api/tenancies/").status_code in (401, 403)
