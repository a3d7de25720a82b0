"""Door codes: where a code points, what a scanned token resolves to, and reissuing a code."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse

from buildings.models import Building
from gis_core.public import public_url as absolute_url
from qrcodes.models import RevokedQrToken


def public_url(building: Building, request) -> str:
    """The absolute URL a building's QR code encodes.

    Printed plates outlive any one request: behind a proxy the request's own host can be an
    internal name, so a configured PUBLIC_BASE_URL (scheme://host[:port]) wins when set.
    """
    return absolute_url(reverse("qrcodes:building", args=[building.qr_token]), request)


@dataclass(frozen=True)
class Resolved:
    building: Building | None = None
    revoked: RevokedQrToken | None = None


def resolve(token: str) -> Resolved:
    """The building a scanned token opens, or the record of its revocation, or neither.

    Both look-ups are exact matches on unique indexes and run for every unknown token, whatever
    it looks like, so the answer's timing and size say nothing about which tokens exist.
    """
    building = Building.objects.select_related("community", "grid", "landlord").filter(qr_token=token).first()
    if building is not None:
        return Resolved(building=building)
    return Resolved(revoked=RevokedQrToken.objects.filter(token=token).first())


def reissue(building: Building, reason: str, *, by=None) -> str:
    """Give a building a new door code (e.g. after defacement) and record the old one as revoked.

    The row is locked so that two staff reissuing at once each record the token they replaced.
    `building` is updated in place; the new token is returned.
    """
    with transaction.atomic():
        locked = Building.objects.select_for_update().get(pk=building.pk)
        RevokedQrToken.objects.create(token=locked.qr_token, building=locked, reason=reason, revoked_by=by)
        building.qr_token = locked.revoke_qr_token()
    return building.qr_token
