"""The service hall's wall display: /screen/<community code>/ and its data endpoint.

Who may look: a screen opened once with its key (/screen/<code>/?key=…, issued in the admin) —
the key is swapped at once for a signed cookie bound to that screen and key, and the address bar
no longer shows it; revoking the key (a new one, or switching the screen off) ends the cookie
too. Staff may look with their login. Nothing personal is on the page or in the data: counts,
percentages and colours only.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.http import HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from accounts.roles import Role, has_role
from gis_core.errors import NotFound, PermissionDenied
from gis_core.models import Community
from screen import figures
from screen.models import Screen
from tiles.layers import LAYERS, is_public

SALT = "screen.cookie"
COOKIE_AGE = 10 * 365 * 24 * 3600  # a wall display is set up once
STAFF_ROLES = (Role.ADMIN, Role.POLICE, Role.GRID_WORKER, Role.PLANNER)


def _community(code: str) -> Community:
    community = Community.objects.filter(code=code).first() if code.isdigit() and len(code) == 12 else None
    if community is None:
        raise NotFound(_("没有这个社区：%(code)s") % {"code": code[:20]})
    return community


def _cookie_name(community: Community) -> str:
    return f"screen_{community.code}"


def _screen_of(request, community: Community) -> Screen | None:
    try:
        value = request.get_signed_cookie(_cookie_name(community), salt=SALT)
        pk, digest_head = value.split(":", 1)
        screen = Screen.objects.filter(pk=int(pk), community=community, active=True).first()
    except (KeyError, ValueError, signing.BadSignature):
        return None
    return screen if screen and screen.key_digest.startswith(digest_head) and len(digest_head) == 16 else None


def _allowed(request, community: Community) -> bool:
    user = request.user
    return bool(user.is_authenticated and (user.is_staff or has_role(user, *STAFF_ROLES))) or \
        _screen_of(request, community) is not None


def _refuse(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    raise PermissionDenied(_("此大屏需要大屏密钥或工作人员登录"))


def _strings() -> dict[str, str]:
    return {
        "vacant": _("空置房间"), "let": _("已出租"), "today": _("今日登记"), "week": _("本周登记"),
        "open": _("处理中上报"), "overdue": _("超时上报"), "coverage": _("视频覆盖率（观察级）"),
        "rooms_by_grid": _("各网格房间"), "coverage_by_grid": _("各网格视频覆盖率 (%)"),
        "registrations_by_grid": _("各网格本周登记"), "safety": _("三色评定"), "red": _("红色"),
        "yellow": _("黄色"), "green": _("绿色"), "updated": _("更新于"), "reports_by_grid": _("各网格上报"),
        "not_published": _("未公开"),
    }


@require_safe
def screen_page(request, code: str):
    community = _community(code)
    key = request.GET.get("key")
    if key is not None:
        screen = Screen.find(community, key)
        if screen is None:
            raise PermissionDenied(_("大屏密钥无效或已停用"))
        Screen.objects.filter(pk=screen.pk).update(last_seen_at=timezone.now())
        response = redirect(request.path)  # the key leaves the address bar at once
        response.set_signed_cookie(_cookie_name(community), f"{screen.pk}:{screen.key_digest[:16]}", salt=SALT,
                                   max_age=COOKIE_AGE, path=request.path, httponly=True, samesite="Strict",
                                   secure=settings.SESSION_COOKIE_SECURE)
        return response
    if not _allowed(request, community):
        return _refuse(request)
    w, s, e, n = community.boundary.extent
    config = {
        "community": {"code": community.code, "name": community.name},
        "data": reverse("screen:data", args=[community.code]),
        "style": reverse("tiles:style"),
        "bounds": [w, s, e, n],
        "pollSeconds": settings.SCREEN_POLL_SECONDS,
        "camerasPublic": is_public(LAYERS["fields_of_view"]),
        "strings": _strings(),
    }
    response = render(request, "screen/screen.html", {"community": community, "config": config})
    response["Cache-Control"] = "no-store, private"
    return response


@require_safe
def screen_data(request, code: str):
    community = _community(code)
    if not _allowed(request, community):
        raise PermissionDenied(_("此大屏需要大屏密钥或工作人员登录"))
    body, etag = figures.payload(community)
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache, private"
    return response
