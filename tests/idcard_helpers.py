"""Shared pieces of the ID-card tests: recorded-style card records, a kiosk with a credential, a
landlord signed in at the kiosk with a room picked, and signed requests."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.models import StaffProfile
from accounts.roles import Role, grant
from buildings.models import Landlord
from kiosk.agent import signing
from kiosk.agent.record import build_record
from kiosk.models import Kiosk
from registration.models import KioskCredential, KioskSession
from residents.ids import check_character
from tests.factories import point

PATH = "/api/kiosk/readings/"


def id_number(n: int, sex: str = "1", born: str = "19900101", region: str = "530112") -> str:
    seq = f"{(n * 2 + (1 if sex == '1' else 0)) % 1000:03d}"
    first17 = f"{region}{born}{seq}"
    return first17 + check_character(first17)


def record(n: int = 1, *, sex: str = "1", name: str | None = None, born: str = "19900101", **overrides) -> bytes:
    fields = dict(name=name or f"测试租户{n}", sex=sex, nation="01", birth_date=born,
                  address="云南省昆明市五华区测试路1号", id_number=id_number(n, sex, born),
                  authority="昆明市公安局五华分局", valid_from="20200101", valid_to="20400101")
    fields.update(overrides)
    return build_record(**fields)


def make_kiosk(community, code="530112001001-01") -> tuple[Kiosk, str]:
    kiosk = Kiosk.objects.create(code=code, name="一组终端", community=community, resident_group="第一居民小组",
                                 location=point(100, 10))
    return kiosk, KioskCredential.issue(kiosk)


def make_landlord_user(building, username="landlord1", pin=None):
    landlord = Landlord.objects.create(name="房东甲", phone="13912345678")
    # update(), not save(): the building's room counts are kept by a trigger, the instance is stale
    type(building).objects.filter(pk=building.pk).update(landlord=landlord)
    building.landlord = landlord
    user = get_user_model().objects.create_user(username, password="landlord-pw-1")
    grant(user, Role.LANDLORD)
    profile = StaffProfile.objects.create(user=user, landlord=landlord)
    if pin:
        profile.set_pin(pin)
        profile.save()
    return user


def arm(kiosk, operator, room) -> KioskSession:
    now = timezone.now()
    return KioskSession.objects.create(kiosk=kiosk, operator=operator, room=room, armed_at=now,
                                       expires_at=now + timedelta(minutes=15))


def payload(raw: bytes, reading_id: str | None = None, photo: bytes | None = None) -> bytes:
    return json.dumps({"reading_id": reading_id or uuid.uuid4().hex, "record": base64.b64encode(raw).decode(),
                       "photo": base64.b64encode(photo).decode() if photo else None}).encode()


def signed_post(client, kiosk_code: str, secret: str, body: bytes, **sign_kwargs):
    headers = signing.sign(kiosk_code, secret, "POST", PATH, body, **sign_kwargs)
    return client.post(PATH, data=body, content_type="application/json",
                       **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()})


# A tiny decoded ID photo (a 2×2 24-bit BMP), as the vendor library writes zp.bmp.
BMP = (b"BM" + (70).to_bytes(4, "little") + b"\0\0\0\0" + (54).to_bytes(4, "little") + (40).to_bytes(4, "little")
       + (2).to_bytes(4, "little") + (2).to_bytes(4, "little") + (1).to_bytes(2, "little") + (24).to_bytes(2, "little")
       + b"\0" * 24 + bytes([10, 20, 30, 40, 50, 60, 0, 0, 70, 80, 90, 100, 110, 120, 0, 0]))
