"""The police registration feed: which tenancies to show, their flags (idcard-privacy note), and
pages of them by keyset.

* late — registered more than 3 days after moving in (MPS Order 24);
* lease_unregistered — open for more than 30 days without the lease registered (MoHURD Order 6);
* six_months — resident 6 months or more: eligible for a residence permit (State Council Order 663);
* checked_out — the tenancy ended.

Each row has a time the feed is sorted by: when it was registered; for check-outs the day it
ended; for the two standing states (lease unregistered, six months), which list what holds today
whatever the date range, the day the tenant moved in. The date range applies to the registration
or check-out time. Pages are cut by keyset — (time, id) after the last row shown, never an
offset — so a page costs the same at the end of two million rows as at the start, and rows with
equal times are neither repeated nor skipped (indexes tenancy_registered_keyset,
tenancy_ended_keyset and tenancy_open_start_keyset: a standing state is a range of move-in days
among open tenancies, read from its index in order).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone as dt_timezone

from django.db.models import Q
from django.utils import timezone

from residents.models import Tenancy, six_months_before

FLAGS = ("late", "lease_unregistered", "six_months", "checked_out")
STANDING = ("lease_unregistered", "six_months")  # states of today: the date range does not apply
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class FeedQuery:
    since: datetime | None = None  # the range, inclusive start …
    until: datetime | None = None  # … exclusive end (both aware)
    grid: object | None = None
    flag: str = ""
    descending: bool = True
    after: tuple | None = None  # (time, id) of the last row of the previous page

    @property
    def key(self) -> str:
        """The time rows are sorted and paged by: check-outs by their day, the standing states by
        the day the tenant moved in (how long they have lived there), the rest by registration."""
        if self.flag == "checked_out":
            return "end_date"
        return "start_date" if self.flag in STANDING else "registered_at"


def tenancies(user, q: FeedQuery):
    """The feed's tenancies (unordered, uncut), scoped to what the user may see."""
    base = Tenancy.objects.visible_to(user)
    if q.grid is not None:
        base = base.in_grid(q.grid)
    today = timezone.localdate()
    if q.flag == "late":
        base = base.registered_late()
    elif q.flag == "lease_unregistered":
        base = base.lease_unregistered(today)
    elif q.flag == "six_months":
        base = base.past_six_months(today)
    elif q.flag == "checked_out":
        base = base.filter(end_date__isnull=False)
    if q.flag not in STANDING:
        lo, hi = q.since, q.until
        if q.key == "end_date":  # a day: the local days the range touches
            lo = timezone.localtime(lo).date() if lo else None
            hi = _day_after(hi) if hi else None
        if lo is not None:
            base = base.filter(**{f"{q.key}__gte": lo})
        if hi is not None:
            base = base.filter(**{f"{q.key}__lt": hi})
    return base


def _day_after(moment: datetime) -> date:
    """The first local day wholly after an exclusive end (midnight ends the day before)."""
    local = timezone.localtime(moment)
    return local.date() if local.time() == datetime.min.time() else local.date() + timedelta(days=1)


def ordered(qs, q: FeedQuery):
    """In the feed's order, after the cursor: (time, id) beyond the last row shown. Written as
    time ≤ t AND (time < t OR id < i), so the index bounds the scan on the time alone."""
    key = q.key
    if q.after is not None:
        t, pk = q.after
        if q.descending:
            qs = qs.filter(Q(**{f"{key}__lte": t}) & (Q(**{f"{key}__lt": t}) | Q(pk__lt=pk)))
        else:
            qs = qs.filter(Q(**{f"{key}__gte": t}) & (Q(**{f"{key}__gt": t}) | Q(pk__gt=pk)))
    return qs.order_by(f"-{key}", "-pk") if q.descending else qs.order_by(key, "pk")


# What a row shows: no geometry (a grid's boundary alone is kilobytes to read and parse per row).
ROW_FIELDS = ("id", "person_id", "room_id", "start_date", "end_date", "registered_via", "registered_at",
              "lease_registered_on", "lease_ends_on", "person__name_masked", "person__id_number_masked",
              "person__sex", "person__region_code", "room__floor", "room__number", "room__building_id",
              "room__building__code", "room__building__address", "room__building__grid_id",
              "room__building__grid__code", "room__building__grid__name")


def page(user, q: FeedQuery, size: int = PAGE_SIZE) -> tuple[list[Tenancy], FeedQuery | None]:
    """One page of rows and the query of the next page (None at the end)."""
    rows = list(ordered(tenancies(user, q), q).select_related("person", "room__building__grid")
                .only(*ROW_FIELDS)[: size + 1])
    if len(rows) <= size:
        return rows, None
    rows = rows[:size]
    return rows, replace(q, after=(getattr(rows[-1], q.key), rows[-1].pk))


# --- cursors ------------------------------------------------------------------------------------

def cursor(q: FeedQuery) -> str:
    """The position after which the next page starts, for a URL: '<time>.<id>' with the time as
    microseconds since the epoch (registrations) or a day number (check-outs)."""
    t, pk = q.after
    if isinstance(t, datetime):
        micros = (t - datetime(1970, 1, 1, tzinfo=dt_timezone.utc)) // timedelta(microseconds=1)
        return f"{micros}.{pk}"
    return f"{t.toordinal()}.{pk}"


def parse_cursor(value: str, key: str) -> tuple:
    """The (time, id) of a cursor; ValueError when it is not one."""
    t_s, pk_s = value.split(".")
    t_i, pk = int(t_s), int(pk_s)
    if pk <= 0 or pk > 2 ** 63 - 1:
        raise ValueError(value)
    if key in ("end_date", "start_date"):
        return date.fromordinal(t_i), pk
    return datetime(1970, 1, 1, tzinfo=dt_timezone.utc) + timedelta(microseconds=t_i), pk


# --- rows ---------------------------------------------------------------------------------------

def flags(t: Tenancy, today=None) -> list[str]:
    return flags_of(timezone.localtime(t.registered_at).date(), t.start_date, t.end_date, t.lease_registered_on,
                    today or timezone.localdate())


def flags_of(registered_on, start, end, lease_registered_on, today) -> list[str]:
    """The flags of a tenancy's dates (the same rules as the querysets: residents/models.py)."""
    out = []
    if registered_on > start + timedelta(days=3):
        out.append("late")
    if end is None and lease_registered_on is None and start < today - timedelta(days=30):
        out.append("lease_unregistered")
    if end is None and start <= six_months_before(today):
        out.append("six_months")
    if end is not None:
        out.append("checked_out")
    return out


CSV_COLUMNS = ["tenancy", "name", "id_number", "sex", "region", "grid", "building", "address", "floor", "room",
               "start_date", "end_date", "registered_at", "via", "flags"]
_CSV_FIELDS = ("pk", "person__name_masked", "person__id_number_masked", "person__sex", "person__region_code",
               "room__building__grid__code", "room__building__code", "room__building__address", "room__floor",
               "room__number", "start_date", "end_date", "registered_at", "registered_via", "lease_registered_on")


def csv_rows(user, q: FeedQuery, chunk: int = 5000):
    """Every row of the query as CSV cells, a keyset page of plain values at a time (no model
    instances: the export of a city's two million rows is mostly this loop)."""
    today = timezone.localdate()
    key_at = _CSV_FIELDS.index(q.key)
    zone = timezone.get_current_timezone()
    while q is not None:
        values = list(ordered(tenancies(user, q), q).values_list(*_CSV_FIELDS)[:chunk])
        for (pk, name, idm, sex, region, grid, code, address, floor, number, start, end, at, via,
             lease) in values:
            local = at.astimezone(zone)
            yield [pk, name, idm, sex, region, grid or "", code, address, floor, number, start.isoformat(),
                   end.isoformat() if end else "", local.strftime("%Y-%m-%d %H:%M:%S"), via,
                   ";".join(flags_of(local.date(), start, end, lease, today))]
        q = replace(q, after=(values[-1][key_at], values[-1][0])) if len(values) == chunk else None


def row(t: Tenancy, today=None) -> dict:
    b = t.room.building
    return {
        "tenancy": t.pk, "person": t.person_id, "name": t.person.name_masked, "id_number": t.person.id_number_masked,
        "sex": t.person.sex, "region": t.person.region_code, "grid": b.grid.code if b.grid else "",
        "building": b.code, "building_id": b.pk, "address": b.address, "floor": t.room.floor, "room": t.room.number,
        "room_id": t.room_id, "start_date": t.start_date.isoformat(),
        "end_date": t.end_date.isoformat() if t.end_date else "",
        "registered_at": timezone.localtime(t.registered_at).isoformat(timespec="seconds"),
        "via": t.registered_via, "flags": flags(t, today),
    }
