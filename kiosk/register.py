"""The kiosk's registration page, /kiosk/<code>/register/ (landlords and staff only).

The landlord or staff member signs in with their own login or kiosk PIN (never the tenant),
picks one of their rooms, then places the tenant's card on the reader: the agent's signed reading
links the card holder to that room (kiosk/readings.py). The page shows the outcome, masked, and
lets them check a tenant out. Sign-in lasts SESSION_MINUTES and ends on "退出" or when the page has
been idle for the kiosk's idle time.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import authenticate, login, logout
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts import lockout
from accounts.models import StaffProfile
from accounts.roles import Role, has_role
from buildings.models import Building, Room
from kiosk.models import Kiosk
from registration.models import CardReading, KioskSession
from residents import services
from residents.models import Tenancy
from residents.scoping import building_scope, rooms_for_registration

SESSION_MINUTES = 15
OPERATOR_ROLES = (Role.LANDLORD, Role.GRID_WORKER, Role.ADMIN)


def _kiosk_session(request, kiosk) -> KioskSession | None:
    if not request.user.is_authenticated or not has_role(request.user, *OPERATOR_ROLES):
        return None
    sid = request.session.get(f"kiosk_session:{kiosk.code}")
    return KioskSession.objects.live().filter(pk=sid, kiosk=kiosk, operator=request.user).select_related(
        "room__building").first() if sid else None


def _occupants(room) -> list[dict]:
    return [{"tenancy": t.pk, "name": t.person.name_masked, "id": t.person.id_number_masked,
             "since": t.start_date.isoformat()}
            for t in Tenancy.objects.open().filter(room=room).select_related("person").order_by("start_date")]


@require_safe
def page(request, code: str):
    kiosk = get_object_or_404(Kiosk.objects.select_related("community"), code=code)
    ks = _kiosk_session(request, kiosk)
    context = {"kiosk": kiosk, "ks": ks, "error": request.GET.get("error", "")}
    if ks is not None:
        scope = building_scope(request.user, read=False)
        buildings = Building.objects.none() if scope is None else Building.objects.filter(
            scope, community=kiosk.community).order_by("code")
        context["buildings"] = buildings.only("code", "address")[:300]
        chosen = request.GET.get("building") or (ks.room.building.code if ks.room else "")
        if chosen:
            context["building"] = chosen
            context["rooms"] = rooms_for_registration(request.user).filter(
                building__code=chosen, building__community=kiosk.community).order_by("floor", "number")
        if ks.room:
            context["occupants"] = _occupants(ks.room)
        profile = getattr(request.user, "staff_profile", None)
        if has_role(request.user, Role.LANDLORD) and profile is not None and profile.landlord_id:
            context["landlord"] = profile.landlord  # consent to publish the phone, given here "at a kiosk"
    return render(request, "kiosk/register.html", context)


@require_POST
def consent(request, code: str):
    """A signed-in landlord gives or withdraws consent to publish their phone at the kiosk (recorded
    with method 'kiosk'; landlords/services.py)."""
    from landlords.services import set_consent

    kiosk = get_object_or_404(Kiosk, code=code)
    if _kiosk_session(request, kiosk) is None or not has_role(request.user, Role.LANDLORD):
        return JsonResponse({"detail": _("请先登录")}, status=403)
    set_consent(request.user, request.POST.get("give") == "1", method="kiosk")
    return _back(kiosk)


def _back(kiosk, **query):
    url = reverse("kiosk-register:page", args=[kiosk.code])
    if query:
        from urllib.parse import urlencode

        url += "?" + urlencode(query)
    return redirect(url)


@require_POST
def sign_in(request, code: str):
    kiosk = get_object_or_404(Kiosk, code=code)
    username, secret = request.POST.get("username", "").strip(), request.POST.get("secret", "")
    # One try, password or PIN (accounts/backends.py): the login lockout sees and counts it.
    user = authenticate(request, username=username, password=secret, kiosk_pin=True)
    if user is None:
        if getattr(request, "axes_locked_out", False):
            request.lockout_shown = True  # the kiosk stays on its page, with the lockout's message
            return _back(kiosk, error=lockout.error(request).message)
        profile = StaffProfile.objects.filter(user__username=username).first() if secret.isdigit() else None
        if profile is not None and profile.pin_locked:
            return _back(kiosk, error=_("PIN 连续输错 5 次，已锁定 15 分钟；可用密码登录"))
        return _back(kiosk, error=_("用户名、密码或 PIN 不正确"))
    if not has_role(user, *OPERATOR_ROLES):
        return _back(kiosk, error=_("只有房东、网格员和管理员可以在终端机上登记租户"))
    login(request, user)
    request.session.set_expiry(SESSION_MINUTES * 60)
    now = timezone.now()
    ks = KioskSession.objects.create(kiosk=kiosk, operator=user, expires_at=now + timedelta(minutes=SESSION_MINUTES))
    request.session[f"kiosk_session:{kiosk.code}"] = ks.pk
    return _back(kiosk)


@require_POST
def sign_out(request, code: str):
    kiosk = get_object_or_404(Kiosk, code=code)
    KioskSession.objects.live().filter(kiosk=kiosk, operator_id=request.user.pk).update(ended_at=timezone.now())
    logout(request)
    return _back(kiosk)


@require_POST
def pick_room(request, code: str):
    kiosk = get_object_or_404(Kiosk, code=code)
    ks = _kiosk_session(request, kiosk)
    if ks is None:
        return _back(kiosk, error=_("请先登录"))
    room = rooms_for_registration(request.user).filter(pk=request.POST.get("room") or 0,
                                                       building__community=kiosk.community).first()
    if room is None:
        return _back(kiosk, error=_("您无权登记这个房间"))
    now = timezone.now()
    KioskSession.objects.filter(pk=ks.pk).update(room=room, armed_at=now,
                                                 expires_at=now + timedelta(minutes=SESSION_MINUTES))
    return _back(kiosk)


@require_POST
def check_out(request, code: str):
    kiosk = get_object_or_404(Kiosk, code=code)
    ks = _kiosk_session(request, kiosk)
    if ks is None or ks.room is None:
        return JsonResponse({"detail": _("请先登录并选择房间")}, status=403)
    tenancy = Tenancy.objects.open().filter(pk=request.POST.get("tenancy") or 0, room=ks.room).first()
    if tenancy is None:
        return JsonResponse({"detail": _("该房间没有这条在住登记")}, status=404)
    services.check_out(ks.room_id, tenancy_id=tenancy.pk, by=request.user, kiosk=kiosk)
    return _back(kiosk)


@require_safe
def status(request, code: str):
    """The latest reading in this sign-in (masked), the room's occupants: polled by register.js."""
    kiosk = get_object_or_404(Kiosk, code=code)
    ks = _kiosk_session(request, kiosk)
    if ks is None:
        return JsonResponse({"detail": _("请先登录")}, status=403)
    last = CardReading.objects.filter(session=ks).order_by("-received_at", "-pk").first()
    return JsonResponse({
        "room": ks.room_id, "reading": None if last is None else {
            "id": last.reading_id, "status": last.http_status, "outcome": last.outcome,
            "detail": last.response.get("detail", ""), "name": last.response.get("name", ""),
            "person": last.response.get("person", ""), "at": last.received_at.isoformat()},
        "occupants": _occupants(ks.room) if ks.room else [],
        "room_status": Room.objects.filter(pk=ks.room_id).values_list("status", flat=True).first(),
    }, json_dumps_params={"ensure_ascii": False})
