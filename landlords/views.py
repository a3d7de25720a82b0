"""The landlords' own pages (/my/): thin views over landlords/services.py, phone first."""

from __future__ import annotations

import io

import segno
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_POST, require_safe

from accounts.roles import Role, role_required
from buildings.models import Room, RoomPhoto
from gis_core.errors import DomainError, NotFound
from landlords import services
from landlords.models import ConsentEvent
from qrcodes.services import public_url

landlord_required = role_required(Role.LANDLORD, login_url="landlords:login")


# --- signing in ---------------------------------------------------------------------------------

@never_cache
def sign_in(request):
    """Password or one-time code, one try each through authenticate(): the login lockout counts both."""
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(nxt, {request.get_host()}, require_https=request.is_secure()):
        nxt = ""
    mode = "code" if request.POST.get("mode", request.GET.get("mode")) == "code" else "password"
    error = ""
    if request.method == "POST":
        username = request.POST.get("username", "").strip()
        secret = request.POST.get("code" if mode == "code" else "password", "")
        user = authenticate(request, username=username, password=secret, one_time_code=(mode == "code"))
        if user is not None:
            login(request, user)
            return redirect(nxt or reverse("landlords:home"))
        # (a locked-out try is answered by the lockout middleware: 429, "try again in N minutes")
        error = _("登录码无效、已用过或已过期") if mode == "code" else _("用户名或密码不正确")
    return render(request, "landlords/login.html", {"mode": mode, "next": nxt, "error": error},
                  status=401 if error else 200)


@require_POST
def sign_out(request):
    logout(request)
    return redirect("landlords:login")


# --- pages --------------------------------------------------------------------------------------

def _room_rows(rooms):
    rooms = list(rooms)
    tenants = services.tenants(r.pk for r in rooms)
    counts = dict.fromkeys((r.pk for r in rooms), 0)
    for room_id in RoomPhoto.objects.filter(room__in=[r.pk for r in rooms]).values_list("room_id", flat=True):
        counts[room_id] += 1
    return [{"room": r, "tenants": tenants.get(r.pk, []), "photos": counts[r.pk]} for r in rooms]


@require_safe
@never_cache
@landlord_required
def home(request):
    landlord = services.landlord_of(request.user)
    buildings = list(services.buildings(request.user))
    rooms = services.rooms(request.user).order_by("building__code", "floor", "number")
    by_building: dict[int, list] = {b.pk: [] for b in buildings}
    for row in _room_rows(rooms):
        by_building[row["room"].building_id].append(row)
    return render(request, "landlords/home.html", {
        "landlord": landlord, "buildings": [(b, by_building[b.pk]) for b in buildings],
        "consent_events": ConsentEvent.objects.filter(landlord=landlord)[:5],
    })


@require_safe
@never_cache
@landlord_required
def building(request, building_id: int):
    b = services.building(request.user, building_id)
    rows = _room_rows(services.rooms(request.user).filter(building=b).order_by("floor", "number"))
    return render(request, "landlords/building.html", {
        "building": b, "rows": rows, "door_url": public_url(b, request), "qr_svg": _qr_svg(public_url(b, request)),
    })


@never_cache
@landlord_required
def room(request, room_id: int):
    r = services.room(request.user, room_id)
    return _room_page(request, r)


def _room_page(request, r: Room, status: int = 200):
    return render(request, "landlords/room.html", {
        "room": r, "building": r.building, "tenants": services.tenants([r.pk]).get(r.pk, []),
        "photos": list(RoomPhoto.objects.filter(room=r).only("id", "width", "height", "position")),
        "max_photos": RoomPhoto.MAX_PER_ROOM, "statuses": [Room.Status.VACANT, Room.Status.UNAVAILABLE],
    }, status=status)


def _act(request, room_id: int, action, done: str):
    """Run one operation on a room; back to the room page, with the outcome (4xx when refused)."""
    try:
        action()
    except NotFound:
        raise
    except DomainError as error:
        messages.error(request, str(error.message))
        return _room_page(request, services.room(request.user, room_id), status=error.status)
    messages.success(request, done)
    return redirect("landlords:room", room_id=room_id)


@require_POST
@landlord_required
def room_update(request, room_id: int):
    return _act(request, room_id, lambda: services.update_room(request.user, room_id, request.POST), _("已保存"))


@require_POST
@landlord_required
def room_status(request, room_id: int):
    return _act(request, room_id, lambda: services.set_status(request.user, room_id, request.POST.get("status", "")),
                _("状态已更新"))


@require_POST
@landlord_required
def room_retire(request, room_id: int):
    try:
        r = services.retire_room(request.user, room_id)
    except NotFound:
        raise
    except DomainError as error:
        messages.error(request, str(error.message))
        return _room_page(request, services.room(request.user, room_id), status=error.status)
    messages.success(request, _("房间已停用（历史记录保留）"))
    return redirect("landlords:building", building_id=r.building_id)


@require_POST
@landlord_required
def room_checkout(request, room_id: int):
    try:
        tenancy_id = int(request.POST.get("tenancy", ""))
    except ValueError:
        tenancy_id = 0
    return _act(request, room_id, lambda: services.check_out(request.user, room_id, tenancy_id), _("已办理退房"))


@require_POST
@landlord_required
def photo_add(request, room_id: int):
    upload = request.FILES.get("photo")

    def add():
        if upload is None:
            from gis_core.errors import BadRequest

            raise BadRequest(_("请选择一张照片"))
        services.add_photo(request.user, room_id, upload)

    return _act(request, room_id, add, _("照片已上传"))


@require_POST
@landlord_required
def photo_delete(request, room_id: int, photo_id: int):
    return _act(request, room_id, lambda: services.delete_photo(request.user, room_id, photo_id), _("照片已删除"))


@require_POST
@landlord_required
def room_add(request, building_id: int):
    try:
        r = services.add_room(request.user, building_id, request.POST)
    except NotFound:
        raise
    except DomainError as error:
        messages.error(request, str(error.message))
        return _building_error(request, building_id, error)
    messages.success(request, _("房间已添加（暂为不可出租，可在房间页发布为空置）"))
    return redirect("landlords:room", room_id=r.pk)


def _building_error(request, building_id: int, error: DomainError):
    response = building(request, building_id)
    response.status_code = error.status
    return response


@require_POST
@landlord_required
def consent(request):
    give = request.POST.get("give") == "1"
    method = request.POST.get("method", ConsentEvent.Method.ONLINE)
    try:
        services.set_consent(request.user, give, method=method)
    except NotFound:
        raise
    except DomainError as error:
        messages.error(request, str(error.message))
        response = home(request)
        response.status_code = error.status
        return response
    messages.success(request, _("已同意公开电话") if give else _("已撤回公开电话的同意"))
    return redirect("landlords:home")


@require_safe
@landlord_required
def plate(request, building_id: int):
    b, body = services.plate_pdf(request.user, building_id, request)
    response = HttpResponse(body, content_type="application/pdf")
    disposition = "attachment" if request.GET.get("download") else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="door-plate-{b.pk}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@landlord_required
def plate_lost(request, building_id: int):
    services.report_lost_plate(request.user, building_id)
    messages.success(request, _("旧门牌二维码已作废，新二维码已生成，请打印后张贴"))
    return redirect("landlords:building", building_id=building_id)


def _qr_svg(url: str) -> str:
    out = io.BytesIO()
    segno.make(url, error="q").save(out, kind="svg", scale=5, border=2, dark="#1d2733", xmldecl=False, svgns=True)
    return out.getvalue().decode()


# --- public: the photos renters see -------------------------------------------------------------

@require_safe
@cache_control(public=True, max_age=86400)
def photo(request, photo_id: int):
    """A published room photo (already stripped of metadata). Photos of retired rooms are not served."""
    found = RoomPhoto.objects.filter(pk=photo_id, room__retired_at__isnull=True).values_list("image", flat=True).first()
    if found is None:
        raise NotFound(_("没有这张照片"))
    return HttpResponse(bytes(found), content_type="image/jpeg")
