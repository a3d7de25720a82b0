"""The public building page behind each door code, and the staff's printable sheets."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse_lazy
from django.utils.translation import gettext
from django.views.decorators.cache import cache_control
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import conditional_page, require_safe

from gis_core.csp import hash_inline_styles
from kiosk.models import Kiosk
from kiosk.search import RoomQuery, search
from qrcodes import pdf, services, sheets
from qrcodes.minimap import building_map

MAX_ROOMS = 500  # more vacant rooms than any building has


# Phones on a poor connection: one gzipped document with everything inline, an ETag so that a
# second scan costs a 304, and revalidation every time so a new vacancy or a revocation shows.
@require_safe
@gzip_page
@conditional_page
@cache_control(no_cache=True)
@hash_inline_styles  # no nonce: the page must be the same bytes each time (ETag; 404s alike)
def building_page(request, token: str):
    found = services.resolve(token)
    if found.building is not None:
        b = found.building
        landlord = b.landlord
        return render(request, "qrcodes/building.html", {
            "code": b.code, "address": b.address, "community": b.community.name,
            "grid": b.grid.name if b.grid else "",
            # Plain values of vacant rooms only: nothing about who lives in the let ones.
            "rooms": search(RoomQuery(building_id=b.pk, sort="rent"), limit=MAX_ROOMS),
            "phone": landlord.public_phone if landlord else None,
            "map": building_map(b),
            "token": token,  # the "report a problem" button (reports app) opens /b/<token>/report/
        })
    if found.revoked is not None:
        # Where to ask, in the community the plate was in, and nothing about the building itself.
        community = found.revoked.building.community
        kiosks = Kiosk.objects.filter(community=community).values("name", "resident_group")
        return render(request, "qrcodes/revoked.html", {"community": community.name, "kiosks": kiosks}, status=410)
    return render(request, "qrcodes/not_found.html", status=404)


def _sheet_view(render_sheet):
    """A staff-only sheet view: select the buildings, lay out the labels, hand them to `render_sheet`.

    Anonymous visitors are sent to the admin login (the project has no other); signed-in staff
    without `buildings.view_building` get 403.
    """

    @login_required(login_url=reverse_lazy("admin:login"))
    @permission_required("buildings.view_building", raise_exception=True)
    @require_safe
    def view(request):
        buildings = sheets.select_buildings(request.GET)  # SelectionError: the error middleware answers
        pages = sheets.label_pages(buildings, lambda b: services.public_url(b, request))
        response = render_sheet(request, pages)
        response["Cache-Control"] = "private, no-store"  # reissued codes must never print from a cache
        return response

    return view


def _svg(request, pages):
    body = render_to_string("qrcodes/sheet.svg", {"pages": pages, "height": sheets.PAGE_H * len(pages), **sheets.layout()})
    response = HttpResponse(body, content_type="image/svg+xml; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="qr-sheet.svg"'
    return response


def _html(request, pages):
    return HttpResponse(render_to_string("qrcodes/sheet.html", {
        "pages": pages, "count": sum(len(p.labels) for p in pages), "query": request.GET.urlencode(),
        **sheets.layout(),
    }, request=request))


def _pdf(request, pages):
    response = HttpResponse(pdf.render(pages, title=gettext("楼栋二维码门牌")), content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="qr-sheet.pdf"'
    return response


sheet_svg = _sheet_view(_svg)
sheet_html = _sheet_view(_html)
sheet_pdf = _sheet_view(_pdf)
