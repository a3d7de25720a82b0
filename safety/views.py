"""Staff pages: a grid's colour month by month and why (the contributing figures)."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from accounts.roles import Role, has_role
from gis_core.errors import NotFound, PermissionDenied
from gis_core.models import Grid
from safety.evaluate import TERMS
from safety.models import HEX, Rating

HISTORY_MONTHS = 36
STAFF_ROLES = (Role.ADMIN, Role.POLICE, Role.GRID_WORKER, Role.PLANNER)


def _staff(request) -> bool:
    return request.user.is_staff or has_role(request.user, *STAFF_ROLES)


@require_safe
def grid_history(request, code: str):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not _staff(request):
        raise PermissionDenied(_("仅限工作人员"))
    grid = Grid.objects.select_related("community", "parent").filter(code=code).first()
    if grid is None:
        raise NotFound(_("没有这个网格：%(code)s") % {"code": code[:20]})
    ratings = list(Rating.objects.filter(grid=grid).select_related("override", "override__created_by", "rule_set")
                   .order_by("-month")[:HISTORY_MONTHS])
    term_names = {"incidents": _("案事件"), "coverage": _("视频覆盖"), "registered": _("按时登记"),
                  "overdue": _("超时上报")}
    rows = []
    for r in ratings:
        terms = [(term_names[t], r.levels.get(t)) for t in TERMS]
        rows.append({"r": r, "hex": HEX[r.colour], "terms": terms,
                     "categories": sorted(r.by_category.items(), key=lambda kv: -kv[1])})
    return render(request, "safety/grid_history.html", {
        "grid": grid, "rows": rows, "strip": [{"month": r.month, "hex": HEX[r.colour], "colour": r.colour}
                                              for r in reversed(ratings)],
        "level_names": [_("绿"), _("黄"), _("红")],
    })
