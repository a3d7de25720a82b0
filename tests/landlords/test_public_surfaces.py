"""Consent to publish the phone, given and withdrawn on /my/, reaches every public surface in the
same request cycle — the decoded vector tile (phone_public; its cache refreshed by the change pipeline), the
kiosk's search API, the door (QR) page, the room's phone page, the 3D card and the buildings API —
and is recorded with time and method. The landlord's description and photos reach the kiosk card
and the phone pages."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from buildings.models import Landlord
from landlords.models import ConsentEvent
from tests.landlords.conftest import jpeg
from tests.tiles_helpers import decode, url_at

pytestmark = pytest.mark.django_db
PHONE = "13800001111"


def surfaces(estate) -> dict[str, bool]:
    """Whether each public surface shows the landlord's phone."""
    anyone = Client()
    raw = anyone.get(url_at(60, 57, layer="buildings"))
    assert PHONE.encode() not in raw.content  # tiles say whether, never the number (harvestable in bulk)
    tile = decode(raw)
    search = anyone.get("/api/vacant-rooms/", {"building": estate.building.code}).json()["results"]
    (feature,) = anyone.get("/api/buildings/", {"code": estate.building.code}).json()["results"]["features"]
    return {
        "tile": tile["buildings"][estate.building.pk]["phone_public"],
        "kiosk api": [r["landlord_phone"] for r in search] == [PHONE],
        "door page": PHONE.encode() in anyone.get(f"/b/{estate.building.qr_token}/").content,
        "room page": PHONE.encode() in anyone.get(f"/r/{estate.vacant.pk}/").content,
        "3d card": anyone.get(f"/3d/room/{estate.vacant.pk}.json").json()["landlord_phone"] == PHONE,
        "buildings api": feature["properties"]["landlord_phone"] == PHONE,
    }


def test_consent_reaches_every_public_surface(estate, django_capture_on_commit_callbacks):
    client = Client()
    client.force_login(estate.user)
    assert set(surfaces(estate).values()) == {False}  # (and the tile is now cached without the phone)

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/my/consent/", {"give": "1"}).status_code == 302
    assert surfaces(estate) == dict.fromkeys(surfaces(estate), True)
    landlord = Landlord.objects.get(pk=estate.mine.pk)
    assert landlord.consent_method == "online" and landlord.consent_at is not None

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/my/consent/", {"give": "0"})
    assert set(surfaces(estate).values()) == {False}

    with django_capture_on_commit_callbacks(execute=True):  # at a kiosk: method recorded as such
        client.post("/my/consent/", {"give": "1", "method": "kiosk"})
    assert set(surfaces(estate).values()) == {True}
    events = list(ConsentEvent.objects.filter(landlord=estate.mine).order_by("id").values_list("given", "method"))
    assert events == [(True, "online"), (False, "online"), (True, "kiosk")]
    assert Landlord.objects.get(pk=estate.mine.pk).consent_method == "kiosk"
    assert client.post("/my/consent/", {"give": "1", "method": "carrier-pigeon"}).status_code == 400
    # the other landlord's phone never appeared
    assert estate.theirs.phone.encode() not in Client().get(f"/b/{estate.other_building.qr_token}/").content


def test_renters_see_description_and_photos(estate):
    client = Client()
    client.force_login(estate.user)
    room = estate.vacant
    client.post(f"/my/r/{room.pk}/edit/", {"description": "朝南，带阳台，近地铁"})
    client.post(f"/my/r/{room.pk}/photos/", {"photo": SimpleUploadedFile("a.jpg", jpeg((1200, 900)), "image/jpeg")})
    (photo,) = room.photos.all()
    url = f"/rooms/photo/{photo.pk}.jpg"

    (card,) = Client().get("/api/vacant-rooms/", {"building": estate.building.code}).json()["results"]
    assert card["description"] == "朝南，带阳台，近地铁" and card["photos"] == [url]
    for page in (f"/r/{room.pk}/", f"/b/{estate.building.qr_token}/"):
        body = Client().get(page).content.decode()
        assert "朝南，带阳台，近地铁" in body and url in body, page
    served = Client().get(url)
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert served.content.startswith(b"\xff\xd8")

    # a retired room's photos are no longer served; another room's text never shows here
    client.post(f"/my/r/{room.pk}/retire/")
    assert Client().get(url).status_code == 404
    assert Client().get(f"/r/{room.pk}/").status_code == 404


def test_consent_given_at_a_kiosk_is_recorded_as_such(estate, django_capture_on_commit_callbacks):
    from kiosk.models import Kiosk
    from tests.factories import point
    from tests.landlords.conftest import PASSWORD

    Kiosk.objects.create(code="k9", name="一组终端", community=estate.building.community, resident_group="一组",
                         location=point(60, 40))
    desk = Client()
    assert desk.post("/kiosk/k9/register/consent/", {"give": "1"}).status_code == 403  # not signed in
    desk.post("/kiosk/k9/register/sign-in/", {"username": "landlord-a", "secret": PASSWORD})
    assert "同意公开我的电话" in desk.get("/kiosk/k9/register/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert desk.post("/kiosk/k9/register/consent/", {"give": "1"}).status_code == 302
    assert set(surfaces(estate).values()) == {True}
    assert Landlord.objects.get(pk=estate.mine.pk).consent_method == "kiosk"
    assert ConsentEvent.objects.get().method == "kiosk"
    with django_capture_on_commit_callbacks(execute=True):
        desk.post("/kiosk/k9/register/consent/", {"give": "0"})
    assert set(surfaces(estate).values()) == {False}
