"""Linking people to rooms: the only code that opens or ends tenancies.

Each operation locks the room row (`Room.objects.for_update()`), so concurrent check-ins at one
room serialise and capacity holds; updates the room's status in the same transaction (let ⇔
someone lives there); and invalidates the room's tiles when the transaction commits. Check-in is
idempotent: the same person checked in to the same room again returns the open tenancy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from audit import log as audit
from buildings.models import Room
from residents.models import Person, Tenancy
from tiles.invalidation import invalidate_buildings


class TenancyError(Exception):
    """A check-in or check-out that cannot be done; `status` is the HTTP status that fits."""

    status = 409


class RoomFull(TenancyError):
    pass


class RoomUnavailable(TenancyError):
    pass


class AlreadyLivesElsewhere(TenancyError):
    pass


class NotLivingHere(TenancyError):
    status = 404


class NoSuchRoom(TenancyError):
    status = 404


def _locked_room(room_id: int) -> Room:
    try:
        return Room.objects.for_update().get(pk=room_id)
    except Room.DoesNotExist:
        raise NoSuchRoom(f"没有编号为 {room_id} 的房间 / no room {room_id}") from None


@dataclass(frozen=True)
class PersonData:
    name: str
    id_number: str
    sex: str
    nation_code: str = ""
    address: str | None = None
    phone: str | None = None


def find_or_create_person(data: PersonData) -> Person:
    """The person with this ID number (by blind index), created sealed if new (then `_new` is set)."""
    person = Person.find_by_id_number(data.id_number)
    if person is None:
        person = Person.build(name=data.name, id_number=data.id_number, sex=data.sex,
                              nation_code=data.nation_code, address=data.address, phone=data.phone)
        person.save()
        person._new = True
    return person


@transaction.atomic
def check_in(room_id: int, data: PersonData, *, via: str, by=None, kiosk=None, start: date | None = None
             ) -> tuple[Tenancy, bool]:
    """Open a tenancy of this person in this room; returns (tenancy, created)."""
    room = _locked_room(room_id)
    if room.status == Room.Status.UNAVAILABLE:
        raise RoomUnavailable(f"房间 {room} 不可出租 / room {room} is not available for letting")
    person = find_or_create_person(data)
    # A person created just now has no tenancy; otherwise their open one (at most one) decides.
    open_one = None if getattr(person, "_new", False) else Tenancy.objects.filter(
        person=person, end_date__isnull=True).first()
    if open_one is not None and open_one.room_id == room.pk:
        return open_one, False
    if open_one is not None:
        raise AlreadyLivesElsewhere(
            "此人已在其他房间登记，请先办理退租 / this person is registered in another room: check out first")
    occupants = Tenancy.objects.filter(room=room, end_date__isnull=True).count()
    if occupants >= room.capacity:
        raise RoomFull(f"房间已满（{occupants}/{room.capacity} 人）/ the room is full ({occupants}/{room.capacity})")
    tenancy = Tenancy.objects.create(
        person=person, room=room, start_date=start or timezone.localdate(), registered_via=via,
        registered_by=by, kiosk=kiosk,
    )
    audit.record("check_in", actor=by, kiosk=kiosk, person_id=person.pk, tenancy_id=tenancy.pk, room_id=room.pk,
                 via=via)
    if room.status != Room.Status.LET:
        Room.objects.filter(pk=room.pk).update(status=Room.Status.LET)
        invalidate_buildings([room.building_id])
    return tenancy, True


@transaction.atomic
def check_out(room_id: int, id_number: str | None = None, *, end: date | None = None, tenancy_id: int | None = None,
              by=None, kiosk=None) -> Tenancy:
    """End this person's (or this tenancy's) stay in this room; the room turns vacant when nobody
    is left."""
    room = _locked_room(room_id)
    open_here = Tenancy.objects.filter(room=room, end_date__isnull=True)
    if tenancy_id is not None:
        tenancy = open_here.filter(pk=tenancy_id).first()
    else:
        person = Person.find_by_id_number(id_number or "")
        tenancy = None if person is None else open_here.filter(person=person).first()
    if tenancy is None:
        raise NotLivingHere("此人未在该房间登记 / this person has no open tenancy in this room")
    # A tenancy ends after it starts (a database rule): leaving on the day of moving in counts as
    # one night.
    tenancy.end_date = max(end or timezone.localdate(), tenancy.start_date + timedelta(days=1))
    tenancy.save(update_fields=["end_date"])
    audit.record("check_out", actor=by, kiosk=kiosk, person_id=tenancy.person_id, tenancy_id=tenancy.pk,
                 room_id=room.pk, end_date=tenancy.end_date.isoformat())
    if not Tenancy.objects.filter(room=room, end_date__isnull=True).exists() and room.status == Room.Status.LET:
        Room.objects.filter(pk=room.pk).update(status=Room.Status.VACANT)
        invalidate_buildings([room.building_id])
    return tenancy
