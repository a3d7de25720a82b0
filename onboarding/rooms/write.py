"""Writing a register: landlords de-duplicated by phone, rooms upserted in bulk by building +
floor + room number (COPY into a temporary table, then one INSERT … ON CONFLICT)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from buildings.models import Building, Landlord, Room
from onboarding.report import Action, ReportRow
from onboarding.rooms.parse import RoomRow, normalise_phone

DEFAULT_CAPACITY = Room._meta.get_field("capacity").default


def write_landlords(rows: list[tuple[RoomRow, ReportRow]]) -> int:
    """Set each building's landlord from its first row naming one; returns buildings changed."""
    first: dict[int, RoomRow] = {}
    for room, _row in rows:
        if room.building_id not in first and (room.landlord_name or room.landlord_phone):
            first[room.building_id] = room
    if not first:
        return 0
    by_phone = {normalise_phone(l.phone): l for l in Landlord.objects.exclude(phone="")}
    by_name = {l.name: l for l in Landlord.objects.filter(phone="")}
    chosen: dict[int, Landlord] = {}
    changed: dict[int, Landlord] = {}
    for building_id, room in first.items():
        landlord = by_phone.get(room.landlord_phone) if room.landlord_phone else by_name.get(room.landlord_name)
        if landlord is None:
            landlord = Landlord(name=room.landlord_name or room.landlord_phone, phone=room.landlord_phone)
            if room.landlord_phone:
                by_phone[room.landlord_phone] = landlord
            else:
                by_name[landlord.name] = landlord
        elif room.landlord_name and landlord.name != room.landlord_name:
            room.notes.append(_("电话 %(phone)s 已属于房东 %(name)s，按电话合并")
                              % {"phone": room.landlord_phone, "name": landlord.name})
        _consent(landlord, room)
        chosen[building_id] = landlord
        if landlord.pk is None or getattr(landlord, "_consent_changed", False):
            changed[id(landlord)] = landlord
    for landlord in changed.values():
        landlord.save()  # few per community; save() runs the model's own checks
    current = dict(Building.objects.filter(pk__in=chosen).values_list("pk", "landlord_id"))
    moves = [(b, l.pk) for b, l in chosen.items() if current.get(b) != l.pk]
    if moves:
        with connection.cursor() as cur:
            cur.execute("UPDATE buildings_building b SET landlord_id = u.landlord FROM unnest(%s::bigint[], %s::bigint[])"
                        " AS u(id, landlord) WHERE b.id = u.id", [[m[0] for m in moves], [m[1] for m in moves]])
    return len(moves)


def _consent(landlord: Landlord, room: RoomRow) -> None:
    """Publish the phone only with consent recorded when and how; the register's 否 withdraws it."""
    if room.consent is None:
        return
    if room.consent is False:
        if landlord.phone_consent:
            landlord.phone_consent, landlord.consent_at, landlord.consent_method = False, None, ""
            landlord._consent_changed = True
        return
    if not (room.consent_at and room.consent_method and landlord.phone):
        room.notes.append(_("同意公开电话但缺少同意日期或方式（或电话），电话不公开"))
        return
    when = timezone.make_aware(dt.datetime.combine(room.consent_at, dt.time(12)))
    if (landlord.phone_consent, landlord.consent_method) != (True, room.consent_method) or landlord.consent_at != when:
        landlord.record_consent(room.consent_method, when)
        landlord._consent_changed = True


def write_rooms(rows: list[tuple[RoomRow, ReportRow]]) -> tuple[set[int], set[int], int]:
    """Upsert; returns (ids of the rooms added, ids of the rooms updated, lets kept)."""
    with connection.cursor() as cursor:
        raw = cursor.cursor
        raw.execute("CREATE TEMP TABLE onboarding_room_keys (line int, building_id bigint, floor smallint,"
                    " number varchar(10)) ON COMMIT DROP")
        with raw.copy("COPY onboarding_room_keys FROM STDIN") as copy:
            for room, _row in rows:
                copy.write_row((room.line, room.building_id, room.floor, room.number))
        raw.execute("SELECT k.line, r.id, r.area_m2, r.rent_monthly, r.capacity, r.status FROM onboarding_room_keys k"
                    " JOIN buildings_room r ON r.building_id = k.building_id AND r.floor = k.floor"
                    " AND r.number = k.number")
        existing = {line: rest for line, *rest in raw.fetchall()}
        raw.execute("DROP TABLE onboarding_room_keys")

        final = []
        kept = 0
        for room, row in rows:
            current = existing.get(room.line)
            status = room.status
            if current is None:
                values = (room.area, room.rent, room.capacity or DEFAULT_CAPACITY, status or Room.Status.VACANT)
                row.action = Action.CREATED
            else:
                _id, area, rent, capacity, old_status = current
                if status == Room.Status.VACANT and old_status == Room.Status.LET:
                    status = old_status  # the tenancy decides, not the register
                    room.notes.append(_("房间已出租（有租约），导入不会改为空置"))
                    kept += 1
                values = (room.area, room.rent, room.capacity or capacity, status or old_status)
                if values == (Decimal(area), Decimal(rent), capacity, old_status):
                    row.action = Action.UNCHANGED
                else:
                    row.action = Action.UPDATED
            row.reason = "; ".join(room.notes)
            if row.action is not Action.UNCHANGED:
                final.append((room.building_id, room.floor, room.number, *values))

        added, updated = set(), set()
        if final:
            raw.execute("CREATE TEMP TABLE onboarding_room_rows (building_id bigint, floor smallint, number varchar(10),"
                        " area numeric(7,2), rent numeric(8,0), capacity smallint, status varchar(12)) ON COMMIT DROP")
            with raw.copy("COPY onboarding_room_rows FROM STDIN") as copy:
                for values in final:
                    copy.write_row(values)
            raw.execute(
                "INSERT INTO buildings_room (building_id, floor, number, area_m2, rent_monthly, capacity, status, updated_at)"
                " SELECT building_id, floor, number, area, rent, capacity, status, now() FROM onboarding_room_rows"
                " ON CONFLICT (building_id, floor, number) DO UPDATE SET area_m2 = EXCLUDED.area_m2,"
                " rent_monthly = EXCLUDED.rent_monthly, capacity = EXCLUDED.capacity, status = EXCLUDED.status,"
                " updated_at = EXCLUDED.updated_at RETURNING id, xmax = 0")
            for pk, inserted in raw.fetchall():
                (added if inserted else updated).add(pk)
            raw.execute("DROP TABLE onboarding_room_rows")
    return added, updated, kept
