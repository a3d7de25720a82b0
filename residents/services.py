"""Linking people to rooms: the only code that opens or ends tenancies.

Each operation locks the room row (`lock_room`), so concurrent check-ins at one
room serialise and capacity holds; updates the room's status in the same transaction (let ⇔
someone lives there); and invalidates the room's tiles when the transaction commits. Check-in is
idempotent: the same person checked in to the same room again returns the open tenancy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import log as audit
from buildings.models import Room
from gis_core.changes import attributes_changed
from gis_core.db import prepared_cursor
from gis_core.errors import DomainError
from gis_core.rules import holding_tenancy_sql
from residents import crypto
from residents.models import Person, Tenancy


class TenancyError(DomainError):
    """A check-in or check-out that cannot be done; `status` is the HTTP status that fits."""

    status, code = 409, "tenancy_refused"


class RoomFull(TenancyError):
    pass


class RoomUnavailable(TenancyError):
    pass


class AlreadyLivesElsewhere(TenancyError):
    pass


class NotLivingHere(TenancyError):
    status, code = 404, "not_living_here"


class NoSuchRoom(TenancyError):
    status, code = 404, "no_such_room"


@dataclass(frozen=True)
class PersonData:
    name: str
    id_number: str
    sex: str
    nation_code: str = ""
    address: str | None = None
    phone: str | None = None


# --- check-in -----------------------------------------------------------------------------------
# The kiosk's card reader makes check-in the product's hot write path (bench/checkin.py: 200 a
# second on two cores). Through the ORM it took nine statements and ≈10 ms of Python per call;
# here the same rules cost three statements: lock the room; read, under the lock, who the person
# is, where they live and how many live in the room; then one statement that writes the person
# (if new), the tenancy, its audit entry and the room's status. Every refusal is decided before
# anything is written, so a caller's transaction can record the refusal and carry on.

_LOCK_ROOM = """
SELECT r.status, r.capacity, r.building_id, b.landlord_id, b.grid_id, b.mesh_id
FROM buildings_room r JOIN buildings_building b ON b.id = r.building_id
WHERE r.id = %s
FOR UPDATE OF r"""

# A statement of its own, after the lock: its snapshot sees every tenancy committed before we got
# the room (a subquery in the locking statement would count from before the wait).
_STATE = """
SELECT p.id, p.name_masked, p.id_number_masked,
       t.id, t.room_id, t.start_date, t.registered_via, t.registered_at, t.registered_by_id, t.kiosk_id,
       (SELECT count(*) FROM residents_tenancy h WHERE h.room_id = %(room)s AND {holding_h})
FROM (VALUES (1)) AS one
LEFT JOIN residents_person p ON p.id_number_index = ANY(%(indexes)s)
LEFT JOIN residents_tenancy t ON t.person_id = p.id AND {holding_t}""".format(
    holding_h=holding_tenancy_sql("h"), holding_t=holding_tenancy_sql("t"))

_WRITE = """
WITH new_person AS (
    INSERT INTO residents_person (name_sealed, id_number_sealed, address_sealed, phone_sealed, id_number_index,
                                  name_masked, id_number_masked, sex, nation_code, region_code, created_at)
    SELECT %(name_sealed)s, %(id_number_sealed)s, %(address_sealed)s, %(phone_sealed)s, %(id_number_index)s,
           %(name_masked)s, %(id_number_masked)s, %(sex)s, %(nation_code)s, %(region_code)s, %(now)s
    WHERE %(person)s::bigint IS NULL
    RETURNING id
), person AS (
    SELECT id FROM new_person UNION ALL SELECT %(person)s::bigint WHERE %(person)s::bigint IS NOT NULL
), tenancy AS (
    INSERT INTO residents_tenancy (person_id, room_id, start_date, registered_via, registered_at, registered_by_id,
                                   kiosk_id)
    SELECT id, %(room)s, %(start)s, %(via)s, %(now)s, %(by)s, %(kiosk)s FROM person
    RETURNING id, person_id
), audit AS (
    INSERT INTO audit_auditentry (at, action, actor_id, actor, kiosk, person_id, tenancy_id, room_id, reason, detail)
    SELECT %(now)s, 'check_in', %(by)s, %(actor)s, %(kiosk_code)s, person_id, id, %(room)s, '', %(detail)s::jsonb
    FROM tenancy
), let AS (
    UPDATE buildings_room SET status = 'let' WHERE id = %(room)s AND status <> 'let'
)
SELECT id, person_id FROM tenancy"""

# The new person's columns, as Person.build() computes them (sealed, masked, blind index).
_PERSON_COLUMNS = ("name_sealed", "id_number_sealed", "address_sealed", "phone_sealed", "id_number_index",
                   "name_masked", "id_number_masked", "sex", "nation_code", "region_code")
_TENANCY_FIELDS = ["id", "room_id", "start_date", "registered_via", "registered_at", "registered_by_id", "kiosk_id"]


@dataclass(frozen=True)
class LockedRoom:
    """The room, locked for this transaction, with what scoping needs to know of its building."""

    pk: int
    status: str
    capacity: int
    building_id: int
    landlord_id: int | None
    grid_id: int | None
    mesh_id: int | None


def lock_room(room_id: int) -> LockedRoom:
    """Lock one room row until the transaction ends (concurrent check-ins at it serialise)."""
    with prepared_cursor() as cur:
        cur.execute(_LOCK_ROOM, [room_id])
        row = cur.fetchone()
    if row is None:
        raise NoSuchRoom(_("没有编号为 %(room)s 的房间") % {"room": room_id})
    return LockedRoom(room_id, *row)


def check_in(room_id: int, data: PersonData, *, via: str, by=None, kiosk=None, start: date | None = None,
             room: LockedRoom | None = None) -> tuple[Tenancy, bool]:
    """Open a tenancy of this person in this room; returns (tenancy, created).

    Inside a caller's transaction no savepoint is taken: a TenancyError is raised before anything
    is written. `room` is the room when the caller has already locked it (lock_room)."""
    if not connection.in_atomic_block:
        with transaction.atomic():
            return check_in(room_id, data, via=via, by=by, kiosk=kiosk, start=start, room=room)
    room = room or lock_room(room_id)
    if room.status == Room.Status.UNAVAILABLE:
        raise RoomUnavailable(_("房间 %(room)s 不可出租") % {"room": room_id})
    id_number = data.id_number.strip().upper()
    with prepared_cursor() as cur:
        cur.execute(_STATE, {"room": room_id, "indexes": crypto.blind_indexes("id_number", id_number)})
        person_id, name_masked, id_masked, *open_one, occupants = cur.fetchone()
    if open_one[0] is not None:
        if open_one[1] != room_id:
            raise AlreadyLivesElsewhere(
                _("此人已在其他房间登记，请先办理退租"))
        return _tenancy(open_one, person_id, name_masked, id_masked), False
    if occupants >= room.capacity:
        raise RoomFull(_("房间已满（%(occupants)s/%(capacity)s 人）") % {"occupants": occupants, "capacity": room.capacity})
    now, start = timezone.now(), start or timezone.localdate()
    actor = audit.actor_fields(by)
    values = {"person": person_id, "room": room_id, "start": start, "via": via, "now": now, "by": actor["actor_id"],
              "kiosk": getattr(kiosk, "pk", None), "actor": actor["actor"], "kiosk_code": audit.kiosk_label(kiosk),
              "detail": json.dumps({"via": via}), **dict.fromkeys(_PERSON_COLUMNS)}
    if person_id is None:
        new = Person.build(name=data.name, id_number=id_number, sex=data.sex, nation_code=data.nation_code,
                           address=data.address, phone=data.phone)
        values.update({column: getattr(new, column) for column in _PERSON_COLUMNS})
        name_masked, id_masked = new.name_masked, new.id_number_masked
    with prepared_cursor() as cur:
        cur.execute(_WRITE, values)
        tenancy_id, person_id = cur.fetchone()
    if room.status != Room.Status.LET:
        attributes_changed(Room, [room.pk], fields={"status"})
    row = [tenancy_id, room_id, start, via, now, actor["actor_id"], getattr(kiosk, "pk", None)]
    return _tenancy(row, person_id, name_masked, id_masked), True


def _tenancy(row, person_id, name_masked, id_masked) -> Tenancy:
    """The tenancy as a model instance (the person's other fields load if asked for)."""
    tenancy = Tenancy.from_db(DEFAULT_DB_ALIAS, _TENANCY_FIELDS, list(row))
    tenancy.person = Person.from_db(DEFAULT_DB_ALIAS, ["id", "name_masked", "id_number_masked"],
                                    [person_id, name_masked, id_masked])
    return tenancy


@transaction.atomic
def check_out(room_id: int, id_number: str | None = None, *, end: date | None = None, tenancy_id: int | None = None,
              by=None, kiosk=None, reason: str = "") -> Tenancy:
    """End this person's (or this tenancy's) stay in this room; the room turns vacant when nobody
    is left. `reason` goes to the audit entry (a grid worker checking out a tenant who left)."""
    room = lock_room(room_id)
    open_here = Tenancy.objects.occupying().filter(room_id=room.pk)
    if tenancy_id is not None:
        tenancy = open_here.filter(pk=tenancy_id).first()
    else:
        person = Person.find_by_id_number(id_number or "")
        tenancy = None if person is None else open_here.filter(person=person).first()
    if tenancy is None:
        raise NotLivingHere(_("此人未在该房间登记"))
    # A tenancy ends after it starts (a database rule): leaving on the day of moving in counts as
    # one night.
    tenancy.end_date = max(end or timezone.localdate(), tenancy.start_date + timedelta(days=1))
    tenancy.save(update_fields=["end_date"])
    audit.record("check_out", actor=by, kiosk=kiosk, person_id=tenancy.person_id, tenancy_id=tenancy.pk,
                 room_id=room.pk, reason=reason, end_date=tenancy.end_date.isoformat())
    if not open_here.exists() and room.status == Room.Status.LET:
        Room.objects.filter(pk=room.pk).update(status=Room.Status.VACANT)
        attributes_changed(Room, [room.pk], fields={"status"})
    return tenancy
