"""Patrol-point plates: the door plates' sheets (qrcodes.sheets — 90 × 60 mm labels on A4, SVG or
PDF) with a point's code, name and kind, and a caption asking to scan and report a problem. Each
code opens the point's phone page (/p/<token>/)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from gis_core.errors import DomainError
from gis_core.models import Grid
from gis_core.public import public_url
from qrcodes import pdf
from qrcodes import sheets as plates
from reports.models import PatrolPoint

CAPTION = ("扫码反映问题", "Scan to report a problem")  # printed in both languages, like door plates


def select_points(params) -> list[PatrolPoint]:
    """`?grid=<grid or mesh code>` or `?points=<code>,<code>`: active points, by code."""
    grid_code = params.get("grid", "").strip()
    codes = [c.strip() for c in params.get("points", "").split(",") if c.strip()]
    if bool(grid_code) == bool(codes):
        raise DomainError(_("请用 grid=网格编码 或 points=巡查点编码,巡查点编码 选择（二选一）"), status=400)
    qs = PatrolPoint.objects.filter(active=True).select_related("community").order_by("code")
    if codes:
        points = list(qs.filter(code__in=codes[:plates.MAX_LABELS + 1]))
        missing = sorted(set(codes) - {p.code for p in points})
        if missing:
            raise DomainError(_("没有这些巡查点：%(codes)s") % {"codes": ", ".join(missing)}, status=404)
    else:
        grid = Grid.objects.filter(code=grid_code).first()
        if grid is None:
            raise DomainError(_("没有编码为 %(code)s 的网格") % {"code": grid_code}, status=404)
        field = "mesh" if grid.level == Grid.Level.MESH else "grid"
        points = list(qs.filter(**{field: grid})[:plates.MAX_LABELS + 1])
        if not points:
            raise DomainError(_("网格 %(code)s 内没有巡查点") % {"code": grid_code}, status=404)
    if len(points) > plates.MAX_LABELS:
        raise DomainError(_("一次最多打印 %(n)d 个，请按网眼分批") % {"n": plates.MAX_LABELS}, status=400)
    return points


def point_lines(p: PatrolPoint) -> list[plates.Line]:
    return plates.text_lines(p.community.name if p.community else "", p.code,
                             f"{p.name} · {p.get_kind_display()}", CAPTION)


def pages_for(request):
    points = select_points(request.GET)
    return plates.label_pages(points, lambda p: public_url(reverse("report-form-point", args=[p.qr_token]), request),
                              point_lines)


def _sheet_view(render_sheet):
    @login_required(login_url=reverse_lazy("admin:login"))
    @permission_required("reports.view_patrolpoint", raise_exception=True)
    @require_safe
    def view(request):
        response = render_sheet(pages_for(request))
        response["Cache-Control"] = "private, no-store"  # a reissued code must never print from a cache
        return response

    return view


def _svg(pages):
    body = render_to_string("qrcodes/sheet.svg", {"pages": pages, "height": plates.PAGE_H * len(pages),
                                                  **plates.layout()})
    response = HttpResponse(body, content_type="image/svg+xml; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="patrol-points.svg"'
    return response


def _pdf(pages):
    response = HttpResponse(pdf.render(pages, title=_("巡查点二维码")), content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="patrol-points.pdf"'
    return response


sheet_svg = _sheet_view(_svg)
sheet_pdf = _sheet_view(_pdf)
