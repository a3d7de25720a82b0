"""Applying one signed ID-card reading: the card holder is linked to the room that the signed-in
operator picked on this kiosk.

At most once per reading id: the outcome (linked, already registered, or the reason it was
refused) is stored with the id, and the same reading sent again gets the same answer. A reading
that races its own copy ends in the unique constraint and reads the stored answer back.

The hot path of the kiosk (bench/checkin.py): besides BEGIN and COMMIT a linked reading costs six
statements — the nonce (kiosk/signature.py), the lookup below, the room lock, the check-in's
state read and write (residents/services.py) — and the stored outcome with its audit entry.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import roles_from
from audit import log as audit
from gis_core.db import prepared_cursor
from kiosk.agent.record import RecordError, parse_record
from residents import card, crypto, services
from gis_core.errors import DomainError
from residents.models import PersonPhoto, Tenancy
from residents.scoping import Scope, scope_for

_READING_ID = re.compile(r"^[0-9A-Za-z_-]{8,64}$")
MAX_PHOTO_BYTES = 64 * 1024
PHOTO_TYPES = {b"BM": "image/bmp", b"\xff\xd8": "image/jpeg", b"\x89P": "image/png"}


class ReadingError(DomainError):
    """A refused reading: stored with its answer (so a resend gets the same), hence caught here."""

    def __init__(self, status: int, detail: str, **extra):
        super().__init__(detail, status=status, **extra)
        self.detail, self.extra = detail, extra


def _b64(value, what: str) -> bytes:
    try:
        return base64.b64decode(value or "", validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise ReadingError(400, _("%(what)s 不是 base64") % {"what": what}) from None


def _photo(value) -> tuple[bytes, str] | None:
    if not value:
        return None
    raw = _b64(value, "photo")
    if len(raw) > MAX_PHOTO_BYTES:
        raise ReadingError(422, _("照片超过 %(kb)s KB") % {"kb": MAX_PHOTO_BYTES // 1024}, field="photo")
    kind = PHOTO_TYPES.get(raw[:2])
    if kind is None:
        raise ReadingError(422, _("照片须为解码后的 BMP/JPEG/PNG（不接收 WLT）"), field="photo")
    return raw, kind


# What a reading needs before it can be applied, in one statement: the stored answer if this reading
# id was seen before, and the kiosk's armed session (as KioskSession.objects.armed(): live, a room
# picked, the latest) with its operator's roles and staff profile for residents.scoping.scope_for.
_LOOKUP = """
SELECT r.http_status, r.response,
       s.id, s.room_id, u.id, u.username, u.is_active, u.is_superuser,
       ARRAY(SELECT g.name FROM auth_user_groups ug JOIN auth_group g ON g.id = ug.group_id WHERE ug.user_id = u.id),
       sp.landlord_id,
       ARRAY(SELECT grid_id FROM accounts_staffprofile_grids WHERE staffprofile_id = sp.id)
FROM (VALUES (1)) AS one
LEFT JOIN registration_cardreading r ON r.kiosk_id = %(kiosk)s AND r.reading_id = %(reading)s
LEFT JOIN LATERAL (
    SELECT id, room_id, operator_id FROM registration_kiosksession
    WHERE kiosk_id = %(kiosk)s AND room_id IS NOT NULL AND ended_at IS NULL AND expires_at > %(now)s
    ORDER BY armed_at DESC LIMIT 1
) s ON true
LEFT JOIN auth_user u ON u.id = s.operator_id
LEFT JOIN accounts_staffprofile sp ON sp.user_id = u.id"""

# The outcome, stored under the reading id (unique per kiosk), and its audit entry.
_STORE = """
WITH reading AS (
    INSERT INTO registration_cardreading (kiosk_id, reading_id, received_at, operator_id, session_id, room_id,
                                          tenancy_id, outcome, http_status, response)
    VALUES (%(kiosk)s, %(reading)s, %(now)s, %(actor_id)s, %(session)s, %(room)s, %(tenancy)s, %(outcome)s,
            %(status)s, %(response)s::jsonb)
)
INSERT INTO audit_auditentry (at, action, actor_id, actor, kiosk, person_id, tenancy_id, room_id, reason, detail)
VALUES (%(now)s, 'card_read', %(actor_id)s, %(actor)s, %(kiosk_code)s, %(person)s, %(tenancy)s, %(room)s, '',
        %(detail)s::jsonb)"""


@dataclass(frozen=True)
class Session:
    """The armed kiosk session a reading goes to: who is signed in and the room they picked."""

    pk: int
    room_id: int
    operator: object  # a User holding only id, username and flags (roles cached on it)
    scope: Scope | None


def apply(authenticate, payload) -> tuple[int, dict]:
    """Apply one reading. `authenticate()` verifies the request's signature and returns the kiosk
    (raising SignatureError); it runs inside the reading's transaction, so the whole request is
    one commit."""
    for _attempt in range(3):
        try:
            with transaction.atomic(), prepared_cursor():  # one cursor for the reading's statements
                kiosk = authenticate()
                if payload is None:
                    return 400, {"detail": _("请求体不是 JSON")}
                if not isinstance(payload, dict):
                    return 400, {"detail": _("请求体须为 JSON 对象")}
                reading_id = str(payload.get("reading_id") or "")
                if not _READING_ID.match(reading_id):
                    return 400, {"detail": _("reading_id 须为 8–64 个字母数字")}
                with prepared_cursor() as cur:
                    cur.execute(_LOOKUP, {"kiosk": kiosk.pk, "reading": reading_id, "now": timezone.now()})
                    done_status, done_body, *session_row = cur.fetchone()
                if done_status is not None:
                    return done_status, {**_json(done_body), "repeated": True}
                return _apply_new(kiosk, reading_id, payload, _session(*session_row))
        except IntegrityError:
            # The same reading raced us and won (the next attempt answers what it stored), or
            # another reading of the same card created the person a moment earlier (it now exists).
            continue
    return 409, {"detail": _("并发冲突，请重试")}


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def _session(pk, room_id, user_id, username, is_active, is_superuser, groups, landlord_id, grid_ids):
    if pk is None:
        return None
    operator = get_user_model()(id=user_id, username=username, is_active=is_active, is_superuser=is_superuser)
    operator._state.adding, operator._state.db = False, DEFAULT_DB_ALIAS
    operator._gis_roles = roles_from(operator, groups)
    scope = scope_for(operator._gis_roles, landlord_id=landlord_id, grid_ids=grid_ids, read=False)
    return Session(pk, room_id, operator, scope)


def _apply_new(kiosk, reading_id: str, payload: dict, session: Session | None) -> tuple[int, dict]:
    """Inside apply()'s transaction: validate, link, store the outcome, audit."""
    try:
        record = parse_record(_b64(payload.get("record"), "record"))
    except ReadingError as exc:
        return _refuse(kiosk, reading_id, None, exc)
    except RecordError as exc:
        return _refuse(kiosk, reading_id, None,
                       ReadingError(422, _("读卡记录无效：%(error)s") % {"error": exc}, field="record"))
    try:
        photo = _photo(payload.get("photo"))
        if session is None:
            raise ReadingError(409, _("请先在终端机上登录并选择房间"))
        room = services.lock_room(session.room_id)
        if session.scope is None or not session.scope.covers(
                landlord_id=room.landlord_id, grid_id=room.grid_id, mesh_id=room.mesh_id):
            raise ReadingError(403, _("登录人无权登记该房间"))
        data = card.validate(record, timezone.localdate())
        tenancy, created = services.check_in(session.room_id, data, via=Tenancy.Via.KIOSK_CARD,
                                             by=session.operator, kiosk=kiosk, room=room)
    except card.CardError as exc:
        return _refuse(kiosk, reading_id, session, ReadingError(422, str(exc), field=exc.field))
    except ReadingError as exc:
        return _refuse(kiosk, reading_id, session, exc)
    except services.TenancyError as exc:
        return _refuse(kiosk, reading_id, session, ReadingError(exc.status, str(exc)))
    if photo is not None:
        PersonPhoto.objects.update_or_create(person_id=tenancy.person.pk, defaults={
            "image_sealed": crypto.seal("photo", photo[0]), "content_type": photo[1]})
    person = tenancy.person
    body = {
        "reading_id": reading_id, "outcome": "linked" if created else "already",
        "detail": _("已登记入住") if created else _("此人已在该房间登记"),
        "tenancy": tenancy.pk, "room": session.room_id, "person": person.id_number_masked,
        "name": person.name_masked, "card_type": record.card_type,
    }
    status = 201 if created else 200
    _store(kiosk, reading_id, session, status, body, person_id=person.pk, tenancy_id=tenancy.pk,
           detail={"reading_id": reading_id, "outcome": body["outcome"]})
    return status, body


def _refuse(kiosk, reading_id, session: Session | None, exc: ReadingError) -> tuple[int, dict]:
    body = {"reading_id": reading_id, "outcome": "rejected", "detail": exc.detail, **exc.extra}
    _store(kiosk, reading_id, session, exc.status, body,
           detail={"reading_id": reading_id, "outcome": "rejected", "status": exc.status, "error": exc.detail})
    return exc.status, body


def _store(kiosk, reading_id, session: Session | None, status: int, body: dict, *, person_id=None, tenancy_id=None,
           detail: dict) -> None:
    actor = audit.actor_fields(session.operator if session else None)
    with prepared_cursor() as cur:
        cur.execute(_STORE, {
            "kiosk": kiosk.pk, "reading": reading_id, "now": timezone.now(), **actor,
            "session": session.pk if session else None, "room": session.room_id if session else None,
            "tenancy": tenancy_id, "outcome": body["outcome"], "status": status,
            "response": json.dumps(body, ensure_ascii=False), "kiosk_code": audit.kiosk_label(kiosk),
            "person": person_id, "detail": json.dumps(detail, ensure_ascii=False)})
