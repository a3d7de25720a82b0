"""Applying one signed ID-card reading: the card holder is linked to the room that the signed-in
operator picked on this kiosk.

At most once per reading id: the outcome (linked, already registered, or the reason it was
refused) is stored with the id, and the same reading sent again gets the same answer. A reading
that races its own copy ends in the unique constraint and reads the stored answer back.
"""

from __future__ import annotations

import base64
import binascii
import re

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit import log as audit
from kiosk.agent.record import RecordError, parse_record
from registration.models import CardReading, KioskSession
from residents import card, crypto, services
from residents.models import PersonPhoto, Tenancy
from residents.scoping import can_register

_READING_ID = re.compile(r"^[0-9A-Za-z_-]{8,64}$")
MAX_PHOTO_BYTES = 64 * 1024
PHOTO_TYPES = {b"BM": "image/bmp", b"\xff\xd8": "image/jpeg", b"\x89P": "image/png"}


class ReadingError(Exception):
    def __init__(self, status: int, detail: str, **extra):
        super().__init__(detail)
        self.status, self.detail, self.extra = status, detail, extra


def _b64(value, what: str) -> bytes:
    try:
        return base64.b64decode(value or "", validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise ReadingError(400, f"{what} 不是 base64 / {what} is not base64") from None


def _photo(value) -> tuple[bytes, str] | None:
    if not value:
        return None
    raw = _b64(value, "photo")
    if len(raw) > MAX_PHOTO_BYTES:
        raise ReadingError(422, f"照片超过 {MAX_PHOTO_BYTES // 1024} KB / the photo is too large", field="photo")
    kind = PHOTO_TYPES.get(raw[:2])
    if kind is None:
        raise ReadingError(422, "照片须为解码后的 BMP/JPEG/PNG（不接收 WLT）/ send the decoded photo (BMP, JPEG or "
                                "PNG), never WLT", field="photo")
    return raw, kind


def apply(authenticate, payload) -> tuple[int, dict]:
    """Apply one reading. `authenticate()` verifies the request's signature and returns the kiosk
    (raising SignatureError); it runs inside the reading's transaction, so the whole request is
    one commit."""
    for _attempt in range(3):
        try:
            with transaction.atomic():
                kiosk = authenticate()
                if payload is None:
                    return 400, {"detail": "请求体不是 JSON / the body is not JSON"}
                if not isinstance(payload, dict):
                    return 400, {"detail": "请求体须为 JSON 对象 / the body must be a JSON object"}
                reading_id = str(payload.get("reading_id") or "")
                if not _READING_ID.match(reading_id):
                    return 400, {"detail": "reading_id 须为 8–64 个字母数字 / reading_id must be 8–64 letters or digits"}
                done = CardReading.objects.filter(kiosk=kiosk, reading_id=reading_id).first()
                if done is not None:
                    return done.http_status, {**done.response, "repeated": True}
                return _apply_new(kiosk, reading_id, payload)
        except IntegrityError:
            # The same reading raced us and won (the next attempt answers what it stored), or
            # another reading of the same card created the person a moment earlier (it now exists).
            continue
    return 409, {"detail": "并发冲突，请重试 / conflicting update, please retry"}


def _apply_new(kiosk, reading_id: str, payload: dict) -> tuple[int, dict]:
    """Inside apply()'s transaction: validate, link, store the outcome, audit."""
    session = None
    try:
        record = parse_record(_b64(payload.get("record"), "record"))
    except ReadingError as exc:
        return _store(kiosk, reading_id, None, exc)
    except RecordError as exc:
        return _store(kiosk, reading_id, None,
                      ReadingError(422, f"读卡记录无效 / bad card record: {exc}", field="record"))
    try:
        photo = _photo(payload.get("photo"))
        session = KioskSession.objects.armed(kiosk).select_related("operator", "room").first()
        if session is None:
            raise ReadingError(409, "请先在终端机上登录并选择房间 / sign in at the kiosk and pick a room first")
        if not can_register(session.operator, session.room):
            raise ReadingError(403, "登录人无权登记该房间 / the signed-in operator may not register this room")
        data = card.validate(record, timezone.localdate())
    except card.CardError as exc:
        return _store(kiosk, reading_id, session, ReadingError(422, str(exc), field=exc.field))
    except ReadingError as exc:
        return _store(kiosk, reading_id, session, exc)
    try:
        tenancy, created = services.check_in(session.room_id, data, via=Tenancy.Via.KIOSK_CARD,
                                             by=session.operator, kiosk=kiosk)
    except services.TenancyError as exc:
        return _store(kiosk, reading_id, session, ReadingError(exc.status, str(exc)))
    if photo is not None:
        PersonPhoto.objects.update_or_create(person=tenancy.person, defaults={
            "image_sealed": crypto.seal("photo", photo[0]), "content_type": photo[1]})
    person = tenancy.person
    body = {
        "reading_id": reading_id, "outcome": "linked" if created else "already",
        "detail": "已登记入住 / registered" if created else "此人已在该房间登记 / already registered here",
        "tenancy": tenancy.pk, "room": session.room_id, "person": person.id_number_masked,
        "name": person.name_masked, "card_type": record.card_type,
    }
    status = 201 if created else 200
    CardReading.objects.create(kiosk=kiosk, reading_id=reading_id, operator=session.operator, session=session,
                               room_id=session.room_id, tenancy=tenancy, outcome=body["outcome"],
                               http_status=status, response=body)
    audit.record("card_read", actor=session.operator, kiosk=kiosk, person_id=person.pk, tenancy_id=tenancy.pk,
                 room_id=session.room_id, reading_id=reading_id, outcome=body["outcome"])
    return status, body


def _store(kiosk, reading_id, session, exc: ReadingError) -> tuple[int, dict]:
    body = {"reading_id": reading_id, "outcome": "rejected", "detail": exc.detail, **exc.extra}
    CardReading.objects.create(kiosk=kiosk, reading_id=reading_id, operator=session.operator if session else None,
                               session=session, room_id=session.room_id if session else None,
                               outcome=CardReading.Outcome.REJECTED, http_status=exc.status, response=body)
    audit.record("card_read", actor=session.operator if session else None, kiosk=kiosk,
                 room_id=session.room_id if session else None, reading_id=reading_id, outcome="rejected",
                 status=exc.status, error=exc.detail)
    return exc.status, body
