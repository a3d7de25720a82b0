"""The grid workers' pages, /grid/: their grids on a map with today's figures, the buildings and
rooms to visit, a room's tenants, and checking out a tenant who has left (with a reason).

Who: grid workers (their grids and meshes) and administrators (any grid), through
residents.scoping.grid_scope — the product's one scoping rule, as a Q for lists and covers() for
the room at hand. Tenants are masked. A check-out goes through residents.services.check_out (the
room locked, its status and tiles following) and is audited with the reason.
"""

from __future__ import annotations

from datetime import date

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _, gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from accounts.roles import Role, role_required
from buildings.models import Room
from gis_core.errors import BadRequest, NotFound, PermissionDenied
from gridwork import figures
from residents import services
from residents.models import Tenancy
from residents.scoping import Scope, grid_scope

ROLES = (Role.GRID_WORKER, Role.ADMIN)
REASONS = {
    "moved_out": gettext_lazy("上门核实已搬离"),
    "landlord": gettext_lazy("房东告知已搬离"),
    "lease_ended": gettext_lazy("租约到期未续租"),
    "other": gettext_lazy("其他"),
}


def grid_page(view):
    """Grid workers and administrators; the user's scope handed to the view (403 without one)."""

    @never_cache
    @role_required(*ROLES)
    def wrapped(request, *args, **kwargs):
        scope = grid_scope(request.user)
        if scope is None:
            raise PermissionDenied(_("您的账户还没有分配网格，请联系管理员"))
        return view(request, scope, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _room(scope: Scope, room_id: int) -> Room:
    room = Room.objects.select_related("building__grid", "building__mesh").filter(pk=room_id).first()
    b = room.building if room else None
    if room is None or not scope.covers(landlord_id=None, grid_id=b.grid_id, mesh_id=b.mesh_id):
        raise NotFound(_("没有这个房间，或它不在您负责的网格内"))
    return room


@require_safe
@grid_page
def home(request, scope: Scope):
    grids = list(figures.grids_of(scope)[:500])
    chosen = request.GET.get("grid", "")[:18]
    if chosen:
        shown = [g for g in grids if g.code == chosen]
        if not shown:
            raise NotFound(_("没有这个网格，或它不在您负责的范围内"))
    else:  # a worker sees all their grids; an administrator picks one
        shown = grids if not scope.every else grids[:1]
    today = timezone.localdate()
    cards = [{"grid": g, "figures": figures.figures(g, today), "visits": figures.visits(g, today)} for g in shown]
    extent = None
    for g in shown:
        w, s, e, n = g.boundary.extent
        extent = [w, s, e, n] if extent is None else [min(extent[0], w), min(extent[1], s),
                                                        max(extent[2], e), max(extent[3], n)]
    points = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [v.building.anchor.x, v.building.anchor.y]},
               "properties": {"code": v.building.code, "count": v.count}}
              for card in cards for v in card["visits"]]
    config = {"style": reverse("tiles:style"), "bounds": extent, "grids": [g.code for g in shown],
              "visits": {"type": "FeatureCollection", "features": points}}
    return render(request, "gridwork/home.html", {
        "cards": cards, "grids": grids, "chosen": chosen, "every": scope.every, "config": config, "today": today})


@require_safe
@grid_page
def room(request, scope: Scope, room_id: int):
    room = _room(scope, room_id)
    now = list(Tenancy.objects.occupying().filter(room=room).select_related("person").order_by("start_date", "pk"))
    before = list(Tenancy.objects.filter(room=room, end_date__isnull=False).select_related("person")
                  .order_by("-end_date", "-pk")[:20])
    return render(request, "gridwork/room.html", {
        "room": room, "now": now, "before": before, "reasons": REASONS, "today": timezone.localdate(),
        "done": request.GET.get("done", "")})


@require_POST
@grid_page
def check_out(request, scope: Scope, tenancy_id: int):
    """Check out a tenant who has left: a reason (and a note for "other"), the day they left."""
    tenancy = Tenancy.objects.occupying().filter(pk=tenancy_id).first()
    if tenancy is None:
        raise NotFound(_("没有这条在住登记（可能已退租）"))
    room = _room(scope, tenancy.room_id)
    code, note = request.POST.get("reason", ""), request.POST.get("note", "").strip()[:300]
    if code not in REASONS:
        raise BadRequest(_("请选择退租原因"))
    if code == "other" and len(note) < 4:
        raise BadRequest(_("选择“其他”时请写明原因（至少 4 个字）"))
    reason = str(REASONS[code]) + (f"：{note}" if note else "")
    end = None
    if request.POST.get("end"):
        try:
            end = date.fromisoformat(request.POST["end"])
        except ValueError:
            raise BadRequest(_("搬离日期须为日期，如 2026-05-01")) from None
        if end > timezone.localdate():
            raise BadRequest(_("搬离日期不能晚于今天"))
        if end < tenancy.start_date:
            raise BadRequest(_("搬离日期不能早于入住日期"))
    services.check_out(room.pk, tenancy_id=tenancy.pk, end=end, by=request.user, reason=reason)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    return redirect(target or reverse("gridwork:room", args=[room.pk]) + f"?done={tenancy.pk}")
