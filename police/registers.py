"""Police questions: "where does this ID number live, and where did they live before?" and "who
lives in this room / building now, and who did before?".

* The lookup takes the ID number by POST only (never in an address, so never in an access log),
  finds the person through the blind index (residents/crypto.py) and keeps nothing of the number:
  not in the database, not in a log, not in the audit entry — which records who looked, why, whom
  they found and a keyed digest prefix of the number (the same number searched twice gives the
  same prefix; without the key it says nothing). Django's error reports never show the field.
* A person's history (tenancies current and past, rooms, dates) is shown masked, after a reason,
  and audited the same way; unmasking stays the separate, audited step (police.views.unmask).
* Registers list a room's or a building's tenants, now and before, masked.
"""

from __future__ import annotations

from django.db.models import Q
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST, require_safe

from accounts.roles import Role, granted
from audit import log as audit
from buildings.models import Building, Room
from gis_core.errors import BadRequest, PermissionDenied
from police.views import police_page
from residents import crypto
from residents.ids import IdNumberError, validate_id_number
from residents.models import Person, Tenancy

PAST_ROWS = 300  # a register shows this many past tenancies, newest first
MIN_REASON = 4


def _police_only(request):
    """Searching for a person is police work: the police role itself (an administrator grants it
    to themselves first, which the audit log records — as for unmasking)."""
    if not granted(request.user, Role.POLICE):
        raise PermissionDenied(_("只有民警可以按身份证号查询"))


def _reason(request) -> str:
    reason = request.POST.get("reason", "").strip()
    if len(reason) < MIN_REASON:
        raise BadRequest(_("请填写查询事由（至少 4 个字）"))
    return reason[:500]


@require_safe
@police_page
def home(request):
    return render(request, "police/home.html", {"can_lookup": granted(request.user, Role.POLICE)})


def _history(request, person: Person, reason: str, status: int = 200):
    tenancies = (Tenancy.objects.filter(person=person).select_related("room__building__grid")
                 .order_by("-start_date", "-pk"))
    return render(request, "police/history.html", {"person": person, "reason": reason, "tenancies": tenancies},
                  status=status)


@sensitive_post_parameters("id_number")
@require_POST
@police_page
def lookup(request):
    """POST id_number + reason → the person's tenancies, masked (404 page when nobody has it)."""
    _police_only(request)
    reason = _reason(request)
    typed = request.POST.get("id_number", "")
    try:
        number = validate_id_number(typed)
    except IdNumberError:
        # The message never repeats the number (nor a part of it).
        raise BadRequest(_("身份证号格式或校验码不正确（18 位，最后一位可为 X）")) from None
    person = Person.find_by_id_number(number)
    digest = crypto.blind_index("id_number", number).hex()[:16]
    audit.record("lookup", actor=request.user, person_id=person.pk if person else None, reason=reason,
                 by="id_number", found=person is not None, digest=digest)
    if person is None:
        return render(request, "police/home.html", {"can_lookup": True, "not_found": True, "reason": reason},
                      status=404)
    return _history(request, person, reason)


@require_POST
@police_page
def history(request, person_id: int):
    """A person's tenancies from a feed or register row (POST with a reason, audited)."""
    _police_only(request)
    reason = _reason(request)
    person = get_object_or_404(Person, pk=person_id)
    audit.record("lookup", actor=request.user, person_id=person.pk, reason=reason, by="person", found=True)
    return _history(request, person, reason)


def _occupants(tenancies):
    """(now, before) of a set of tenancies: holding (Tenancy.objects.occupying()) and ended."""
    tenancies = tenancies.select_related("person", "room")
    now = list(tenancies.occupying().order_by("room__floor", "room__number", "start_date", "pk"))
    before = list(tenancies.exclude(pk__in=[t.pk for t in now]).order_by("-end_date", "-pk")[:PAST_ROWS])
    return now, before


@require_safe
@police_page
def buildings(request):
    """Find a building by its code or address (the register's entry point)."""
    text = request.GET.get("q", "").strip()[:100]
    found = []
    if text:
        found = list(Building.objects.filter(Q(code__iexact=text) | Q(code__istartswith=text)
                                             | Q(address__icontains=text))
                     .select_related("grid").order_by("code")[:30])
    return render(request, "police/buildings.html", {"text": text, "found": found,
                                                      "can_lookup": granted(request.user, Role.POLICE)})


@require_safe
@police_page
def building_register(request, building_id: int):
    building = get_object_or_404(Building.objects.select_related("grid", "community"), pk=building_id)
    now, before = _occupants(Tenancy.objects.filter(room__building=building))
    rooms = list(Room.objects.filter(building=building).order_by("floor", "number"))
    return render(request, "police/register.html", {
        "building": building, "room": None, "rooms": rooms, "now": now, "before": before, "past_rows": PAST_ROWS,
        "can_lookup": granted(request.user, Role.POLICE)})


@require_safe
@police_page
def room_register(request, room_id: int):
    room = get_object_or_404(Room.objects.select_related("building__grid", "building__community"), pk=room_id)
    now, before = _occupants(Tenancy.objects.filter(room=room))
    return render(request, "police/register.html", {
        "building": room.building, "room": room, "rooms": [], "now": now, "before": before, "past_rows": PAST_ROWS,
        "can_lookup": granted(request.user, Role.POLICE)})
