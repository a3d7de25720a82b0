"""The police registration feed: which tenancies to show, and their flags (idcard-privacy note).

* late — registered more than 3 days after moving in (MPS Order 24);
* lease_unregistered — open for more than 30 days without the lease registered (MoHURD Order 6);
* six_months — resident 6 months or more: eligible for a residence permit (State Council Order 663);
* checked_out — the tenancy ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from residents.models import Tenancy, six_months_before

FLAGS = ("late", "lease_unregistered", "six_months", "checked_out")


@dataclass
class FeedQuery:
    since: datetime
    grid: object | None = None
    flag: str = ""


def tenancies(user, q: FeedQuery):
    """New registrations and check-outs since `q.since`, scoped to what the user may see."""
    base = Tenancy.objects.visible_to(user)
    if q.grid is not None:
        base = base.in_grid(q.grid)
    today = timezone.localdate()
    if q.flag == "late":
        base = base.registered_late().registered_since(q.since)
    elif q.flag == "lease_unregistered":
        base = base.lease_unregistered(today)
    elif q.flag == "six_months":
        base = base.past_six_months(today)
    elif q.flag == "checked_out":
        base = base.checked_out_since(timezone.localtime(q.since).date())
    else:
        base = base.registered_since(q.since) | base.checked_out_since(timezone.localtime(q.since).date())
    return base.select_related("person", "room__building__grid").order_by("-registered_at", "-pk")


def flags(t: Tenancy, today=None) -> list[str]:
    today = today or timezone.localdate()
    out = []
    if timezone.localtime(t.registered_at).date() > t.start_date + timedelta(days=3):
        out.append("late")
    if t.end_date is None and t.lease_registered_on is None and t.start_date < today - timedelta(days=30):
        out.append("lease_unregistered")
    if t.end_date is None and t.start_date <= six_months_before(today):
        out.append("six_months")
    if t.end_date is not None:
        out.append("checked_out")
    return out


def row(t: Tenancy, today=None) -> dict:
    b = t.room.building
    return {
        "tenancy": t.pk, "person": t.person_id, "name": t.person.name_masked, "id_number": t.person.id_number_masked,
        "sex": t.person.sex, "region": t.person.region_code, "grid": b.grid.code if b.grid else "",
        "building": b.code, "address": b.address, "floor": t.room.floor, "room": t.room.number,
        "start_date": t.start_date.isoformat(), "end_date": t.end_date.isoformat() if t.end_date else "",
        "registered_at": timezone.localtime(t.registered_at).isoformat(timespec="seconds"),
        "via": t.registered_via, "flags": flags(t, today),
    }
