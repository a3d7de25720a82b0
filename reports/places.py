"""Where a report comes from when the resident does not say: the place behind the code or button
they used. A patrol point's QR code, a building's door code (its "report a problem" button) and a
kiosk each name one place; the phone page and its endpoints work the same for all three."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.gis.geos import Point
from django.http import Http404
from django.urls import reverse


KINDS = {"p": "point", "b": "building", "k": "kiosk"}


@dataclass(frozen=True)
class Place:
    kind: str  # "p" (patrol point), "b" (building door code), "k" (kiosk)
    token: str
    title: str
    subtitle: str
    location: Point
    point: object = None  # reports.PatrolPoint
    building: object = None  # buildings.Building

    def url(self, name: str = "form") -> str:
        """`form`, `submit` or `nearby` of this place (URL names report-<name>-point|building|kiosk)."""
        return reverse(f"report-{name}-{KINDS[self.kind]}", args=[self.token])

    def report_kwargs(self) -> dict:
        return {"location": self.location, "point": self.point, "building": self.building}


def resolve(kind: str, token: str) -> Place:
    """The place a scanned code or a kiosk names; 404 for anything unknown or switched off."""
    if kind == "p":
        from reports.models import PatrolPoint

        p = PatrolPoint.objects.select_related("community").filter(qr_token=token, active=True).first()
        if p is not None:
            return Place("p", token, p.name, p.community.name if p.community else "", p.location, point=p)
    elif kind == "b":
        from buildings.models import Building

        b = Building.objects.select_related("community").filter(qr_token=token).first()
        if b is not None:
            return Place("b", token, b.address or b.code, b.community.name if b.community else "", b.anchor,
                         building=b)
    elif kind == "k":
        from kiosk.models import Kiosk

        k = Kiosk.objects.select_related("community").filter(code=token).first()
        if k is not None:
            return Place("k", token, k.name, k.community.name, k.location)
    raise Http404
